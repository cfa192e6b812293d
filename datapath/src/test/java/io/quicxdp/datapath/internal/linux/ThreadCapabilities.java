package io.quicxdp.datapath.internal.linux;

import com.sun.jna.Platform;
import java.nio.ByteBuffer;

/**
 * Drops capabilities from the calling thread only, so that a root test can check how code behaves for an
 * unprivileged service. Linux keeps capability sets per thread and {@code capset(2)} changes the caller's.
 */
public final class ThreadCapabilities {

    private static final int CAP_NET_ADMIN = 12;

    private static final int LINUX_CAPABILITY_VERSION_3 = 0x20080522;

    private ThreadCapabilities() {
    }

    /** Removes {@code CAP_NET_ADMIN} from the calling thread's effective and permitted sets, for good. */
    public static void dropNetAdmin() throws NativeIoException {
        long capget = Platform.isARM() ? 90 : 125;
        long capset = capget + 1;
        ByteBuffer header = DirectBuffers.allocate(8);
        header.putInt(0, LINUX_CAPABILITY_VERSION_3);
        // two struct __user_cap_data_struct {effective, permitted, inheritable}: capabilities 0-31, then 32-63
        ByteBuffer data = DirectBuffers.allocate(24);
        if (LibC.syscall(capget, DirectBuffers.address(header), DirectBuffers.address(data), 0) < 0) {
            throw new NativeIoException("capget", LibC.errno());
        }
        data.putInt(0, data.getInt(0) & ~(1 << CAP_NET_ADMIN));
        data.putInt(4, data.getInt(4) & ~(1 << CAP_NET_ADMIN));
        if (LibC.syscall(capset, DirectBuffers.address(header), DirectBuffers.address(data), 0) < 0) {
            throw new NativeIoException("capset", LibC.errno());
        }
    }
}
