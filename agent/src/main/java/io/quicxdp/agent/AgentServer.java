package io.quicxdp.agent;

import io.quicxdp.datapath.internal.bpf.BpfMap;
import io.quicxdp.datapath.internal.bpf.BpfMapInfo;
import io.quicxdp.datapath.internal.bpf.BpfMapType;
import io.quicxdp.datapath.internal.bpf.BpfSetupException;
import io.quicxdp.datapath.internal.linux.Errno;
import io.quicxdp.datapath.internal.linux.FileDescriptors;
import io.quicxdp.datapath.internal.linux.NativeIoException;
import io.quicxdp.datapath.internal.linux.PeerCredentials;
import io.quicxdp.datapath.internal.linux.UnixMessage;
import io.quicxdp.datapath.internal.linux.UnixSockets;
import io.quicxdp.datapath.internal.source.AgentProtocol.AgentError;
import io.quicxdp.datapath.internal.source.AgentProtocol;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * The agent: listens on its unix socket and, for each connected application it trusts, inserts the AF_XDP
 * sockets it is sent into the XSKMAP it serves for the named interface, speaking {@link AgentProtocol}.
 *
 * <p>Trust comes from the kernel: the peer's uid and primary gid as {@code SO_PEERCRED} recorded them at
 * connect, checked against {@code --allow-uid}/{@code --allow-gid} before anything it sends is read. The
 * socket file itself is left writable by everyone for that reason. Each insert uses {@code BPF_NOEXIST}, so
 * an occupied slot is never taken over; the agent's copy of the descriptor is closed before it answers, so
 * the application's socket leaves its slot when the application closes it or dies. The agent never deletes
 * a key and serves only the maps it was given, each opened from its pin afresh per request (a program that
 * re-pins its map is followed).
 */
public final class AgentServer implements AutoCloseable {

    private static final System.Logger LOG = System.getLogger(AgentServer.class.getName());

    private final AgentOptions options;

    private final int listener;

    private final Thread acceptor;

    private final Set<Session> sessions = ConcurrentHashMap.newKeySet();

    private volatile boolean closed;

    private AgentServer(AgentOptions options, int listener) {
        this.options = options;
        this.listener = listener;
        this.acceptor = new Thread(this::accept, "quic-xdp-agent-accept");
    }

    /**
     * Listens on the options' socket. A socket file left there by an agent that is gone is replaced; one that
     * another agent still listens on is not.
     *
     * @throws IllegalStateException when another process listens on the socket already
     */
    public static AgentServer start(AgentOptions options) throws IOException {
        Path path = options.socket();
        removeStale(path);
        Files.createDirectories(path.getParent());
        int listener = UnixSockets.listen(path, 16);
        try {
            // access is checked per connection with SO_PEERCRED; the file only has to let applications connect
            Files.setPosixFilePermissions(path, PosixFilePermissions.fromString("rw-rw-rw-"));
        }
        catch (IOException | RuntimeException ex) {
            FileDescriptors.closeQuietly(listener);
            Files.deleteIfExists(path);
            throw ex;
        }
        AgentServer server = new AgentServer(options, listener);
        server.acceptor.start();
        LOG.log(Level.INFO, "quic-xdp agent listening on " + path + ", serving " + options.maps() + " to uids "
                + options.allowedUids() + " and gids " + options.allowedGids());
        return server;
    }

