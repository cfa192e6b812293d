package io.quicxdp.datapath.internal.bpf;

import io.quicxdp.datapath.internal.linux.Bpf;
import io.quicxdp.datapath.internal.linux.FileDescriptor;
import io.quicxdp.datapath.internal.linux.FileDescriptors;
import io.quicxdp.datapath.internal.linux.NativeIoException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A BPF map held through a file descriptor this object owns. The map lives on while the kernel holds other
 * references to it (a pin, a loaded program), so closing this object only releases this process's handle.
 *
 * <p>The element operations take 4-byte keys and values, as XSKMAPs and the small arrays used here have, or
 * byte arrays of the map's own key and value sizes.
 */
public final class BpfMap implements AutoCloseable {

    /** Update flag: create the element or replace its value. */
    public static final long BPF_ANY = 0;

    /** Update flag: create the element only if the key has none ({@code EEXIST} otherwise). */
    public static final long BPF_NOEXIST = 1;

    /** Update flag: replace the element only if the key has one ({@code ENOENT} otherwise). */
    public static final long BPF_EXIST = 2;

    private final FileDescriptor fd;

    private BpfMap(int fd) {
        this.fd = new FileDescriptor(fd, "BPF map");
    }

    /**
     * Creates a map.
     *
     * @param name at most 15 letters, digits, {@code _} or {@code .}; {@code bpftool map show} lists it
     */
    public static BpfMap create(BpfMapType type, int keySize, int valueSize, int maxEntries, String name)
            throws NativeIoException {
        return new BpfMap(Bpf.mapCreate(type.id(), keySize, valueSize, maxEntries, 0, name));
    }

    /** Opens the map pinned at {@code path} for reading and writing. */
    public static BpfMap openPinned(Path path) throws IOException {
        return openPinned(path, PinAccess.READ_WRITE);
    }

    /**
     * Opens the map pinned at {@code path}.
     *
     * @throws NativeIoException from {@code BPF_OBJ_GET}: {@code ENOENT} when nothing is at the path,
     *         {@code EACCES} when the file there is not a BPF object or the access is not allowed
     * @throws BpfSetupException ({@link BpfSetupException.Problem#WRONG_OBJECT}) when the pin is a program or
     *         a link rather than a map
     */
    public static BpfMap openPinned(Path path, PinAccess access) throws IOException {
        return checked(Bpf.objGet(path.toString(), access.fileFlags()), path + " holds a pinned ");
    }

    /**
     * Takes ownership of a map descriptor that came from elsewhere, for example over a unix socket.
     *
     * @param from where the descriptor came from, for the error
     * @throws BpfSetupException ({@link BpfSetupException.Problem#WRONG_OBJECT}) when the descriptor is not a
     *         BPF map; it is closed then
     */
    public static BpfMap adopt(int fd, String from) throws IOException {
        return checked(fd, "the descriptor from " + from + " is ");
    }

    /** Wraps {@code fd} once it is known to be a map; closes it otherwise, saying "{@code what} KIND". */
    private static BpfMap checked(int fd, String what) throws IOException {
        String kind;
        try {
            // an anonymous inode named after the object's kind: bpf-map, bpf-prog or bpf_link
            kind = Files.readSymbolicLink(Path.of("/proc/self/fd/" + fd)).toString();
        }
        catch (IOException ex) {
            FileDescriptors.closeQuietly(fd);
            throw ex;
        }
        if (!kind.equals("anon_inode:bpf-map")) {
            FileDescriptors.closeQuietly(fd);
            throw new BpfSetupException(BpfSetupException.Problem.WRONG_OBJECT,
                    what + kind.replace("anon_inode:", "") + ", not a BPF map", null);
        }
        return new BpfMap(fd);
    }

    /** What the kernel reports about this map. */
    public BpfMapInfo info() throws NativeIoException {
        Bpf.MapInfo info = Bpf.mapInfo(fd.intValue());
        return new BpfMapInfo(info.id(), info.type(), info.keySize(), info.valueSize(), info.maxEntries(),
                info.flags(), info.name());
    }

    /**
     * What the kernel reports about this map, after checking that it is an XSKMAP.
     *
     * @throws BpfSetupException ({@link BpfSetupException.Problem#WRONG_OBJECT}) when it is another type
     */
    BpfMapInfo requireXskMap() throws IOException {
        BpfMapInfo info = info();
        if (!info.is(BpfMapType.XSKMAP)) {
            throw new BpfSetupException(BpfSetupException.Problem.WRONG_OBJECT, "map " + info.id() + " ("
                    + info.name() + ") is a " + info.typeName() + ", not an XSKMAP", null);
        }
        return info;
    }

    /**
     * Sets the value at {@code key}; for an XSKMAP the value is an AF_XDP socket's descriptor.
     *
     * @param flags {@link #BPF_ANY}, {@link #BPF_NOEXIST} or {@link #BPF_EXIST}
     */
    public void update(int key, int value, long flags) throws NativeIoException {
        Bpf.mapUpdate(fd.intValue(), key, value, flags);
    }

    /**
     * Sets the value at {@code key}, both of the sizes the map was created with.
     *
     * @param flags {@link #BPF_ANY}, {@link #BPF_NOEXIST} or {@link #BPF_EXIST}
     * @throws IllegalArgumentException when the key or the value has another size than the map's
     */
    public void update(byte[] key, byte[] value, long flags) throws NativeIoException {
        BpfMapInfo info = info();
        checkSize("key", key, info.keySize());
        checkSize("value", value, info.valueSize());
        Bpf.mapUpdate(fd.intValue(), key, value, flags);
    }

    /**
     * The value at {@code key}, which has the map's key size.
     *
     * @throws NativeIoException {@code ENOENT} when there is none
     * @throws IllegalArgumentException when the key has another size than the map's
     */
    public byte[] lookup(byte[] key) throws NativeIoException {
        BpfMapInfo info = info();
        checkSize("key", key, info.keySize());
        return Bpf.mapLookup(fd.intValue(), key, info.valueSize());
    }

    private static void checkSize(String what, byte[] bytes, int size) {
        if (bytes.length != size) {
            throw new IllegalArgumentException("the map's " + what + "s have " + size + " bytes, not " + bytes.length);
        }
    }

    /** Removes the element at {@code key}; {@code ENOENT} when there is none. */
    public void delete(int key) throws NativeIoException {
        Bpf.mapDelete(fd.intValue(), key);
    }

    /**
     * The value at {@code key}.
     *
     * @throws NativeIoException {@code ENOENT} when there is none; {@code EOPNOTSUPP} for an XSKMAP, which user
     *         space cannot read (see {@link XskMapProbe})
     */
    public int lookup(int key) throws NativeIoException {
        return Bpf.mapLookup(fd.intValue(), key);
    }

    /** Pins the map at {@code path}, which must be on bpffs and must not exist yet. */
    public void pin(Path path) throws NativeIoException {
        Bpf.objPin(fd.intValue(), path.toString());
    }

    /** The file descriptor, valid until {@link #close()}. */
    public int fd() {
        return fd.intValue();
    }

    /** Releases this process's descriptor; later calls do nothing. */
    @Override
    public void close() {
        fd.close();
    }
}
