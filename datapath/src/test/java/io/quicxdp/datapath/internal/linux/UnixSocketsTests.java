package io.quicxdp.datapath.internal.linux;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;

import com.sun.security.auth.module.UnixSystem;
import io.quicxdp.datapath.testing.Commands;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.Comparator;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Unix sockets on the real kernel: messages, descriptors passed with them, and the peer's credentials. */
class UnixSocketsTests {

    private Path directory;

    @BeforeEach
    void createDirectory() throws Exception {
        directory = Files.createTempDirectory("qx-unix-");
        // searchable by everyone: a child under another uid connects to a socket in here
        Files.setPosixFilePermissions(directory, PosixFilePermissions.fromString("rwx--x--x"));
    }

    @AfterEach
    void removeDirectory() throws Exception {
        try (Stream<Path> paths = Files.walk(directory)) {
            for (Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(path);
            }
        }
    }

    @Test
    void aMessageCarriesItsBytesAndNoDescriptor() throws Exception {
        int[] pair = UnixSockets.pair();
        try {
            UnixSockets.send(pair[0], "/version");
            byte[] into = new byte[64];
            UnixMessage message = UnixSockets.receive(pair[1], into);
            assertThat(message.fd()).isEqualTo(-1);
            assertThat(new String(into, 0, message.length(), StandardCharsets.US_ASCII)).isEqualTo("/version");
        }
        finally {
            closeAll(pair);
        }
    }

    @Test
    void aPassedDescriptorReachesTheSameObject() throws Exception {
        int[] carrier = UnixSockets.pair();
        int[] passed = UnixSockets.pair();
        int received = -1;
        try {
            UnixSockets.send(carrier[0], "/fd_ack".getBytes(StandardCharsets.US_ASCII), passed[0]);
            byte[] into = new byte[64];
            UnixMessage message = UnixSockets.receive(carrier[1], into);
            received = message.fd();
            assertThat(received).isNotNegative().isNotEqualTo(passed[0]);
            assertThat(new String(into, 0, message.length(), StandardCharsets.US_ASCII)).isEqualTo("/fd_ack");

            // what is written on the received copy arrives at the other end of the original
            UnixSockets.send(received, "through the copy");
            UnixMessage echoed = UnixSockets.receive(passed[1], into);
            assertThat(new String(into, 0, echoed.length(), StandardCharsets.US_ASCII)).isEqualTo("through the copy");
        }
        finally {
            closeAll(carrier);
            closeAll(passed);
            FileDescriptors.closeQuietly(received);
        }
    }

    @Test
    void receivingFromAClosedPeerSaysSoAndThePollSeesItWithoutReading() throws Exception {
        int[] pair = UnixSockets.pair();
        try {
            assertThat(UnixSockets.peerClosed(pair[1])).isFalse();
            FileDescriptors.close(pair[0]);
            assertThat(UnixSockets.peerClosed(pair[1])).isTrue();
            assertThat(UnixSockets.receive(pair[1], new byte[8]).closed()).isTrue();
            assertThatExceptionOfType(NativeIoException.class)
                    .isThrownBy(() -> UnixSockets.send(pair[1], "/fin"))
                    .satisfies(ex -> assertThat(ex.errnoName()).isEqualTo("EPIPE"));
        }
        finally {
            FileDescriptors.closeQuietly(pair[1]);
        }
    }

    @Test
    void aReceiveTimeoutEndsTheWaitWithEagain() throws Exception {
        int[] pair = UnixSockets.pair();
        try {
            UnixSockets.setTimeouts(pair[1], Duration.ofMillis(50));
            long start = System.nanoTime();
            assertThatExceptionOfType(NativeIoException.class)
                    .isThrownBy(() -> UnixSockets.receive(pair[1], new byte[8]))
                    .satisfies(ex -> assertThat(ex.errno()).isEqualTo(Errno.EAGAIN));
            assertThat(System.nanoTime() - start).isLessThan(TimeUnit.SECONDS.toNanos(5));
        }
        finally {
            closeAll(pair);
        }
    }

    @Test
    void aListenerAcceptsAConnectionAndBothEndsSeeThisProcess() throws Exception {
        Path path = directory.resolve("server.sock");
        int listener = UnixSockets.listen(path, 4);
        int client = -1;
        int server = -1;
        try {
            client = UnixSockets.connect(path);
            server = UnixSockets.accept(listener);
            UnixSystem self = new UnixSystem();
            PeerCredentials peer = UnixSockets.peerCredentials(server);
            assertThat(peer.pid()).isEqualTo((int) ProcessHandle.current().pid());
            assertThat(peer.uid()).isEqualTo((int) self.getUid());
            assertThat(peer.gid()).isEqualTo((int) self.getGid());
            assertThat(UnixSockets.peerCredentials(client)).isEqualTo(peer);
        }
        finally {
            FileDescriptors.closeQuietly(client);
            FileDescriptors.closeQuietly(server);
            FileDescriptors.closeQuietly(listener);
        }
    }

    @Test
    void theCredentialsOfAPeerUnderAnotherUserAreItsOwn() throws Exception {
        Path path = directory.resolve("server.sock");
        int listener = UnixSockets.listen(path, 4);
        int server = -1;
        try {
            Files.setPosixFilePermissions(path, PosixFilePermissions.fromString("rwxrwxrwx"));
            CompletableFuture<String> child = CompletableFuture.supplyAsync(() -> Commands.run("setpriv",
                    "--reuid=65534", "--regid=65534", "--clear-groups", "perl", "-MSocket", "-e",
                    "socket(my $s, AF_UNIX, SOCK_SEQPACKET, 0) or die $!; "
                            + "connect($s, pack_sockaddr_un($ARGV[0])) or die $!; recv($s, my $b, 8, 0); print $b",
                    path.toString()));
            server = UnixSockets.accept(listener);
            PeerCredentials peer = UnixSockets.peerCredentials(server);
            UnixSockets.send(server, "seen");
            assertThat(child.get(30, TimeUnit.SECONDS)).contains("seen");
            assertThat(peer.uid()).isEqualTo(65534);
            assertThat(peer.gid()).isEqualTo(65534);
            assertThat(peer.pid()).isNotEqualTo((int) ProcessHandle.current().pid());
        }
        finally {
            FileDescriptors.closeQuietly(server);
            FileDescriptors.closeQuietly(listener);
        }
    }

    @Test
    void shutdownWakesAThreadBlockedInAccept() throws Exception {
        int listener = UnixSockets.listen(directory.resolve("server.sock"), 4);
        try {
            CompletableFuture<Integer> accepting = CompletableFuture.supplyAsync(() -> {
                try {
                    return UnixSockets.accept(listener);
                }
                catch (NativeIoException ex) {
                    return -ex.errno();
                }
            });
            Thread.sleep(100);
            UnixSockets.shutdown(listener);
            assertThat(accepting.get(10, TimeUnit.SECONDS)).isEqualTo(-Errno.EINVAL);
        }
        finally {
            FileDescriptors.closeQuietly(listener);
        }
    }

    @Test
    void connectingWhereNothingListensNamesThePath() {
        Path path = directory.resolve("absent.sock");
        assertThatExceptionOfType(NativeIoException.class).isThrownBy(() -> UnixSockets.connect(path))
                .satisfies(ex -> {
                    assertThat(ex.errno()).isEqualTo(Errno.ENOENT);
                    assertThat(ex.getMessage()).contains(path.toString());
                });
    }

    private static void closeAll(int[] fds) {
        for (int fd : fds) {
            FileDescriptors.closeQuietly(fd);
        }
    }
}
