package io.quicxdp.datapath.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

/**
 * What this process holds that a datapath must give back: open file descriptors ({@code /proc/self/fd}), the
 * mappings of AF_XDP rings ({@code /proc/self/maps} entries of a socket: four per XSK), and the anonymous
 * mappings exactly the size of a UMEM. Compare a snapshot taken before a datapath opened with one taken after
 * it closed.
 *
 * @param fds open file descriptors
 * @param ringMappings mappings of sockets: the RX, TX, fill and completion rings of every open XSK
 * @param umemMappings anonymous mappings of exactly {@code umemBytes}: the datapath guards each UMEM, so no
 *     neighbouring mapping merges with one and this is the number of UMEMs (when no other mapping of the
 *     process has that size)
 */
public record ProcessResources(int fds, int ringMappings, int umemMappings) {

    /** Reads the process's descriptors and mappings now, counting UMEMs of {@code umemBytes}. */
    public static ProcessResources now(long umemBytes) {
        try (Stream<Path> fds = Files.list(Path.of("/proc/self/fd"))) {
            // the listing's own descriptor is counted, in every snapshot alike
            int open = (int) fds.count();
            List<String> maps = Files.readAllLines(Path.of("/proc/self/maps"));
            int rings = (int) maps.stream().filter(line -> line.contains("socket:[")).count();
            int umems = (int) maps.stream().filter(line -> isAnonymousOfSize(line, umemBytes)).count();
            return new ProcessResources(open, rings, umems);
        }
        catch (IOException ex) {
            throw new UncheckedIOException(ex);
        }
    }

    private static boolean isAnonymousOfSize(String line, long bytes) {
        String[] fields = line.trim().split("\\s+");
        if (fields.length > 5) {
            return false;
        }
        String[] range = fields[0].split("-");
        return Long.parseUnsignedLong(range[1], 16) - Long.parseUnsignedLong(range[0], 16) == bytes;
    }
}
