// Stub for compiling and testing only, written from jtapi-stub-spec.md (Cisco's signatures and constant values).
package javax.telephony;

import javax.telephony.events.*;
import javax.telephony.callcontrol.*;
import javax.telephony.callcontrol.events.*;
import javax.telephony.callcenter.*;
import javax.telephony.callcenter.events.*;
import javax.telephony.capabilities.*;
import com.cisco.jtapi.extensions.*;

public class ResourceUnavailableException extends Exception {
    public static final int UNKNOWN = 0;
    public static final int ORIGINATOR_UNAVAILABLE = 1;
    public static final int OBSERVER_LIMIT_EXCEEDED = 2;
    public static final int TRUNK_LIMIT_EXCEEDED = 3;
    public static final int OUTSTANDING_METHOD_EXCEEDED = 4;
    public static final int UNSPECIFIED_LIMIT_EXCEEDED = 5;
    public static final int NO_DIALTONE = 6;
    public static final int USER_RESPONSE = 7;
    private final int type;
    public ResourceUnavailableException(int type) { this(type, null); }
    public ResourceUnavailableException(int type, String s) { super(s); this.type = type; }
    public int getType() { return type; }
}
