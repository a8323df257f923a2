// Stub for compiling and testing only, written from jtapi-stub-spec.md (Cisco's signatures and constant values).
package com.cisco.jtapi.extensions;

import javax.telephony.*;
import javax.telephony.events.*;
import javax.telephony.callcontrol.*;
import javax.telephony.callcontrol.events.*;
import javax.telephony.callcenter.*;
import javax.telephony.callcenter.events.*;
import javax.telephony.capabilities.*;

public interface CiscoFeatureReason {
    int REASON_BLINDTRANSFER = 7;
    int REASON_CONFERENCE = 9;
    int REASON_REDIRECT = 6;
    int REASON_TRANSFER = 2;
    int REASON_NORMAL = 12;
}
