package io.quicxdp.datapath.internal.bpf;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;

import io.quicxdp.datapath.internal.linux.Bpf;
import io.quicxdp.datapath.internal.linux.Errno;
import io.quicxdp.datapath.internal.linux.NativeIoException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class BpfMapTests {

    private TestPinDirectory pins;

    @BeforeEach
    void createPinDirectory() throws Exception {
        pins = TestPinDirectory.create();
    }

    @AfterEach
    void removePins() throws Exception {
        if (pins != null) {
            pins.close();
        }
    }

    @Test
    void createPinOpenPinnedAndInfoRoundTrip() throws Exception {
        Path pin = pins.resolve("xsks");
        try (BpfMap created = BpfMap.create(BpfMapType.XSKMAP, 4, 4, 8, "qx_test_xsks")) {
            created.pin(pin);
            try (BpfMap opened = BpfMap.openPinned(pin)) {
                assertThat(opened.fd()).isNotEqualTo(created.fd());
                BpfMapInfo info = opened.info();
                assertThat(info).isEqualTo(created.info());
                assertThat(info.id()).isPositive();
                assertThat(info.type()).isEqualTo(17);
                assertThat(info.typeName()).isEqualTo("XSKMAP");
                assertThat(info.is(BpfMapType.XSKMAP)).isTrue();
                assertThat(info.keySize()).isEqualTo(4);
                assertThat(info.valueSize()).isEqualTo(4);
                assertThat(info.maxEntries()).isEqualTo(8);
                assertThat(info.flags()).isZero();
                assertThat(info.name()).isEqualTo("qx_test_xsks");
            }
        }
        assertThat(pin).exists();
    }

    @Test
    void noExistOnAnOccupiedSlotIsEexistAndExistOnAnEmptyOneIsEnoent() throws Exception {
        try (BpfMap map = BpfMap.create(BpfMapType.XSKMAP, 4, 4, 4, "qx_test_xsks");
                TestXdpSocket first = TestXdpSocket.unbound();
                TestXdpSocket second = TestXdpSocket.unbound()) {
            map.update(0, first.fd(), BpfMap.BPF_NOEXIST);
            assertThatExceptionOfType(NativeIoException.class)
                    .isThrownBy(() -> map.update(0, second.fd(), BpfMap.BPF_NOEXIST))
                    .satisfies(e -> {
                        assertThat(e.errno()).isEqualTo(Errno.EEXIST);
                        assertThat(e.operation()).isEqualTo("bpf(BPF_MAP_UPDATE_ELEM key 0)");
                    });
            // the kernel treats inserting the socket already in the slot as success, whatever the flag
            map.update(0, first.fd(), BpfMap.BPF_NOEXIST);
            assertThatExceptionOfType(NativeIoException.class)
                    .isThrownBy(() -> map.update(1, second.fd(), BpfMap.BPF_EXIST))
                    .satisfies(e -> assertThat(e.errno()).isEqualTo(Errno.ENOENT));
            assertThatExceptionOfType(NativeIoException.class)
                    .isThrownBy(() -> map.update(4, second.fd(), BpfMap.BPF_ANY))
                    .satisfies(e -> assertThat(e.errno()).isEqualTo(Errno.E2BIG));
            map.delete(0);
            map.update(0, second.fd(), BpfMap.BPF_NOEXIST);
        }
    }

    @Test
    void userSpaceCannotReadAnXskmapNorPutOtherSocketsInIt() throws Exception {
        try (BpfMap map = BpfMap.create(BpfMapType.XSKMAP, 4, 4, 4, "qx_test_xsks");
                TestXdpSocket socket = TestXdpSocket.unbound()) {
            map.update(0, socket.fd(), BpfMap.BPF_ANY);
            assertThatExceptionOfType(NativeIoException.class).isThrownBy(() -> map.lookup(0))
                    .satisfies(e -> assertThat(e.errno()).isEqualTo(Errno.EOPNOTSUPP));
            try (BpfMap array = BpfMap.create(BpfMapType.ARRAY, 4, 4, 1, "qx_test_array")) {
                assertThatExceptionOfType(NativeIoException.class)
                        .isThrownBy(() -> map.update(1, array.fd(), BpfMap.BPF_ANY))
                        .satisfies(e -> assertThat(e.errno()).isEqualTo(Errno.ENOTSOCK));
            }
        }
    }

    @Test
    void openPinnedOnAMissingPathIsEnoent() {
        assertThatExceptionOfType(NativeIoException.class)
                .isThrownBy(() -> BpfMap.openPinned(pins.resolve("missing")))
                .satisfies(e -> {
                    assertThat(e.errno()).isEqualTo(Errno.ENOENT);
                    assertThat(e.operation()).isEqualTo("bpf(BPF_OBJ_GET " + pins.resolve("missing") + ")");
                });
    }

    @Test
    void openPinnedOutsideBpffsIsEaccesWhichStatfsTellsApart() throws Exception {
        Path file = Files.createTempFile("quicxdp-not-a-pin", "");
        try {
            assertThatExceptionOfType(NativeIoException.class).isThrownBy(() -> BpfMap.openPinned(file))
                    .satisfies(e -> assertThat(e.errno()).isEqualTo(Errno.EACCES));
            assertThat(Bpf.isOnBpfFileSystem(file.toString())).isFalse();
            assertThat(Bpf.isOnBpfFileSystem(pins.path().toString())).isTrue();
        }
        finally {
            Files.delete(file);
        }
    }

    @Test
    void pinnedArrayShowsItsTypeAndRoundTripsValues() throws Exception {
        Path pin = pins.resolve("array");
        try (BpfMap created = BpfMap.create(BpfMapType.ARRAY, 4, 4, 2, "qx_test_array")) {
            created.pin(pin);
        }
        try (BpfMap opened = BpfMap.openPinned(pin)) {
            assertThat(opened.info().typeName()).isEqualTo("ARRAY");
            assertThat(opened.info().is(BpfMapType.XSKMAP)).isFalse();
            opened.update(1, 42, BpfMap.BPF_ANY);
            assertThat(opened.lookup(1)).isEqualTo(42);
        }
        try (BpfMap readOnly = BpfMap.openPinned(pin, PinAccess.READ_ONLY)) {
            assertThat(readOnly.lookup(1)).isEqualTo(42);
            assertThatExceptionOfType(NativeIoException.class)
                    .isThrownBy(() -> readOnly.update(1, 7, BpfMap.BPF_ANY))
                    .satisfies(e -> assertThat(e.errno()).isEqualTo(Errno.EPERM));
        }
    }

    @Test
    void hashWithKeysAndValuesOfOtherSizesRoundTripsBytes() throws Exception {
        try (BpfMap map = BpfMap.create(BpfMapType.HASH, 3, 12, 4, "qx_test_hash")) {
            byte[] key = {1, 2, 3};
            byte[] value = {10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21};
            map.update(key, value, BpfMap.BPF_NOEXIST);
            assertThat(map.lookup(key)).containsExactly(value);
            assertThatExceptionOfType(NativeIoException.class)
                    .isThrownBy(() -> map.update(key, value, BpfMap.BPF_NOEXIST))
                    .satisfies(e -> {
                        assertThat(e.errno()).isEqualTo(Errno.EEXIST);
                        assertThat(e.operation()).isEqualTo("bpf(BPF_MAP_UPDATE_ELEM of 3 bytes)");
                    });
            assertThatExceptionOfType(NativeIoException.class).isThrownBy(() -> map.lookup(new byte[] {3, 2, 1}))
                    .satisfies(e -> assertThat(e.errno()).isEqualTo(Errno.ENOENT));
            assertThatExceptionOfType(IllegalArgumentException.class)
                    .isThrownBy(() -> map.update(new byte[4], value, BpfMap.BPF_ANY))
                    .withMessage("the map's keys have 3 bytes, not 4");
            assertThatExceptionOfType(IllegalArgumentException.class)
                    .isThrownBy(() -> map.update(key, new byte[4], BpfMap.BPF_ANY))
                    .withMessage("the map's values have 12 bytes, not 4");
        }
    }

    @Test
    void openPinnedRefusesAPinnedProgram() throws Exception {
        Path pin = pins.resolve("program");
        try (XdpProgram program = XdpProgram.load("qx_test_pass",
                new BpfAssembler().mov64(BpfAssembler.R0, XdpAction.PASS).exit().assemble(), "GPL")) {
            Bpf.objPin(program.fd(), pin.toString());
        }
        assertThatExceptionOfType(BpfSetupException.class).isThrownBy(() -> BpfMap.openPinned(pin))
                .satisfies(e -> {
                    assertThat(e.problem()).isEqualTo(BpfSetupException.Problem.WRONG_OBJECT);
                    assertThat(e.getMessage()).contains("bpf-prog");
                });
    }

    @Test
    void pinningTwiceIsEexistAndOutsideBpffsIsEperm() throws Exception {
        try (BpfMap map = BpfMap.create(BpfMapType.ARRAY, 4, 4, 1, "qx_test_array")) {
            map.pin(pins.resolve("once"));
            assertThatExceptionOfType(NativeIoException.class).isThrownBy(() -> map.pin(pins.resolve("once")))
                    .satisfies(e -> assertThat(e.errno()).isEqualTo(Errno.EEXIST));
            Path outside = Path.of(System.getProperty("java.io.tmpdir"), "quicxdp-pin-" + pins.path().getFileName());
            assertThatExceptionOfType(NativeIoException.class).isThrownBy(() -> map.pin(outside))
                    .satisfies(e -> assertThat(e.errno()).isEqualTo(Errno.EPERM));
            assertThat(outside).doesNotExist();
        }
    }

    @Test
    void closeIsIdempotent() throws Exception {
        BpfMap map = BpfMap.create(BpfMapType.ARRAY, 4, 4, 1, "qx_test_array");
        map.close();
        map.close();
    }

    @Test
    void mapTypesHaveReadableNames() {
        assertThat(BpfMapType.nameOf(17)).isEqualTo("XSKMAP");
        assertThat(BpfMapType.nameOf(2)).isEqualTo("ARRAY");
        assertThat(BpfMapType.nameOf(1)).isEqualTo("HASH");
        assertThat(BpfMapType.nameOf(999)).isEqualTo("type 999");
        assertThat(BpfMapType.of(-1)).isEmpty();
        for (BpfMapType type : BpfMapType.values()) {
            assertThat(BpfMapType.of(type.id())).contains(type);
        }
    }
}
