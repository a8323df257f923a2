// Stub for compiling and testing only, written from jtapi-stub-spec.md (Cisco's signatures and constant values).
package javax.telephony.events;

import javax.telephony.*;
import javax.telephony.callcontrol.*;
import javax.telephony.callcontrol.events.*;
import javax.telephony.callcenter.*;
import javax.telephony.callcenter.events.*;
import javax.telephony.capabilities.*;
import com.cisco.jtapi.extensions.*;

public interface Ev {
    int CAUSE_NORMAL = 100;
    int CAUSE_SNAPSHOT = 110;
    int getCause();
    int getMetaCode();
}
