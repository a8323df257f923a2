package tserver.jtapibridge;

import com.google.gson.JsonObject;

/** One JSON line per message on standard error (the link agent's supervisor relays them). Never given secrets. */
final class Log {
    private final String link;

    Log(String link) { this.link = link; }

    void info(String msg, Object... fields) { write("info", msg, fields); }
    void warn(String msg, Object... fields) { write("warn", msg, fields); }
    void error(String msg, Object... fields) { write("error", msg, fields); }
    void debug(String msg, Object... fields) { if (DEBUG) write("debug", msg, fields); }

    private static final boolean DEBUG = "debug".equals(System.getenv("JTAPI_BRIDGE_LOG"));

    private void write(String level, String msg, Object[] fields) {
        JsonObject o = Json.obj(fields);
        o.addProperty("level", level);
        o.addProperty("time", Json.now());
        if (link != null) o.addProperty("link", link);
        o.addProperty("msg", msg);
        synchronized (System.err) {
            System.err.println(o);
            System.err.flush();
        }
    }
}
