package io.quicxdp.datapath.internal.linux;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class MappedMemoryTests {

    /** An unusual size, so that no other mapping of the JVM has it. */
    private static final long LENGTH = 4099L * 4096;

    @Test
    void anonymousRegionIsOneMappingOfItsOwnSizeBetweenInaccessibleGuards() throws Exception {
        MappedMemory first = MappedMemory.anonymous(LENGTH);
        MappedMemory second = MappedMemory.anonymous(LENGTH);
        try {
            for (MappedMemory region : List.of(first, second)) {
                assertThat(mapping(region.address())).hasValueSatisfying((line) -> {
                    assertThat(size(line)).isEqualTo(LENGTH);
                    assertThat(permissions(line)).isEqualTo("rw-p");
                });
                assertThat(mapping(region.address() - 1)).map(MappedMemoryTests::permissions).hasValue("---p");
                assertThat(mapping(region.address() + LENGTH)).map(MappedMemoryTests::permissions).hasValue("---p");
                ByteBuffer bytes = region.buffer();
                bytes.put(0, (byte) 1).put((int) LENGTH - 1, (byte) 2);
                assertThat(bytes.get(0) + bytes.get((int) LENGTH - 1)).isEqualTo(3);
            }
        }
        finally {
            first.close();
            second.close();
        }
        assertThat(mapping(first.address() - 1)).isEmpty();
        assertThat(mapping(first.address())).isEmpty();
        assertThat(mapping(first.address() + LENGTH)).isEmpty();
    }

    private static Optional<String> mapping(long address) throws IOException {
        return Files.readAllLines(Path.of("/proc/self/maps")).stream().filter((line) -> {
            String[] range = line.substring(0, line.indexOf(' ')).split("-");
            return Long.compareUnsigned(Long.parseUnsignedLong(range[0], 16), address) <= 0
                    && Long.compareUnsigned(address, Long.parseUnsignedLong(range[1], 16)) < 0;
        }).findFirst();
    }

    private static long size(String line) {
        String[] range = line.substring(0, line.indexOf(' ')).split("-");
        return Long.parseUnsignedLong(range[1], 16) - Long.parseUnsignedLong(range[0], 16);
    }

    private static String permissions(String line) {
        return line.split("\\s+")[1];
    }
}
