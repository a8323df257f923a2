package tserver.jtapibridge.fake;

import com.cisco.jtapi.extensions.CiscoCall;
import com.cisco.jtapi.extensions.CiscoConferenceEndEv;
import com.cisco.jtapi.extensions.CiscoConferenceStartEv;
import com.cisco.jtapi.extensions.CiscoConsultCallActiveEv;
import com.cisco.jtapi.extensions.CiscoFeatureReason;
import com.cisco.jtapi.extensions.CiscoMediaTerminal;
import com.cisco.jtapi.extensions.CiscoProvTerminalRemoteDestinationChangedEv;
import com.cisco.jtapi.extensions.CiscoProvider;
import com.cisco.jtapi.extensions.CiscoProviderCapabilities;
import com.cisco.jtapi.extensions.CiscoRemoteTerminal;
import com.cisco.jtapi.extensions.CiscoRouteSession;
import com.cisco.jtapi.extensions.CiscoTermInServiceEv;
import com.cisco.jtapi.extensions.CiscoTermOutOfServiceEv;
import com.cisco.jtapi.extensions.CiscoAddrInServiceEv;
import com.cisco.jtapi.extensions.CiscoAddrOutOfServiceEv;
import com.cisco.jtapi.extensions.CiscoTransferEndEv;
import com.cisco.jtapi.extensions.CiscoMonitorInitiatorInfo;
import com.cisco.jtapi.extensions.CiscoMonitorTargetInfo;
import com.cisco.jtapi.extensions.CiscoTermConnMonitorInitiatorInfoEv;
import com.cisco.jtapi.extensions.CiscoTermConnMonitorTargetInfoEv;
import com.cisco.jtapi.extensions.CiscoTermConnMonitoringStartEv;
import com.cisco.jtapi.extensions.CiscoTransferStartEv;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import javax.telephony.Address;
import javax.telephony.AddressObserver;
import javax.telephony.Call;
import javax.telephony.CallObserver;
import javax.telephony.Connection;
import javax.telephony.InvalidArgumentException;
import javax.telephony.InvalidPartyException;
import javax.telephony.InvalidStateException;
import javax.telephony.MethodNotSupportedException;
import javax.telephony.Provider;
import javax.telephony.ProviderObserver;
import javax.telephony.TerminalObserver;
import javax.telephony.callcenter.RouteCallback;
import javax.telephony.callcenter.RouteSession;
import javax.telephony.callcenter.events.ReRouteEvent;
import javax.telephony.callcenter.events.RouteEndEvent;
import javax.telephony.callcenter.events.RouteEvent;
import javax.telephony.callcenter.events.RouteUsedEvent;
import javax.telephony.callcontrol.CallControlConnection;
import javax.telephony.callcontrol.CallControlTerminalConnection;
import javax.telephony.callcontrol.events.CallCtlConnAlertingEv;
import javax.telephony.callcontrol.events.CallCtlConnDialingEv;
import javax.telephony.callcontrol.events.CallCtlConnDisconnectedEv;
import javax.telephony.callcontrol.events.CallCtlConnEstablishedEv;
import javax.telephony.callcontrol.events.CallCtlConnInitiatedEv;
import javax.telephony.callcontrol.events.CallCtlConnOfferedEv;
import javax.telephony.callcontrol.events.CallCtlEv;
import javax.telephony.callcontrol.events.CallCtlTermConnDroppedEv;
import javax.telephony.callcontrol.events.CallCtlTermConnHeldEv;
import javax.telephony.callcontrol.events.CallCtlTermConnRingingEv;
import javax.telephony.callcontrol.events.CallCtlTermConnTalkingEv;
import javax.telephony.capabilities.ProviderCapabilities;
import javax.telephony.events.AddrEv;
import javax.telephony.events.CallActiveEv;
import javax.telephony.events.CallEv;
import javax.telephony.events.CallInvalidEv;
import javax.telephony.events.Ev;
import javax.telephony.events.ConnAlertingEv;
import javax.telephony.events.ConnConnectedEv;
import javax.telephony.events.ConnCreatedEv;
import javax.telephony.events.ConnDisconnectedEv;
import javax.telephony.events.ConnInProgressEv;
import javax.telephony.events.ProvEv;
import javax.telephony.events.ProvInServiceEv;
import javax.telephony.events.ProvOutOfServiceEv;
import javax.telephony.events.ProvShutdownEv;
import javax.telephony.events.TermConnActiveEv;
import javax.telephony.events.TermConnCreatedEv;
import javax.telephony.events.TermConnDroppedEv;
import javax.telephony.events.TermConnRingingEv;
import javax.telephony.events.TermEv;

/**
 * A fake Cisco JTAPI provider with the devices of the simulator's site-a, firing the event sequences Cisco
 * documents, on one event thread as Cisco's JTAPI does. Sequences: docs/switch-link.md "Sequences" (basic
 * call: originate, dial, offer, answer, clear), JDG "Transfer Scenarios" Table 8 (consult transfer, in
 * Cisco's order: the consulted party joins the final call before the consult call is cleared), JDG
 * "Cisco Route Session Implementation" (route points). Every event of a transfer carries
 * CiscoFeatureReason.REASON_TRANSFER; the core cause stays CAUSE_NORMAL (Table 8 names no per-event cause).
 */
