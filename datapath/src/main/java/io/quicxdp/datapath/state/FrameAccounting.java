package io.quicxdp.datapath.state;

/**
 * Where a socket's receive frames are. Every receive frame is with the kernel, held by the application or
 * free, so {@code withKernel + held + free == receiveFrames} always holds for a snapshot of an idle
 * socket; under traffic the fields are read one after another and may be a batch apart.
 *
 * @param receiveFrames the UMEM frames set aside for receiving
 * @param withKernel frames handed to the kernel and not yet taken back off the RX ring: on the fill ring,
 *     in the driver, or received and waiting on the RX ring
 * @param inFillRing of those, the entries the fill ring holds as its indexes read now
 * @param inRxRing of those, the received entries waiting on the RX ring as its indexes read now
 * @param held frames taken off the RX ring and not yet given back by the application
 * @param free frames given back and waiting for room on the fill ring
 */
public record FrameAccounting(int receiveFrames, int withKernel, int inFillRing, int inRxRing, int held, int free) {

    /** Whether every receive frame is accounted for exactly once. */
    public boolean balanced() {
        return withKernel + held + free == receiveFrames;
    }
}
