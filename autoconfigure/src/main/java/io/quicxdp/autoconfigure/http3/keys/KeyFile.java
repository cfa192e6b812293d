package io.quicxdp.autoconfigure.http3.keys;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;

/**
 * The key file format: UTF-8 text, one key a line in base64 ({@code openssl rand -base64 N}), the key that
 * issues first; blank lines and lines that start with {@code #} are skipped.
 */
final class KeyFile {

    /** Far more than any key file needs: a file this large is not one. */
    static final int MAX_SIZE = 64 * 1024;

    private KeyFile() {
    }

    /**
     * The keys of {@code content}.
     *
     * @throws IllegalArgumentException saying what is wrong and on which line, without any key material
     */
    static KeyRing parse(byte[] content, KeyKind kind) {
        if (content.length > MAX_SIZE) {
            throw new IllegalArgumentException("is longer than a key file's " + MAX_SIZE + " bytes");
        }
        String text;
        try {
            text = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(content)).toString();
        }
        catch (CharacterCodingException ex) {
            throw new IllegalArgumentException("is not text (UTF-8)");
        }
        List<byte[]> keys = new ArrayList<>();
        String[] lines = text.split("\r?\n", -1);
        for (int number = 1; number <= lines.length; number++) {
            String line = lines[number - 1].strip();
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            byte[] key;
            try {
                key = Base64.getDecoder().decode(line);
            }
            catch (IllegalArgumentException ex) {
                throw new IllegalArgumentException("line " + number + " is not base64");
            }
            if (key.length != kind.length()) {
                throw new IllegalArgumentException("line " + number + " holds " + key.length + " bytes, where a "
                        + kind.description() + " has " + kind.length());
            }
            keys.add(key);
        }
        if (keys.isEmpty()) {
            throw new IllegalArgumentException("holds no key");
        }
        if (!kind.several() && keys.size() > 1) {
            throw new IllegalArgumentException("holds " + keys.size() + " keys, where it takes exactly one");
        }
        return new KeyRing(keys);
    }
}
