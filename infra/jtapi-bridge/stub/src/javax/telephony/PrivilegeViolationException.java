// Stub for compiling and testing only, written from jtapi-stub-spec.md (Cisco's signatures and constant values).
package javax.telephony;

import javax.telephony.events.*;
import javax.telephony.callcontrol.*;
import javax.telephony.callcontrol.events.*;
import javax.telephony.callcenter.*;
import javax.telephony.callcenter.events.*;
import javax.telephony.capabilities.*;
import com.cisco.jtapi.extensions.*;

public class PrivilegeViolationException extends Exception {
    public static final int ORIGINATOR_VIOLATION = 0;
    public static final int DESTINATION_VIOLATION = 1;
    public static final int UNKNOWN_VIOLATION = 2;
    private final int type;
    public PrivilegeViolationException(int type) { this(type, null); }
    public PrivilegeViolationException(int type, String s) { super(s); this.type = type; }
    public int getType() { return type; }
}
