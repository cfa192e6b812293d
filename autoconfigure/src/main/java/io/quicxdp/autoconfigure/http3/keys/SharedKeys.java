package io.quicxdp.autoconfigure.http3.keys;

import java.io.IOException;
import java.io.InputStream;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.jspecify.annotations.Nullable;
import org.springframework.core.io.Resource;

/**
 * The keys of one kind an instance uses now, read from a file that every instance is given, and read again by
 * {@link #reload()}, so that they rotate without a restart. A ring is swapped in whole, never changed, so the
 * threads that use it see the old keys or the new ones.
 */
public final class SharedKeys {

    private static final Log logger = LogFactory.getLog(SharedKeys.class);

    private final KeyKind kind;

    private final Resource resource;

    private final List<Consumer<KeyRing>> listeners = new CopyOnWriteArrayList<>();

    private volatile KeyRing current;

    /** The file as last read, to tell a change, or null after a failed read; guarded by this. */
    private byte @Nullable [] lastRead;

    /** The problem last logged, so that each is logged once; guarded by this. */
    private @Nullable String lastProblem;

    private SharedKeys(KeyKind kind, Resource resource, KeyRing current, byte[] lastRead) {
        this.kind = kind;
        this.resource = resource;
        this.current = current;
        this.lastRead = lastRead;
    }

    /**
     * The keys of {@code kind} in {@code resource}.
     *
     * @throws XdpHttp3KeyFileException when the file cannot be read or is not in the format
     */
    public static SharedKeys load(KeyKind kind, Resource resource) {
        byte[] content;
        try {
            content = read(resource);
        }
        catch (IOException ex) {
            throw new XdpHttp3KeyFileException(kind, resource.getDescription(), "cannot be read: " + ex.getMessage(),
                    ex);
        }
        KeyRing keys;
        try {
            keys = KeyFile.parse(content, kind);
        }
        catch (IllegalArgumentException ex) {
            throw new XdpHttp3KeyFileException(kind, resource.getDescription(), ex.getMessage(), null);
        }
        SharedKeys shared = new SharedKeys(kind, resource, keys, content);
        logger.info(shared.describe("HTTP/3 " + kind.description() + "s from "));
        return shared;
    }

    public KeyKind kind() {
        return this.kind;
    }

    /** Where the keys are read from. */
    public Resource resource() {
        return this.resource;
    }

    /** The keys now: the first issues, all are accepted. */
    public KeyRing current() {
        return this.current;
    }

    /** Calls {@code listener} with the new ring each time {@link #reload()} swaps one in, on its thread. */
    public void onChange(Consumer<KeyRing> listener) {
        this.listeners.add(listener);
    }

    /**
     * Reads the file again and, when it changed and is well-formed, swaps its keys in and tells the listeners.
     * A file that cannot be read, or is malformed, is logged once and leaves the keys as they are, so that a
     * file being written, or a mount being updated, never takes keys away.
     *
     * @return whether the keys changed
     */
    public synchronized boolean reload() {
        Resource file = this.resource;
        byte[] content;
        try {
            content = read(file);
        }
        catch (IOException ex) {
            this.lastRead = null;
            problem(file, "cannot be read: " + ex.getMessage());
            return false;
        }
        if (Arrays.equals(content, this.lastRead)) {
            return false;
        }
        this.lastRead = content;
        KeyRing keys;
        try {
            keys = KeyFile.parse(content, this.kind);
        }
        catch (IllegalArgumentException ex) {
            problem(file, ex.getMessage());
            return false;
        }
        this.lastProblem = null;
        this.current = keys;
        this.listeners.forEach((listener) -> listener.accept(keys));
        logger.info(describe("HTTP/3 " + this.kind.description() + "s reloaded from "));
        return true;
    }

    private void problem(Resource file, String problem) {
        if (!problem.equals(this.lastProblem)) {
            this.lastProblem = problem;
            logger.warn(this.kind.property() + " names " + file.getDescription() + ", which " + problem
                    + ": the " + this.kind.description() + "s in use stay until it is fixed");
        }
    }

    private String describe(String what) {
        KeyRing keys = this.current;
        return what + this.resource.getDescription() + ": " + keys.size() + " key"
                + ((keys.size() > 1) ? "s" : "") + ", fingerprints " + keys.fingerprints() + ", the first issuing";
    }

    private static byte[] read(Resource resource) throws IOException {
        try (InputStream in = resource.getInputStream()) {
            // one byte more than a key file may have, so that a larger file is reported as such
            return in.readNBytes(KeyFile.MAX_SIZE + 1);
        }
    }
}
