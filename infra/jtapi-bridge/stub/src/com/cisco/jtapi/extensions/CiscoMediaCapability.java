// Stub for compiling and testing only, written from jtapi-stub-spec.md (Cisco's signatures and constant values).
package com.cisco.jtapi.extensions;

import javax.telephony.*;
import javax.telephony.events.*;
import javax.telephony.callcontrol.*;
import javax.telephony.callcontrol.events.*;
import javax.telephony.callcenter.*;
import javax.telephony.callcenter.events.*;
import javax.telephony.capabilities.*;

public class CiscoMediaCapability {
    public static final CiscoMediaCapability G711_64K_30_MILLISECONDS = new CiscoG711MediaCapability();

    // Cisco's only constructor (javap, jtapi-15.jar): no no-argument one, so nothing compiles here that would not there
    public CiscoMediaCapability(int payloadType, int maxFramesPerPacket) {}
}
