// Stub for compiling and testing only, written from jtapi-stub-spec.md (Cisco's signatures and constant values).
package javax.telephony;

import javax.telephony.events.*;
import javax.telephony.callcontrol.*;
import javax.telephony.callcontrol.events.*;
import javax.telephony.callcenter.*;
import javax.telephony.callcenter.events.*;
import javax.telephony.capabilities.*;
import com.cisco.jtapi.extensions.*;

public class InvalidStateException extends Exception {
    public static final int PROVIDER_OBJECT = 0;
    public static final int CALL_OBJECT = 1;
    public static final int CONNECTION_OBJECT = 2;
    public static final int TERMINAL_OBJECT = 3;
    public static final int ADDRESS_OBJECT = 4;
    public static final int TERMINAL_CONNECTION_OBJECT = 5;
    private final Object object;
    private final int objectType, state;
    public InvalidStateException(Object object, int objectType, int state) { this(object, objectType, state, null); }
    public InvalidStateException(Object object, int objectType, int state, String s) { super(s); this.object = object; this.objectType = objectType; this.state = state; }
    public Object getObject() { return object; }
    public int getObjectType() { return objectType; }
    public int getState() { return state; }
}
