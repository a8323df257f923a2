// Stub for compiling and testing only, written from jtapi-stub-spec.md (Cisco's signatures and constant values).
package com.cisco.jtapi.extensions;

import javax.telephony.*;
import javax.telephony.events.*;
import javax.telephony.callcontrol.*;
import javax.telephony.callcontrol.events.*;
import javax.telephony.callcenter.*;
import javax.telephony.callcenter.events.*;
import javax.telephony.capabilities.*;

public interface CiscoConnection extends CallControlConnection, CiscoObjectContainer {
    int CALLINGADDRESS_SEARCH_SPACE = 1;
    int REDIRECT_DROP_ON_FAILURE = 1;
    CiscoConnectionID getConnectionID();
    Connection redirect(String arg0, int arg1, int arg2) throws InvalidStateException, InvalidPartyException, MethodNotSupportedException, PrivilegeViolationException, ResourceUnavailableException;
}
