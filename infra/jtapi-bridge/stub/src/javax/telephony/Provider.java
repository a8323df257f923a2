// Stub for compiling and testing only, written from jtapi-stub-spec.md (Cisco's signatures and constant values).
package javax.telephony;

import javax.telephony.events.*;
import javax.telephony.callcontrol.*;
import javax.telephony.callcontrol.events.*;
import javax.telephony.callcenter.*;
import javax.telephony.callcenter.events.*;
import javax.telephony.capabilities.*;
import com.cisco.jtapi.extensions.*;

public interface Provider {
    int IN_SERVICE = 16;
    int OUT_OF_SERVICE = 17;
    int SHUTDOWN = 18;
    void shutdown();
    int getState();
    Address getAddress(String arg0) throws InvalidArgumentException;
    Address[] getAddresses() throws ResourceUnavailableException;
    Call createCall() throws ResourceUnavailableException, InvalidStateException, PrivilegeViolationException, MethodNotSupportedException;
    ProviderCapabilities getProviderCapabilities();
    void addObserver(ProviderObserver arg0) throws ResourceUnavailableException, MethodNotSupportedException;
}
