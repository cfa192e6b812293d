package io.quicxdp.autoconfigure.http3.keys;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.SecureRandom;
import java.util.Base64;
import org.springframework.core.io.FileSystemResource;
import org.springframework.core.io.Resource;

/** Key files as an operator writes them, and rewrites them the way a Secret mount is updated. */
final class KeyFiles {

    private static final SecureRandom RANDOM = new SecureRandom();

    private KeyFiles() {
    }

    /** A key of {@code length} random bytes. */
    static byte[] key(int length) {
        byte[] key = new byte[length];
        RANDOM.nextBytes(key);
        return key;
    }

    /** The file's line for {@code key}, as {@code openssl rand -base64} prints it. */
    static String line(byte[] key) {
        return Base64.getEncoder().encodeToString(key) + "\n";
    }

    /** Writes {@code text} into {@code file} at once: written beside it, then moved over it. */
    static Resource write(Path file, String text) throws IOException {
        Path next = file.resolveSibling(file.getFileName() + ".next");
        Files.writeString(next, text, StandardCharsets.UTF_8);
        Files.move(next, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        return new FileSystemResource(file);
    }
}
