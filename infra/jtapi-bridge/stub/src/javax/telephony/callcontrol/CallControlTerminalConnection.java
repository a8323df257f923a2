// Stub for compiling and testing only, written from jtapi-stub-spec.md (Cisco's signatures and constant values).
package javax.telephony.callcontrol;

import javax.telephony.*;
import javax.telephony.events.*;
import javax.telephony.callcontrol.events.*;
import javax.telephony.callcenter.*;
import javax.telephony.callcenter.events.*;
import javax.telephony.capabilities.*;
import com.cisco.jtapi.extensions.*;

public interface CallControlTerminalConnection extends TerminalConnection {
    int BRIDGED = 100;
    int DROPPED = 102;
    int HELD = 99;
    int IDLE = 96;
    int INUSE = 101;
    int RINGING = 97;
    int TALKING = 98;
    int getCallControlState();
    void hold() throws InvalidStateException, MethodNotSupportedException, PrivilegeViolationException, ResourceUnavailableException;
    void unhold() throws InvalidStateException, MethodNotSupportedException, PrivilegeViolationException, ResourceUnavailableException;
}
