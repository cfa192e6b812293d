package io.quicxdp.datapath.state;

import java.util.Map;

/**
 * A snapshot of one AF_XDP socket, read without stopping traffic.
 *
 * @param interfaceName the interface the socket is bound to
 * @param queueId the receive queue it is bound to, which is also its key in the XSKMAP
 * @param bindMode {@code zero-copy} or {@code copy}, as the driver runs it
 * @param bound whether the socket is open and bound
 * @param inMap whether the datapath has the socket in the XSKMAP (inserted and not removed since)
 * @param rxPackets frames taken from the RX ring, dropped ones included
 * @param rxBytes bytes of those frames, Ethernet header included
 * @param rxPartialChecksum received datagrams accepted with the partial UDP checksum of a sender on this
 *     host with TX checksum offload ({@link io.quicxdp.datapath.config.UdpChecksumPolicy#ACCEPT_PARTIAL});
 *     counted whether or not an endpoint then takes them
 * @param txPackets frames put on the TX ring
 * @param txBytes bytes of those frames, Ethernet header included
 * @param txBackPressure sends refused because every TX frame or TX ring entry was in use
 * @param txChecksum who computes the UDP checksums of sent datagrams: {@code offload} (the kernel, or the device,
 *     finishes them as each frame's AF_XDP TX metadata asks; the datagram leaves the host with a valid checksum,
 *     while on veth a peer on the same host gets it checksum-partial, as from any local sender) or
 *     {@code software} (the datapath: TX metadata switched off, or not available on this kernel or in zero-copy
 *     mode)
 * @param txPath how batches of datagrams leave this socket's queue: {@code xdp} (its TX ring) or {@code kernel-gso}
 *     (a kernel UDP socket's {@code UDP_SEGMENT} writes), as {@code DatapathSettings.txPath} and the bind mode
 *     decide
 * @param txKernelPackets of {@code txPackets}, the datagrams sent through the kernel's UDP socket
 * @param txKicks wake-ups of the kernel for the TX ring: each {@code sendto(2)} made for it, and each
 *     {@code poll(2)} that the driving thread made while frames waited for one; {@link #datagramsPerKick()}
 *     says how well they are batched
 * @param txInPlace of {@code txPackets}, the datagrams sent from the TX frame their buffer had been written into
 *     (a transport's TX-frame allocator lent it), without a copy
 * @param txFrameCopies datagrams whose buffer had been written into a lent TX frame but that were copied: lent by
 *     another socket, sent through the kernel's UDP socket ({@code kernel-gso}), or not lying whole in its frame
 * @param txLendRefused times a TX frame was asked for a buffer while no more could be lent: only the quarter of the TX
 *     frames kept for copied datagrams was free (the buffer then came from ordinary memory)
 * @param drops received frames dropped, by reason (every reason present, zeros included)
 * @param receiveFrames where the socket's receive frames are: with the kernel, held, or free; {@code null}
 *     once it is closed
 * @param transmitFrames where the socket's TX frames are: with the kernel, held by buffers, or free
 * @param transmitQueue the queue whose socket sends for this one: itself, unless the device has no
 *     transmit queue with this id
 * @param kernel the kernel's counters for the socket, or {@code null} when it is closed
 * @param fillRingStarvation the latest stretch of time in which the kernel kept finding the fill ring empty, as
 *     the reads of this state saw it; {@link FillRingStarvation#NONE} when it never did
 */
public record SocketState(String interfaceName, int queueId, String bindMode, boolean bound, boolean inMap,
        long rxPackets, long rxBytes, long rxPartialChecksum, long txPackets, long txBytes, long txBackPressure,
        String txChecksum, String txPath, long txKernelPackets, long txKicks, long txInPlace, long txFrameCopies,
        long txLendRefused, Map<DropReason, Long> drops, FrameAccounting receiveFrames,
        TxFrameAccounting transmitFrames, int transmitQueue, XdpStatistics kernel,
        FillRingStarvation fillRingStarvation) {

    /** Frames put on the TX ring per kick, over the socket's life; 0 before the first kick. */
    public double datagramsPerKick() {
        return txKicks == 0 ? 0 : (double) (txPackets - txKernelPackets) / txKicks;
    }
}