public final class FakeProvider implements CiscoProvider {
    private final Map<String, FakeAddress> addresses = new LinkedHashMap<>();
    private final List<ProviderObserver> observers = new CopyOnWriteArrayList<>();
    private final List<FakeCall> calls = new CopyOnWriteArrayList<>();
    private final ExecutorService eventThread = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "fake-jtapi-events");
        t.setDaemon(true);
        return t;
    });
    private volatile int state = Provider.OUT_OF_SERVICE;
    private int gcid = 4700;

    FakeProvider() {
        for (String dn : new String[] {"1001", "1002", "1003", "1004"}) new FakeTerminal("SEP0000000A" + dn, add(new FakeAddress(this, dn)));
        for (String dn : new String[] {"1901", "1902"}) new FakeMediaTerminal("CTIP" + dn, add(new FakeAddress(this, dn)));
        new FakeRouteTerminal("CTIRP1500", add(new FakeRouteAddress(this, "1500")));
        for (String dn : new String[] {"1801", "1802"}) {
            FakeRemoteTerminal t = new FakeRemoteTerminal("CTIRD" + dn, add(new FakeAddress(this, dn)));
            t.rds.add(new FakeRemoteTerminal.Rd("mobile-" + dn, "061100000" + dn.charAt(3), true));
        }
        // a larger cluster, for paged snapshots
        int extra = Integer.parseInt(System.getenv().getOrDefault("FAKE_JTAPI_EXTRA_PHONES", "0"));
        for (int i = 0; i < extra; i++) new FakeTerminal("SEP00000B" + (20000 + i), add(new FakeAddress(this, Integer.toString(20000 + i))));
        // a call already up on the cluster when the provider opens ("<calling>,<called>,<global call id>"): a bridge
        // that starts (or restarts) meets it in its first snapshot
        String inProgress = System.getenv("FAKE_JTAPI_CALL_IN_PROGRESS");
        if (inProgress != null) callInProgress(inProgress.split(","));
        // the provider comes into service after it is returned (ProvInServiceEv), as Cisco's does
        eventThread.execute(() -> setInService(true));
    }

    private void callInProgress(String[] spec) {
        FakeCall call = new FakeCall(this, Integer.parseInt(spec[2]));
        call.calling = addresses.get(spec[0]);
        call.called = addresses.get(spec[1]);
        call.active = true;
        for (FakeAddress a : new FakeAddress[] {call.calling, call.called}) {
            FakeConnection c = join(call, a);
            c.state = CallControlConnection.ESTABLISHED;
            FakeTerminalConnection t = new FakeTerminalConnection(c, a.terminal);
            c.terminalConnections.add(t);
            t.state = CallControlTerminalConnection.TALKING;
        }
        calls.add(call);
    }

    /**
     * A call observer added to an address with calls observes them from now on, and first gets their state
     * replayed as events with CAUSE_SNAPSHOT (JDG "Single Versus Multiple CallObserver").
     */
    void observeCalls(FakeAddress a, CallObserver o) {
        for (FakeCall call : calls) {
            FakeConnection mine = call.connectionOf(a.name);
            if (mine == null || call.invalid || call.observers.contains(o)) continue;
            call.observers.add(o);
            List<CallEv> replay = new ArrayList<>();
            replay.add(Events.of(CallActiveEv.class).with("getCall", call).with("getCause", Ev.CAUSE_SNAPSHOT).build());
            for (FakeConnection c : call.live()) {
                replay.add(Events.of(ConnConnectedEv.class).with("getCall", call).with("getConnection", c).with("getCause", Ev.CAUSE_SNAPSHOT).build());
                FakeTerminalConnection t = c.tc();
                if (t != null) replay.add(Events.of(CallCtlTermConnTalkingEv.class).with("getCall", call).with("getTerminalConnection", t).with("getCause", Ev.CAUSE_SNAPSHOT).build());
            }
            CallEv[] evs = replay.toArray(new CallEv[0]);
            eventThread.execute(() -> o.callChangedEvent(evs));
        }
    }

    private FakeAddress add(FakeAddress a) {
        addresses.put(a.name, a);
        return a;
    }

    // ---- Provider ----

    @Override public int getState() { return state; }
    @Override public Address[] getAddresses() { return addresses.values().toArray(new Address[0]); }
    @Override public Address getAddress(String dn) throws InvalidArgumentException {
        FakeAddress a = addresses.get(dn);
        if (a == null) throw new InvalidArgumentException("Address " + dn + " is not in provider's domain.");
        return a;
    }
    @Override public Call createCall() throws InvalidStateException {
        if (state != Provider.IN_SERVICE) throw new FakeExceptions.State(this, InvalidStateException.PROVIDER_OBJECT, "provider is not in service");
        FakeCall c = new FakeCall(this, ++gcid);
        calls.add(c);
        return c;
    }
    @Override public ProviderCapabilities getProviderCapabilities() { return (CiscoProviderCapabilities) () -> true; }
    @Override public void addObserver(ProviderObserver o) {
        observers.add(o);
        if (state == Provider.IN_SERVICE) eventThread.execute(() -> o.providerChangedEvent(new ProvEv[] {Events.of(ProvInServiceEv.class).build()}));
    }
    @Override public void shutdown() {
        state = Provider.SHUTDOWN;
        FakePeer.log("fake JTAPI: Provider.shutdown()", "");
    }

    // ---- CiscoProvider ----

    @Override public boolean isFIPSCompliantJTAPI() { return false; }
    @Override public CiscoCall getCall(int handle) { return null; }
    @Override public CiscoCall getCall(int g, int cm) {
        for (FakeCall c : calls) if (c.id.gcid == g && c.id.cm == cm) return c;
        return null;
    }
    @Override public CiscoMediaTerminal getMediaTerminal(String name) throws InvalidArgumentException {
        for (FakeAddress a : addresses.values()) if (a.terminal instanceof CiscoMediaTerminal && a.terminal.name.equals(name)) return (CiscoMediaTerminal) a.terminal;
        throw new InvalidArgumentException("no CTI port " + name);
    }
    @Override public CiscoRemoteTerminal getRemoteTerminal(String name) throws InvalidArgumentException {
        for (FakeAddress a : addresses.values()) if (a.terminal instanceof CiscoRemoteTerminal && a.terminal.name.equals(name)) return (CiscoRemoteTerminal) a.terminal;
        throw new InvalidArgumentException("no remote terminal " + name);
    }
    @Override public CiscoRemoteTerminal[] getRemoteTerminals() {
        List<CiscoRemoteTerminal> l = new ArrayList<>();
        for (FakeAddress a : addresses.values()) if (a.terminal instanceof CiscoRemoteTerminal) l.add((CiscoRemoteTerminal) a.terminal);
        return l.toArray(new CiscoRemoteTerminal[0]);
    }
    @Override public String getClusterID() { return "fakecluster"; }
    @Override public String getVersion() { return "fake 15.0"; }

    // ---- the control of tests ----

    void setInService(boolean in) {
        state = in ? Provider.IN_SERVICE : Provider.OUT_OF_SERVICE;
        ProvEv ev = Events.of(in ? ProvInServiceEv.class : ProvOutOfServiceEv.class).build();
        eventThread.execute(() -> {
            for (ProviderObserver o : observers) o.providerChangedEvent(new ProvEv[] {ev});
        });
    }

    /** The provider is shut down from Cisco's side (ProvShutdownEv): it will not come back. */
    void shutDownFromCisco() {
        state = Provider.SHUTDOWN;
        ProvEv ev = Events.of(ProvShutdownEv.class).build();
        eventThread.execute(() -> {
            for (ProviderObserver o : observers) o.providerChangedEvent(new ProvEv[] {ev});
        });
    }

    /** A device unregisters / registers again: its calls stay (not modelled), the service events go out. */
    void setDeviceInService(String dn, boolean in) throws InvalidArgumentException {
        FakeAddress a = (FakeAddress) getAddress(dn);
        a.terminal.inService = in;
        TermEv t = Events.of(in ? CiscoTermInServiceEv.class : CiscoTermOutOfServiceEv.class).with("getTerminal", a.terminal).with("getCause", in ? 100 : 1005).build();
        AddrEv e = Events.of(in ? CiscoAddrInServiceEv.class : CiscoAddrOutOfServiceEv.class).with("getAddress", a).with("getTerminal", a.terminal).with("getCause", in ? 100 : 1005).build();
        eventThread.execute(() -> {
            for (TerminalObserver o : a.terminal.observers) o.terminalChangedEvent(new TermEv[] {t});
            for (AddressObserver o : a.observers) o.addressChangedEvent(new AddrEv[] {e});
        });
    }

    /**
     * A CTI port or route point registered by the application comes into service afterwards: CiscoTermInServiceEv,
     * then CiscoAddrInServiceEv (Cisco's dialViaOffice.java l.125-153 waits for both after register()).
     */
    void registered(FakeTerminal t) {
        FakeAddress a = t.address;
        TermEv te = Events.of(CiscoTermInServiceEv.class).with("getTerminal", t).build();
        AddrEv ae = Events.of(CiscoAddrInServiceEv.class).with("getAddress", a).with("getTerminal", t).build();
        eventThread.execute(() -> {
            t.inService = true;
            for (TerminalObserver o : t.observers) o.terminalChangedEvent(new TermEv[] {te});
            for (AddressObserver o : a.observers) o.addressChangedEvent(new AddrEv[] {ae});
        });
    }

    void remoteDestinationsChanged(FakeRemoteTerminal t) {
        ProvEv ev = Events.of(CiscoProvTerminalRemoteDestinationChangedEv.class).with("getTerminal", t)
            .with("getRemoteDestinations", t.getAllRemoteDestinations()).with("isMyAppLastToSetActiveRD", t.lastSetByThisApp).build();
        eventThread.execute(() -> {
            for (ProviderObserver o : observers) o.providerChangedEvent(new ProvEv[] {ev});
        });
    }

    /** A person at the phone `from` dials `to` (no CTI request). */
    void dial(String from, String to) throws Exception {
        FakeAddress a = (FakeAddress) getAddress(from);
        FakeCall call = (FakeCall) createCall();
        place(call, a, to, false);
    }

    /** The person at `dn` picks up the ringing call. */
    void pickUp(String dn) throws Exception {
        answer(ringingAt(dn));
    }

    /** The person at `dn` hangs up their active call. */
    void hangUp(String dn) throws Exception {
        for (FakeCall c : calls) {
            FakeConnection conn = c.connectionOf(dn);
            if (conn != null && !c.invalid) {
                disconnect(conn);
                return;
            }
        }
        throw new InvalidStateException(null, InvalidStateException.ADDRESS_OBJECT, 0, dn + " has no call");
    }

    private FakeTerminalConnection ringingAt(String dn) throws InvalidStateException {
        for (FakeCall c : calls) {
            FakeConnection conn = c.connectionOf(dn);
            if (conn != null && conn.tc() != null && conn.tc().state == CallControlTerminalConnection.RINGING) return conn.tc();
        }
        throw new InvalidStateException(null, InvalidStateException.ADDRESS_OBJECT, 0, dn + " has no ringing call");
    }

    // ---- the call model ----

    Connection[] connectionsOf(FakeAddress a) {
        List<Connection> l = new ArrayList<>();
        for (FakeCall c : calls) {
            FakeConnection conn = c.connectionOf(a.name);
            if (conn != null && !c.invalid) l.add(conn);
        }
        return l.toArray(new Connection[0]);
    }

    synchronized Connection[] connect(FakeCall call, FakeTerminal t, FakeAddress a, String dest) throws InvalidStateException, InvalidPartyException {
        // Cisco: "A CallObserver must exist for the Terminal or Address originating the call"
        if (a.callObservers.isEmpty()) throw new FakeExceptions.State(a, InvalidStateException.ADDRESS_OBJECT, "no CallObserver on the originating address " + a.name);
        return place(call, a, dest, false);
    }

    private Connection[] place(FakeCall call, FakeAddress a, String dest, boolean consult) throws InvalidStateException, InvalidPartyException {
        if (!call.connections.isEmpty()) throw new FakeExceptions.State(call, InvalidStateException.CALL_OBJECT, "call must be IDLE");
        FakeAddress b = addresses.get(dest);
        if (b == null) throw new FakeExceptions.Party("unallocated number " + dest);
        if (!a.terminal.inService) throw new FakeExceptions.State(a, InvalidStateException.ADDRESS_OBJECT, a.name + " is out of service");
        call.calling = a;
        call.called = b;
        call.active = true;
        FakeConnection ca = join(call, a);
        ca.state = CallControlConnection.ESTABLISHED;
        FakeTerminalConnection ta = new FakeTerminalConnection(ca, a.terminal);
        ca.terminalConnections.add(ta);
        ta.state = CallControlTerminalConnection.TALKING;
        // originate (switch-link.md "a call is placed"); a consult call's CallActiveEv is a CiscoConsultCallActiveEv
        Events.Builder active = consult ? Events.of(CiscoConsultCallActiveEv.class) : Events.of(CallActiveEv.class);
        fire(call, active.with("getCall", call).build(), conn(ConnCreatedEv.class, ca), conn(ConnConnectedEv.class, ca), conn(CallCtlConnInitiatedEv.class, ca),
            tc(TermConnCreatedEv.class, ta), tc(TermConnActiveEv.class, ta), tc(CallCtlTermConnTalkingEv.class, ta));
        // the digits go out
        fire(call, conn(CallCtlConnDialingEv.class, ca), conn(CallCtlConnEstablishedEv.class, ca));
        FakeConnection cb = offer(call, b);
        return new Connection[] {ca, cb};
    }

    /** The destination is offered the call: it rings (switch-link.md "1002 rings"), or a route point is asked to route it. */
    private FakeConnection offer(FakeCall call, FakeAddress b) {
        FakeConnection cb = join(call, b);
        cb.state = CallControlConnection.OFFERED;
        if (b instanceof FakeRouteAddress) {
            fire(call, conn(ConnCreatedEv.class, cb), conn(ConnInProgressEv.class, cb), conn(CallCtlConnOfferedEv.class, cb));
            FakeRouteSession session = new FakeRouteSession(call, (FakeRouteAddress) b);
            call.routeSession = session;
            RouteEvent ev = Events.of(RouteEvent.class).with("getRouteSession", session).with("getCurrentRouteAddress", b).with("getCallingAddress", call.calling).build();
            eventThread.execute(() -> {
                for (RouteCallback cbk : ((FakeRouteAddress) b).callbacks) cbk.routeEvent(ev);
            });
            return cb;
        }
        FakeTerminalConnection tb = new FakeTerminalConnection(cb, b.terminal);
        cb.terminalConnections.add(tb);
        cb.state = CallControlConnection.ALERTING;
        tb.state = CallControlTerminalConnection.RINGING;
        fire(call, conn(ConnCreatedEv.class, cb), conn(ConnInProgressEv.class, cb), conn(CallCtlConnOfferedEv.class, cb), conn(ConnAlertingEv.class, cb),
            conn(CallCtlConnAlertingEv.class, cb), tc(TermConnCreatedEv.class, tb), tc(TermConnRingingEv.class, tb), tc(CallCtlTermConnRingingEv.class, tb));
        return cb;
    }

    private FakeConnection join(FakeCall call, FakeAddress a) {
        FakeConnection c = new FakeConnection(call, a);
        call.connections.add(c);
        for (CallObserver o : a.callObservers) if (!call.observers.contains(o)) call.observers.add(o);
        return c;
    }

    synchronized void answer(FakeTerminalConnection t) throws InvalidStateException {
        if (t.state != CallControlTerminalConnection.RINGING) throw new FakeExceptions.State(t, InvalidStateException.TERMINAL_CONNECTION_OBJECT, "terminal connection is not RINGING");
        FakeConnection c = t.connection;
        c.state = CallControlConnection.ESTABLISHED;
        t.state = CallControlTerminalConnection.TALKING;
        fire(c.call, conn(ConnConnectedEv.class, c), conn(CallCtlConnEstablishedEv.class, c), tc(TermConnActiveEv.class, t), tc(CallCtlTermConnTalkingEv.class, t));
    }

    synchronized void accept(FakeConnection c) throws InvalidStateException {
        if (c.state != CallControlConnection.OFFERED) throw new FakeExceptions.State(c, InvalidStateException.CONNECTION_OBJECT, "connection is not OFFERED");
    }

    synchronized void hold(FakeTerminalConnection t) throws InvalidStateException {
        if (t.state != CallControlTerminalConnection.TALKING) throw new FakeExceptions.State(t, InvalidStateException.TERMINAL_CONNECTION_OBJECT, "terminal connection is not TALKING");
        t.state = CallControlTerminalConnection.HELD;
        fire(t.connection.call, tc(CallCtlTermConnHeldEv.class, t));
    }

    synchronized void unhold(FakeTerminalConnection t) throws InvalidStateException {
        if (t.state != CallControlTerminalConnection.HELD) throw new FakeExceptions.State(t, InvalidStateException.TERMINAL_CONNECTION_OBJECT, "terminal connection is not HELD");
        t.state = CallControlTerminalConnection.TALKING;
        fire(t.connection.call, (CallEv) Events.of(CallCtlTermConnTalkingEv.class).with("getCall", t.connection.call).with("getTerminalConnection", t)
            .with("getCallControlCause", CallCtlEv.CAUSE_UNHOLD).build());
    }

    /** A party hangs up: with two parties UCM clears the call (each party dropped, the one hanging up first, then CallInvalidEv). */
    synchronized void disconnect(FakeConnection c) throws InvalidStateException {
        FakeCall call = c.call;
        if (c.state == CallControlConnection.DISCONNECTED || call.invalid) throw new FakeExceptions.State(c, InvalidStateException.CONNECTION_OBJECT, "connection is DISCONNECTED");
        List<FakeConnection> live = call.live();
        if (live.size() > 2) {
            fire(call, drop(c, 0));
            return;
        }
        List<CallEv> evs = new ArrayList<>(Arrays.asList(drop(c, 0)));
        for (FakeConnection other : live) if (other != c) evs.addAll(Arrays.asList(drop(other, 0)));
        call.invalid = true;
        evs.add(Events.of(CallInvalidEv.class).with("getCall", call).build());
        fire(call, evs.toArray(new CallEv[0]));
        calls.remove(call);
    }

    /**
     * CallControlCall.drop(): every connection of the call is disconnected, then CallInvalidEv (JTAPI's
     * post-conditions; JDG gives no chart of its own, so the events are those of a teardown, p.1284/p.1594).
     */
    synchronized void dropCall(FakeCall call) throws InvalidStateException {
        List<FakeConnection> live = call.live();
        if (call.invalid || live.isEmpty()) throw new FakeExceptions.State(call, InvalidStateException.CALL_OBJECT, "call is not ACTIVE");
        List<CallEv> evs = new ArrayList<>();
        for (FakeConnection c : live) evs.addAll(Arrays.asList(drop(c, 0)));
        call.invalid = true;
        evs.add(Events.of(CallInvalidEv.class).with("getCall", call).build());
        fire(call, evs.toArray(new CallEv[0]));
        calls.remove(call);
    }

    /**
     * CallControlCall.addParty(String): the destination is offered the call as one more party and the parties
     * in it stay (JTAPI 1.2: the call ACTIVE with two ESTABLISHED connections at least). A destination that is
     * unknown, out of service or already a party fails before anything changes; the offer's events are those
     * of any offer (switch-link.md "1002 rings"), as the simulator gives them.
     */
    synchronized Connection addParty(FakeCall call, String destination) throws InvalidStateException, InvalidPartyException {
        int established = 0;
        for (FakeConnection c : call.live()) if (c.state == CallControlConnection.ESTABLISHED) established++;
        if (call.invalid || established < 2) throw new FakeExceptions.State(call, InvalidStateException.CALL_OBJECT, "call must be ACTIVE with two ESTABLISHED connections");
        FakeAddress dest = addresses.get(destination);
        if (dest == null || dest.terminal == null || !dest.terminal.inService) throw new FakeExceptions.Party("destination " + destination + " is unknown or out of service");
        if (call.connectionOf(destination) != null) throw new FakeExceptions.Party(destination + " is already a party of the call");
        return offer(call, dest);
    }

    private CallEv[] drop(FakeConnection c, int reason) {
        List<CallEv> evs = new ArrayList<>();
        FakeTerminalConnection t = c.tc();
        if (t != null) {
            t.state = CallControlTerminalConnection.DROPPED;
            evs.add(tc(TermConnDroppedEv.class, t, reason));
            evs.add(tc(CallCtlTermConnDroppedEv.class, t, reason));
        }
        c.state = CallControlConnection.DISCONNECTED;
        evs.add(conn(ConnDisconnectedEv.class, c, reason));
        evs.add(conn(CallCtlConnDisconnectedEv.class, c, reason));
        return evs.toArray(new CallEv[0]);
    }

    /** consult on a new idle call (JDG: "call must be IDLE and terminal connection must be TALKING"): holds the call, places the consult. */
    synchronized Connection[] consult(FakeCall consult, FakeTerminalConnection talking, String dest) throws InvalidStateException, InvalidPartyException {
        if (!consult.connections.isEmpty() || talking.state != CallControlTerminalConnection.TALKING) {
            throw new FakeExceptions.State(consult, InvalidStateException.CALL_OBJECT, "Did not meet pre-conditions -- call must be IDLE and terminal connection must be TALKING");
        }
        if (!addresses.containsKey(dest)) throw new FakeExceptions.Party("unallocated number " + dest);
        hold(talking);
        return place(consult, talking.connection.address, dest, true);
    }

    /**
     * CiscoCall.startMonitor on a new idle call, in the order of JDG MSC p.1593 (link-agent/test/golden/
     * monitoring-jdg-p1593.json): the monitor call is placed from the initiator, the agent's DN joins it as a
     * MONITORING_TARGET address (offered, alerting, established), the initiator learns its target; then the
     * agent's call hears that monitoring started and who the initiator is. (CiscoRTPInputStartedEv, which the
     * protocol does not carry, is left out.)
     */
    synchronized Connection[] startMonitor(FakeCall monitorCall, FakeTerminal t, FakeAddress initiator, FakeTerminalConnection agent, int type, int tone)
        throws InvalidStateException {
        if (!monitorCall.connections.isEmpty()) throw new FakeExceptions.State(monitorCall, InvalidStateException.CALL_OBJECT, "call must be IDLE");
        if (agent.state != CallControlTerminalConnection.TALKING) throw new FakeExceptions.State(agent, InvalidStateException.TERMINAL_CONNECTION_OBJECT, "the monitored terminal connection is not TALKING");
        if (!t.inService) throw new FakeExceptions.State(t, InvalidStateException.TERMINAL_OBJECT, "the monitoring terminal is out of service");
        FakeCall agentCall = agent.connection.call;
        FakeTargetAddress target = new FakeTargetAddress(this, agent.connection.address.name);
        monitorCall.calling = initiator;
        monitorCall.called = target;
        monitorCall.active = true;
        FakeConnection ci = join(monitorCall, initiator);
        ci.state = CallControlConnection.ESTABLISHED;
        FakeTerminalConnection ti = new FakeTerminalConnection(ci, t);
        ci.terminalConnections.add(ti);
        ti.state = CallControlTerminalConnection.TALKING;
        fire(monitorCall, Events.of(CallActiveEv.class).with("getCall", monitorCall).build(), conn(ConnCreatedEv.class, ci), conn(ConnConnectedEv.class, ci),
            conn(CallCtlConnInitiatedEv.class, ci), tc(TermConnCreatedEv.class, ti), tc(TermConnActiveEv.class, ti), tc(CallCtlTermConnTalkingEv.class, ti));
        fire(monitorCall, conn(CallCtlConnDialingEv.class, ci), conn(CallCtlConnEstablishedEv.class, ci));
        FakeConnection ct = new FakeConnection(monitorCall, target);
        monitorCall.connections.add(ct);
        ct.state = CallControlConnection.ESTABLISHED;
        CiscoMonitorTargetInfo targetInfo = Events.of(CiscoMonitorTargetInfo.class).with("getAddress", agent.connection.address).with("getTerminalName", agent.terminal.name).build();
        fire(monitorCall, conn(ConnCreatedEv.class, ct), conn(ConnInProgressEv.class, ct), conn(CallCtlConnOfferedEv.class, ct), conn(ConnAlertingEv.class, ct),
            conn(CallCtlConnAlertingEv.class, ct), conn(ConnConnectedEv.class, ct), conn(CallCtlConnEstablishedEv.class, ct),
            Events.of(CiscoTermConnMonitorTargetInfoEv.class).with("getCall", monitorCall).with("getTerminalConnection", ti).with("getCiscoMonitorTargetInfo", targetInfo).build());
        CiscoMonitorInitiatorInfo initiatorInfo = Events.of(CiscoMonitorInitiatorInfo.class).with("getAddress", initiator).with("getTerminalName", t.name).build();
        fire(agentCall, Events.of(CiscoTermConnMonitoringStartEv.class).with("getCall", agentCall).with("getTerminalConnection", agent)
                .with("getMonitorType", type).with("getToneDirection", tone).build(),
            Events.of(CiscoTermConnMonitorInitiatorInfoEv.class).with("getCall", agentCall).with("getTerminalConnection", agent)
                .with("getCiscoMonitorInitiatorInfo", initiatorInfo).build());
        return new Connection[] {ci, ct};
    }

    /** Call1.transfer(Call2), in JDG Table 8's order. */
    synchronized void transfer(FakeCall finalCall, FakeCall consult) throws InvalidStateException {
        merge(finalCall, consult, false);
    }

    /** Call1.conference(Call2) (JDG p.64 "Conference Scenarios"), in the simulator's order (docs/switch-link.md "conference"). */
    synchronized void conference(FakeCall finalCall, FakeCall consult) throws InvalidStateException {
        merge(finalCall, consult, true);
    }

    /**
     * Transfer: JDG Table 8 (the bracket, the controller leaves the final call, the consulted party joins it in its
     * state, then the consult call is cleared, the end of the bracket). Conference: the same bracketed by
     * CiscoConferenceStart/EndEv, but the controller stays: its terminal connection talks again before the consulted
     * party appears (the order within the final call after JDG p.1168, as the simulator has it, [I]).
     */
    private void merge(FakeCall finalCall, FakeCall consult, boolean conference) throws InvalidStateException {
        if (finalCall == consult) throw new FakeExceptions.State(finalCall, InvalidStateException.CALL_OBJECT, "a call cannot be merged with itself");
        FakeConnection controllerHeld = null;
        FakeConnection controllerTalking = null;
        for (FakeConnection c : finalCall.live()) {
            FakeConnection other = consult.connectionOf(c.address.name);
            if (other != null && c.tc() != null && c.tc().state == CallControlTerminalConnection.HELD) {
                controllerHeld = c;
                controllerTalking = other;
            }
        }
        if (controllerHeld == null || consult.invalid) throw new FakeExceptions.State(finalCall, InvalidStateException.CALL_OBJECT, "no controller held in this call and in the consult call");
        FakeConnection consulted = null;
        for (FakeConnection c : consult.live()) if (c != controllerTalking) consulted = c;
        if (consulted == null) throw new FakeExceptions.State(consult, InvalidStateException.CALL_OBJECT, "the consult call has no other party");
        for (CallObserver o : consult.observers) if (!finalCall.observers.contains(o)) finalCall.observers.add(o);
        final int r = conference ? CiscoFeatureReason.REASON_CONFERENCE : CiscoFeatureReason.REASON_TRANSFER;
        final int meta = conference ? META_CALL_MERGING : META_CALL_TRANSFERRING;
        List<CallEv> first = new ArrayList<>();
        if (conference) {
            first.add(Events.of(CiscoConferenceStartEv.class).with("getCall", finalCall).with("getFinalCall", finalCall).with("getConferencedCall", consult)
                .with("getConferenceControllerAddress", controllerHeld.address).with("getCiscoFeatureReason", r).with("getMetaCode", meta).build());
            // the controller's terminal connection talks again
            FakeTerminalConnection held = controllerHeld.tc();
            held.state = CallControlTerminalConnection.TALKING;
            first.add(tc(CallCtlTermConnTalkingEv.class, held, r));
        } else {
            first.add(Events.of(CiscoTransferStartEv.class).with("getCall", finalCall).with("getFinalCall", finalCall).with("getTransferredCall", consult)
                .with("getTransferControllerAddress", controllerHeld.address).with("getCiscoFeatureReason", r).with("getMetaCode", meta).build());
            // the controller leaves the final call
            first.addAll(Arrays.asList(drop(controllerHeld, r)));
        }
        // the consulted party joins the final call in its state
        FakeConnection joined = join(finalCall, consulted.address);
        joined.state = CallControlConnection.ESTABLISHED;
        FakeTerminalConnection jt = new FakeTerminalConnection(joined, consulted.address.terminal);
        joined.terminalConnections.add(jt);
        jt.state = CallControlTerminalConnection.TALKING;
        first.addAll(Arrays.asList(conn(ConnCreatedEv.class, joined, r), conn(ConnConnectedEv.class, joined, r), conn(CallCtlConnEstablishedEv.class, joined, r),
            tc(TermConnCreatedEv.class, jt, r), tc(TermConnActiveEv.class, jt, r), tc(CallCtlTermConnTalkingEv.class, jt, r)));
        fire(finalCall, first.toArray(new CallEv[0]));
        // then the consult call is cleared
        List<CallEv> second = new ArrayList<>(Arrays.asList(drop(controllerTalking, r)));
        second.addAll(Arrays.asList(drop(consulted, r)));
        consult.invalid = true;
        second.add(Events.of(CallInvalidEv.class).with("getCall", consult).with("getCiscoFeatureReason", r).with("getMetaCode", meta).build());
        fire(consult, second.toArray(new CallEv[0]));
        calls.remove(consult);
        Class<?> end = conference ? CiscoConferenceEndEv.class : CiscoTransferEndEv.class;
        fire(finalCall, (CallEv) Events.of(end).with("getCall", finalCall).with("getCiscoFeatureReason", r).with("getMetaCode", meta).build());
    }

    /**
     * CallControlCall.transfer(String), a single-step transfer (JDG "Single Step Transfer": no new call, no
     * CiscoTransferStart/EndEv, the call unchanged when it fails): the controller (setTransferController's, or the
     * call's only TALKING party) drops with cause 100, then the destination is offered the same call, with the
     * remaining party calling and the controller as the last redirecting address (as the simulator gives it).
     */
    synchronized Connection singleStepTransfer(FakeCall call, String destination) throws InvalidStateException, InvalidPartyException {
        FakeTerminalConnection controller = call.transferController;
        if (controller == null) {
            for (FakeConnection c : call.live()) if (c.tc() != null && c.tc().state == CallControlTerminalConnection.TALKING) controller = c.tc();
        }
        if (call.invalid || controller == null || controller.state != CallControlTerminalConnection.TALKING || controller.connection.call != call) {
            throw new FakeExceptions.State(call, InvalidStateException.CALL_OBJECT, "call must be ACTIVE and the transfer controller TALKING");
        }
        FakeAddress dest = addresses.get(destination);
        if (dest == null || dest.terminal == null || !dest.terminal.inService) throw new FakeExceptions.Party("destination " + destination + " is unknown or out of service");
        if (call.connectionOf(destination) != null) throw new FakeExceptions.Party(destination + " is already a party of the call");
        FakeConnection leaving = controller.connection;
        fire(call, drop(leaving, 0));
        call.transferController = null;
        for (FakeConnection c : call.live()) call.calling = c.address;
        call.called = dest;
        call.lastRedirected = leaving.address;
        return offer(call, dest);
    }

    /**
     * CiscoConnection.redirect(dest, REDIRECT_DROP_ON_FAILURE, ...) from a ringing connection or a route point's
     * offered one: a bad destination fails at once and leaves the call where it was; else the connection drops
     * (CallCtlConnDisconnectedEv with CAUSE_REDIRECTED), a route point's session ends (RouteEndEvent, no
     * RouteUsedEvent for a redirect), and the destination is offered the call.
     */
    synchronized Connection redirect(FakeConnection c, String destination) throws InvalidStateException, InvalidPartyException {
        FakeCall call = c.call;
        if (c.state != CallControlConnection.OFFERED && c.state != CallControlConnection.ALERTING) {
            throw new FakeExceptions.State(c, InvalidStateException.CONNECTION_OBJECT, "connection is not OFFERED or ALERTING");
        }
        FakeAddress dest = addresses.get(destination);
        if (dest == null || !dest.terminal.inService) throw new FakeExceptions.Party("redirect destination " + destination + " is unknown or out of service");
        int r = CiscoFeatureReason.REASON_REDIRECT;
        FakeTerminalConnection t = c.tc();
        List<CallEv> evs = new ArrayList<>();
        if (t != null) {
            t.state = CallControlTerminalConnection.DROPPED;
            evs.add(tc(TermConnDroppedEv.class, t, r));
            evs.add(Events.of(CallCtlTermConnDroppedEv.class).with("getCall", call).with("getTerminalConnection", t).with("getCiscoFeatureReason", r)
                .with("getCallControlCause", CallCtlEv.CAUSE_REDIRECTED).build());
        }
        c.state = CallControlConnection.DISCONNECTED;
        evs.add(conn(ConnDisconnectedEv.class, c, r));
        evs.add(Events.of(CallCtlConnDisconnectedEv.class).with("getCall", call).with("getConnection", c).with("getCiscoFeatureReason", r)
            .with("getCallControlCause", CallCtlEv.CAUSE_REDIRECTED).build());
        fire(call, evs.toArray(new CallEv[0]));
        if (c.address instanceof FakeRouteAddress) {
            FakeRouteAddress rp = (FakeRouteAddress) c.address;
            FakeRouteSession session = call.routeSession instanceof FakeRouteSession ? (FakeRouteSession) call.routeSession : new FakeRouteSession(call, rp);
            call.routeSession = null;
            RouteEndEvent end = Events.of(RouteEndEvent.class).with("getRouteSession", session).build();
            eventThread.execute(() -> {
                for (RouteCallback cb : rp.callbacks) cb.routeEndEvent(end);
            });
        }
        call.lastRedirected = c.address;
        call.called = dest;
        return offer(call, dest);
    }

    /** RouteSession.selectRoute: the route is used and the route point's connection leaves with REASON_REDIRECT, or reRouteEvent. */
    synchronized void route(FakeRouteSession session, String[] routes) {
        FakeCall call = session.call;
        FakeAddress dest = routes.length > 0 ? addresses.get(routes[0]) : null;
        List<RouteCallback> cbs = session.routePoint.callbacks;
        if (dest == null || dest instanceof FakeRouteAddress || !dest.terminal.inService) {
            session.cause = RouteSession.CAUSE_INVALID_DESTINATION;
            ReRouteEvent ev = Events.of(ReRouteEvent.class).with("getRouteSession", session).build();
            eventThread.execute(() -> {
                for (RouteCallback cb : cbs) cb.reRouteEvent(ev);
            });
            return;
        }
        session.cause = 100; // RouteSession.CAUSE_NO_ERROR
        RouteUsedEvent used = Events.of(RouteUsedEvent.class).with("getRouteSession", session).with("getRouteUsed", dest).with("getCallingAddress", call.calling).build();
        RouteEndEvent end = Events.of(RouteEndEvent.class).with("getRouteSession", session).build();
        eventThread.execute(() -> {
            for (RouteCallback cb : cbs) cb.routeUsedEvent(used);
            for (RouteCallback cb : cbs) cb.routeEndEvent(end);
        });
        FakeConnection rp = call.connectionOf(session.routePoint.name);
        if (rp != null) {
            rp.state = CallControlConnection.DISCONNECTED;
            fire(call, Events.of(ConnDisconnectedEv.class).with("getCall", call).with("getConnection", rp).with("getCiscoFeatureReason", CiscoFeatureReason.REASON_REDIRECT).build(),
                Events.of(CallCtlConnDisconnectedEv.class).with("getCall", call).with("getConnection", rp).with("getCallControlCause", CallCtlEv.CAUSE_REDIRECTED)
                    .with("getCiscoFeatureReason", CiscoFeatureReason.REASON_REDIRECT).build());
        }
        call.lastRedirected = session.routePoint;
        call.called = dest;
        offer(call, dest);
    }

    static final class FakeRouteSession implements CiscoRouteSession {
        final FakeCall call;
        final FakeRouteAddress routePoint;
        volatile int cause = 100; // RouteSession.CAUSE_NO_ERROR

        FakeRouteSession(FakeCall call, FakeRouteAddress routePoint) {
            this.call = call;
            this.routePoint = routePoint;
        }

        @Override public Call getCall() { return call; }
        @Override public int getCause() { return cause; }
        @Override public void selectRoute(String[] routes) { call.provider.route(this, routes); }
    }

    // ---- events ----

    private CallEv conn(Class<?> type, FakeConnection c) {
        return conn(type, c, 0);
    }

    private CallEv conn(Class<?> type, FakeConnection c, int reason) {
        Events.Builder b = Events.of(type).with("getCall", c.call).with("getConnection", c);
        withReason(b, reason);
        return b.build();
    }

    private CallEv tc(Class<?> type, FakeTerminalConnection t) {
        return tc(type, t, 0);
    }

    private CallEv tc(Class<?> type, FakeTerminalConnection t, int reason) {
        Events.Builder b = Events.of(type).with("getCall", t.connection.call).with("getTerminalConnection", t);
        withReason(b, reason);
        return b.build();
    }

    /** One callback per observer of the call with these events, on the event thread, in order. */
    /** The feature's reason, and for a transfer the meta code JDG Table 8 gives its moves (Ev.META_CALL_TRANSFERRING). */
    private static void withReason(Events.Builder b, int reason) {
        if (reason == 0) return;
        b.with("getCiscoFeatureReason", reason);
        // call-control events of a transfer carry CAUSE_TRANSFER; core events only Ev.getCause() (CAUSE_NORMAL)
        if (reason == CiscoFeatureReason.REASON_TRANSFER) b.with("getMetaCode", META_CALL_TRANSFERRING).with("getCallControlCause", CallCtlEv.CAUSE_TRANSFER);
        if (reason == CiscoFeatureReason.REASON_CONFERENCE) b.with("getMetaCode", META_CALL_MERGING).with("getCallControlCause", CallCtlEv.CAUSE_CONFERENCE);
    }

    static final int META_CALL_MERGING = 133;
    static final int META_CALL_TRANSFERRING = 134;

    private void fire(FakeCall call, CallEv... events) {
        List<CallObserver> to = new ArrayList<>(call.observers);
        eventThread.execute(() -> {
            for (CallObserver o : to) o.callChangedEvent(events);
        });
    }
}
