package io.quicxdp.datapath.state;

/**
 * Where a socket's TX frames are. Every TX frame is with the kernel, held by a buffer or free, so
 * {@code withKernel + held + free == transmitFrames} holds for every snapshot: it is taken under the socket's TX
 * lock.
 *
 * @param transmitFrames the UMEM frames set aside for sending
 * @param withKernel frames on the TX ring, being sent, or sent and not yet taken back from the completion ring
 * @param held frames lent to buffers for a payload to be written in place (a transport's TX-frame allocator), not
 *     yet sent or given back
 * @param free frames ready for the next send
 */
public record TxFrameAccounting(int transmitFrames, int withKernel, int held, int free) {

    /** Whether every TX frame is accounted for exactly once. */
    public boolean balanced() {
        return withKernel + held + free == transmitFrames;
    }
}
