package io.quicxdp.bench.quic;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

import io.quicxdp.datapath.config.TxPath;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class ServerOptionsTests {

    private static final String[] COMMON = {"--port", "4433", "--htdocs", "www", "--key", "k.pem", "--cert", "c.pem"};

    private static String[] with(String... more) {
        String[] args = new String[COMMON.length + more.length];
        System.arraycopy(more, 0, args, 0, more.length);
        System.arraycopy(COMMON, 0, args, more.length, COMMON.length);
        return args;
    }

    @Test
    void xdpTakesItsInterfaceAndPin() {
        ServerOptions options = ServerOptions.parse(with("--transport", "xdp", "--interface", "veth0", "--pin",
                "/sys/fs/bpf/xsks"));
        assertThat(options).isEqualTo(new ServerOptions("xdp", 4433, Path.of("www"), Path.of("k.pem"),
                Path.of("c.pem"), "veth0", Path.of("/sys/fs/bpf/xsks"), TxPath.XDP));
    }

    @Test
    void xdpSendsItsBatchesThroughTheKernelWhenAsked() {
        assertThat(ServerOptions.parse(with("--transport", "xdp", "--interface", "veth0", "--pin", "/sys/fs/bpf/xsks",
                "--tx-path", "kernel-gso")).txPath()).isEqualTo(TxPath.KERNEL_GSO);
        assertThatIllegalArgumentException().isThrownBy(() -> ServerOptions.parse(with("--transport", "xdp",
                "--interface", "veth0", "--pin", "/sys/fs/bpf/xsks", "--tx-path", "gso")))
            .withMessage("--tx-path must be xdp, kernel-gso or auto, not 'gso'");
        assertThatIllegalArgumentException().isThrownBy(() -> ServerOptions.parse(with("--transport", "epoll",
                "--tx-path", "kernel-gso"))).withMessageContaining("apply to --transport xdp only");
    }

    @Test
    void kernelTransportsNeedNoInterface() {
        assertThat(ServerOptions.parse(with("--transport", "epoll")).interfaceName()).isNull();
        assertThat(ServerOptions.parse(with("--transport", "nio")).pin()).isNull();
    }

    @Test
    void xdpWithoutItsPinFailsNamingBothFlags() {
        assertThatIllegalArgumentException().isThrownBy(() -> ServerOptions.parse(with("--transport", "xdp",
                "--interface", "veth0"))).withMessageContaining("--interface").withMessageContaining("--pin");
    }

    @Test
    void aRelativePinIsRefused() {
        assertThatIllegalArgumentException().isThrownBy(() -> ServerOptions.parse(with("--transport", "xdp",
                "--interface", "veth0", "--pin", "xsks"))).withMessageStartingWith("--pin must be an absolute");
    }

    @Test
    void anInterfaceForAKernelTransportIsRefused() {
        assertThatIllegalArgumentException().isThrownBy(() -> ServerOptions.parse(with("--transport", "epoll",
                "--interface", "veth0"))).withMessageContaining("xdp only");
    }

    @Test
    void badValuesAndFlagsAreNamed() {
        assertThatIllegalArgumentException().isThrownBy(() -> ServerOptions.parse(with("--transport", "dpdk")))
                .withMessageStartingWith("--transport must be one of");
        assertThatIllegalArgumentException().isThrownBy(() -> ServerOptions.parse("--transport", "nio", "--port",
                "65536", "--htdocs", "www", "--key", "k", "--cert", "c")).withMessageStartingWith("--port must be");
        assertThatIllegalArgumentException().isThrownBy(() -> ServerOptions.parse("--transport", "nio", "--port",
                "x", "--htdocs", "www", "--key", "k", "--cert", "c")).withMessageStartingWith("--port must be");
        assertThatIllegalArgumentException().isThrownBy(() -> ServerOptions.parse(with("--transport", "nio",
                "--verbose", "1"))).withMessageStartingWith("unknown argument '--verbose'");
        assertThatIllegalArgumentException().isThrownBy(() -> ServerOptions.parse("--transport", "nio", "--port",
                "1", "--htdocs", "www", "--key", "k")).withMessageStartingWith("--cert is missing");
        assertThatIllegalArgumentException().isThrownBy(() -> ServerOptions.parse(with("--transport")))
                .withMessageStartingWith("--transport needs a value");
        assertThatIllegalArgumentException().isThrownBy(() -> ServerOptions.parse(with("--transport", "nio",
                "--port", "1"))).withMessageStartingWith("--port is given twice");
    }
}
