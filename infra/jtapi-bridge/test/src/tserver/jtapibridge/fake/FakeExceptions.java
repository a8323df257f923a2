package tserver.jtapibridge.fake;

import com.cisco.jtapi.extensions.CiscoJtapiException;
import javax.telephony.InvalidPartyException;
import javax.telephony.InvalidStateException;
import javax.telephony.PlatformException;

/**
 * Exceptions as Cisco's implementation throws them: the javax.telephony class, implementing
 * CiscoJtapiException with a CTI error code. The codes here are test values of the right shape (negative
 * CTIERR_* ints), not a claim about which code Cisco gives for which case.
 */
final class FakeExceptions {
    private FakeExceptions() {}

    static final int TEST_STATE_ERROR = -1932787617;
    static final int TEST_PARTY_ERROR = -1932787470;
    static final int TEST_LOGIN_ERROR = -1932787709;

    static final class State extends InvalidStateException implements CiscoJtapiException {
        State(Object object, int type, String message) { super(object, type, 0, message); }
        @Override public int getErrorCode() { return TEST_STATE_ERROR; }
        @Override public String getErrorName() { return "TEST_INVALID_STATE"; }
    }

    static final class Party extends InvalidPartyException implements CiscoJtapiException {
        Party(String message) { super(InvalidPartyException.DESTINATION_PARTY, message); }
        @Override public int getErrorCode() { return TEST_PARTY_ERROR; }
        @Override public String getErrorName() { return "TEST_UNALLOCATED_NUMBER"; }
    }

    static final class Platform extends PlatformException implements CiscoJtapiException {
        Platform(String message) { super(message); }
        @Override public int getErrorCode() { return TEST_LOGIN_ERROR; }
        @Override public String getErrorName() { return "TEST_LOGIN_REFUSED"; }
    }
}
