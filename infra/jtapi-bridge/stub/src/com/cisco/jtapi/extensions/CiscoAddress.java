// Stub for compiling and testing only, written from jtapi-stub-spec.md (Cisco's signatures and constant values).
package com.cisco.jtapi.extensions;

import javax.telephony.*;
import javax.telephony.events.*;
import javax.telephony.callcontrol.*;
import javax.telephony.callcontrol.events.*;
import javax.telephony.callcenter.*;
import javax.telephony.callcenter.events.*;
import javax.telephony.capabilities.*;

public interface CiscoAddress extends Address, CiscoObjectContainer {
    int AUTOACCEPT_ON = 1;
    int IN_SERVICE = 1;
    int MONITORING_TARGET = 5;
    int getType();
    CiscoCall createPersistentCall(Terminal arg0, String arg1, String arg2) throws PlatformException, InvalidStateException, MethodNotSupportedException, ResourceUnavailableException;
    int getState();
    Connection getPersistentConnection(Terminal arg0) throws MethodNotSupportedException;
    void setAutoAcceptStatus(int arg0, Terminal arg1) throws PlatformException, InvalidStateException, MethodNotSupportedException;
}
