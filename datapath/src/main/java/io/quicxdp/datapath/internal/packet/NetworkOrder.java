package io.quicxdp.datapath.internal.packet;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Big-endian absolute access to a {@link ByteBuffer}, whatever order the buffer itself is set to.
 *
 * <p>Buffers over native memory (JNA's among them) often come in the machine's order; reading headers
 * through these handles keeps network byte order explicit at every access instead of depending on how
 * the buffer was created. Indexes are checked against the buffer's limit; position and limit are untouched.
 */
final class NetworkOrder {

    private static final VarHandle SHORT = MethodHandles.byteBufferViewVarHandle(short[].class, ByteOrder.BIG_ENDIAN);
    private static final VarHandle INT = MethodHandles.byteBufferViewVarHandle(int[].class, ByteOrder.BIG_ENDIAN);
    private static final VarHandle LONG = MethodHandles.byteBufferViewVarHandle(long[].class, ByteOrder.BIG_ENDIAN);

    private NetworkOrder() {
    }

    static int uint8(ByteBuffer buffer, int index) {
        return buffer.get(index) & 0xFF;
    }

    static void uint8(ByteBuffer buffer, int index, int value) {
        buffer.put(index, (byte) value);
    }

    static int uint16(ByteBuffer buffer, int index) {
        return (short) SHORT.get(buffer, index) & 0xFFFF;
    }

    static void uint16(ByteBuffer buffer, int index, int value) {
        SHORT.set(buffer, index, (short) value);
    }

    static int int32(ByteBuffer buffer, int index) {
        return (int) INT.get(buffer, index);
    }

    static void int32(ByteBuffer buffer, int index, int value) {
        INT.set(buffer, index, value);
    }

    static long int64(ByteBuffer buffer, int index) {
        return (long) LONG.get(buffer, index);
    }

    static void int64(ByteBuffer buffer, int index, long value) {
        LONG.set(buffer, index, value);
    }
}
