package io.quicxdp.datapath.internal.linux;

import java.lang.ref.Reference;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * Ethtool queries through the {@code SIOCETHTOOL} ioctl.
 *
 * <p>The ioctl works on a socket of any family and answers for that socket's network namespace, so a
 * caller that already holds a socket in the right namespace (for example its netlink socket) passes
 * that one instead of opening another.
 */
public final class Ethtool {

    private static final long SIOCETHTOOL = 0x8946;

    private static final int ETHTOOL_GCHANNELS = 0x3c;

    /** {@code IFNAMSIZ}: the name field of {@code struct ifreq}, including its terminating NUL. */
    private static final int NAME_SIZE = 16;

    /** {@code sizeof(struct ifreq)} on 64-bit Linux: the name, then a 24-byte union. */
    private static final int IFREQ_SIZE = 40;

    /** Offset of {@code ifr_data}, the pointer to the ethtool command structure. */
    private static final int IFREQ_DATA = 16;

    /** {@code struct ethtool_channels}: the command, then eight {@code __u32} counts. */
    private static final int CHANNELS_SIZE = 36;

    private Ethtool() {
    }

    /**
     * The channel (queue) counts that {@code ethtool -l} shows, from {@code ETHTOOL_GCHANNELS}.
     *
     * @param socketFd any socket in the namespace of the interface
     * @param interfaceName the interface's name (at most 15 bytes)
     * @throws NativeIoException with {@code EOPNOTSUPP} when the driver does not report channels (such as
     *         {@code lo}), {@code ENODEV} when no such interface exists
     */
    public static Channels channels(int socketFd, String interfaceName) throws NativeIoException {
        byte[] name = interfaceName.getBytes(StandardCharsets.UTF_8);
        if (name.length >= NAME_SIZE) {
            throw new IllegalArgumentException("interface name longer than 15 bytes: " + interfaceName);
        }
        ByteBuffer channels = DirectBuffers.allocate(CHANNELS_SIZE);
        channels.putInt(0, ETHTOOL_GCHANNELS);
        ByteBuffer request = DirectBuffers.allocate(IFREQ_SIZE);
        request.put(0, name);
        request.putLong(IFREQ_DATA, DirectBuffers.address(channels));
        try {
            if (LibC.ioctl(socketFd, SIOCETHTOOL, DirectBuffers.address(request)) < 0) {
                throw new NativeIoException("ioctl(SIOCETHTOOL ETHTOOL_GCHANNELS " + interfaceName + ")",
                        LibC.errno());
            }
        }
        finally {
            // the kernel follows both addresses: neither buffer may be freed during the call
            Reference.reachabilityFence(request);
            Reference.reachabilityFence(channels);
        }
        return new Channels(channels.getInt(4), channels.getInt(8), channels.getInt(12), channels.getInt(16),
                channels.getInt(20), channels.getInt(24), channels.getInt(28), channels.getInt(32));
    }

    /**
     * A device's channel counts: the maximums the driver allows and the counts currently in use. A
     * "combined" channel is one receive and one transmit queue sharing an interrupt.
     */
    public record Channels(int maxRx, int maxTx, int maxOther, int maxCombined, int rx, int tx, int other,
            int combined) {
    }
}
