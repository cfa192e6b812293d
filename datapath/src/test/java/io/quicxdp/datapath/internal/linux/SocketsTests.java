package io.quicxdp.datapath.internal.linux;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;

import org.junit.jupiter.api.Test;

class SocketsTests {

    @Test
    void failedCallReportsErrnoFromTheKernel() {
        assertThatExceptionOfType(NativeIoException.class)
                .isThrownBy(() -> Sockets.open(12345, Sockets.SOCK_DGRAM, 0, "bogus family"))
                .satisfies(e -> {
                    assertThat(e.errno()).isEqualTo(Errno.EAFNOSUPPORT);
                    assertThat(e.getMessage()).isEqualTo(
                            "socket(bogus family) failed: EAFNOSUPPORT (Address family not supported by protocol)");
                });
    }

    @Test
    void nonBlockingReceiveOnEmptySocketReturnsMinusEagain() throws Exception {
        int fd = Sockets.open(Sockets.AF_INET, Sockets.SOCK_DGRAM, 0, "udp");
        try {
            assertThat(Sockets.receiveNonBlocking(fd, DirectBuffers.allocate(64))).isEqualTo(-Errno.EAGAIN);
        } finally {
            FileDescriptors.close(fd);
        }
    }

    @Test
    void closingAClosedDescriptorIsEbadf() throws Exception {
        int fd = Sockets.open(Sockets.AF_INET, Sockets.SOCK_DGRAM, 0, "udp");
        FileDescriptors.close(fd);
        assertThatExceptionOfType(NativeIoException.class).isThrownBy(() -> FileDescriptors.close(fd))
                .satisfies(e -> assertThat(e.errno()).isEqualTo(Errno.EBADF));
    }
}
