package tserver.jtapibridge;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * docs/switch-link.md "Paged results": a result larger than a page is cut into pages whose arrays,
 * joined in order, give the result (`addresses` of every page, then `calls`); an element (a call with
 * its connections) is never split.
 */
final class Pages {
    /** The simulator's page size: half a frame, so that a page always fits. */
    static final int PAGE_BYTES = 512 * 1024;

    private Pages() {}

    static List<JsonObject> split(JsonObject result, int pageBytes) {
        List<JsonObject> pages = new ArrayList<>();
        if (bytes(result) <= pageBytes) {
            pages.add(result);
            return pages;
        }
        JsonObject page = emptyLike(result);
        int size = bytes(page);
        for (Map.Entry<String, JsonElement> member : result.entrySet()) {
            if (!member.getValue().isJsonArray()) continue;
            for (JsonElement element : member.getValue().getAsJsonArray()) {
                int n = bytes(element) + 1;
                if (size + n > pageBytes && size > bytes(emptyLike(result))) {
                    pages.add(page);
                    page = emptyLike(result);
                    size = bytes(page);
                }
                page.getAsJsonArray(member.getKey()).add(element);
                size += n;
            }
        }
        pages.add(page);
        return pages;
    }

    /** The result's non-array members, and each array member empty. */
    private static JsonObject emptyLike(JsonObject result) {
        JsonObject o = new JsonObject();
        for (Map.Entry<String, JsonElement> member : result.entrySet()) {
            o.add(member.getKey(), member.getValue().isJsonArray() ? new JsonArray() : member.getValue());
        }
        return o;
    }

    private static int bytes(JsonElement e) {
        return e.toString().getBytes(StandardCharsets.UTF_8).length;
    }
}
