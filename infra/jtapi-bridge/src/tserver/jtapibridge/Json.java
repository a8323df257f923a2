package tserver.jtapibridge;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;

/** Small helpers over Gson's tree model. */
final class Json {
    private static final DateTimeFormatter ISO_MS = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSS'Z'").withZone(ZoneOffset.UTC);

    private Json() {}

    static JsonObject obj(Object... pairs) {
        JsonObject o = new JsonObject();
        for (int i = 0; i + 1 < pairs.length; i += 2) put(o, (String) pairs[i], pairs[i + 1]);
        return o;
    }

    static void put(JsonObject o, String key, Object value) {
        if (value == null) return;
        if (value instanceof JsonElement) o.add(key, (JsonElement) value);
        else if (value instanceof String) o.addProperty(key, (String) value);
        else if (value instanceof Number) o.addProperty(key, (Number) value);
        else if (value instanceof Boolean) o.addProperty(key, (Boolean) value);
        else throw new IllegalArgumentException("not JSON: " + value.getClass());
    }

    /** A string member, or null when absent or not a string. */
    static String str(JsonObject o, String key) {
        JsonElement e = o.get(key);
        return e != null && e.isJsonPrimitive() && e.getAsJsonPrimitive().isString() ? e.getAsString() : null;
    }

    static Integer integer(JsonObject o, String key) {
        JsonElement e = o.get(key);
        if (e == null || !e.isJsonPrimitive() || !e.getAsJsonPrimitive().isNumber()) return null;
        double d = e.getAsDouble();
        return d == Math.rint(d) && Math.abs(d) <= Integer.MAX_VALUE ? (int) d : null;
    }

    static Boolean bool(JsonObject o, String key) {
        JsonElement e = o.get(key);
        return e != null && e.isJsonPrimitive() && e.getAsJsonPrimitive().isBoolean() ? e.getAsBoolean() : null;
    }

    /** ISO 8601 with milliseconds, as the protocol's `time`. */
    static String now() {
        return ISO_MS.format(Instant.now());
    }
}
