// Stub for compiling and testing only, written from jtapi-stub-spec.md (Cisco's signatures and constant values).
package javax.telephony;

import javax.telephony.events.*;
import javax.telephony.callcontrol.*;
import javax.telephony.callcontrol.events.*;
import javax.telephony.callcenter.*;
import javax.telephony.callcenter.events.*;
import javax.telephony.capabilities.*;
import com.cisco.jtapi.extensions.*;

public class JtapiPeerFactory {
    private JtapiPeerFactory() {} // as Cisco's: not instantiable

    public static synchronized JtapiPeer getJtapiPeer(String arg0) throws JtapiPeerUnavailableException {
        String name = arg0 == null || arg0.isEmpty() ? "DefaultJtapiPeer" : arg0;
        try {
            return (JtapiPeer) Class.forName(name).getDeclaredConstructor().newInstance();
        } catch (Exception e) {
            throw new JtapiPeerUnavailableException("JtapiPeer " + name + " unavailable: " + e);
        }
    }
}
