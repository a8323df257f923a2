// Stub for compiling and testing only, written from jtapi-stub-spec.md (Cisco's signatures and constant values).
package com.cisco.jtapi.extensions;

import javax.telephony.*;
import javax.telephony.events.*;
import javax.telephony.callcontrol.*;
import javax.telephony.callcontrol.events.*;
import javax.telephony.callcenter.*;
import javax.telephony.callcenter.events.*;
import javax.telephony.capabilities.*;

public class CiscoG711MediaCapability extends CiscoMediaCapability {
    // as Cisco's: payload type 4 (G.711 u-law), 30 ms frames
    public CiscoG711MediaCapability() { super(4, 30); }
}
