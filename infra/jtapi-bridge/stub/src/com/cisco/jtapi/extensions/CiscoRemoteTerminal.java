// Stub for compiling and testing only, written from jtapi-stub-spec.md (Cisco's signatures and constant values).
package com.cisco.jtapi.extensions;

import javax.telephony.*;
import javax.telephony.events.*;
import javax.telephony.callcontrol.*;
import javax.telephony.callcontrol.events.*;
import javax.telephony.callcenter.*;
import javax.telephony.callcenter.events.*;
import javax.telephony.capabilities.*;

public interface CiscoRemoteTerminal extends CiscoTerminal {
    int EXTEND_MEDIA_REGISTRATION = 8;
    boolean isMyAppLastToSetActiveRD() throws InvalidStateException;
    boolean isRegisteredByThisApp();
    CiscoRemoteDestinationInfo[] getActiveRemoteDestinations() throws InvalidStateException;
    CiscoRemoteDestinationInfo[] getAllRemoteDestinations() throws InvalidStateException;
    int getRegistrationType();
    void addRemoteDestination(String arg0, String arg1, boolean arg2) throws InvalidStateException, InvalidArgumentException;
    void removeAllRemoteDestinations() throws InvalidStateException;
    void removeRemoteDestination(String arg0) throws InvalidStateException, InvalidArgumentException;
    void setActiveRemoteDestination(String arg0, boolean arg1) throws InvalidStateException, InvalidArgumentException;
    void updateRemoteDestination(String arg0, String arg1, String arg2, boolean arg3) throws InvalidStateException, InvalidArgumentException;
    void updateRemoteDestinationName(String arg0, String arg1) throws InvalidStateException, InvalidArgumentException;
    void updateRemoteDestinationNumber(String arg0, String arg1) throws InvalidStateException, InvalidArgumentException;
}
