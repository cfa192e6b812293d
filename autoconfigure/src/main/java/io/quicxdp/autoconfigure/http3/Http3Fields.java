package io.quicxdp.autoconfigure.http3;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http3.Http3Headers;
import io.netty.util.AsciiString;
import java.util.Map;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import org.jspecify.annotations.Nullable;

/**
 * HTTP/3 field names and values as RFC 9114 (4.2) wants them: names in lower case, no connection-specific fields,
 * values without control characters or surrounding white space.
 */
final class Http3Fields {

    /** Fields that belong to an HTTP/1.1 connection: a message with one is malformed in HTTP/3. */
    private static final List<AsciiString> CONNECTION_SPECIFIC = List.of(HttpHeaderNames.CONNECTION,
            HttpHeaderNames.KEEP_ALIVE, HttpHeaderNames.PROXY_CONNECTION, HttpHeaderNames.TRANSFER_ENCODING,
            HttpHeaderNames.UPGRADE);

    /** Names looked up or written so far, lower-cased once each: an application uses a few dozen. */
    private static final Map<String, AsciiString> LOWER_CASE = new ConcurrentHashMap<>();

    private static final int MAX_CACHED_NAMES = 512;

    private Http3Fields() {
    }

    /** {@code name} in lower case, as HTTP/3 sends and compares field names. */
    static AsciiString name(String name) {
        AsciiString lower = LOWER_CASE.get(name);
        if (lower == null) {
            lower = AsciiString.of(name).toLowerCase();
            if (LOWER_CASE.size() < MAX_CACHED_NAMES) {
                LOWER_CASE.put(name, lower);
            }
        }
        return lower;
    }

    /** Removes the fields that a message may not carry over HTTP/3. */
    static void removeConnectionSpecific(Http3Headers fields) {
        for (AsciiString name : CONNECTION_SPECIFIC) {
            fields.remove(name);
        }
    }

    /** A direct buffer holding a DATA frame's header for {@code length} bytes of data: its type and length. */
    static ByteBuf dataFrameHeader(ByteBufAllocator allocator, int length) {
        return dataFrameHeader(allocator, length, 0);
    }

    /** As {@link #dataFrameHeader(ByteBufAllocator, int)}, with room for {@code room} bytes after it. */
    static ByteBuf dataFrameHeader(ByteBufAllocator allocator, int length, int room) {
        ByteBuf header = allocator.directBuffer(9 + room);
        // the frame type DATA (0x00), then the length as a QUIC variable-length integer (RFC 9000, 16)
        header.writeByte(0x00);
        if (length < (1 << 6)) {
            header.writeByte(length);
        }
        else if (length < (1 << 14)) {
            header.writeShort(0x4000 | length);
        }
        else if (length < (1 << 30)) {
            header.writeInt(0x80000000 | length);
        }
        else {
            header.writeLong(0xC000000000000000L | length);
        }
        return header;
    }

    /**
     * What makes a request's fields malformed beyond what Netty's HTTP/3 codec checks (pseudo-fields, upper-case
     * names, connection-specific fields): a name that is not an HTTP token, a value with NUL, CR or LF or with white
     * space around it (RFC 9114, 4.2; RFC 9110, 5.5).
     *
     * @return why the fields are malformed, or {@code null} if they are not
     */
    static @Nullable String malformed(Http3Headers fields) {
        for (Map.Entry<CharSequence, CharSequence> field : fields) {
            CharSequence name = field.getKey();
            if (name.length() > 0 && name.charAt(0) == ':') {
                continue;
            }
            if (!token(name)) {
                return "the field name '" + name + "' is not a token";
            }
            if (!value(field.getValue())) {
                return "the value of the field '" + name + "' has a control character or white space around it";
            }
        }
        return null;
    }

    private static boolean token(CharSequence name) {
        if (name.length() == 0) {
            return false;
        }
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            boolean allowed = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.'
                    || c == '!' || c == '#' || c == '$' || c == '%' || c == '&' || c == '\'' || c == '*' || c == '+'
                    || c == '^' || c == '`' || c == '|' || c == '~';
            if (!allowed) {
                return false;
            }
        }
        return true;
    }

    private static boolean value(CharSequence value) {
        int length = value.length();
        if (length > 0 && (blank(value.charAt(0)) || blank(value.charAt(length - 1)))) {
            return false;
        }
        for (int i = 0; i < length; i++) {
            char c = value.charAt(i);
            if (c == 0 || c == '\r' || c == '\n') {
                return false;
            }
        }
        return true;
    }

    private static boolean blank(char c) {
        return c == ' ' || c == '\t';
    }
}
