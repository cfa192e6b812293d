package io.quicxdp.datapath.internal.linux;

import com.sun.jna.Native;
import com.sun.jna.NativeLibrary;
import com.sun.jna.Platform;

/**
 * The libc file-system calls the BPF layer needs, bound through JNA direct mapping like {@link LibC}.
 *
 * <p>Kept apart from {@link LibC} so that each binding class registers only the functions its callers use.
 * Functions return what libc returns ({@code -1} on failure); the caller reads {@link LibC#errno()} right after.
 */
final class LibCFileSystem {

    static {
        Native.register(LibCFileSystem.class, NativeLibrary.getInstance(Platform.C_LIBRARY_NAME));
    }

    private LibCFileSystem() {
    }

    /** {@code statfs(2)} into a {@code struct statfs} at {@code buf} (120 bytes on 64-bit Linux). */
    static native int statfs(String path, long buf);
}
