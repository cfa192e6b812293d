package io.quicxdp.datapath.testing;

import io.quicxdp.datapath.internal.linux.DirectBuffers;
import io.quicxdp.datapath.internal.linux.FileDescriptors;
import io.quicxdp.datapath.internal.linux.InterfaceIndexes;
import io.quicxdp.datapath.internal.linux.NativeIoException;
import io.quicxdp.datapath.internal.linux.Sockets;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A raw {@code AF_PACKET} socket on the peer's veth end, in the peer namespace: it sends whole Ethernet frames
 * as given, lying length fields and all, which the app end receives as they are. Also knows both ends' MACs
 * and can raise both ends' MTU, for frames larger than 1514 bytes.
 */
public final class PeerFrameSocket implements AutoCloseable {

    private static final int AF_PACKET = 17;

    /** {@code struct sockaddr_ll}: u16 family, be16 protocol, s32 ifindex, u16 hatype, u8 pkttype, u8 halen, u8[8]. */
    private static final int SOCKADDR_LL_SIZE = 20;

    private static final Pattern ETHER = Pattern.compile("link/ether ([0-9a-f:]{17})");

    private final VethNamespace net;

    private final int fd;

    private final ByteBuffer address = DirectBuffers.allocate(SOCKADDR_LL_SIZE).order(ByteOrder.nativeOrder());

    private final ByteBuffer frame = DirectBuffers.allocate(65536);

    private final long appMac;

    private final long peerMac;

    private PeerFrameSocket(VethNamespace net, int fd, int ifindex) throws Exception {
        this.net = net;
        this.fd = fd;
        address.putShort(0, (short) AF_PACKET).putInt(4, ifindex);
        this.appMac = mac(Files.readString(Path.of("/sys/class/net", net.appInterface(), "address")));
        Matcher peer = ETHER.matcher(net.runInPeer("ip", "-o", "link", "show", "dev", net.peerInterface()));
        if (!peer.find()) {
            throw new IllegalStateException("no MAC for " + net.peerInterface());
        }
        this.peerMac = mac(peer.group(1));
    }

    /** Opens the socket in {@code net}'s peer namespace, on its veth end. */
    public static PeerFrameSocket open(VethNamespace net) throws Exception {
        int[] opened = net.inPeer(() -> new int[] {Sockets.open(AF_PACKET, Sockets.SOCK_RAW, 0, "AF_PACKET"),
                InterfaceIndexes.of(net.peerInterface())});
        try {
            return new PeerFrameSocket(net, opened[0], opened[1]);
        }
        catch (Exception | Error ex) {
            FileDescriptors.closeQuietly(opened[0]);
            throw ex;
        }
    }

    /** The app end's MAC, in the low 48 bits: the destination of the frames sent here. */
    public long appMac() {
        return appMac;
    }

    /** The peer end's MAC, in the low 48 bits: the source of the frames sent here. */
    public long peerMac() {
        return peerMac;
    }

    /** Sets the MTU of both veth ends, so that frames of up to {@code mtu + 14} bytes pass. */
    public void mtu(int mtu) {
        Commands.run("ip", "link", "set", "dev", net.appInterface(), "mtu", Integer.toString(mtu));
        net.runInPeer("ip", "link", "set", "dev", net.peerInterface(), "mtu", Integer.toString(mtu));
    }

    /**
     * Sends the first {@code length} bytes of {@code bytes} as one frame, exactly as they are.
     *
     * @throws NativeIoException when the kernel refuses it, {@code EMSGSIZE} for a frame over the MTU
     */
    public void send(byte[] bytes, int length) throws NativeIoException {
        frame.clear().put(bytes, 0, length);
        // the ethertype, in network order, as the protocol the frame is handed to the device with
        address.put(2, length >= 14 ? bytes[12] : 0).put(3, length >= 14 ? bytes[13] : 0);
        Sockets.sendTo(fd, frame, length, address, SOCKADDR_LL_SIZE, "AF_PACKET frame");
    }

    /** Sends the whole of {@code bytes} as one frame. */
    public void send(byte[] bytes) throws NativeIoException {
        send(bytes, bytes.length);
    }

    @Override
    public void close() {
        FileDescriptors.closeQuietly(fd);
    }

    private static long mac(String text) {
        return Long.parseLong(text.strip().replace(":", ""), 16);
    }

    @Override
    public String toString() {
        return "PeerFrameSocket[" + net.peerInterface() + " " + HexFormat.of().toHexDigits(peerMac).substring(4)
                + " -> " + HexFormat.of().toHexDigits(appMac).substring(4) + "]";
    }
}
