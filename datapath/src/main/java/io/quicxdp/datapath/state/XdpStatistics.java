package io.quicxdp.datapath.state;

/**
 * The kernel's counters for one AF_XDP socket ({@code XDP_STATISTICS}).
 *
 * @param rxDropped frames dropped for reasons other than those below
 * @param rxInvalidDescriptors invalid descriptors on the RX side
 * @param txInvalidDescriptors invalid descriptors this process put on the TX ring
 * @param rxRingFull frames dropped because the RX ring was full
 * @param rxFillRingEmpty times a frame arrived while the fill ring had no free frame
 * @param txRingEmpty times the kernel found the TX ring empty when woken
 */
public record XdpStatistics(long rxDropped, long rxInvalidDescriptors, long txInvalidDescriptors,
        long rxRingFull, long rxFillRingEmpty, long txRingEmpty) {
}
