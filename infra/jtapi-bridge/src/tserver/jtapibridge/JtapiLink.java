package tserver.jtapibridge;

import com.cisco.jtapi.extensions.CiscoAddrInServiceEv;
import com.cisco.jtapi.extensions.CiscoAddrOutOfServiceEv;
import com.cisco.jtapi.extensions.CiscoAddress;
import com.cisco.jtapi.extensions.CiscoAddressObserver;
import com.cisco.jtapi.extensions.CiscoCall;
import com.cisco.jtapi.extensions.CiscoCallID;
import com.cisco.jtapi.extensions.CiscoConferenceEndEv;
import com.cisco.jtapi.extensions.CiscoConferenceStartEv;
import com.cisco.jtapi.extensions.CiscoJtapiException;
import com.cisco.jtapi.extensions.CiscoJtapiPeer;
import com.cisco.jtapi.extensions.CiscoJtapiProperties;
import com.cisco.jtapi.extensions.CiscoMediaOpenLogicalChannelEv;
import com.cisco.jtapi.extensions.CiscoMediaTerminal;
import com.cisco.jtapi.extensions.CiscoMonitorInitiatorInfo;
import com.cisco.jtapi.extensions.CiscoMonitorTargetInfo;
import com.cisco.jtapi.extensions.CiscoOutOfServiceEv;
import com.cisco.jtapi.extensions.CiscoProvTerminalRemoteDestinationChangedEv;
import com.cisco.jtapi.extensions.CiscoProvider;
import com.cisco.jtapi.extensions.CiscoProviderObserver;
import com.cisco.jtapi.extensions.CiscoRTPParams;
import com.cisco.jtapi.extensions.CiscoRegistrationException;
import com.cisco.jtapi.extensions.CiscoRemoteDestinationInfo;
import com.cisco.jtapi.extensions.CiscoRemoteTerminal;
import com.cisco.jtapi.extensions.CiscoRouteSession;
import com.cisco.jtapi.extensions.CiscoRouteTerminal;
import com.cisco.jtapi.extensions.CiscoMediaCapability;
import com.cisco.jtapi.extensions.CiscoTermConnMonitorInitiatorInfoEv;
import com.cisco.jtapi.extensions.CiscoTermConnMonitorTargetInfoEv;
import com.cisco.jtapi.extensions.CiscoTermConnMonitoringEndEv;
import com.cisco.jtapi.extensions.CiscoTermConnMonitoringStartEv;
import com.cisco.jtapi.extensions.CiscoTerminal;
import com.cisco.jtapi.extensions.CiscoTerminalObserver;
import com.cisco.jtapi.extensions.CiscoTransferEndEv;
import com.cisco.jtapi.extensions.CiscoTransferStartEv;
import com.cisco.jtapi.extensions.CiscoConnection;
import com.cisco.jtapi.extensions.CiscoProviderCapabilities;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import javax.telephony.Address;
import javax.telephony.Call;
import javax.telephony.Connection;
import javax.telephony.InvalidArgumentException;
import javax.telephony.InvalidStateException;
import javax.telephony.JtapiPeer;
import javax.telephony.JtapiPeerFactory;
import javax.telephony.PlatformException;
import javax.telephony.PrivilegeViolationException;
import javax.telephony.Provider;
import javax.telephony.ProviderUnavailableException;
import javax.telephony.Terminal;
import javax.telephony.TerminalConnection;
import javax.telephony.callcenter.RouteAddress;
import javax.telephony.callcenter.RouteCallback;
import javax.telephony.callcenter.RouteSession;
import javax.telephony.callcenter.events.ReRouteEvent;
import javax.telephony.callcenter.events.RouteCallbackEndedEvent;
import javax.telephony.callcenter.events.RouteEndEvent;
import javax.telephony.callcenter.events.RouteEvent;
import javax.telephony.callcenter.events.RouteUsedEvent;
import javax.telephony.callcontrol.CallControlCall;
import javax.telephony.callcontrol.CallControlCallObserver;
import javax.telephony.callcontrol.CallControlConnection;
import javax.telephony.callcontrol.CallControlTerminalConnection;
import javax.telephony.callcontrol.events.CallCtlCallEv;
import javax.telephony.callcontrol.events.CallCtlEv;
import javax.telephony.events.AddrEv;
import javax.telephony.events.CallEv;
import javax.telephony.events.CallInvalidEv;
import javax.telephony.events.ConnEv;
import javax.telephony.events.Ev;
import javax.telephony.events.ProvEv;
import javax.telephony.events.ProvInServiceEv;
import javax.telephony.events.ProvOutOfServiceEv;
import javax.telephony.events.ProvShutdownEv;
import javax.telephony.events.TermConnEv;
import javax.telephony.events.TermEv;

/**
 * One Cisco JTAPI provider for one link, and the switch-link protocol on top of it: the observers (one
 * CallObserver for every address, plus address, terminal and provider observers, and one RouteCallback),
 * the registration of CTI ports and route points, the ops with their real JTAPI calls, and the mapping of
 * every event. The provider outlives agent connections: when the provider goes out of service the current
 * connection is dropped, JTAPI fails over to the next CTIManager by itself, and the agent's next hello is
 * welcomed once ProvInServiceEv has come (the agent then takes a fresh snapshot).
 */
final class JtapiLink implements CallControlCallObserver, CiscoAddressObserver, CiscoTerminalObserver, CiscoProviderObserver, RouteCallback {
    /** A hello this link cannot accept: wrong credentials, or JTAPI refused the login. */
    static final class AuthFailure extends Exception {
        AuthFailure(String message) { super(message); }
    }

    /** What the agent connection gives the link: a way to send a frame, and to be dropped. */
    interface Peer {
        void send(JsonObject frame);
        void close(String reason);
    }

    private static final class Monitor {
        final Call monitorCall;
        Monitor(Call monitorCall) { this.monitorCall = monitorCall; }
    }

    private final BridgeConfig config;
    private final Log log;

    private volatile CiscoProvider provider;
    private volatile boolean providerGone;
    private byte[] credentials;
    private String callIdPrefix;
    private final Object serviceLock = new Object();
    private volatile boolean inService;

    // one agent connection at a time; the events of a request wait until its response has gone out
    private final Object out = new Object();
    private Peer peer;
    private int busy;
    private final List<JsonObject> held = new ArrayList<>();