    private static void removeStale(Path path) throws IOException {
        BasicFileAttributes attributes;
        try {
            attributes = Files.readAttributes(path, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        }
        catch (IOException ex) {
            return;
        }
        if (!attributes.isOther()) {
            throw new IllegalStateException(path + " exists and is not a socket: choose another --socket path");
        }
        try {
            FileDescriptors.closeQuietly(UnixSockets.connect(path));
            throw new IllegalStateException("another process listens on " + path + " already: stop it first, or "
                    + "choose another --socket path");
        }
        catch (NativeIoException ex) {
            // nobody listens: the file is what a stopped agent left
            Files.delete(path);
        }
    }

    /** The options the agent runs with. */
    public AgentOptions options() {
        return options;
    }

    /** Waits until the agent is closed. */
    public void awaitClose() throws InterruptedException {
        acceptor.join();
    }

    private void accept() {
        while (!closed) {
            int fd;
            try {
                fd = UnixSockets.accept(listener);
            }
            catch (NativeIoException ex) {
                if (!closed) {
                    LOG.log(Level.ERROR, "accepting on " + options.socket() + " failed, the agent stops: "
                            + ex.getMessage());
                }
                return;
            }
            Session session = new Session(fd);
            sessions.add(session);
            session.thread.start();
        }
    }

    /** Stops listening, ends every connection and removes the socket file. The inserted sockets stay. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        UnixSockets.shutdown(listener);
        try {
            acceptor.join(TimeUnit.SECONDS.toMillis(5));
            for (Session session : sessions) {
                UnixSockets.shutdown(session.fd);
                session.thread.join(TimeUnit.SECONDS.toMillis(5));
            }
        }
        catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
        }
        FileDescriptors.closeQuietly(listener);
        try {
            Files.deleteIfExists(options.socket());
        }
        catch (IOException ex) {
            LOG.log(Level.WARNING, "removing " + options.socket() + " failed: " + ex.getMessage());
        }
    }

    /** One application's connection, served by its own thread. */
    private final class Session implements Runnable {

        final int fd;

        final Thread thread;

        private String peer = "peer";

        Session(int fd) {
            this.fd = fd;
            this.thread = new Thread(this, "quic-xdp-agent-session");
            this.thread.setDaemon(true);
        }

        @Override
        public void run() {
            try {
                PeerCredentials credentials = UnixSockets.peerCredentials(fd);
                peer = "pid " + credentials.pid() + " (uid " + credentials.uid() + ", gid " + credentials.gid() + ")";
                if (!options.allows(credentials.uid(), credentials.gid())) {
                    LOG.log(Level.WARNING, "refused " + peer + ": not among the allowed uids "
                            + options.allowedUids() + " and gids " + options.allowedGids());
                    UnixSockets.send(fd, AgentProtocol.encode(AgentProtocol.REFUSED + " uid " + credentials.uid()
                            + " gid " + credentials.gid() + " is not allowed by the agent on " + options.socket()), -1);
                    return;
                }
                LOG.log(Level.INFO, "serving " + peer);
                UnixSockets.send(fd, AgentProtocol.encode(AgentProtocol.GREETING + " " + AgentProtocol.VERSION), -1);
                serve();
            }
            catch (IOException ex) {
                if (!closed) {
                    LOG.log(Level.WARNING, "connection of " + peer + " failed: " + ex.getMessage());
                }
            }
            finally {
                FileDescriptors.closeQuietly(fd);
                sessions.remove(this);
            }
        }

        private void serve() throws IOException {
            byte[] buffer = new byte[AgentProtocol.MAX_MESSAGE];
            while (true) {
                UnixMessage message = UnixSockets.receive(fd, buffer);
                if (message.closed()) {
                    LOG.log(Level.INFO, peer + " closed its connection; its sockets stay in their slots until it "
                            + "closes them");
                    return;
                }
                String request = AgentProtocol.decode(buffer, message.length());
                String answer;
                try {
                    answer = answer(request, message.fd());
                }
                finally {
                    // before answering: once the application reads the answer, its socket is its own alone
                    FileDescriptors.closeQuietly(message.fd());
                }
                UnixSockets.send(fd, AgentProtocol.encode(answer), -1);
            }
        }

        private String answer(String request, int passedFd) {
            String[] fields = request.split(" ");
            if (fields.length == 2 && fields[0].equals(AgentProtocol.MAP)) {
                return describe(fields[1]);
            }
            if (fields.length == 3 && fields[0].equals(AgentProtocol.INSERT)) {
                int key;
                try {
                    key = Integer.parseInt(fields[2]);
                }
                catch (NumberFormatException ex) {
                    return AgentProtocol.error(fields[1], -1, AgentError.BAD_REQUEST, "the key is not a number");
                }
                return insert(fields[1], key, passedFd);
            }
            String name = fields.length > 1 ? fields[1] : "-";
            return AgentProtocol.error(name, -1, AgentError.BAD_REQUEST, "not a request of protocol version "
                    + AgentProtocol.VERSION);
        }

        private String describe(String interfaceName) {
            try (ServedMap map = open(interfaceName, -1)) {
                if (map.error != null) {
                    return map.error;
                }
                return AgentProtocol.MAP + " " + interfaceName + " " + map.info.id() + " " + map.info.maxEntries()
                        + " " + (map.info.name().isEmpty() ? "-" : map.info.name());
            }
        }

        private String insert(String interfaceName, int key, int passedFd) {
            if (passedFd < 0) {
                return AgentProtocol.error(interfaceName, key, AgentError.NO_DESCRIPTOR,
                        "insert came without the socket's descriptor");
            }
            try (ServedMap map = open(interfaceName, key)) {
                if (map.error != null) {
                    return map.error;
                }
                if (key < 0 || key >= map.info.maxEntries()) {
                    return AgentProtocol.error(interfaceName, key, AgentError.BAD_KEY, "the map has "
                            + map.info.maxEntries() + " entries");
                }
                try {
                    map.map.update(key, passedFd, BpfMap.BPF_NOEXIST);
                }
                catch (NativeIoException ex) {
                    AgentError error = ex.errno() == Errno.EEXIST ? AgentError.OCCUPIED
                            : ex.errno() == Errno.ENOTSOCK || ex.errno() == Errno.EOPNOTSUPP ? AgentError.NOT_AN_XSK
                            : AgentError.FAILED;
                    LOG.log(Level.WARNING, "did not insert the socket of " + peer + " into " + options.maps()
                            .get(interfaceName) + " at " + key + ": " + ex.getMessage());
                    return AgentProtocol.error(interfaceName, key, error, ex.getMessage());
                }
                LOG.log(Level.INFO, "inserted the socket of " + peer + " into " + options.maps().get(interfaceName)
                        + " (" + interfaceName + ") at " + key);
                return AgentProtocol.INSERTED + " " + interfaceName + " " + key;
            }
        }

        /** The map served for the interface, checked, or the error answer. */
        private ServedMap open(String interfaceName, int key) {
            Path pin = options.maps().get(interfaceName);
            if (pin == null) {
                return new ServedMap(null, null, AgentProtocol.error(interfaceName, key, AgentError.NOT_SERVED,
                        "this agent serves " + options.maps().keySet()));
            }
            BpfMap map;
            try {
                map = BpfMap.openPinned(pin);
            }
            catch (BpfSetupException ex) {
                return new ServedMap(null, null, AgentProtocol.error(interfaceName, key, AgentError.NOT_AN_XSKMAP,
                        ex.getMessage()));
            }
            catch (IOException ex) {
                return new ServedMap(null, null, AgentProtocol.error(interfaceName, key, AgentError.MAP_UNAVAILABLE,
                        "opening " + pin + ": " + ex.getMessage()));
            }
            try {
                BpfMapInfo info = map.info();
                if (!info.is(BpfMapType.XSKMAP) || info.keySize() != 4 || info.valueSize() != 4) {
                    map.close();
                    return new ServedMap(null, null, AgentProtocol.error(interfaceName, key, AgentError.NOT_AN_XSKMAP,
                            pin + " holds a map of type " + info.typeName() + ", not an XSKMAP with 4-byte keys and "
                                    + "values"));
                }
                return new ServedMap(map, info, null);
            }
            catch (NativeIoException ex) {
                map.close();
                return new ServedMap(null, null, AgentProtocol.error(interfaceName, key, AgentError.MAP_UNAVAILABLE,
                        "reading " + pin + ": " + ex.getMessage()));
            }
        }
    }

    /** A served map opened for one request, or why it could not be. */
    private record ServedMap(BpfMap map, BpfMapInfo info, String error) implements AutoCloseable {

        @Override
        public void close() {
            if (map != null) {
                map.close();
            }
        }
    }
}
