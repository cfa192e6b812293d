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
 * @param umemMappings UMEMs of {@code umemBytes}: anonymous read-write mappings of exactly that size with an
 *     inaccessible guard right before and right after, as the datapath maps each UMEM
 */
public record ProcessResources(int fds, int ringMappings, int umemMappings) {

    /** Reads the process's descriptors and mappings now, counting UMEMs of {@code umemBytes}. */
    public static ProcessResources now(long umemBytes) {
        try (Stream<Path> fds = Files.list(Path.of("/proc/self/fd"))) {
            // the listing's own descriptor is counted, in every snapshot alike
            int open = (int) fds.count();
            List<String> maps = Files.readAllLines(Path.of("/proc/self/maps"));
            int rings = (int) maps.stream().filter(line -> line.contains("socket:[")).count();
            int umems = 0;
            for (int i = 1; i + 1 < maps.size(); i++) {
                if (isGuardedUmem(maps.get(i - 1), maps.get(i), maps.get(i + 1), umemBytes)) {
                    umems++;
                }
            }
            return new ProcessResources(open, rings, umems);
        }
        catch (IOException ex) {
            throw new UncheckedIOException(ex);
        }
    }

    private static boolean isGuardedUmem(String before, String line, String after, long bytes) {
        String[] fields = line.trim().split("\\s+");
        if (fields.length > 5 || !fields[1].equals("rw-p")) {
            return false;
        }
        long[] range = range(line);
        return range[1] - range[0] == bytes && isGuard(before) && range(before)[1] == range[0] && isGuard(after)
                && range(after)[0] == range[1];
    }

    private static boolean isGuard(String line) {
        String[] fields = line.trim().split("\\s+");
        return fields.length <= 5 && fields[1].equals("---p");
    }

    private static long[] range(String line) {
        String[] range = line.substring(0, line.indexOf(' ')).split("-");
        return new long[] {Long.parseUnsignedLong(range[0], 16), Long.parseUnsignedLong(range[1], 16)};
    }
}
