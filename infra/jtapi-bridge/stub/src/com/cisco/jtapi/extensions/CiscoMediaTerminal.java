// Stub for compiling and testing only, written from jtapi-stub-spec.md (Cisco's signatures and constant values).
package com.cisco.jtapi.extensions;

import javax.telephony.*;
import javax.telephony.events.*;
import javax.telephony.callcontrol.*;
import javax.telephony.callcontrol.events.*;
import javax.telephony.callcenter.*;
import javax.telephony.callcenter.events.*;
import javax.telephony.capabilities.*;

public interface CiscoMediaTerminal extends CiscoTerminal {
    boolean isRegistered();
    boolean isRegisteredByThisApp();
    void register(CiscoMediaCapability[] arg0) throws CiscoRegistrationException;
    void register(java.net.InetAddress arg0, int arg1, CiscoMediaCapability[] arg2) throws CiscoRegistrationException;
    void setRTPParams(CiscoRTPHandle arg0, CiscoRTPParams arg1) throws InvalidStateException, InvalidArgumentException, PrivilegeViolationException;
    void unregister() throws CiscoUnregistrationException;
}
