package tserver.jtapibridge;

import com.google.gson.JsonObject;

/**
 * What the link agent hands the bridge as the first line on its standard input (never on the command
 * line, never in the environment): the link, the CTIManagers, the local listening port, and the TLS
 * security properties of the link-tls / link-N options, secrets included.
 */
final class BridgeConfig {
    /** Security properties for CiscoJtapiProperties.setSecurityPropertyForInstance (link-tls + link-N). */
    static final class Tls {
        String instanceId, authCode, tftpHost, tftpPort, capfHost, capfPort, certPath, storePassphrase;
        boolean fips;
    }

    String link = "link-1";
    /** The first segment of the provider string: CTIManager hosts, comma-separated (primary first). */
    String ctiManagers;
    /** JtapiPeerFactory.getJtapiPeer's argument: null for Cisco's DefaultJtapiPeer (tests name a fake). */
    String peer;
    /** Loopback port the agent connects to; 0 picks a free one (printed on standard output). */
    int listenPort;
    /** The switch-link welcome's `cluster` when CiscoProvider.getClusterID() gives none. */
    String cluster = "cucm";
    /** Where CTI ports (dynamic media registration) send and receive RTP; absent: the ports are not registered for media. */
    String rtpHost;
    int rtpPort;
    /** How long a hello waits for ProvInServiceEv. */
    int inServiceWaitMs = 8000;
    /** selectRoute waits this long for routeUsedEvent / reRouteEvent. */
    int routeAnswerWaitMs = 5000;
    Tls tls;

    static BridgeConfig parse(JsonObject o) {
        BridgeConfig c = new BridgeConfig();
        if (Json.str(o, "link") != null) c.link = Json.str(o, "link");
        c.ctiManagers = Json.str(o, "ctiManagers");
        if (c.ctiManagers == null || c.ctiManagers.isEmpty()) throw new IllegalArgumentException("ctiManagers is required");
        if (c.ctiManagers.contains(";")) throw new IllegalArgumentException("ctiManagers must not contain ';' (JTAPI's provider string has no escaping)");
        c.peer = Json.str(o, "peer");
        Integer port = Json.integer(o, "listenPort");
        if (port != null) c.listenPort = port;
        if (Json.str(o, "cluster") != null) c.cluster = Json.str(o, "cluster");
        c.rtpHost = Json.str(o, "rtpHost");
        Integer rtpPort = Json.integer(o, "rtpPort");
        if (rtpPort != null) c.rtpPort = rtpPort;
        Integer wait = Json.integer(o, "inServiceWaitMs");
        if (wait != null) c.inServiceWaitMs = wait;
        Integer routeWait = Json.integer(o, "routeAnswerWaitMs");
        if (routeWait != null) c.routeAnswerWaitMs = routeWait;
        if (o.has("tls") && o.get("tls").isJsonObject()) {
            JsonObject t = o.getAsJsonObject("tls");
            Tls tls = new Tls();
            tls.instanceId = Json.str(t, "instanceId");
            tls.authCode = Json.str(t, "authCode");
            tls.tftpHost = Json.str(t, "tftpHost");
            tls.tftpPort = Json.str(t, "tftpPort");
            tls.capfHost = Json.str(t, "capfHost");
            tls.capfPort = Json.str(t, "capfPort");
            tls.certPath = Json.str(t, "certPath");
            tls.storePassphrase = Json.str(t, "storePassphrase");
            tls.fips = Boolean.TRUE.equals(Json.bool(t, "fips"));
            for (String[] f : new String[][] {{"instanceId", tls.instanceId}, {"tftpHost", tls.tftpHost}, {"capfHost", tls.capfHost}, {"certPath", tls.certPath}}) {
                if (f[1] == null || f[1].isEmpty()) throw new IllegalArgumentException("tls." + f[0] + " is required");
            }
            if (tls.tftpPort == null) tls.tftpPort = "69";
            if (tls.capfPort == null) tls.capfPort = "3804";
            for (String v : new String[] {tls.instanceId, tls.authCode, tls.tftpHost, tls.tftpPort, tls.capfHost, tls.capfPort, tls.certPath, tls.storePassphrase}) {
                if (v != null && v.contains(";")) throw new IllegalArgumentException("TLS options must not contain ';' (JTAPI's provider string has no escaping)");
            }
            c.tls = tls;
        }
        return c;
    }
}
