package io.quicxdp.datapath.internal.linux;

import java.nio.ByteBuffer;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A region of memory from {@code mmap(2)}: anonymous memory for a UMEM, or a kernel ring mapped from
 * an AF_XDP socket. The region is unmapped once, by {@link #close()}; views obtained from
 * {@link #buffer()} must not be used after that.
 */
public final class MappedMemory implements AutoCloseable {

    private static final int PROT_NONE = 0x0;
    private static final int PROT_READ = 0x1;
    private static final int PROT_WRITE = 0x2;
    private static final int MAP_SHARED = 0x01;
    private static final int MAP_PRIVATE = 0x02;
    private static final int MAP_ANONYMOUS = 0x20;
    private static final int MAP_FIXED = 0x10;
    private static final int MAP_NORESERVE = 0x4000;
    private static final int MAP_POPULATE = 0x8000;
    private static final long MAP_FAILED = -1L;

    /**
     * Inaccessible memory on each side of an anonymous region: a stray access faults instead of landing in a
     * neighbour, and the region never merges with a neighbouring mapping, so {@code /proc/PID/maps} shows each
     * UMEM as one mapping of its own size. A whole number of pages on every Linux page size.
     */
    private static final long GUARD = 64 * 1024;

    private final long address;

    private final long length;

    /** Bytes of guard mapped on each side, unmapped with the region. */
    private final long guard;

    private final ByteBuffer buffer;

    private final AtomicBoolean closed = new AtomicBoolean();

    private MappedMemory(long address, long length, long guard) {
        this.address = address;
        this.length = length;
        this.guard = guard;
        this.buffer = DirectBuffers.view(address, length);
    }

    /** Maps {@code length} bytes of zeroed, page-aligned, pre-faulted private memory, between two guards. */
    public static MappedMemory anonymous(long length) throws NativeIoException {
        long reserved = LibC.mmap(0, length + 2 * GUARD, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
                -1, 0);
        if (reserved == MAP_FAILED) {
            throw new NativeIoException("mmap(" + length + " bytes)", LibC.errno());
        }
        long address = LibC.mmap(reserved + GUARD, length, PROT_READ | PROT_WRITE,
                MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED | MAP_POPULATE, -1, 0);
        if (address == MAP_FAILED) {
            NativeIoException failure = new NativeIoException("mmap(" + length + " bytes)", LibC.errno());
            LibC.munmap(reserved, length + 2 * GUARD);
            throw failure;
        }
        return new MappedMemory(address, length, GUARD);
    }

    /** Maps {@code length} bytes of {@code fd} at {@code offset}, shared with the kernel. */
    public static MappedMemory shared(int fd, long offset, long length, String what) throws NativeIoException {
        long address = LibC.mmap(0, length, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd, offset);
        if (address == MAP_FAILED) {
            throw new NativeIoException("mmap(" + what + ")", LibC.errno());
        }
        return new MappedMemory(address, length, 0);
    }

    /** The native address of the first byte. */
    public long address() {
        return address;
    }

    /** The length in bytes. */
    public long length() {
        return length;
    }

    /** A direct buffer over the whole region, in big-endian order with position 0. */
    public ByteBuffer buffer() {
        return buffer.duplicate();
    }

    /**
     * Swaps the region, at the same address, for private anonymous memory: whatever was mapped there (a
     * kernel ring) is let go at once, while a thread still reading or writing the region touches harmless
     * memory instead of faulting. {@link #close()} unmaps the replacement as usual.
     */
    public void replaceWithAnonymous() throws NativeIoException {
        if (closed.get()) {
            return;
        }
        long result = LibC.mmap(address, length, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1,
                0);
        if (result == MAP_FAILED) {
            throw new NativeIoException("mmap(MAP_FIXED anonymous)", LibC.errno());
        }
    }

    /** Unmaps the region; later calls do nothing. */
    @Override
    public void close() {
        if (closed.compareAndSet(false, true)) {
            LibC.munmap(address - guard, length + 2 * guard);
        }
    }
}
