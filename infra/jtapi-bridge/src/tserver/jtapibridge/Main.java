package tserver.jtapibridge;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;

/**
 * The JTAPI bridge of one link: `java -cp jtapi.jar:gson.jar:jtapi-bridge.jar tserver.jtapibridge.Main`.
 * Its configuration (secrets included) is the first line of standard input; it listens on loopback only
 * and prints {"listening":<port>} on standard output; it logs JSON lines on standard error; it exits when
 * standard input closes (the link agent that started it is gone).
 */
public final class Main {
    private Main() {}

    public static void main(String[] args) throws IOException {
        BufferedReader stdin = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        Log boot = new Log(null);
        String line = stdin.readLine();
        if (line == null) {
            boot.error("no configuration on standard input");
            System.exit(2);
        }
        BridgeConfig config;
        try {
            JsonObject raw = JsonParser.parseString(line).getAsJsonObject();
            config = BridgeConfig.parse(raw);
        } catch (RuntimeException e) {
            boot.error("bad configuration on standard input", "err", String.valueOf(e.getMessage()));
            System.exit(2);
            return;
        }
        Log log = new Log(config.link);
        JtapiLink link = new JtapiLink(config, log);
        // on every exit (standard input closed, SIGTERM, ProvShutdownEv) the provider is closed first
        Runtime.getRuntime().addShutdownHook(new Thread(link::shutdown, "provider-shutdown"));
        ServerSocket server = new ServerSocket(config.listenPort, 8, InetAddress.getLoopbackAddress());
        System.out.println(Json.obj("listening", server.getLocalPort()));
        System.out.flush();
        log.info("bridge listening on loopback", "port", server.getLocalPort(), "java", System.getProperty("java.version"));

        Thread watcher = new Thread(() -> {
            try {
                while (stdin.read() != -1) {
                    // nothing more is sent on standard input; its end is the agent's
                }
            } catch (IOException e) {
                // the same as its end
            }
            log.info("standard input closed: the link agent is gone, exiting");
            System.exit(0);
        }, "stdin-watcher");
        watcher.setDaemon(true);
        watcher.start();

        for (;;) {
            Socket socket = server.accept();
            if (!socket.getInetAddress().isLoopbackAddress()) {
                socket.close();
                continue;
            }
            socket.setTcpNoDelay(true);
            Thread t = new Thread(new Session(socket, link, log), "session-" + socket.getPort());
            t.setDaemon(true);
            t.start();
        }
    }
}
