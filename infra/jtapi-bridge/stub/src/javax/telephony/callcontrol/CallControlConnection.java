// Stub for compiling and testing only, written from jtapi-stub-spec.md (Cisco's signatures and constant values).
package javax.telephony.callcontrol;

import javax.telephony.*;
import javax.telephony.events.*;
import javax.telephony.callcontrol.events.*;
import javax.telephony.callcenter.*;
import javax.telephony.callcenter.events.*;
import javax.telephony.capabilities.*;
import com.cisco.jtapi.extensions.*;

public interface CallControlConnection extends Connection {
    int ALERTING = 83;
    int DIALING = 85;
    int DISCONNECTED = 89;
    int ESTABLISHED = 88;
    int FAILED = 90;
    int IDLE = 80;
    int INITIATED = 84;
    int NETWORK_ALERTING = 87;
    int NETWORK_REACHED = 86;
    int OFFERED = 81;
    int QUEUED = 82;
    int getCallControlState();
    Connection redirect(String arg0) throws InvalidStateException, InvalidPartyException, MethodNotSupportedException, PrivilegeViolationException, ResourceUnavailableException;
    void accept() throws InvalidStateException, MethodNotSupportedException, PrivilegeViolationException, ResourceUnavailableException;
}
