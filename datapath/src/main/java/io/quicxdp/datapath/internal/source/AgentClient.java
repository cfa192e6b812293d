package io.quicxdp.datapath.internal.source;

import io.quicxdp.datapath.internal.linux.FileDescriptors;
import io.quicxdp.datapath.internal.linux.NativeIoException;
import io.quicxdp.datapath.internal.linux.UnixMessage;
import io.quicxdp.datapath.internal.linux.UnixSockets;
import io.quicxdp.datapath.internal.source.AgentProtocol.AgentError;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;

/**
 * The application's connection to the quic-xdp agent, speaking {@link AgentProtocol}: it asks which map the
 * agent serves for an interface and has it insert sockets there. No {@code bpf()} call is made on this side.
 *
 * <p>The connection stays open until {@link #close()}, which says nothing: the application's sockets leave
 * their slots when the application closes them. One thread at a time.
 */
public final class AgentClient implements AutoCloseable {

    private final Path socket;

    private final int fd;

    private final byte[] buffer = new byte[AgentProtocol.MAX_MESSAGE];

    private boolean closed;

    private AgentClient(Path socket, int fd) {
        this.socket = socket;
        this.fd = fd;
    }

    /**
     * Connects to the agent on {@code socket} and reads its greeting.
     *
     * @param timeout how long to wait for each answer
     * @throws NativeIoException when nothing listens there, or it does not answer in time ({@code EAGAIN})
     * @throws SourceProtocolException when the agent refuses this process, or answers outside the protocol
     */
    public static AgentClient connect(Path socket, Duration timeout) throws IOException {
        int fd = UnixSockets.connect(socket);
        AgentClient client = new AgentClient(socket, fd);
        try {
            UnixSockets.setTimeouts(fd, timeout);
            String greeting = client.receive("(connect)");
            if (greeting.startsWith(AgentProtocol.REFUSED + " ")) {
                throw new SourceProtocolException("the agent refused this process: "
                        + greeting.substring(AgentProtocol.REFUSED.length() + 1), "(connect)", greeting);
            }
            if (!greeting.equals(AgentProtocol.GREETING + " " + AgentProtocol.VERSION)) {
                throw new SourceProtocolException("the agent greeted with '" + greeting + "', not '"
                        + AgentProtocol.GREETING + " " + AgentProtocol.VERSION + "'", "(connect)", greeting);
            }
            return client;
        }
        catch (IOException | RuntimeException ex) {
            client.close();
            throw ex;
        }
    }

    /** The socket this client is connected to. */
    public Path socket() {
        return socket;
    }

    /**
     * Which map the agent serves for {@code interfaceName}.
     *
     * @throws AgentRefusedException when it serves none, or cannot open it now
     */
    public AgentMap map(String interfaceName) throws IOException {
        String request = AgentProtocol.MAP + " " + interfaceName;
        String reply = ask(request, -1);
        String[] fields = reply.split(" ", 5);
        if (fields.length != 5 || !fields[0].equals(AgentProtocol.MAP) || !fields[1].equals(interfaceName)) {
            throw unexpected(request, reply);
        }
        try {
            return new AgentMap(Integer.parseInt(fields[2]), Integer.parseInt(fields[3]), fields[4]);
        }
        catch (NumberFormatException ex) {
            throw unexpected(request, reply);
        }
    }

    /**
     * Has the agent insert the AF_XDP socket {@code xskFd} into the map of {@code interfaceName} at {@code key};
     * the agent's copy of the descriptor is closed once it answers.
     *
     * @throws AgentRefusedException when the agent did not insert it, with its reason
     */
    public void insert(String interfaceName, int key, int xskFd) throws IOException {
        String request = AgentProtocol.INSERT + " " + interfaceName + " " + key;
        String reply = ask(request, xskFd);
        if (!reply.equals(AgentProtocol.INSERTED + " " + interfaceName + " " + key)) {
            throw unexpected(request, reply);
        }
    }

    /** Whether the agent has closed the connection, or it broke: checked without waiting. */
    public boolean lost() {
        if (closed) {
            return true;
        }
        try {
            return UnixSockets.peerClosed(fd);
        }
        catch (NativeIoException ex) {
            return true;
        }
    }

    /** Closes the connection; idempotent. The sockets the agent inserted stay in their slots. */
    @Override
    public synchronized void close() {
        if (!closed) {
            closed = true;
            FileDescriptors.closeQuietly(fd);
        }
    }

    private String ask(String request, int passedFd) throws IOException {
        UnixSockets.send(fd, AgentProtocol.encode(request), passedFd);
        String reply = receive(request);
        if (reply.startsWith(AgentProtocol.ERROR + " ")) {
            // error INTERFACE KEY CODE TEXT
            String[] fields = reply.split(" ", 5);
            if (fields.length < 4) {
                throw unexpected(request, reply);
            }
            throw new AgentRefusedException(AgentError.of(fields[3]), fields.length == 5 ? fields[4] : "", request,
                    reply);
        }
        return reply;
    }

    private String receive(String request) throws IOException {
        UnixMessage message = UnixSockets.receive(fd, buffer);
        FileDescriptors.closeQuietly(message.fd());
        if (message.closed()) {
            throw new SourceProtocolException("the agent closed the connection instead of answering " + request,
                    request, null);
        }
        return AgentProtocol.decode(buffer, message.length());
    }

    private static SourceProtocolException unexpected(String request, String reply) {
        return new SourceProtocolException("the agent answered '" + reply + "' to " + request
                + ", which this version does not understand", request, reply);
    }

    /**
     * The XSKMAP the agent serves for an interface, as the kernel describes it to the agent.
     *
     * @param id the kernel's id of the map
     * @param maxEntries its number of slots
     * @param name its name in the kernel
     */
    public record AgentMap(int id, int maxEntries, String name) {
    }
}
