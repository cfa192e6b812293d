package io.quicxdp.datapath.testing;

import io.quicxdp.datapath.internal.linux.FileDescriptors;
import io.quicxdp.datapath.internal.linux.UnixMessage;
import io.quicxdp.datapath.internal.linux.UnixSockets;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

/**
 * The server side of the AF_XDP device plugin's unix-socket hand-off, for tests, behaving as the plugin
 * (redhat-et/afxdp-plugins-for-kubernetes) does: it serves exactly one connection on its
 * {@code SOCK_SEQPACKET} socket, answers with bare ASCII text, hands out the XSKMAP descriptors it was given
 * per interface ({@code /fd_ack}) or {@code /fd_nak}, and removes its socket once the connection ends.
 */
public final class DevicePluginServer implements AutoCloseable {

    private final Path socket;

    private final int listener;

    private final Map<String, Integer> mapFds;

    private final String hostname;

    private final List<String> requests = new CopyOnWriteArrayList<>();

    private final Thread thread;

    private volatile int connection = -1;

    private DevicePluginServer(Path socket, int listener, Map<String, Integer> mapFds, String hostname) {
        this.socket = socket;
        this.listener = listener;
        this.mapFds = Map.copyOf(mapFds);
        this.hostname = hostname;
        this.thread = new Thread(this::serve, "device-plugin-server");
        this.thread.setDaemon(true);
    }

    /**
     * Listens on {@code socket} (its directory is created).
     *
     * @param mapFds per interface, the descriptor of its XSKMAP to hand out; the caller keeps them open
     * @param hostname the pod name to accept in {@code /connect}, or {@code null} for any
     */
    public static DevicePluginServer start(Path socket, Map<String, Integer> mapFds, String hostname)
            throws IOException {
        Files.createDirectories(socket.getParent());
        DevicePluginServer server = new DevicePluginServer(socket, UnixSockets.listen(socket, 1), mapFds, hostname);
        server.thread.start();
        return server;
    }

    /** The requests received, as sent. */
    public List<String> requests() {
        return List.copyOf(requests);
    }

    /** Whether the one connection was served (or refused) and the socket removed. */
    public boolean finished() {
        return !thread.isAlive();
    }

    private void serve() {
        try {
            connection = UnixSockets.accept(listener);
            byte[] buffer = new byte[64];
            boolean connected = false;
            while (true) {
                UnixMessage message = UnixSockets.receive(connection, buffer);
                FileDescriptors.closeQuietly(message.fd());
                if (message.closed()) {
                    return;
                }
                String request = new String(buffer, 0, message.length(), StandardCharsets.US_ASCII);
                requests.add(request);
                String[] words = request.split(",");
                if (!connected) {
                    // the plugin answers nothing but /connect first, and ends the connection after refusing it
                    boolean known = words.length == 2 && words[0].equals("/connect")
                            && (hostname == null || hostname.equals(words[1].replace(" ", "")));
                    UnixSockets.send(connection, known ? "/host_ok" : "/host_nak");
                    if (!known) {
                        return;
                    }
                    connected = true;
                }
                else if (request.equals("/version")) {
                    UnixSockets.send(connection, "0.1");
                }
                else if (words.length == 2 && words[0].equals("/xsk_map_fd")) {
                    Integer fd = mapFds.get(words[1].replace(" ", ""));
                    if (fd != null) {
                        UnixSockets.send(connection, "/fd_ack".getBytes(StandardCharsets.US_ASCII), fd);
                    }
                    else {
                        UnixSockets.send(connection, "/fd_nak");
                    }
                }
                else if (request.equals("/fin")) {
                    UnixSockets.send(connection, "/fin_ack");
                    return;
                }
                else {
                    UnixSockets.send(connection, "/nak");
                }
            }
        }
        catch (IOException ex) {
            // shut down by close(), or the client went away: either ends the one connection
        }
        finally {
            int served = connection;
            connection = -1;
            FileDescriptors.closeQuietly(served);
            FileDescriptors.closeQuietly(listener);
            try {
                Files.deleteIfExists(socket);
            }
            catch (IOException ex) {
                // the test's directory goes anyway
            }
        }
    }

    /** Stops serving and removes the socket. */
    @Override
    public void close() throws InterruptedException {
        UnixSockets.shutdown(listener);
        int open = connection;
        if (open >= 0) {
            UnixSockets.shutdown(open);
        }
        thread.join(TimeUnit.SECONDS.toMillis(10));
    }
}
