package io.quicxdp.agent;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The agent's command line: where it listens, which maps it serves, whom it serves.
 *
 * @param socket the unix socket to listen on
 * @param maps per interface, the bpffs pin of the XSKMAP its XDP program redirects into
 * @param allowedUids the user ids whose processes may have sockets inserted
 * @param allowedGids the group ids whose processes may have sockets inserted
 */
public record AgentOptions(Path socket, Map<String, Path> maps, Set<Integer> allowedUids, Set<Integer> allowedGids) {

    /** How to call the agent, for errors and {@code --help}. */
    public static final String USAGE = """
            usage: java -jar quic-xdp-agent-VERSION.jar --socket PATH --map INTERFACE=PIN [--map INTERFACE=PIN ...]
                   --allow-uid UID [--allow-uid UID ...] [--allow-gid GID ...]

              --socket PATH          the unix socket to listen on (created; removed on exit)
              --map INTERFACE=PIN    serve the XSKMAP pinned at PIN (bpffs) for INTERFACE; repeatable
              --allow-uid UID        insert for processes running as this user id; repeatable
              --allow-gid GID        insert for processes whose primary group id is this; repeatable
            At least one --map and one --allow-uid or --allow-gid are needed. Needs CAP_BPF (or root).""";

    public AgentOptions {
        maps = Map.copyOf(maps);
        allowedUids = Set.copyOf(allowedUids);
        allowedGids = Set.copyOf(allowedGids);
    }

    /**
     * Parses the command line.
     *
     * @throws IllegalArgumentException naming the option that is wrong and how
     */
    public static AgentOptions parse(String... args) {
        Path socket = null;
        Map<String, Path> maps = new LinkedHashMap<>();
        Set<Integer> uids = new LinkedHashSet<>();
        Set<Integer> gids = new LinkedHashSet<>();
        List<String> rest = new ArrayList<>(List.of(args));
        while (!rest.isEmpty()) {
            String option = rest.remove(0);
            if (rest.isEmpty()) {
                throw new IllegalArgumentException(option + " needs a value");
            }
            String value = rest.remove(0);
            switch (option) {
                case "--socket" -> {
                    if (socket != null) {
                        throw new IllegalArgumentException("--socket is given twice: the agent listens on one socket");
                    }
                    socket = absolute("--socket", value);
                }
                case "--map" -> {
                    int equals = value.indexOf('=');
                    if (equals <= 0 || equals == value.length() - 1) {
                        throw new IllegalArgumentException("--map " + value + " must be INTERFACE=PIN, for example "
                                + "eth0=/sys/fs/bpf/xsks");
                    }
                    String name = value.substring(0, equals);
                    if (maps.put(name, absolute("--map " + name, value.substring(equals + 1))) != null) {
                        throw new IllegalArgumentException("--map gives interface " + name + " twice: one XSKMAP "
                                + "per interface");
                    }
                }
                case "--allow-uid" -> uids.add(id("--allow-uid", value));
                case "--allow-gid" -> gids.add(id("--allow-gid", value));
                default -> throw new IllegalArgumentException("unknown option " + option);
            }
        }
        if (socket == null) {
            throw new IllegalArgumentException("--socket is missing: the path of the unix socket to listen on");
        }
        if (maps.isEmpty()) {
            throw new IllegalArgumentException("--map is missing: give at least one INTERFACE=PIN to serve");
        }
        if (uids.isEmpty() && gids.isEmpty()) {
            throw new IllegalArgumentException("--allow-uid or --allow-gid is missing: the agent serves only the users "
                    + "or groups it is told to trust");
        }
        return new AgentOptions(socket, maps, uids, gids);
    }

    /** Whether a peer with these credentials is served. */
    public boolean allows(int uid, int gid) {
        return allowedUids.contains(uid) || allowedGids.contains(gid);
    }

    private static Path absolute(String option, String value) {
        Path path = Path.of(value);
        if (!path.isAbsolute()) {
            throw new IllegalArgumentException(option + " must be an absolute path, not '" + value + "'");
        }
        return path;
    }

    private static int id(String option, String value) {
        try {
            int id = Integer.parseInt(value);
            if (id < 0) {
                throw new NumberFormatException();
            }
            return id;
        }
        catch (NumberFormatException ex) {
            throw new IllegalArgumentException(option + " must be a numeric id (0 or more), not '" + value + "'");
        }
    }
}
