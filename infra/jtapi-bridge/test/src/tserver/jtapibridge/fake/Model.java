package tserver.jtapibridge.fake;

import com.cisco.jtapi.extensions.CiscoAddress;
import com.cisco.jtapi.extensions.CiscoCall;
import com.cisco.jtapi.extensions.CiscoCallID;
import com.cisco.jtapi.extensions.CiscoConnection;
import com.cisco.jtapi.extensions.CiscoConnectionID;
import com.cisco.jtapi.extensions.CiscoMediaCapability;
import com.cisco.jtapi.extensions.CiscoMediaTerminal;
import com.cisco.jtapi.extensions.CiscoMonitorInitiatorInfo;
import com.cisco.jtapi.extensions.CiscoRTPHandle;
import com.cisco.jtapi.extensions.CiscoRTPParams;
import com.cisco.jtapi.extensions.CiscoRegistrationException;
import com.cisco.jtapi.extensions.CiscoRemoteDestinationInfo;
import com.cisco.jtapi.extensions.CiscoRemoteTerminal;
import com.cisco.jtapi.extensions.CiscoRouteAddress;
import com.cisco.jtapi.extensions.CiscoRouteTerminal;
import com.cisco.jtapi.extensions.CiscoTerminal;
import com.cisco.jtapi.extensions.CiscoTerminalConnection;
import com.cisco.jtapi.extensions.CiscoUnregistrationException;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import javax.telephony.Address;
import javax.telephony.AddressObserver;
import javax.telephony.Call;
import javax.telephony.CallObserver;
import javax.telephony.Connection;
import javax.telephony.InvalidArgumentException;
import javax.telephony.InvalidPartyException;
import javax.telephony.InvalidStateException;
import javax.telephony.MethodNotSupportedException;
import javax.telephony.PlatformException;
import javax.telephony.PrivilegeViolationException;
import javax.telephony.ResourceUnavailableException;
import javax.telephony.Terminal;
import javax.telephony.TerminalConnection;
import javax.telephony.TerminalObserver;
import javax.telephony.callcenter.RouteCallback;
import javax.telephony.callcenter.RouteSession;
import javax.telephony.callcontrol.CallControlConnection;
import javax.telephony.callcontrol.CallControlTerminalConnection;

/** The fake provider's objects: addresses, terminals, calls, connections, terminal connections. */
final class Model {
    private Model() {}
}

/** The monitored agent's DN as it appears in a monitor call: CiscoAddress.MONITORING_TARGET, no terminal of this provider's. */
final class FakeTargetAddress extends FakeAddress {
    FakeTargetAddress(FakeProvider provider, String name) { super(provider, name); }
    @Override public int getType() { return CiscoAddress.MONITORING_TARGET; }
    @Override public Terminal[] getTerminals() { return new Terminal[0]; }
}

class FakeAddress implements CiscoAddress {
    final FakeProvider provider;
    final String name;
    FakeTerminal terminal;
    final List<AddressObserver> observers = new CopyOnWriteArrayList<>();
    final List<CallObserver> callObservers = new CopyOnWriteArrayList<>();
    volatile int autoAccept;

    FakeAddress(FakeProvider provider, String name) {
        this.provider = provider;
        this.name = name;
    }

    @Override public String getName() { return name; }
    @Override public Terminal[] getTerminals() { return terminal == null ? new Terminal[0] : new Terminal[] {terminal}; }
    @Override public Connection[] getConnections() { return provider.connectionsOf(this); }
    @Override public void addCallObserver(CallObserver o) {
        if (!callObservers.contains(o)) callObservers.add(o);
        provider.observeCalls(this, o);
    }
    @Override public void addObserver(AddressObserver o) { if (!observers.contains(o)) observers.add(o); }
    @Override public int getState() { return terminal != null && terminal.inService ? CiscoAddress.IN_SERVICE : 0; }
    @Override public int getType() { return 1; /* CiscoAddress.INTERNAL */ }
    @Override public Connection getPersistentConnection(Terminal t) throws MethodNotSupportedException { throw new MethodNotSupportedException("not in the fake"); }
    @Override public CiscoCall createPersistentCall(Terminal t, String a, String b) throws MethodNotSupportedException { throw new MethodNotSupportedException("not in the fake"); }
    @Override public void setAutoAcceptStatus(int status, Terminal t) { autoAccept = status; }
}

