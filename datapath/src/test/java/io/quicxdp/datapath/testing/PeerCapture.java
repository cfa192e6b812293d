package io.quicxdp.datapath.testing;

import io.quicxdp.datapath.internal.linux.DirectBuffers;
import io.quicxdp.datapath.internal.linux.FileDescriptors;
import io.quicxdp.datapath.internal.linux.InterfaceIndexes;
import io.quicxdp.datapath.internal.linux.NativeIoException;
import io.quicxdp.datapath.internal.linux.Sockets;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;

/**
 * What arrives on an interface from UDP port {@code port}, read on the wire: an {@code AF_PACKET} socket on the
 * interface that sees every frame the interface receives (none it sends: {@code PACKET_IGNORE_OUTGOING}), read on
 * a thread of its own, each UDP datagram from the port handed to a {@link Listener}. Open it in the peer namespace
 * on the peer's veth end (from a thread there, or a process started with {@code ip netns exec}) to see what the
 * service sent, per destination, before the peer's own stack sees it.
 *
 * <p>The kernel's count of frames the socket had no room for ({@code PACKET_STATISTICS}) says whether the capture
 * kept up: {@link #kernelDrops()}.
 */
public final class PeerCapture implements AutoCloseable {

    /** Receives each captured datagram on the capture's thread. */
    @FunctionalInterface
    public interface Listener {

        /**
         * One UDP datagram from the port.
         *
         * @param frame the frame, its bytes from index 0 (read with absolute gets; valid during the call only)
         * @param destination the offset of the destination address in {@code frame}
         * @param addressLength 4 (IPv4) or 16 (IPv6)
         * @param payload the offset of the UDP payload
         * @param payloadLength its length, as the UDP header says
         */
        void datagram(ByteBuffer frame, int destination, int addressLength, int payload, int payloadLength);
    }

    private static final int AF_PACKET = 17;

    private static final int ETH_P_ALL = 0x0003;

    private static final int SOL_PACKET = 263;

    private static final int PACKET_STATISTICS = 6;

    private static final int PACKET_IGNORE_OUTGOING = 23;

    private static final int SO_RCVBUFFORCE = 33;

    private static final int SOCKADDR_LL_SIZE = 20;

    private final int fd;

    private final int port;

    private final Listener listener;

    private final Thread reader;

    private final AtomicLong frames = new AtomicLong();

    private final AtomicLong drops = new AtomicLong();

    private volatile boolean running = true;

    private boolean closed;

    private PeerCapture(int fd, int port, Listener listener, String interfaceName) {
        this.fd = fd;
        this.port = port;
        this.listener = listener;
        this.reader = new Thread(this::read, "capture-" + interfaceName);
        this.reader.setDaemon(true);
    }

    /**
     * Opens the capture on {@code interfaceName} of the calling thread's network namespace and starts reading.
     *
     * @param port the UDP source port whose datagrams are handed on
     */
    public static PeerCapture open(String interfaceName, int port, Listener listener) throws NativeIoException {
        int protocol = Short.reverseBytes((short) ETH_P_ALL) & 0xffff;
        int fd = Sockets.open(AF_PACKET, Sockets.SOCK_RAW, protocol, "AF_PACKET capture");
        try {
            Sockets.setOption(fd, SOL_PACKET, PACKET_IGNORE_OUTGOING, 1, "PACKET_IGNORE_OUTGOING");
            Sockets.setOption(fd, Sockets.SOL_SOCKET, SO_RCVBUFFORCE, 64 << 20, "SO_RCVBUFFORCE");
            Sockets.setTimeout(fd, Sockets.SO_RCVTIMEO, Duration.ofMillis(100));
            ByteBuffer address = DirectBuffers.allocate(SOCKADDR_LL_SIZE).order(ByteOrder.nativeOrder());
            address.putShort(0, (short) AF_PACKET).putShort(2, (short) protocol)
                .putInt(4, InterfaceIndexes.of(interfaceName));
            Sockets.bind(fd, address, SOCKADDR_LL_SIZE, "AF_PACKET capture on " + interfaceName);
            PeerCapture capture = new PeerCapture(fd, port, listener, interfaceName);
            capture.reader.start();
            return capture;
        }
        catch (NativeIoException | RuntimeException ex) {
            FileDescriptors.closeQuietly(fd);
            throw ex;
        }
    }

    /** Frames read so far, from any port. */
    public long frames() {
        return frames.get();
    }

    /** Frames the kernel dropped because the capture did not read fast enough; 0 when it saw everything. */
    public long kernelDrops() {
        return drops.get();
    }

    /** Stops reading, after the frames already queued, within about {@code linger}, and closes the socket. */
    public void close(Duration linger) throws InterruptedException {
        Thread.sleep(linger.toMillis());
        close();
    }

    /** Stops reading and closes the socket; once, whoever calls it again. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        running = false;
        try {
            reader.join(2000);
        }
        catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
        }
        FileDescriptors.closeQuietly(fd);
    }

    private void read() {
        ByteBuffer frame = DirectBuffers.allocate(65536).order(ByteOrder.BIG_ENDIAN);
        ByteBuffer statistics = DirectBuffers.allocate(8).order(ByteOrder.nativeOrder());
        while (running) {
            long length = Sockets.receive(fd, frame);
            if (length > 0) {
                frames.incrementAndGet();
                handle(frame, (int) Math.min(length, frame.capacity()));
            }
            else if (length < 0 && !running) {
                break;
            }
            if (length <= 0 || frames.get() % 4096 == 0) {
                countDrops(statistics);
            }
        }
        countDrops(statistics);
    }

    /** Adds the kernel's drop count since the last read: reading the statistics resets them. */
    private void countDrops(ByteBuffer statistics) {
        try {
            Sockets.getOption(fd, SOL_PACKET, PACKET_STATISTICS, statistics, "PACKET_STATISTICS");
            drops.addAndGet(statistics.getInt(4) & 0xffffffffL);
        }
        catch (NativeIoException ex) {
            // closed meanwhile
        }
    }

    private void handle(ByteBuffer frame, int length) {
        if (length < 14) {
            return;
        }
        int etherType = frame.getShort(12) & 0xffff;
        int ip = 14;
        int udp;
        int destination;
        int addressLength;
        if (etherType == 0x0800 && length >= ip + 20 && frame.get(ip + 9) == 17) {
            udp = ip + (frame.get(ip) & 0x0f) * 4;
            destination = ip + 16;
            addressLength = 4;
        }
        else if (etherType == 0x86dd && length >= ip + 40 && frame.get(ip + 6) == 17) {
            udp = ip + 40;
            destination = ip + 24;
            addressLength = 16;
        }
        else {
            return;
        }
        if (length < udp + 8 || (frame.getShort(udp) & 0xffff) != port) {
            return;
        }
        int payloadLength = (frame.getShort(udp + 4) & 0xffff) - 8;
        if (payloadLength >= 0 && udp + 8 + payloadLength <= length) {
            listener.datagram(frame, destination, addressLength, udp + 8, payloadLength);
        }
    }
}
