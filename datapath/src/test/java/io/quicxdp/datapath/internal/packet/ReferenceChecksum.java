package io.quicxdp.datapath.internal.packet;

/** The RFC 1071 checksum the slow, obvious way (16 bits at a time over a byte array), to check the fast one against. */
final class ReferenceChecksum {

    private ReferenceChecksum() {
    }

    static int checksum(byte[] data) {
        return checksum(data, 0, data.length);
    }

    static int checksum(byte[] data, int offset, int length) {
        long sum = 0;
        for (int i = 0; i < length; i += 2) {
            int high = data[offset + i] & 0xFF;
            int low = i + 1 < length ? data[offset + i + 1] & 0xFF : 0;
            sum += (high << 8) | low;
        }
        while (sum > 0xFFFF) {
            sum = (sum & 0xFFFF) + (sum >> 16);
        }
        return (int) (~sum & 0xFFFF);
    }

    /** Concatenates byte arrays, for building pseudo-headers. */
    static byte[] concat(byte[]... parts) {
        int length = 0;
        for (byte[] part : parts) {
            length += part.length;
        }
        byte[] all = new byte[length];
        int at = 0;
        for (byte[] part : parts) {
            System.arraycopy(part, 0, all, at, part.length);
            at += part.length;
        }
        return all;
    }
}
