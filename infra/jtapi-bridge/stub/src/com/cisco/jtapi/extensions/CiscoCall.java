// Stub for compiling and testing only, written from jtapi-stub-spec.md (Cisco's signatures and constant values).
package com.cisco.jtapi.extensions;

import javax.telephony.*;
import javax.telephony.events.*;
import javax.telephony.callcontrol.*;
import javax.telephony.callcontrol.events.*;
import javax.telephony.callcenter.*;
import javax.telephony.callcenter.events.*;
import javax.telephony.capabilities.*;

public interface CiscoCall extends CallControlCall, CiscoObjectContainer {
    int PLAYTONE_NOLOCAL_OR_REMOTE = 3;
    int SILENT_MONITOR = 1;
    int WHISPER_MONITOR = 2;
    int PLAYTONE_LOCALONLY = 0;
    int PLAYTONE_REMOTEONLY = 1;
    int PLAYTONE_BOTHLOCALANDREMOTE = 2;
    CiscoCallID getCallID();
    Connection[] startMonitor(Terminal arg0, Address arg1, int arg2, String arg3, String arg4, int arg5, int arg6) throws ResourceUnavailableException, PrivilegeViolationException, InvalidPartyException, InvalidArgumentException, InvalidStateException, MethodNotSupportedException;
    Connection[] startMonitor(Terminal arg0, Address arg1, TerminalConnection arg2, int arg3, int arg4) throws ResourceUnavailableException, PrivilegeViolationException, InvalidPartyException, InvalidArgumentException, InvalidStateException, MethodNotSupportedException;
}