final class FakeRouteAddress extends FakeAddress implements CiscoRouteAddress {
    final List<RouteCallback> callbacks = new CopyOnWriteArrayList<>();

    FakeRouteAddress(FakeProvider provider, String name) { super(provider, name); }

    @Override public void registerRouteCallback(RouteCallback cb) { if (!callbacks.contains(cb)) callbacks.add(cb); }
    @Override public void registerRouteCallback(RouteCallback cb, boolean b) { registerRouteCallback(cb); }
    @Override public RouteSession[] getActiveRouteSessions() { return new RouteSession[0]; }
}

class FakeTerminal implements CiscoTerminal {
    final String name;
    final FakeAddress address;
    final List<TerminalObserver> observers = new CopyOnWriteArrayList<>();
    volatile boolean inService = true;

    FakeTerminal(String name, FakeAddress address) {
        this.name = name;
        this.address = address;
        address.terminal = this;
    }

    @Override public String getName() { return name; }
    @Override public Address[] getAddresses() { return new Address[] {address}; }
    @Override public void addObserver(TerminalObserver o) { if (!observers.contains(o)) observers.add(o); }
    @Override public int getState() { return inService ? CiscoTerminal.IN_SERVICE : 0; }
    @Override public int getType() { return 0; }
    @Override public boolean isBuiltInBridgeEnabled() { return true; }
}

final class FakeMediaTerminal extends FakeTerminal implements CiscoMediaTerminal {
    volatile boolean registered;

    FakeMediaTerminal(String name, FakeAddress address) {
        super(name, address);
        inService = false; // an unregistered CTI port is out of service
    }

    @Override public boolean isRegistered() { return registered; }
    @Override public boolean isRegisteredByThisApp() { return registered; }
    @Override public void register(CiscoMediaCapability[] caps) throws CiscoRegistrationException {
        if (registered) throw new CiscoRegistrationException("already registered");
        registered = true;
        address.provider.registered(this);
    }
    @Override public void register(InetAddress a, int port, CiscoMediaCapability[] caps) throws CiscoRegistrationException { register(caps); }
    @Override public void setRTPParams(CiscoRTPHandle h, CiscoRTPParams p) {}
    @Override public void unregister() { registered = false; inService = false; }
}

final class FakeRouteTerminal extends FakeTerminal implements CiscoRouteTerminal {
    volatile boolean registered;

    FakeRouteTerminal(String name, FakeAddress address) {
        super(name, address);
        inService = false;
    }

    @Override public void register(CiscoMediaCapability[] caps, int mode) throws CiscoRegistrationException {
        if (registered) throw new CiscoRegistrationException("already registered");
        registered = true;
        address.provider.registered(this);
    }
    @Override public void unregister() throws CiscoUnregistrationException { registered = false; inService = false; }
}

final class FakeRemoteTerminal extends FakeTerminal implements CiscoRemoteTerminal {
    static final class Rd implements CiscoRemoteDestinationInfo {
        final String name, number;
        final boolean active;
        Rd(String name, String number, boolean active) { this.name = name; this.number = number; this.active = active; }
        @Override public boolean getIsActiveRD() { return active; }
        @Override public String getRemoteDestinationName() { return name; }
        @Override public String getRemoteDestinationNumber() { return number; }
    }

    final List<Rd> rds = new CopyOnWriteArrayList<>();
    volatile boolean lastSetByThisApp;

    FakeRemoteTerminal(String name, FakeAddress address) { super(name, address); }

