package tserver.jtapibridge;

import com.cisco.jtapi.extensions.CiscoAddrInServiceEv;
import com.cisco.jtapi.extensions.CiscoAddrOutOfServiceEv;
import com.cisco.jtapi.extensions.CiscoConferenceEndEv;
import com.cisco.jtapi.extensions.CiscoConferenceStartEv;
import com.cisco.jtapi.extensions.CiscoProvTerminalRemoteDestinationChangedEv;
import com.cisco.jtapi.extensions.CiscoTermConnMonitorInitiatorInfoEv;
import com.cisco.jtapi.extensions.CiscoTermConnMonitorTargetInfoEv;
import com.cisco.jtapi.extensions.CiscoTermConnMonitoringEndEv;
import com.cisco.jtapi.extensions.CiscoTermConnMonitoringStartEv;
import com.cisco.jtapi.extensions.CiscoTermInServiceEv;
import com.cisco.jtapi.extensions.CiscoTermOutOfServiceEv;
import com.cisco.jtapi.extensions.CiscoTransferEndEv;
import com.cisco.jtapi.extensions.CiscoTransferStartEv;
import javax.telephony.callcontrol.events.CallCtlConnAlertingEv;
import javax.telephony.callcontrol.events.CallCtlConnDialingEv;
import javax.telephony.callcontrol.events.CallCtlConnDisconnectedEv;
import javax.telephony.callcontrol.events.CallCtlConnEstablishedEv;
import javax.telephony.callcontrol.events.CallCtlConnFailedEv;
import javax.telephony.callcontrol.events.CallCtlConnInitiatedEv;
import javax.telephony.callcontrol.events.CallCtlConnNetworkAlertingEv;
import javax.telephony.callcontrol.events.CallCtlConnNetworkReachedEv;
import javax.telephony.callcontrol.events.CallCtlConnOfferedEv;
import javax.telephony.callcontrol.events.CallCtlTermConnDroppedEv;
import javax.telephony.callcontrol.events.CallCtlTermConnHeldEv;
import javax.telephony.callcontrol.events.CallCtlTermConnRingingEv;
import javax.telephony.callcontrol.events.CallCtlTermConnTalkingEv;
import javax.telephony.events.CallActiveEv;
import javax.telephony.events.CallInvalidEv;
import javax.telephony.events.ConnAlertingEv;
import javax.telephony.events.ConnConnectedEv;
import javax.telephony.events.ConnCreatedEv;
import javax.telephony.events.ConnDisconnectedEv;
import javax.telephony.events.ConnFailedEv;
import javax.telephony.events.ConnInProgressEv;
import javax.telephony.events.TermConnActiveEv;
import javax.telephony.events.TermConnCreatedEv;
import javax.telephony.events.TermConnDroppedEv;
import javax.telephony.events.TermConnRingingEv;

/**
 * The protocol's event ids. Cisco's implementation class names differ from their interfaces
 * (CiscoTermConnMonitoringStartedEvImpl, CallCtlConnOfferedEvImpl implementing CiscoCallCtlConnOfferedEv, ...),
 * so the id is the first protocol interface the event is an instance of, never its class name.
 */
final class EventIds {
    private EventIds() {}

    private static final Class<?>[] PROTOCOL = {
        CallActiveEv.class, CallInvalidEv.class,
        ConnCreatedEv.class, ConnConnectedEv.class, ConnInProgressEv.class, ConnAlertingEv.class, ConnDisconnectedEv.class, ConnFailedEv.class,
        TermConnCreatedEv.class, TermConnActiveEv.class, TermConnRingingEv.class, TermConnDroppedEv.class,
        CallCtlConnInitiatedEv.class, CallCtlConnDialingEv.class, CallCtlConnEstablishedEv.class, CallCtlConnOfferedEv.class,
        CallCtlConnAlertingEv.class, CallCtlConnFailedEv.class, CallCtlConnDisconnectedEv.class,
        CallCtlConnNetworkReachedEv.class, CallCtlConnNetworkAlertingEv.class,
        CallCtlTermConnTalkingEv.class, CallCtlTermConnRingingEv.class, CallCtlTermConnHeldEv.class, CallCtlTermConnDroppedEv.class,
        CiscoTransferStartEv.class, CiscoTransferEndEv.class, CiscoConferenceStartEv.class, CiscoConferenceEndEv.class,
        CiscoTermConnMonitoringStartEv.class, CiscoTermConnMonitoringEndEv.class,
        CiscoTermConnMonitorInitiatorInfoEv.class, CiscoTermConnMonitorTargetInfoEv.class,
        CiscoTermInServiceEv.class, CiscoTermOutOfServiceEv.class, CiscoAddrInServiceEv.class, CiscoAddrOutOfServiceEv.class,
        CiscoProvTerminalRemoteDestinationChangedEv.class,
    };

    /** The event's protocol id, or null when the protocol does not carry it. */
    static String of(Object ev) {
        for (Class<?> c : PROTOCOL) if (c.isInstance(ev)) return c.getSimpleName();
        return null;
    }
}
