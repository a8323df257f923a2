// Stub for compiling and testing only, written from jtapi-stub-spec.md (Cisco's signatures and constant values).
package javax.telephony.callcenter;

import javax.telephony.*;
import javax.telephony.events.*;
import javax.telephony.callcontrol.*;
import javax.telephony.callcontrol.events.*;
import javax.telephony.callcenter.events.*;
import javax.telephony.capabilities.*;
import com.cisco.jtapi.extensions.*;

public interface RouteCallback {
    void reRouteEvent(ReRouteEvent arg0);
    void routeCallbackEndedEvent(RouteCallbackEndedEvent arg0);
    void routeEndEvent(RouteEndEvent arg0);
    void routeEvent(RouteEvent arg0);
    void routeUsedEvent(RouteUsedEvent arg0);
}