    @Override public int getType() { return CiscoTerminal.DEVICETYPE_CTI_REMOTE_DEVICE; }
    @Override public boolean isMyAppLastToSetActiveRD() { return lastSetByThisApp; }
    @Override public boolean isRegisteredByThisApp() { return false; }
    @Override public int getRegistrationType() { return CiscoRemoteTerminal.EXTEND_MEDIA_REGISTRATION; }
    @Override public CiscoRemoteDestinationInfo[] getActiveRemoteDestinations() { return rds.stream().filter(r -> r.active).toArray(CiscoRemoteDestinationInfo[]::new); }
    @Override public CiscoRemoteDestinationInfo[] getAllRemoteDestinations() { return rds.toArray(new CiscoRemoteDestinationInfo[0]); }
    @Override public void addRemoteDestination(String name, String number, boolean active) throws InvalidArgumentException {
        for (Rd r : rds) if (r.number.equals(number)) throw new InvalidArgumentException("remote destination " + number + " exists");
        rds.add(new Rd(name, number, active));
        changed();
    }
    @Override public void removeAllRemoteDestinations() { rds.clear(); changed(); }
    @Override public void removeRemoteDestination(String number) { rds.removeIf(r -> r.number.equals(number)); changed(); }
    @Override public void setActiveRemoteDestination(String number, boolean active) throws InvalidArgumentException {
        update(number, null, number, active);
    }
    @Override public void updateRemoteDestination(String number, String name, String newNumber, boolean active) throws InvalidArgumentException {
        update(number, name, newNumber, active);
    }
    @Override public void updateRemoteDestinationName(String number, String name) throws InvalidArgumentException {
        Rd old = find(number);
        update(number, name, number, old.active);
    }
    @Override public void updateRemoteDestinationNumber(String number, String newNumber) throws InvalidArgumentException {
        Rd old = find(number);
        update(number, null, newNumber, old.active);
    }

    private Rd find(String number) throws InvalidArgumentException {
        for (Rd r : rds) if (r.number.equals(number)) return r;
        throw new InvalidArgumentException("no remote destination " + number);
    }

    private void update(String number, String name, String newNumber, boolean active) throws InvalidArgumentException {
        Rd old = find(number);
        rds.set(rds.indexOf(old), new Rd(name != null ? name : old.name, newNumber, active));
        changed();
    }

    private void changed() {
        lastSetByThisApp = true;
        address.provider.remoteDestinationsChanged(this);
    }
}

final class FakeCallID implements CiscoCallID {
    final FakeCall call;
    final int cm, gcid;
    FakeCallID(FakeCall call, int cm, int gcid) { this.call = call; this.cm = cm; this.gcid = gcid; }
    @Override public int getCallManagerID() { return cm; }
    @Override public int getGlobalCallID() { return gcid; }
    @Override public int intValue() { return (cm << 24) | (gcid & 0xFFFFFF); }
    @Override public String toString() { return gcid + "/" + cm; }
}

final class FakeCall implements CiscoCall {
    final FakeProvider provider;
    final FakeCallID id;
    final List<FakeConnection> connections = new CopyOnWriteArrayList<>();
    /** Everyone who observed it at some point (events keep going to them until it ends). */
    final List<CallObserver> observers = new CopyOnWriteArrayList<>();
    FakeAddress calling, called, lastRedirected;
    boolean active, invalid;
    FakeTerminalConnection transferController;
    /** The route session while the call waits at a route point. */
    Object routeSession;

    FakeCall(FakeProvider provider, int gcid) {
        this.provider = provider;
        this.id = new FakeCallID(this, 1, gcid);
    }

    FakeConnection connectionOf(String dn) {
        for (FakeConnection c : connections) if (c.address.name.equals(dn) && c.state != CallControlConnection.DISCONNECTED) return c;
        return null;
    }

    List<FakeConnection> live() {
        List<FakeConnection> l = new ArrayList<>();
        for (FakeConnection c : connections) if (c.state != CallControlConnection.DISCONNECTED && c.state != CallControlConnection.FAILED) l.add(c);
        return l;
    }

    @Override public CiscoCallID getCallID() { return id; }
    @Override public Connection[] getConnections() { return live().toArray(new Connection[0]); }
    @Override public Address getCallingAddress() { return calling; }
    @Override public Address getCalledAddress() { return called; }
    @Override public Address getLastRedirectedAddress() { return lastRedirected; }

