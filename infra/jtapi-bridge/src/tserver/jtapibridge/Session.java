package tserver.jtapibridge;

import com.google.gson.JsonObject;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.net.Socket;
import java.net.SocketTimeoutException;

/** One connection of the link agent: hello, welcome, then requests and keepalive (docs/switch-link.md). */
final class Session implements Runnable, JtapiLink.Peer {
    static final int HELLO_WITHIN_MS = 10_000;
    /** The agent pings every 15 s; a connection silent this long is dead. */
    static final int SILENCE_MS = 60_000;

    private final Socket socket;
    private final JtapiLink link;
    private final Log log;
    private DataOutputStream out;
    private volatile boolean closed;

    Session(Socket socket, JtapiLink link, Log log) {
        this.socket = socket;
        this.link = link;
        this.log = log;
    }

    @Override
    public void run() {
        try {
            out = new DataOutputStream(new BufferedOutputStream(socket.getOutputStream()));
            DataInputStream in = new DataInputStream(new BufferedInputStream(socket.getInputStream()));
            socket.setSoTimeout(HELLO_WITHIN_MS);
            if (!handshake(Frames.read(in))) return;
            socket.setSoTimeout(SILENCE_MS);
            for (;;) {
                JsonObject frame = Frames.read(in);
                String type = Json.str(frame, "type");
                if ("ping".equals(type)) send(Json.obj("type", "pong"));
                else if ("pong".equals(type)) continue;
                else if ("request".equals(type)) request(frame);
                else log.warn("ignored a message from the link agent", "type", String.valueOf(type));
            }
        } catch (Frames.FrameException e) {
            fatal(e.getMessage());
        } catch (SocketTimeoutException e) {
            close("nothing heard from the link agent in time");
        } catch (EOFException e) {
            close("the link agent closed the connection");
        } catch (IOException e) {
            close("connection error: " + e.getMessage());
        } catch (InterruptedException e) {
            close("interrupted");
        } finally {
            link.detach(this);
            close("session ended");
        }
    }

    private boolean handshake(JsonObject hello) throws InterruptedException {
        if (!"hello".equals(Json.str(hello, "type"))) {
            fatal("expected hello");
            return false;
        }
        Integer protocol = Json.integer(hello, "protocol");
        if (protocol == null || protocol != 1) {
            fatal("this bridge speaks switch-link protocol 1, not " + protocol);
            return false;
        }
        String user = Json.str(hello, "user");
        String password = Json.str(hello, "password");
        String application = Json.str(hello, "application");
        if (user == null || user.isEmpty() || password == null) {
            fatal("authentication failed: hello needs user and password");
            return false;
        }
        try {
            link.open(user, password, application != null ? application : "tserver");
        } catch (JtapiLink.AuthFailure e) {
            log.error("hello refused", "user", user, "reason", e.getMessage());
            fatal("authentication failed: " + e.getMessage());
            return false;
        }
        if (!link.waitInService(link.inServiceWaitMs())) {
            fatal("the provider is out of service");
            return false;
        }
        send(Json.obj("type", "welcome", "protocol", 1, "cluster", link.clusterName(), "provider", "IN_SERVICE", "time", Json.now()));
        link.attach(this);
        log.info("link agent welcomed", "application", String.valueOf(application));
        return true;
    }

    private void request(JsonObject frame) {
        Integer id = Json.integer(frame, "id");
        String op = Json.str(frame, "op");
        if (id == null || id < 0) {
            log.warn("ignored a request without a valid id");
            return;
        }
        if (op == null) {
            send(Json.obj("type", "response", "id", id, "ok", false, "error", Json.obj("exception", "InvalidArgumentException", "message", "missing op")));
            return;
        }
        link.execute(this, id, op, frame);
    }

    @Override
    public void send(JsonObject frame) {
        byte[] bytes;
        try {
            bytes = Frames.encode(frame);
        } catch (Frames.FrameException e) {
            if (!"response".equals(Json.str(frame, "type"))) {
                log.error("dropped a message larger than a frame", "type", String.valueOf(Json.str(frame, "type")));
                return;
            }
            // the request's answer must still come: say why it cannot
            frame = Json.obj("type", "response", "id", frame.get("id"), "ok", false,
                "error", Json.obj("exception", "ResourceUnavailableException", "message", "the result is larger than a frame (1 MiB)"));
            try {
                bytes = Frames.encode(frame);
            } catch (Frames.FrameException impossible) {
                return;
            }
        }
        synchronized (this) {
            if (closed || out == null) return;
            try {
                Frames.write(out, bytes);
            } catch (IOException e) {
                close("write failed: " + e.getMessage());
            }
        }
    }

    /** Says why and closes (an unreadable frame, a refused hello). */
    private void fatal(String message) {
        send(Json.obj("type", "error", "message", message));
        close(message);
    }

    @Override
    public void close(String reason) {
        if (closed) return;
        closed = true;
        log.info("link agent connection closed", "reason", reason);
        try {
            socket.close();
        } catch (IOException e) {
            // already gone
        }
    }
}
