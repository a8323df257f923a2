// Stub for compiling and testing only, written from jtapi-stub-spec.md (Cisco's signatures and constant values).
package javax.telephony.callcontrol.events;

import javax.telephony.*;
import javax.telephony.events.*;
import javax.telephony.callcontrol.*;
import javax.telephony.callcenter.*;
import javax.telephony.callcenter.events.*;
import javax.telephony.capabilities.*;
import com.cisco.jtapi.extensions.*;

public interface CallCtlEv extends Ev {
    int CAUSE_ALTERNATE = 202;
    int CAUSE_CONFERENCE = 207;
    int CAUSE_REDIRECTED = 210;
    int CAUSE_TRANSFER = 212;
    int CAUSE_UNHOLD = 214;
    int CAUSE_BUSY = 203;
    int CAUSE_CALL_NOT_ANSWERED = 205;
    int getCallControlCause();
}