    @Override public Connection[] connect(Terminal t, Address a, String dest)
        throws ResourceUnavailableException, PrivilegeViolationException, InvalidPartyException, InvalidArgumentException, InvalidStateException, MethodNotSupportedException {
        return provider.connect(this, (FakeTerminal) t, (FakeAddress) a, dest);
    }
    @Override public Connection[] consult(TerminalConnection tc, String dest)
        throws InvalidStateException, InvalidArgumentException, MethodNotSupportedException, ResourceUnavailableException, PrivilegeViolationException, InvalidPartyException {
        return provider.consult(this, (FakeTerminalConnection) tc, dest);
    }
    @Override public void transfer(Call other) throws InvalidStateException, InvalidArgumentException, InvalidPartyException, MethodNotSupportedException, PrivilegeViolationException, ResourceUnavailableException {
        provider.transfer(this, (FakeCall) other);
    }
    @Override public Connection transfer(String dest) throws InvalidStateException, InvalidPartyException { return provider.singleStepTransfer(this, dest); }
    @Override public void conference(Call other) throws InvalidStateException { provider.conference(this, (FakeCall) other); }
    @Override public void setTransferController(TerminalConnection tc) { transferController = (FakeTerminalConnection) tc; }
    @Override public void drop() throws InvalidStateException { provider.dropCall(this); }
    @Override public void setConferenceEnable(boolean enable) throws InvalidStateException {
        // JTAPI: only on an idle call; Cisco's consult then sets up a conference instead of a transfer
        if (!connections.isEmpty()) throw new FakeExceptions.State(this, InvalidStateException.CALL_OBJECT, "call must be IDLE");
        FakePeer.log("fake JTAPI: setConferenceEnable(" + enable + ")", "");
    }
    @Override public Connection addParty(String dest) throws InvalidStateException, InvalidPartyException { return provider.addParty(this, dest); }
    @Override public Connection[] startMonitor(Terminal t, Address a, TerminalConnection tc, int type, int tone) throws InvalidStateException {
        return provider.startMonitor(this, (FakeTerminal) t, (FakeAddress) a, (FakeTerminalConnection) tc, type, tone);
    }
    @Override public Connection[] startMonitor(Terminal t, Address a, int callId, String dn, String device, int type, int tone) throws MethodNotSupportedException {
        throw new MethodNotSupportedException("monitoring is not in the fake");
    }
    @Override public String toString() { return "FakeCall(" + id + ")"; }
}

final class FakeConnection implements CiscoConnection {
    final FakeCall call;
    final FakeAddress address;
    volatile int state = CallControlConnection.IDLE;
    final List<FakeTerminalConnection> terminalConnections = new CopyOnWriteArrayList<>();

    FakeConnection(FakeCall call, FakeAddress address) {
        this.call = call;
        this.address = address;
    }

    FakeTerminalConnection tc() { return terminalConnections.isEmpty() ? null : terminalConnections.get(0); }

    @Override public Address getAddress() { return address; }
    @Override public Call getCall() { return call; }
    @Override public TerminalConnection[] getTerminalConnections() { return terminalConnections.toArray(new TerminalConnection[0]); }
    @Override public int getCallControlState() { return state; }
    @Override public CiscoConnectionID getConnectionID() { return () -> System.identityHashCode(this); }
    @Override public void disconnect() throws InvalidStateException { call.provider.disconnect(this); }
    @Override public void accept() throws InvalidStateException { call.provider.accept(this); }
    @Override public Connection redirect(String dest) throws InvalidStateException, InvalidPartyException {
        return call.provider.redirect(this, dest);
    }
    @Override public Connection redirect(String dest, int mode, int css) throws InvalidStateException, InvalidPartyException {
        return call.provider.redirect(this, dest);
    }
}

final class FakeTerminalConnection implements CiscoTerminalConnection {
    final FakeConnection connection;
    final FakeTerminal terminal;
    volatile int state = CallControlTerminalConnection.IDLE;

    FakeTerminalConnection(FakeConnection connection, FakeTerminal terminal) {
        this.connection = connection;
        this.terminal = terminal;
    }

    @Override public Connection getConnection() { return connection; }
    @Override public Terminal getTerminal() { return terminal; }
    @Override public int getCallControlState() { return state; }
    @Override public void answer() throws InvalidStateException, MethodNotSupportedException {
        // a CTI remote device's call is answered at the remote destination, never through CTI (switch-link.md "Extend and connect")
        if (terminal instanceof FakeRemoteTerminal) throw new MethodNotSupportedException("answer is not supported on a CTI remote device");
        connection.call.provider.answer(this);
    }
    @Override public void hold() throws InvalidStateException { connection.call.provider.hold(this); }
    @Override public void unhold() throws InvalidStateException { connection.call.provider.unhold(this); }
    @Override public CiscoMonitorInitiatorInfo getCiscoMonitorInitiatorInfo() { return null; }
}
