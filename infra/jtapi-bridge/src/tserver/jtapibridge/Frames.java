package tserver.jtapibridge;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import com.google.gson.JsonSyntaxException;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;

/** docs/switch-link.md framing: a 4-byte big-endian length, then that many bytes of UTF-8 JSON (one object). */
final class Frames {
    /** Largest frame either side accepts (shared/switch-link.ts MAX_FRAME_BYTES). */
    static final int MAX_FRAME_BYTES = 1024 * 1024;

    private Frames() {}

    /** A frame the peer sent that breaks the framing rules: the link closes after saying why. */
    static final class FrameException extends IOException {
        FrameException(String message) { super(message); }
    }

    /** The next frame's object; throws EOFException at the end of the stream. */
    static JsonObject read(DataInputStream in) throws IOException {
        int length = in.readInt();
        if (length < 0 || length > MAX_FRAME_BYTES) throw new FrameException("frame of " + (length & 0xffffffffL) + " bytes is larger than " + MAX_FRAME_BYTES);
        byte[] bytes = new byte[length];
        in.readFully(bytes);
        JsonElement parsed;
        try {
            parsed = JsonParser.parseString(new String(bytes, StandardCharsets.UTF_8));
        } catch (JsonSyntaxException e) {
            throw new FrameException("frame is not JSON");
        }
        if (!parsed.isJsonObject()) throw new FrameException("frame is not a JSON object");
        return parsed.getAsJsonObject();
    }

    static byte[] encode(JsonObject message) throws FrameException {
        byte[] bytes = message.toString().getBytes(StandardCharsets.UTF_8);
        if (bytes.length > MAX_FRAME_BYTES) throw new FrameException("message of " + bytes.length + " bytes is larger than a frame");
        return bytes;
    }

    static void write(DataOutputStream out, byte[] json) throws IOException {
        out.writeInt(json.length);
        out.write(json);
        out.flush();
    }
}
