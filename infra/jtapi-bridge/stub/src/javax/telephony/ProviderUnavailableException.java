// Stub for compiling and testing only, written from jtapi-stub-spec.md (Cisco's signatures and constant values).
package javax.telephony;

import javax.telephony.events.*;
import javax.telephony.callcontrol.*;
import javax.telephony.callcontrol.events.*;
import javax.telephony.callcenter.*;
import javax.telephony.callcenter.events.*;
import javax.telephony.capabilities.*;
import com.cisco.jtapi.extensions.*;

public class ProviderUnavailableException extends RuntimeException {
    // JTAPI 1.2's int getCause() clashes with Throwable.getCause(): left out (jtapi-api.md section 6 rule 3)
    public ProviderUnavailableException() { super(); }
    public ProviderUnavailableException(int cause) { super(); }
    public ProviderUnavailableException(String s) { super(s); }
    public ProviderUnavailableException(int cause, String s) { super(s); }
}
