package tserver.jtapibridge.fake;

import com.cisco.jtapi.extensions.CiscoJtapiPeer;
import com.cisco.jtapi.extensions.CiscoJtapiProperties;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Hashtable;
import java.util.List;
import javax.telephony.Provider;
import javax.telephony.ProviderUnavailableException;

/**
 * The fake JtapiPeer (JtapiPeerFactory.getJtapiPeer("tserver.jtapibridge.fake.FakePeer")). It parses the
 * provider string as Cisco's ProviderImpl does (';'-separated, key=value, the first segment the
 * CTIManagers), refuses a wrong password with a PlatformException carrying a CTI code, and, when
 * FAKE_JTAPI_CONTROL_FILE is set, opens a loopback control port for tests (written to that file) to play
 * the people at the phones and the cluster: dial, answer, hangup, oos, inservice, device-oos, device-is.
 * It logs what the bridge configured (never the secrets themselves) on standard error.
 */
public final class FakePeer implements CiscoJtapiPeer {
    private final FakeProperties properties = new FakeProperties();

    public FakePeer() {}

    @Override
    public CiscoJtapiProperties getJtapiProperties() {
        return properties;
    }

    @Override
    public Provider getProvider(String providerString) throws ProviderUnavailableException {
        String[] parts = providerString.split(";");
        List<String> keys = new ArrayList<>();
        String login = null, passwd = null;
        for (int i = 1; i < parts.length; i++) {
            int eq = parts[i].indexOf('=');
            if (eq <= 0) continue;
            String k = parts[i].substring(0, eq), v = parts[i].substring(eq + 1);
            keys.add(k);
            if (k.equals("login")) login = v;
            if (k.equals("passwd")) passwd = v;
        }
        log("fake JTAPI: getProvider", "\"ctiManagers\":\"" + parts[0] + "\",\"keys\":\"" + String.join(",", keys) + "\",\"login\":\"" + login + "\"");
        String expected = System.getenv("FAKE_JTAPI_PASSWORD");
        if (login == null || passwd == null || (expected != null && !expected.equals(passwd))) {
            throw new FakeExceptions.Platform("Unable to create provider -- bad login or password.");
        }
        FakeProvider provider = new FakeProvider();
        String control = System.getenv("FAKE_JTAPI_CONTROL_FILE");
        if (control != null) startControl(provider, Paths.get(control));
        return provider;
    }

    static void log(String msg, String fields) {
        synchronized (System.err) {
            System.err.println("{\"level\":\"info\",\"msg\":\"" + msg + "\"" + (fields.isEmpty() ? "" : "," + fields) + "}");
        }
    }

    private static void startControl(FakeProvider provider, Path file) {
        try {
            ServerSocket server = new ServerSocket(0, 4, InetAddress.getLoopbackAddress());
            Path tmp = Paths.get(file + ".tmp");
            Files.write(tmp, Integer.toString(server.getLocalPort()).getBytes(StandardCharsets.UTF_8));
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            Thread t = new Thread(() -> {
                for (;;) {
                    try (Socket s = server.accept()) {
                        BufferedReader in = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.UTF_8));
                        PrintWriter out = new PrintWriter(s.getOutputStream(), true);
                        for (String line; (line = in.readLine()) != null;) out.println(control(provider, line.trim().split("\\s+")));
                    } catch (IOException e) {
                        // the test went away
                    }
                }
            }, "fake-jtapi-control");
            t.setDaemon(true);
            t.start();
        } catch (IOException e) {
            throw new IllegalStateException("fake control port: " + e);
        }
    }

    private static String control(FakeProvider p, String[] cmd) {
        try {
            switch (cmd[0]) {
                case "dial": p.dial(cmd[1], cmd[2]); break;
                case "answer": p.pickUp(cmd[1]); break;
                case "hangup": p.hangUp(cmd[1]); break;
                case "oos": p.setInService(false); break;
                case "inservice": p.setInService(true); break;
                case "shutdown": p.shutDownFromCisco(); break;
                case "device-oos": p.setDeviceInService(cmd[1], false); break;
                case "device-is": p.setDeviceInService(cmd[1], true); break;
                case "autoaccept": return "ok " + ((FakeAddress) p.getAddress(cmd[1])).autoAccept;
                default: return "error unknown command " + cmd[0];
            }
            return "ok";
        } catch (Exception e) {
            return "error " + e.getClass().getSimpleName() + ": " + e.getMessage();
        }
    }

    static final class FakeProperties implements CiscoJtapiProperties {
        private boolean dropAnyParty;
        private final Hashtable<String, Object> security = new Hashtable<>();

        @Override public boolean IsCertificateUpdated(String user, String instanceId) { return !security.isEmpty(); }
        @Override public boolean getDropAnyPartyEnabled() { return dropAnyParty; }
        @Override public void setDropAnyPartyEnabled(boolean b) { dropAnyParty = b; }
        @Override public Hashtable getSecurityPropertyForInstance(String user, String instanceId) { return security; }
        @Override public void deleteSecurityPropertyForInstance(String user, String instanceId, String host, String certPath) { security.clear(); }
        @Override public void setSecurityPropertyForInstance(String user, String instanceId, String authCode, String tftp, String tftpPort, String capf,
            String capfPort, String certPath, boolean securityOption, String passphrase, boolean fips) {
            security.put("user", user);
            security.put("instanceID", instanceId);
            security.put("TFTP", tftp);
            security.put("CAPF", capf);
            security.put("CertPath", certPath);
            log("fake JTAPI: setSecurityPropertyForInstance", "\"user\":\"" + user + "\",\"instanceId\":\"" + instanceId + "\",\"tftp\":\"" + tftp + ":" + tftpPort
                + "\",\"capf\":\"" + capf + ":" + capfPort + "\",\"certPath\":\"" + certPath + "\",\"securityOption\":" + securityOption
                + ",\"authCodeLength\":" + (authCode == null ? 0 : authCode.length()) + ",\"passphraseLength\":" + (passphrase == null ? 0 : passphrase.length())
                + ",\"fips\":" + fips);
        }
        @Override public void updateCertificate(String a, String b, String c, String d, String e, String f, String g, String h, String i) {}
        @Override public void updateServerCertificate(String a, String b, String c, String d, String e) {}
    }
}
