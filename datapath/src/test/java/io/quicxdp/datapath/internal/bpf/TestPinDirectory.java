package io.quicxdp.datapath.internal.bpf;

import io.quicxdp.datapath.testing.KernelSupport;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.concurrent.ThreadLocalRandom;
import java.util.stream.Stream;

/** A per-run directory on bpffs for a test's pins, removed with everything in it by {@link #close()}. */
final class TestPinDirectory implements AutoCloseable {

    private final Path directory;

    private TestPinDirectory(Path directory) {
        this.directory = directory;
    }

    /** Creates the directory, or skips the test when the kernel tests cannot run here. */
    static TestPinDirectory create() throws IOException {
        KernelSupport.assumeAvailable();
        String id = HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextInt());
        return new TestPinDirectory(Files.createDirectory(Path.of("/sys/fs/bpf", "quicxdp-test-" + id)));
    }

    Path path() {
        return directory;
    }

    Path resolve(String name) {
        return directory.resolve(name);
    }

    @Override
    public void close() throws IOException {
        try (Stream<Path> paths = Files.walk(directory)) {
            for (Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(path);
            }
        }
    }
}