    // call identity: one protocol callId per JTAPI Call object, kept for the call's life (its global call id can change)
    private final Map<Call, String> ids = new IdentityHashMap<>();
    private final Map<String, Call> calls = new HashMap<>();
    private int callSeq;
    private String localCallIds;

    private final Set<String> observedAddresses = new HashSet<>();
    private final Set<String> observedTerminals = new HashSet<>();
    private final Map<Call, Monitor> monitors = new IdentityHashMap<>();
    private final Map<Call, String> transferredBy = new IdentityHashMap<>();
    private final Map<Call, String> bracketController = new IdentityHashMap<>();
    private final Map<Call, RouteSession> routeSessions = new IdentityHashMap<>();
    private final Map<RouteSession, String> routePoints = new IdentityHashMap<>();

    JtapiLink(BridgeConfig config, Log log) {
        this.config = config;
        this.log = log;
    }

    // ---- the provider ----

    /** Opens the provider with the hello's credentials the first time; later hellos must carry the same ones. */
    synchronized void open(String user, String password, String application) throws AuthFailure {
        byte[] presented = digest(user + "\u0000" + password);
        if (provider != null) {
            if (!MessageDigest.isEqual(presented, credentials)) throw new AuthFailure("credentials differ from those of the link's open provider");
            return;
        }
        for (String v : new String[] {user, password, application}) {
            // JTAPI's provider string is split on ';' with no escaping
            if (v.indexOf(';') >= 0) throw new AuthFailure("user, password and application cannot contain ';' (JTAPI's provider string has no escaping)");
        }
        JtapiPeer jtapiPeer;
        try {
            jtapiPeer = JtapiPeerFactory.getJtapiPeer(config.peer);
        } catch (Exception e) {
            throw new AuthFailure("no JTAPI peer: " + e.getMessage());
        }
        StringBuilder providerString = new StringBuilder(config.ctiManagers)
            .append(";login=").append(user).append(";passwd=").append(password).append(";appinfo=").append(application);
        if (jtapiPeer instanceof CiscoJtapiPeer) {
            CiscoJtapiProperties properties = ((CiscoJtapiPeer) jtapiPeer).getJtapiProperties();
            // dropParty disconnects other parties' connections (Cisco gates that behind DropAnyPartyEnabled)
            properties.setDropAnyPartyEnabled(true);
            if (config.tls != null) {
                BridgeConfig.Tls t = config.tls;
                // JTAPI does the TFTP download of the CTL, the CAPF enrollment and the TLS connection itself
                properties.setSecurityPropertyForInstance(user, t.instanceId, t.authCode, t.tftpHost, t.tftpPort, t.capfHost, t.capfPort,
                    t.certPath, true, t.storePassphrase, t.fips);
                log.info("TLS security properties set for the instance", "instanceId", t.instanceId, "tftp", t.tftpHost, "capf", t.capfHost, "certPath", t.certPath);
            }
        }
        if (config.tls != null) {
            BridgeConfig.Tls t = config.tls;
            // Cisco: apps that avoid jtapi.ini pass the security keys in the provider string too
            providerString.append(";InstanceID=").append(t.instanceId).append(";TFTP=").append(t.tftpHost).append(";TFTPPort=").append(t.tftpPort)
                .append(";CAPF=").append(t.capfHost).append(";CAPFPort=").append(t.capfPort).append(";CertPath=").append(t.certPath);
            if (t.storePassphrase != null) providerString.append(";CertStorePassphrase=").append(t.storePassphrase);
        }
        try {
            provider = (CiscoProvider) jtapiPeer.getProvider(providerString.toString());
        } catch (PlatformException | ProviderUnavailableException e) {
            // a bad login is a PlatformException; the message names the reason, the CTI code comes with it
            String code = e instanceof CiscoJtapiException ? " (CTI error " + ((CiscoJtapiException) e).getErrorCode() + ")" : "";
            throw new AuthFailure((e.getMessage() != null ? e.getMessage() : e.getClass().getSimpleName()) + code);
        }
        credentials = presented;
        // no process start in it: the same call keeps its id through a restart of this bridge and in a backup agent's bridge
        callIdPrefix = clusterName() + "-";
        localCallIds = "x" + Long.toString(System.currentTimeMillis() / 1000, 36) + "-";
        try {
            provider.addObserver(this);
        } catch (Exception e) {
            log.error("could not observe the provider", "err", e.toString());
        }
        inService = provider.getState() == Provider.IN_SERVICE;
        log.info("provider opened", "ctiManagers", config.ctiManagers, "user", user, "inService", inService, "tls", config.tls != null);
    }

