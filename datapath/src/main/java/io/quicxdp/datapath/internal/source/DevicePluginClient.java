package io.quicxdp.datapath.internal.source;

import io.quicxdp.datapath.internal.linux.FileDescriptors;
import io.quicxdp.datapath.internal.linux.UnixMessage;
import io.quicxdp.datapath.internal.linux.UnixSockets;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

/**
 * The pod's side of the AF_XDP device plugin for Kubernetes' unix-socket hand-off, as DPDK's af_xdp driver
 * speaks it: one {@code SOCK_SEQPACKET} connection, one ASCII request per packet, one answer per request.
 *
 * <pre>
 * /connect,HOSTNAME      → /host_ok     (or /host_nak: the plugin does not know this pod)
 * /version               → the protocol version, for example 0.1
 * /xsk_map_fd,INTERFACE  → /fd_ack with the XSKMAP's descriptor (SCM_RIGHTS), or /fd_nak
 * /fin                   → /fin_ack
 * </pre>
 *
 * <p>The plugin serves one such connection and then removes its socket, so the map is asked for once per
 * interface and the connection is finished at once; the descriptor is the caller's from then on.
 */
public final class DevicePluginClient {

    static final String CONNECT = "/connect";
    static final String HOST_OK = "/host_ok";
    static final String VERSION = "/version";
    static final String XSK_MAP_FD = "/xsk_map_fd";
    static final String FD_ACK = "/fd_ack";
    static final String FIN = "/fin";
    static final String FIN_ACK = "/fin_ack";

    /** The plugin reads at most 64 bytes a request and DPDK 128 an answer. */
    private static final int ANSWER_SIZE = 128;

    private DevicePluginClient() {
    }

    /**
     * Asks the plugin listening on {@code socket} for the XSKMAP of {@code interfaceName}.
     *
     * @param hostname how this pod introduces itself: the plugin checks it against the pods it serves
     * @param timeout how long to wait for each answer
     * @return the plugin's answer: the map's descriptor, now the caller's, and the protocol version
     * @throws io.quicxdp.datapath.internal.linux.NativeIoException when the socket cannot be reached or the plugin
     *     does not answer in time ({@code EAGAIN})
     * @throws SourceProtocolException when the plugin refuses ({@code /host_nak}, {@code /fd_nak}) or answers
     *     outside the protocol
     */
    public static Handover requestMap(Path socket, String interfaceName, String hostname, Duration timeout)
            throws IOException {
        int fd = UnixSockets.connect(socket);
        int mapFd = -1;
        try {
            UnixSockets.setTimeouts(fd, timeout);
            byte[] answer = new byte[ANSWER_SIZE];
            expect(fd, answer, CONNECT + "," + hostname, HOST_OK);
            String version = ask(fd, answer, VERSION).text;
            String request = XSK_MAP_FD + "," + interfaceName;
            Answer map = ask(fd, answer, request);
            mapFd = map.fd;
            if (!map.text.equals(FD_ACK) || mapFd < 0) {
                throw new SourceProtocolException("the device plugin answered " + quote(map.text)
                        + (map.text.equals(FD_ACK) ? " without a descriptor" : "") + " to " + request, request,
                        map.text);
            }
            expect(fd, answer, FIN, FIN_ACK);
            return new Handover(mapFd, version);
        }
        catch (IOException | RuntimeException ex) {
            FileDescriptors.closeQuietly(mapFd);
            throw ex;
        }
        finally {
            FileDescriptors.closeQuietly(fd);
        }
    }

    /** This pod's host name, which in Kubernetes is the pod's name: what {@code /connect} sends. */
    public static String hostname() {
        try {
            return Files.readString(Path.of("/proc/sys/kernel/hostname"), StandardCharsets.US_ASCII).strip();
        }
        catch (IOException ex) {
            String fromEnvironment = System.getenv("HOSTNAME");
            return fromEnvironment != null ? fromEnvironment : "localhost";
        }
    }

    private static void expect(int fd, byte[] buffer, String request, String expected) throws IOException {
        Answer answer = ask(fd, buffer, request);
        if (answer.fd >= 0) {
            FileDescriptors.closeQuietly(answer.fd);
        }
        if (!answer.text.equals(expected)) {
            throw new SourceProtocolException("the device plugin answered " + quote(answer.text) + " to " + request
                    + ", not " + expected, request, answer.text);
        }
    }

    private static Answer ask(int fd, byte[] buffer, String request) throws IOException {
        UnixSockets.send(fd, request);
        UnixMessage message = UnixSockets.receive(fd, buffer);
        if (message.closed()) {
            throw new SourceProtocolException("the device plugin closed the connection instead of answering "
                    + request, request, null);
        }
        // the plugin sends the bare text, other servers of the protocol (CNDP) a terminating NUL
        int length = Math.min(message.length(), buffer.length);
        while (length > 0 && buffer[length - 1] == 0) {
            length--;
        }
        return new Answer(new String(buffer, 0, length, StandardCharsets.US_ASCII).strip(), message.fd());
    }

    private static String quote(String text) {
        return "'" + text + "'";
    }

    private record Answer(String text, int fd) {
    }

    /**
     * What the plugin handed over.
     *
     * @param mapFd the XSKMAP's descriptor, owned by the caller
     * @param version the protocol version the plugin gave
     */
    public record Handover(int mapFd, String version) {
    }
}
