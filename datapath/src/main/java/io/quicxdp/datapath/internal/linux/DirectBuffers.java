package io.quicxdp.datapath.internal.linux;

import com.sun.jna.Native;
import com.sun.jna.Pointer;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/** Direct buffers for small kernel structures, and their native addresses. */
public final class DirectBuffers {

    private DirectBuffers() {
    }

    /** A zeroed direct buffer in the machine's byte order, the order kernel structures use. */
    public static ByteBuffer allocate(int size) {
        return ByteBuffer.allocateDirect(size).order(ByteOrder.nativeOrder());
    }

    /** The native address of the first byte of a direct buffer (its position is ignored). */
    public static long address(ByteBuffer direct) {
        if (!direct.isDirect()) {
            throw new IllegalArgumentException("not a direct buffer");
        }
        return Pointer.nativeValue(Native.getDirectBufferPointer(direct));
    }

    /** A direct buffer viewing {@code length} bytes of native memory at {@code address}. */
    static ByteBuffer view(long address, long length) {
        return new Pointer(address).getByteBuffer(0, length);
    }
}