    /**
     * Closes the provider when the bridge exits (Provider.shutdown()), so the CTIManager drops the application's
     * session at once: with TLS a new bridge's provider on the same instance ID's certificate would otherwise meet
     * the old session, and Cisco disconnects both (one provider per certificate).
     */
    void shutdown() {
        CiscoProvider p = provider;
        if (p == null || providerGone) return;
        Thread t = new Thread(() -> {
            try {
                p.shutdown();
                log.info("provider shut down");
            } catch (RuntimeException e) {
                log.warn("provider shutdown failed", "err", e.toString());
            }
        }, "provider-shutdown-call");
        t.setDaemon(true);
        t.start();
        try {
            t.join(5000); // the exit is never held up for long
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static byte[] digest(String s) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Waits up to `ms` for the provider to be in service (ProvInServiceEv). */
    boolean waitInService(long ms) throws InterruptedException {
        long end = System.currentTimeMillis() + ms;
        synchronized (serviceLock) {
            while (!inService) {
                long left = end - System.currentTimeMillis();
                if (left <= 0) return false;
                serviceLock.wait(left);
            }
            return true;
        }
    }

    long inServiceWaitMs() {
        return config.inServiceWaitMs;
    }

    String clusterName() {
        if (provider != null) {
            try {
                String id = provider.getClusterID();
                if (id != null && !id.isEmpty()) return id;
            } catch (InvalidStateException e) {
                // not known yet: the configured name
            }
        }
        return config.cluster;
    }

    @Override
    public void providerChangedEvent(ProvEv[] events) {
        for (ProvEv ev : events) {
            if (ev instanceof ProvInServiceEv) {
                synchronized (serviceLock) {
                    inService = true;
                    serviceLock.notifyAll();
                }
                log.info("provider in service (ProvInServiceEv)");
            } else if (ev instanceof ProvOutOfServiceEv) {
                inService = false;
                log.warn("provider out of service (ProvOutOfServiceEv): dropping the link until it is back");
                dropPeer("the provider is out of service");
            } else if (ev instanceof ProvShutdownEv) {
                inService = false;
                log.error("provider shut down (ProvShutdownEv): exiting so that the link agent starts a new bridge");
                dropPeer("the provider shut down");
                providerGone = true;
                // not on JTAPI's event thread: System.exit waits for the shutdown hooks
                new Thread(() -> System.exit(3), "exit").start();
            } else if (ev instanceof CiscoProvTerminalRemoteDestinationChangedEv) {
                JsonObject e = map(ev);
                if (e != null) deliver(one(e));
            }
        }
    }

    // ---- the agent connection ----

    void attach(Peer p) {
        Peer old;
        synchronized (out) {
            old = peer;
            peer = p;
            busy = 0;
            held.clear();
        }
        if (old != null && old != p) old.close("replaced by a newer connection of the link agent");
    }

    void detach(Peer p) {
        synchronized (out) {
            if (peer != p) return;
            peer = null;
            busy = 0;
            held.clear();
        }
    }

    private void dropPeer(String reason) {
        Peer p;
        synchronized (out) {
            p = peer;
        }
        if (p != null) p.close(reason);
    }

    private static JsonArray one(JsonObject e) {
        JsonArray a = new JsonArray();
        a.add(e);
        return a;
    }

    /** One observer callback's events as one batch, held back while a request is running. */
    private void deliver(JsonArray events) {
        if (events.size() == 0) return;
        JsonObject frame = Json.obj("type", "events", "events", events);
        synchronized (out) {
            if (peer == null) return; // nobody listens: the agent takes a snapshot when it comes back
            if (busy > 0) held.add(frame);
            else peer.send(frame);
        }
    }

    /** Runs one request; its response goes out before any event that arrived while it ran. */
    void execute(Peer from, long id, String op, JsonObject request) {
        synchronized (out) {
            busy++;
        }
        List<JsonObject> response = new ArrayList<>();
        try {
            JsonObject result = run(op, request);
            // a result too large for one frame goes as pages of one id, all but the last with more:true
            List<JsonObject> pages = Pages.split(result, Pages.PAGE_BYTES);
            for (int i = 0; i < pages.size(); i++) {
                JsonObject r = Json.obj("type", "response", "id", id, "ok", true, "result", pages.get(i));
                if (i < pages.size() - 1) r.addProperty("more", true);
                response.add(r);
            }
        } catch (Exception e) {
            response.add(Json.obj("type", "response", "id", id, "ok", false, "error", Errors.of(e)));
            log.info("request failed", "op", op, "exception", e.getClass().getName(), "message", String.valueOf(e.getMessage()));
        }
        synchronized (out) {
            for (JsonObject r : response) from.send(r);
            busy = Math.max(0, busy - 1);
            if (busy == 0 && peer == from) {
                for (JsonObject f : held) from.send(f);
                held.clear();
            }
        }
    }

    // ---- the ops ----

    private JsonObject run(String op, JsonObject r) throws Exception {
        if (provider == null) throw new InvalidStateException(null, InvalidStateException.PROVIDER_OBJECT, Provider.OUT_OF_SERVICE, "no provider");
        switch (op) {
            case "snapshot":
                return snapshot();
            case "makeCall": {
                Address from = address(req(r, "from"));
                Call call = provider.createCall();
                call.connect(terminalOf(from), from, req(r, "to"));
                return Json.obj("callId", callId(call));
            }
            case "answer":
                terminalConnection(call(r, "callId"), req(r, "address"), CallControlTerminalConnection.RINGING).answer();
                return new JsonObject();
            case "disconnect":
                connection(call(r, "callId"), req(r, "address")).disconnect();
                return new JsonObject();
            case "hold":
                cc(terminalConnection(call(r, "callId"), req(r, "address"), CallControlTerminalConnection.TALKING)).hold();
                return new JsonObject();
            case "unhold":
                cc(terminalConnection(call(r, "callId"), req(r, "address"), CallControlTerminalConnection.HELD)).unhold();
                return new JsonObject();
            case "consult": {
                // Cisco: consult is invoked on a new idle call with the existing call's TALKING terminal connection
                TerminalConnection talking = terminalConnection(call(r, "callId"), req(r, "address"), CallControlTerminalConnection.TALKING);
                CallControlCall consult = (CallControlCall) provider.createCall();
                // Cisco's CallImpl sets a consult up as a transfer (SetupTransfer) unless conference was enabled first (SetupConference)
                if (Boolean.TRUE.equals(Json.bool(r, "conference"))) consult.setConferenceEnable(true);
                consult.consult(talking, req(r, "destination"));
                return Json.obj("callId", callId(consult));
            }
            case "transfer": {
                // Call1.transfer(Call2): the held call is the final call (JDG "Transfer Scenarios")
                Call held = call(r, "callId");
                ((CallControlCall) held).transfer(call(r, "consultCallId"));
                return new JsonObject();
            }
            case "conference": {
                Call held = call(r, "callId");
                ((CallControlCall) held).conference(call(r, "consultCallId"));
                return new JsonObject();
            }
            case "dropParty":
                connection(call(r, "callId"), req(r, "party")).disconnect();
                return new JsonObject();
            case "singleStepTransfer": {
                Call call = call(r, "callId");
                CallControlCall cc = (CallControlCall) call;
                cc.setTransferController(terminalConnection(call, req(r, "address"), CallControlTerminalConnection.TALKING));
                cc.transfer(req(r, "destination"));
                return new JsonObject();
            }
            case "alternate": {
                String dn = req(r, "address");
                TerminalConnection active = terminalConnection(call(r, "activeCallId"), dn, CallControlTerminalConnection.TALKING);
                TerminalConnection heldTc = terminalConnection(call(r, "callId"), dn, CallControlTerminalConnection.HELD);
                cc(active).hold();
                cc(heldTc).unhold();
                return new JsonObject();
            }
            case "reconnect": {
                String dn = req(r, "address");
                TerminalConnection heldTc = terminalConnection(call(r, "callId"), dn, CallControlTerminalConnection.HELD);
                connection(call(r, "consultCallId"), dn).disconnect();
                cc(heldTc).unhold();
                return new JsonObject();
            }
            case "redirect": {
                Connection ringing = connection(call(r, "callId"), req(r, "address"));
                String destination = req(r, "destination");
                // a bad destination fails the request and leaves the call where it was
                if (ringing instanceof CiscoConnection) {
                    ((CiscoConnection) ringing).redirect(destination, CiscoConnection.REDIRECT_DROP_ON_FAILURE, CiscoConnection.CALLINGADDRESS_SEARCH_SPACE);
                } else {
                    ((CallControlConnection) ringing).redirect(destination);
                }
                return new JsonObject();
            }
            case "dropCall": {
                // RequestClearCall: CallControlCall.drop() disconnects every connection; the requester must be a party
                Call call = call(r, "callId");
                connection(call, req(r, "address"));
                ((CallControlCall) call).drop();
                return new JsonObject();
            }
            case "addParty": {
                // RequestSingleStepConference: the destination is offered the call as one more party
                Call call = call(r, "callId");
                connection(call, req(r, "address"));
                ((CallControlCall) call).addParty(req(r, "destination"));
                return new JsonObject();
            }
            case "startMonitor":
                return startMonitor(r);
            case "setRemoteDestination":
                return setRemoteDestination(r);
            default:
                throw new InvalidArgumentException("unknown op " + op);
        }
    }

    private JsonObject startMonitor(JsonObject r) throws Exception {
        Call agentCall = call(r, "callId");
        TerminalConnection agentTc = terminalConnection(agentCall, req(r, "address"), CallControlTerminalConnection.TALKING);
        Address monitorAddress = address(req(r, "monitor"));
        if (provider.getProviderCapabilities() instanceof CiscoProviderCapabilities
            && !((CiscoProviderCapabilities) provider.getProviderCapabilities()).canMonitor()) {
            throw new PrivilegeViolationException(PrivilegeViolationException.ORIGINATOR_VIOLATION, "the application user may not monitor (CiscoProviderCapabilities.canMonitor() is false)");
        }
        Integer type = Json.integer(r, "monitorType");
        Integer tone = Json.integer(r, "tone");
        int monitorType = type != null && type == CiscoCall.WHISPER_MONITOR ? CiscoCall.WHISPER_MONITOR : CiscoCall.SILENT_MONITOR;
        int toneDirection = tone != null && tone >= 0 && tone <= 3 ? tone : CiscoCall.PLAYTONE_NOLOCAL_OR_REMOTE;
        // Cisco: startMonitor is invoked on a new idle call; that call is the monitor call
        CiscoCall monitorCall = (CiscoCall) provider.createCall();
        synchronized (monitors) {
            monitors.put(agentCall, new Monitor(monitorCall));
        }
        try {
            monitorCall.startMonitor(terminalOf(monitorAddress), monitorAddress, agentTc, monitorType, toneDirection);
        } catch (Exception e) {
            synchronized (monitors) {
                monitors.remove(agentCall);
            }
            throw e;
        }
        return Json.obj("callId", callId(monitorCall));
    }

    private JsonObject setRemoteDestination(JsonObject r) throws Exception {
        Address address = address(req(r, "address"));
        Terminal t = terminalOf(address);
        if (!(t instanceof CiscoRemoteTerminal)) throw new InvalidArgumentException(address.getName() + " is not on a CTI remote device");
        CiscoRemoteTerminal remote = (CiscoRemoteTerminal) t;
        String number = req(r, "number");
        String name = Json.str(r, "name");
        boolean active = !Boolean.FALSE.equals(Json.bool(r, "active"));
        boolean known = false;
        for (CiscoRemoteDestinationInfo rd : nonNull(remote.getAllRemoteDestinations())) {
            if (number.equals(rd.getRemoteDestinationNumber())) known = true;
        }
        if (!known) remote.addRemoteDestination(name != null ? name : number, number, active);
        else if (name != null) remote.updateRemoteDestination(number, name, number, active);
        else remote.setActiveRemoteDestination(number, active);
        // the result is the terminal's destinations as they are now (docs/switch-link.md, setRemoteDestination)
        return Json.obj("remoteDestinations", remoteDestinations(remote.getAllRemoteDestinations()), "myAppLastToSetActiveRD", remote.isMyAppLastToSetActiveRD());
    }

    private static CiscoRemoteDestinationInfo[] nonNull(CiscoRemoteDestinationInfo[] a) {
        return a != null ? a : new CiscoRemoteDestinationInfo[0];
    }

    private static CallControlTerminalConnection cc(TerminalConnection tc) throws InvalidStateException {
        if (!(tc instanceof CallControlTerminalConnection)) throw new InvalidStateException(tc, InvalidStateException.TERMINAL_CONNECTION_OBJECT, 0, "terminal connection has no call control");
        return (CallControlTerminalConnection) tc;
    }

    private static String req(JsonObject r, String key) throws InvalidArgumentException {
        String v = Json.str(r, key);
        if (v == null || v.isEmpty()) throw new InvalidArgumentException("missing " + key);
        return v;
    }

    private Address address(String dn) throws InvalidArgumentException {
        Address a = provider.getAddress(dn);
        if (a == null) throw new InvalidArgumentException("unknown address " + dn);
        return a;
    }

    private static Terminal terminalOf(Address a) throws InvalidArgumentException {
        Terminal[] ts = a.getTerminals();
        if (ts == null || ts.length == 0) throw new InvalidArgumentException(a.getName() + " has no terminal");
        return ts[0];
    }

    private Call call(JsonObject r, String key) throws InvalidArgumentException {
        String id = req(r, key);
        Call c;
        synchronized (ids) {
            c = calls.get(id);
        }
        if (c == null) throw new InvalidArgumentException("unknown call " + id);
        return c;
    }

    private static Connection connection(Call call, String dn) throws InvalidStateException {
        Connection[] conns = call.getConnections();
        if (conns != null) {
            for (Connection c : conns) {
                if (c.getAddress() != null && dn.equals(c.getAddress().getName())) return c;
            }
        }
        throw new InvalidStateException(call, InvalidStateException.CALL_OBJECT, 0, dn + " has no connection in the call");
    }

    /** The address's terminal connection in the call, the one in `wanted` state when there are several. */
    private static TerminalConnection terminalConnection(Call call, String dn, int wanted) throws InvalidStateException {
        TerminalConnection[] tcs = connection(call, dn).getTerminalConnections();
        if (tcs == null || tcs.length == 0) throw new InvalidStateException(call, InvalidStateException.CALL_OBJECT, 0, dn + " has no terminal connection in the call");
        for (TerminalConnection tc : tcs) {
            if (tc instanceof CallControlTerminalConnection && ((CallControlTerminalConnection) tc).getCallControlState() == wanted) return tc;
        }
        return tcs[0];
    }

    // ---- snapshot and observation ----

    private JsonObject snapshot() throws Exception {
        Address[] addresses = provider.getAddresses();
        if (addresses == null) addresses = new Address[0];
        // observe first: what happens from now on comes as events after this response (held until then)
        for (Address a : addresses) observe(a);
        JsonArray addressList = new JsonArray();
        Map<Call, Boolean> seen = new IdentityHashMap<>();
        JsonArray callList = new JsonArray();
        for (Address a : addresses) {
            Terminal[] ts = a.getTerminals();
            Terminal t = ts != null && ts.length > 0 ? ts[0] : null;
            JsonObject entry = Json.obj("address", a.getName(), "terminal", t != null ? t.getName() : "", "kind", kind(t),
                "inService", a instanceof CiscoAddress ? ((CiscoAddress) a).getState() == CiscoAddress.IN_SERVICE : true,
                "terminalInService", t instanceof CiscoTerminal ? ((CiscoTerminal) t).getState() == CiscoTerminal.IN_SERVICE : t != null);
            if (t instanceof CiscoRemoteTerminal) {
                CiscoRemoteTerminal remote = (CiscoRemoteTerminal) t;
                try {
                    entry.add("remoteDestinations", remoteDestinations(remote.getAllRemoteDestinations()));
                    entry.addProperty("myAppLastToSetActiveRD", remote.isMyAppLastToSetActiveRD());
                } catch (InvalidStateException e) {
                    log.warn("remote destinations not readable", "address", a.getName(), "err", String.valueOf(e.getMessage()));
                }
            }
            addressList.add(entry);
            Connection[] conns = a.getConnections();
            if (conns == null) continue;
            for (Connection c : conns) {
                Call call = c.getCall();
                if (call == null || seen.put(call, Boolean.TRUE) != null) continue;
                callList.add(snapshotCall(call));
            }
        }
        return Json.obj("addresses", addressList, "calls", callList);
    }

    private JsonObject snapshotCall(Call call) {
        JsonObject c = Json.obj("callId", callId(call));
        CallControlCall cc = call instanceof CallControlCall ? (CallControlCall) call : null;
        c.add("callingAddress", nameOrNull(cc != null ? cc.getCallingAddress() : null));
        c.add("calledAddress", nameOrNull(cc != null ? cc.getCalledAddress() : null));
        JsonArray conns = new JsonArray();
        Connection[] cs = call.getConnections();
        if (cs != null) {
            for (Connection conn : cs) {
                if (conn.getAddress() == null) continue;
                JsonObject o = Json.obj("address", conn.getAddress().getName(),
                    "state", conn instanceof CallControlConnection ? connectionState(((CallControlConnection) conn).getCallControlState()) : "UNKNOWN");
                // the agent's leg of a monitor call is a MONITORING_TARGET address: the agent must not read it as its own call
                if (conn.getAddress() instanceof CiscoAddress && ((CiscoAddress) conn.getAddress()).getType() == CiscoAddress.MONITORING_TARGET) {
                    o.addProperty("addressType", CiscoAddress.MONITORING_TARGET);
                }
                TerminalConnection[] tcs = conn.getTerminalConnections();
                if (tcs != null && tcs.length > 0 && tcs[0] instanceof CallControlTerminalConnection) {
                    o.addProperty("terminalState", terminalConnectionState(((CallControlTerminalConnection) tcs[0]).getCallControlState()));
                }
                conns.add(o);
            }
        }
        c.add("connections", conns);
        return c;
    }

    private static com.google.gson.JsonElement nameOrNull(Address a) {
        return a != null && a.getName() != null ? new com.google.gson.JsonPrimitive(a.getName()) : com.google.gson.JsonNull.INSTANCE;
    }

    private static String kind(Terminal t) {
        if (t instanceof CiscoRouteTerminal) return "routePoint";
        if (t instanceof CiscoMediaTerminal) return "ctiPort";
        if (t instanceof CiscoRemoteTerminal) return "remoteTerminal";
        return "phone";
    }

    // explicit switches: CallControlConnection.OFFERING == OFFERED == 81, so names cannot come from reflection
    static String connectionState(int s) {
        switch (s) {
            case CallControlConnection.IDLE: return "IDLE";
            case CallControlConnection.OFFERED: return "OFFERED";
            case CallControlConnection.QUEUED: return "QUEUED";
            case CallControlConnection.ALERTING: return "ALERTING";
            case CallControlConnection.INITIATED: return "INITIATED";
            case CallControlConnection.DIALING: return "DIALING";
            case CallControlConnection.NETWORK_REACHED: return "NETWORK_REACHED";
            case CallControlConnection.NETWORK_ALERTING: return "NETWORK_ALERTING";
            case CallControlConnection.ESTABLISHED: return "ESTABLISHED";
            case CallControlConnection.DISCONNECTED: return "DISCONNECTED";
            case CallControlConnection.FAILED: return "FAILED";
            default: return "UNKNOWN";
        }
    }

    static String terminalConnectionState(int s) {
        switch (s) {
            case CallControlTerminalConnection.IDLE: return "IDLE";
            case CallControlTerminalConnection.RINGING: return "RINGING";
            case CallControlTerminalConnection.TALKING: return "TALKING";
            case CallControlTerminalConnection.HELD: return "HELD";
            case CallControlTerminalConnection.BRIDGED: return "BRIDGED";
            case CallControlTerminalConnection.INUSE: return "INUSE";
            case CallControlTerminalConnection.DROPPED: return "DROPPED";
            default: return "UNKNOWN";
        }
    }

    /** Observers in Cisco's samples' order (address, call, terminal), then CTI port and route point registration. */
    private void observe(Address a) {
        String name = a.getName();
        synchronized (observedAddresses) {
            if (!observedAddresses.add(name)) return;
        }
        try {
            a.addObserver(this);
            a.addCallObserver(this);
        } catch (Exception e) {
            log.error("could not observe an address", "address", name, "err", e.toString());
        }
        Terminal[] ts = a.getTerminals();
        if (ts == null) return;
        for (Terminal t : ts) {
            boolean first;
            synchronized (observedTerminals) {
                first = observedTerminals.add(t.getName());
            }
            if (first) {
                try {
                    t.addObserver(this);
                } catch (Exception e) {
                    log.error("could not observe a terminal", "terminal", t.getName(), "err", e.toString());
                }
            }
            register(a, t, first);
        }
    }

    private void register(Address a, Terminal t, boolean firstTime) {
        CiscoMediaCapability[] g711 = new CiscoMediaCapability[] {CiscoMediaCapability.G711_64K_30_MILLISECONDS};
        try {
            if (t instanceof CiscoRouteTerminal && firstTime) {
                ((CiscoRouteTerminal) t).register(g711, CiscoRouteTerminal.NO_MEDIA_REGISTRATION);
                log.info("route point registered", "address", a.getName(), "terminal", t.getName());
            } else if (t instanceof CiscoMediaTerminal && !((CiscoMediaTerminal) t).isRegisteredByThisApp()) {
                // dynamic media registration: the RTP address is given per call on CiscoMediaOpenLogicalChannelEv
                ((CiscoMediaTerminal) t).register(g711);
                log.info("CTI port registered", "address", a.getName(), "terminal", t.getName());
                // Cisco's sample sets auto-accept once the port's address is in service (dialViaOffice l.146-151)
                if (a instanceof CiscoAddress && ((CiscoAddress) a).getState() == CiscoAddress.IN_SERVICE) autoAccept(a, t);
            }
        } catch (CiscoRegistrationException e) {
            log.error("registration refused", "address", a.getName(), "terminal", t.getName(), "err", String.valueOf(e.getMessage()));
        } catch (Exception e) {
            log.error("registration failed", "address", a.getName(), "terminal", t.getName(), "err", e.toString());
        }
        if (a instanceof RouteAddress && t instanceof CiscoRouteTerminal && firstTime) {
            try {
                ((RouteAddress) a).registerRouteCallback(this);
            } catch (Exception e) {
                log.error("route callback refused", "address", a.getName(), "err", e.toString());
            }
        }
    }

    // ---- events ----

    @Override
    public void callChangedEvent(CallEv[] events) {
        JsonArray batch = new JsonArray();
        List<Call> invalid = new ArrayList<>();
        for (CallEv ev : events) {
            try {
                JsonObject e = map(ev);
                if (e != null) batch.add(e);
                if (ev instanceof CallInvalidEv) invalid.add(ev.getCall());
            } catch (RuntimeException ex) {
                log.error("could not map an event", "event", ev.getClass().getName(), "err", ex.toString());
            }
        }
        deliver(batch);
        for (Call c : invalid) forget(c);
    }

    /** Offered calls at a CTI port are accepted at once (CiscoAddress.setAutoAcceptStatus), or they never ring there. */
    private void autoAccept(Address a, Terminal t) {
        try {
            ((CiscoAddress) a).setAutoAcceptStatus(CiscoAddress.AUTOACCEPT_ON, t);
        } catch (Exception e) {
            log.error("auto-accept refused: calls offered to this CTI port are not accepted", "address", a.getName(), "terminal", t.getName(), "err", e.toString());
        }
    }

    @Override
    public void addressChangedEvent(AddrEv[] events) {
        JsonArray batch = new JsonArray();
        for (AddrEv ev : events) {
            if (ev instanceof CiscoAddrInServiceEv) {
                // a CTI port of ours in service (after its registration, or back after a failure): auto-accept again
                CiscoTerminal t = ((CiscoAddrInServiceEv) ev).getTerminal();
                if (t instanceof CiscoMediaTerminal && ((CiscoMediaTerminal) t).isRegisteredByThisApp() && ev.getAddress() instanceof CiscoAddress) autoAccept(ev.getAddress(), t);
            }
            JsonObject e = map(ev);
            if (e != null) batch.add(e);
        }
        deliver(batch);
    }

    @Override
    public void terminalChangedEvent(TermEv[] events) {
        JsonArray batch = new JsonArray();
        for (TermEv ev : events) {
            if (ev instanceof CiscoMediaOpenLogicalChannelEv) {
                openLogicalChannel((CiscoMediaOpenLogicalChannelEv) ev);
                continue;
            }
            JsonObject e = map(ev);
            if (e != null) batch.add(e);
        }
        deliver(batch);
    }

    private void openLogicalChannel(CiscoMediaOpenLogicalChannelEv ev) {
        Terminal t = ev.getTerminal();
        if (config.rtpHost == null || !(t instanceof CiscoMediaTerminal)) {
            log.warn("a CTI port opened a media channel but no rtpHost is configured: its call has no media", "terminal", t.getName());
            return;
        }
        try {
            ((CiscoMediaTerminal) t).setRTPParams(ev.getCiscoRTPHandle(), new CiscoRTPParams(InetAddress.getByName(config.rtpHost), config.rtpPort));
        } catch (Exception e) {
            log.error("setRTPParams failed", "terminal", t.getName(), "err", e.toString());
        }
    }

    /**
     * The protocol's cause (docs/switch-link.md "Events"): on call-control events the call-control cause when it
     * is not CAUSE_NORMAL, else Ev.getCause(); core events only ever carry Ev.getCause().
     */
    static int cause(Ev ev) {
        if (ev instanceof CallCtlEv) {
            int c = ((CallCtlEv) ev).getCallControlCause();
            if (c != 0 && c != Ev.CAUSE_NORMAL) return c;
        }
        return ev.getCause();
    }

    /** One JTAPI event as the protocol's event, or null when the protocol does not carry it. */
    JsonObject map(Ev ev) {
        String id = EventIds.of(ev);
        if (id == null) return null;
        // observers added to addresses with calls get those calls replayed (cause SNAPSHOT): the snapshot result has them
        if (ev.getCause() == Ev.CAUSE_SNAPSHOT && !(ev instanceof CiscoOutOfServiceEv)) return null;
        JsonObject e = Json.obj("id", id, "cause", cause(ev));
        // META_CALL_TRANSFERRING / META_CALL_MERGING mark the moves of a transfer or conference for the agent
        if (ev.getMetaCode() != 0) e.addProperty("metaCode", ev.getMetaCode());
        if (ev instanceof CallEv) {
            Call call = ((CallEv) ev).getCall();
            if (ev instanceof CiscoTransferStartEv) call = orSame(((CiscoTransferStartEv) ev).getFinalCall(), call);
            if (ev instanceof CiscoConferenceStartEv) call = orSame(((CiscoConferenceStartEv) ev).getFinalCall(), call);
            if (call != null) {
                e.addProperty("callId", callId(call));
                if (ev instanceof CallCtlCallEv) {
                    CallCtlCallEv cev = (CallCtlCallEv) ev;
                    e.add("callingAddress", nameOrNull(cev.getCallingAddress()));
                    e.add("calledAddress", nameOrNull(cev.getCalledAddress()));
                    e.add("lastRedirectedAddress", nameOrNull(cev.getLastRedirectedAddress()));
                } else if (call instanceof CallControlCall) {
                    CallControlCall cc = (CallControlCall) call;
                    e.add("callingAddress", nameOrNull(cc.getCallingAddress()));
                    e.add("calledAddress", nameOrNull(cc.getCalledAddress()));
                    e.add("lastRedirectedAddress", nameOrNull(cc.getLastRedirectedAddress()));
                }
            }
            if (e.has("lastRedirectedAddress") && e.get("lastRedirectedAddress").isJsonNull()) e.remove("lastRedirectedAddress");
        }
        if (ev instanceof ConnEv) {
            Address a = ((ConnEv) ev).getConnection().getAddress();
            e.addProperty("address", a.getName());
            if (a instanceof CiscoAddress) e.addProperty("addressType", ((CiscoAddress) a).getType());
        }
        if (ev instanceof TermConnEv) {
            TerminalConnection tc = ((TermConnEv) ev).getTerminalConnection();
            e.addProperty("address", tc.getConnection().getAddress().getName());
            e.addProperty("terminal", tc.getTerminal().getName());
        }
        if (ev instanceof CiscoTransferStartEv) {
            CiscoTransferStartEv t = (CiscoTransferStartEv) ev;
            bracketStart(e, ((CallEv) ev).getCall(), t.getFinalCall(), t.getTransferredCall(), t.getTransferControllerAddress());
        } else if (ev instanceof CiscoConferenceStartEv) {
            CiscoConferenceStartEv c = (CiscoConferenceStartEv) ev;
            bracketStart(e, ((CallEv) ev).getCall(), c.getFinalCall(), c.getConferencedCall(), c.getConferenceControllerAddress());
        } else if (ev instanceof CiscoTransferEndEv || ev instanceof CiscoConferenceEndEv) {
            Call call = ((CallEv) ev).getCall();
            synchronized (transferredBy) {
                String merged = transferredBy.remove(call);
                String controller = bracketController.remove(call);
                if (merged != null) e.addProperty("transferredCallId", merged);
                if (controller != null) e.addProperty("address", controller);
            }
        }
        if (ev instanceof CiscoTermConnMonitoringStartEv) {
            CiscoTermConnMonitoringStartEv m = (CiscoTermConnMonitoringStartEv) ev;
            e.addProperty("monitorType", m.getMonitorType());
            e.addProperty("toneDirection", m.getToneDirection());
            // not a JTAPI accessor: the monitor call of this bridge's own startMonitor on the agent's call
            Monitor own;
            synchronized (monitors) {
                own = monitors.get(((CallEv) ev).getCall());
            }
            if (own != null) e.addProperty("monitorCallId", callId(own.monitorCall));
        } else if (ev instanceof CiscoTermConnMonitoringEndEv) {
            CiscoTermConnMonitoringEndEv m = (CiscoTermConnMonitoringEndEv) ev;
            e.addProperty("monitorType", m.getMonitorType());
            e.addProperty("toneDirection", m.getToneDirection());
            Monitor own;
            synchronized (monitors) {
                own = monitors.remove(((CallEv) ev).getCall());
            }
            if (own != null) e.addProperty("monitorCallId", callId(own.monitorCall));
        }
        if (ev instanceof CiscoTermConnMonitorInitiatorInfoEv) {
            CiscoMonitorInitiatorInfo info = ((CiscoTermConnMonitorInitiatorInfoEv) ev).getCiscoMonitorInitiatorInfo();
            if (info != null) {
                if (info.getAddress() != null) {
                    e.addProperty("initiatorAddress", info.getAddress().getName());
                    e.addProperty("initiatorAddressType", info.getAddress().getType());
                }
                if (info.getTerminalName() != null) e.addProperty("initiatorTerminal", info.getTerminalName());
            }
        }
        if (ev instanceof CiscoTermConnMonitorTargetInfoEv) {
            CiscoMonitorTargetInfo info = ((CiscoTermConnMonitorTargetInfoEv) ev).getCiscoMonitorTargetInfo();
            if (info != null) {
                if (info.getAddress() != null) e.addProperty("targetAddress", info.getAddress().getName());
                if (info.getTerminalName() != null) e.addProperty("targetTerminal", info.getTerminalName());
            }
        }
        if (ev instanceof AddrEv) {
            e.addProperty("address", ((AddrEv) ev).getAddress().getName());
            CiscoTerminal t = ev instanceof CiscoAddrInServiceEv ? ((CiscoAddrInServiceEv) ev).getTerminal()
                : ev instanceof CiscoAddrOutOfServiceEv ? ((CiscoAddrOutOfServiceEv) ev).getTerminal() : null;
            if (t != null) e.addProperty("terminal", t.getName());
        }
        if (ev instanceof TermEv) e.addProperty("terminal", ((TermEv) ev).getTerminal().getName());
        if (ev instanceof CiscoOutOfServiceEv) {
            e.addProperty("oosCause", ev.getCause());
            e.addProperty("cause", Ev.CAUSE_NORMAL);
        }
        if (ev instanceof CiscoProvTerminalRemoteDestinationChangedEv) {
            CiscoProvTerminalRemoteDestinationChangedEv rd = (CiscoProvTerminalRemoteDestinationChangedEv) ev;
            CiscoRemoteTerminal t = rd.getTerminal();
            e.addProperty("terminal", t.getName());
            Address[] as = t.getAddresses();
            if (as != null && as.length > 0) e.addProperty("address", as[0].getName());
            e.add("remoteDestinations", remoteDestinations(rd.getRemoteDestinations()));
            e.addProperty("myAppLastToSetActiveRD", rd.isMyAppLastToSetActiveRD());
        }
        e.addProperty("time", Json.now());
        return e;
    }

    private static Call orSame(Call c, Call fallback) {
        return c != null ? c : fallback;
    }

    private void bracketStart(JsonObject e, Call evCall, Call finalCall, Call merged, Address controller) {
        Call key = orSame(finalCall, evCall);
        if (controller != null) e.addProperty("address", controller.getName());
        if (merged != null) e.addProperty("transferredCallId", callId(merged));
        synchronized (transferredBy) {
            if (merged != null) transferredBy.put(key, callId(merged));
            if (controller != null) bracketController.put(key, controller.getName());
        }
    }

    private static JsonArray remoteDestinations(CiscoRemoteDestinationInfo[] rds) {
        JsonArray list = new JsonArray();
        if (rds == null) return list;
        for (CiscoRemoteDestinationInfo rd : rds) {
            list.add(Json.obj("number", rd.getRemoteDestinationNumber(), "name", rd.getRemoteDestinationName() != null ? rd.getRemoteDestinationName() : "",
                "active", rd.getIsActiveRD()));
        }
        return list;
    }

    /**
     * The call's protocol id: "<cluster>-<CallManager id>-<global call id>", fixed at first sight and kept across a
     * CTIManager failover. The pair is the CallManager's own (CDR globalCallID_callManagerId/_callId: unique in the
     * cluster and, since CUCM 5.x, kept across CallManager restarts), so another bridge process, after a restart or in
     * a backup agent, names the same call the same way. A Call that is no CiscoCall (not Cisco's JTAPI) gets a
     * number of this process's.
     */
    String callId(Call call) {
        synchronized (ids) {
            String id = ids.get(call);
            if (id != null) return id;
            CiscoCallID cid = call instanceof CiscoCall ? ((CiscoCall) call).getCallID() : null;
            id = cid != null ? callIdPrefix + cid.getCallManagerID() + "-" + cid.getGlobalCallID() : callIdPrefix + localCallIds + (++callSeq);
            // a known (CallManager id, global call id) whose old Call object was never cleared is the same call seen
            // again through a new Call object (a CTIManager failover, JDG p.216): it keeps its id, so its connID too
            // (docs/switch-link.md, "Call identity"); a cleared call was forgotten, so a reused global call id is new
            Call previous = calls.get(id);
            if (previous != null && previous != call) ids.remove(previous);
            ids.put(call, id);
            calls.put(id, call);
            return id;
        }
    }

    private void forget(Call call) {
        synchronized (ids) {
            String id = ids.remove(call);
            if (id != null) calls.remove(id);
        }
        synchronized (monitors) {
            monitors.remove(call);
            monitors.values().removeIf(m -> m.monitorCall == call);
        }
        synchronized (routeSessions) {
            routeSessions.remove(call);
        }
    }

    // ---- the route callback (route points) ----

    private JsonObject routeEvent(String id, RouteSession session, Call call, String routePoint) {
        JsonObject e = Json.obj("id", id, "cause", Ev.CAUSE_NORMAL);
        if (call != null) {
            e.addProperty("callId", callId(call));
            if (call instanceof CallControlCall) {
                CallControlCall cc = (CallControlCall) call;
                e.add("callingAddress", nameOrNull(cc.getCallingAddress()));
                e.add("calledAddress", nameOrNull(cc.getCalledAddress()));
            }
        }
        if (routePoint != null) e.addProperty("address", routePoint);
        return e;
    }

    private static Call callOf(RouteSession session) {
        return session instanceof CiscoRouteSession ? ((CiscoRouteSession) session).getCall() : null;
    }

    @Override
    public void routeEvent(RouteEvent ev) {
        RouteSession session = ev.getRouteSession();
        Call call = callOf(session);
        String routePoint = ev.getCurrentRouteAddress() != null ? ev.getCurrentRouteAddress().getName() : null;
        synchronized (routeSessions) {
            if (call != null) routeSessions.put(call, session);
            routePoints.put(session, routePoint);
        }
        JsonObject e = routeEvent("RouteEvent", session, call, routePoint);
        if (ev.getCallingAddress() != null) e.addProperty("callingAddress", ev.getCallingAddress().getName());
        e.addProperty("time", Json.now());
        deliver(one(e));
    }

    @Override
    public void routeUsedEvent(RouteUsedEvent ev) {
        RouteSession session = ev.getRouteSession();
        String routePoint;
        synchronized (routeSessions) {
            routePoint = routePoints.get(session);
        }
        JsonObject e = routeEvent("RouteUsedEvent", session, callOf(session), routePoint);
        if (ev.getRouteUsed() != null) e.addProperty("routeUsed", ev.getRouteUsed().getName());
        e.addProperty("time", Json.now());
        deliver(one(e));
    }

    @Override
    public void reRouteEvent(ReRouteEvent ev) {
        // the agent routes with redirect, never selectRoute, so a reRouteEvent is only logged
        log.info("reRouteEvent", "cause", ev.getRouteSession().getCause());
    }

    @Override
    public void routeEndEvent(RouteEndEvent ev) {
        RouteSession session = ev.getRouteSession();
        Call call = callOf(session);
        String routePoint;
        synchronized (routeSessions) {
            routePoint = routePoints.remove(session);
            if (call != null) routeSessions.remove(call);
        }
        JsonObject e = routeEvent("RouteEndEvent", session, call, routePoint);
        e.addProperty("cause", session.getCause());
        e.addProperty("time", Json.now());
        deliver(one(e));
    }

    @Override
    public void routeCallbackEndedEvent(RouteCallbackEndedEvent ev) {
        String name = ev.getRouteAddress() != null ? ev.getRouteAddress().getName() : "?";
        log.warn("route callback ended: calls at this route point are no longer offered to the bridge", "address", name);
    }
}
