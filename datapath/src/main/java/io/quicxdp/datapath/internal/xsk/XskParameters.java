package io.quicxdp.datapath.internal.xsk;

import io.quicxdp.datapath.config.BindMode;
import io.quicxdp.datapath.config.DatapathSettings;

/**
 * The geometry of one AF_XDP socket and its UMEM.
 *
 * @param frameCount number of UMEM frames; half receive, half transmit
 * @param frameSize bytes per frame: a power of two from 2048 to the page size
 * @param fillRingSize entries in the fill ring (power of two)
 * @param completionRingSize entries in the completion ring (power of two)
 * @param rxRingSize entries in the RX ring (power of two)
 * @param txRingSize entries in the TX ring (power of two)
 * @param bindMode zero-copy, copy, or whichever the driver offers
 * @param needWakeup whether the kernel may ask for wake-up calls instead of being kicked every time
 * @param txChecksumOffload whether to ask for TX metadata, so that the kernel finishes sent UDP checksums
 */
public record XskParameters(int frameCount, int frameSize, int fillRingSize, int completionRingSize,
        int rxRingSize, int txRingSize, BindMode bindMode, boolean needWakeup, boolean txChecksumOffload) {

    /** A geometry whose sent checksums the datapath computes itself. */
    public XskParameters(int frameCount, int frameSize, int fillRingSize, int completionRingSize, int rxRingSize,
            int txRingSize, BindMode bindMode, boolean needWakeup) {
        this(frameCount, frameSize, fillRingSize, completionRingSize, rxRingSize, txRingSize, bindMode, needWakeup,
                false);
    }

    /** The geometry {@code settings} describe. */
    public static XskParameters of(DatapathSettings settings) {
        return new XskParameters(settings.frameCount(), settings.frameSize(), settings.fillRingSize(),
                settings.completionRingSize(), settings.rxRingSize(), settings.txRingSize(), settings.bindMode(),
                settings.needWakeup(), settings.txChecksumOffload());
    }

    /** The bytes of memory the UMEM pins, which count against {@code RLIMIT_MEMLOCK}. */
    public long umemBytes() {
        return (long) frameCount * frameSize;
    }

    /**
     * Frames reserved for receiving: as many as the fill ring holds, at most half of the UMEM. A fill ring
     * of twice this many entries always has room for the frames given back even while the kernel has yet to publish that it took them.
     */
    public int rxFrames() {
        return Math.min(frameCount / 2, fillRingSize);
    }

    /** Frames reserved for transmitting: the rest of the UMEM, at most what the TX ring holds. */
    public int txFrames() {
        return Math.min(frameCount - rxFrames(), txRingSize);
    }
}
