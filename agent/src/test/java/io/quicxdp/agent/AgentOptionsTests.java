package io.quicxdp.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;

class AgentOptionsTests {

    @Test
    void parsesEveryOption() {
        AgentOptions options = AgentOptions.parse("--socket", "/run/quic-xdp/agent.sock", "--map",
                "eth0=/sys/fs/bpf/xsks", "--map", "eth1=/sys/fs/bpf/xsks1", "--allow-uid", "1000", "--allow-gid", "2000");
        assertThat(options.socket()).isEqualTo(Path.of("/run/quic-xdp/agent.sock"));
        assertThat(options.maps()).isEqualTo(Map.of("eth0", Path.of("/sys/fs/bpf/xsks"), "eth1",
                Path.of("/sys/fs/bpf/xsks1")));
        assertThat(options.allows(1000, 5)).isTrue();
        assertThat(options.allows(5, 2000)).isTrue();
        assertThat(options.allows(5, 5)).isFalse();
    }

    @Test
    void namesTheOptionThatIsWrong() {
        assertThatIllegalArgumentException().isThrownBy(() -> AgentOptions.parse("--map", "eth0=/sys/fs/bpf/x",
                "--allow-uid", "1")).withMessageStartingWith("--socket is missing");
        assertThatIllegalArgumentException().isThrownBy(() -> AgentOptions.parse("--socket", "/a.sock",
                "--allow-uid", "1")).withMessageStartingWith("--map is missing");
        assertThatIllegalArgumentException().isThrownBy(() -> AgentOptions.parse("--socket", "/a.sock", "--map",
                "eth0=/sys/fs/bpf/x")).withMessageStartingWith("--allow-uid or --allow-gid is missing");
        assertThatIllegalArgumentException().isThrownBy(() -> AgentOptions.parse("--socket", "/a.sock", "--map",
                "eth0", "--allow-uid", "1")).withMessage("--map eth0 must be INTERFACE=PIN, for example "
                        + "eth0=/sys/fs/bpf/xsks");
        assertThatIllegalArgumentException().isThrownBy(() -> AgentOptions.parse("--socket", "/a.sock", "--map",
                "eth0=/x", "--map", "eth0=/y", "--allow-uid", "1")).withMessageContaining("interface eth0 twice");
        assertThatIllegalArgumentException().isThrownBy(() -> AgentOptions.parse("--socket", "/a.sock", "--map",
                "eth0=/x", "--allow-uid", "me")).withMessage("--allow-uid must be a numeric id (0 or more), not 'me'");
        assertThatIllegalArgumentException().isThrownBy(() -> AgentOptions.parse("--socket", "a.sock"))
                .withMessage("--socket must be an absolute path, not 'a.sock'");
        assertThatIllegalArgumentException().isThrownBy(() -> AgentOptions.parse("--verbose", "yes"))
                .withMessage("unknown option --verbose");
    }
}
