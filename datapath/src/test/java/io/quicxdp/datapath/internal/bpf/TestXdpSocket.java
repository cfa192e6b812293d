package io.quicxdp.datapath.internal.bpf;

import io.quicxdp.datapath.internal.linux.DirectBuffers;
import io.quicxdp.datapath.internal.linux.FileDescriptors;
import io.quicxdp.datapath.internal.linux.MappedMemory;
import io.quicxdp.datapath.internal.linux.NativeIoException;
import io.quicxdp.datapath.internal.linux.Sockets;
import java.nio.ByteBuffer;

/**
 * The least AF_XDP socket an XSKMAP accepts, for tests only: a small UMEM, fill, completion and RX rings of
 * 16 entries (never mapped, as nothing is received), bound in copy mode to one queue of an interface.
 */
final class TestXdpSocket implements AutoCloseable {

    private static final int SOL_XDP = 283;
    private static final int XDP_RX_RING = 2;
    private static final int XDP_UMEM_REG = 4;
    private static final int XDP_UMEM_FILL_RING = 5;
    private static final int XDP_UMEM_COMPLETION_RING = 6;
    private static final short XDP_COPY = 1 << 1;
    private static final int FRAME_SIZE = 4096;
    private static final int FRAMES = 16;

    private final int fd;

    private final MappedMemory umem;

    private TestXdpSocket(int fd, MappedMemory umem) {
        this.fd = fd;
        this.umem = umem;
    }

    /** A socket straight from {@code socket(AF_XDP, SOCK_RAW, 0)}, with no UMEM, rings or binding. */
    static TestXdpSocket unbound() throws NativeIoException {
        return new TestXdpSocket(Sockets.open(Sockets.AF_XDP, Sockets.SOCK_RAW, 0, "AF_XDP"), null);
    }

    /** A socket bound to receive queue {@code queue} of interface {@code ifindex}. */
    static TestXdpSocket bound(int ifindex, int queue) throws NativeIoException {
        int fd = Sockets.open(Sockets.AF_XDP, Sockets.SOCK_RAW, 0, "AF_XDP");
        MappedMemory umem = null;
        try {
            umem = MappedMemory.anonymous((long) FRAME_SIZE * FRAMES);
            // struct xdp_umem_reg: addr@0, len@8, chunk_size@16, headroom@20, flags@24, tx_metadata_len@28
            ByteBuffer registration = DirectBuffers.allocate(32);
            registration.putLong(0, umem.address()).putLong(8, umem.length()).putInt(16, FRAME_SIZE);
            Sockets.setOption(fd, SOL_XDP, XDP_UMEM_REG, registration, 32, "XDP_UMEM_REG");
            Sockets.setOption(fd, SOL_XDP, XDP_UMEM_FILL_RING, FRAMES, "XDP_UMEM_FILL_RING");
            Sockets.setOption(fd, SOL_XDP, XDP_UMEM_COMPLETION_RING, FRAMES, "XDP_UMEM_COMPLETION_RING");
            Sockets.setOption(fd, SOL_XDP, XDP_RX_RING, FRAMES, "XDP_RX_RING");
            // struct sockaddr_xdp: family@0, flags@2, ifindex@4, queue_id@8, shared_umem_fd@12
            ByteBuffer address = DirectBuffers.allocate(16);
            address.putShort(0, (short) Sockets.AF_XDP).putShort(2, XDP_COPY).putInt(4, ifindex).putInt(8, queue);
            Sockets.bind(fd, address, 16, "AF_XDP queue " + queue);
            return new TestXdpSocket(fd, umem);
        }
        catch (NativeIoException | RuntimeException ex) {
            FileDescriptors.closeQuietly(fd);
            if (umem != null) {
                umem.close();
            }
            throw ex;
        }
    }

    int fd() {
        return fd;
    }

    @Override
    public void close() {
        FileDescriptors.closeQuietly(fd);
        if (umem != null) {
            umem.close();
        }
    }
}
