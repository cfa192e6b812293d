package io.quicxdp.datapath.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

class XdpMapConfigTests {

    @Test
    void emptyQueueListMeansEveryQueue() {
        XdpMapConfig config = XdpMapConfig.allQueues("eth0", Path.of("/sys/fs/bpf/xsks"));
        assertThat(config.queues()).isEmpty();
    }

    @Test
    void queuesAreCopied() {
        List<Integer> queues = new java.util.ArrayList<>(List.of(0, 1));
        XdpMapConfig config = new XdpMapConfig("eth0", Path.of("/sys/fs/bpf/xsks"), queues);
        queues.add(2);
        assertThat(config.queues()).containsExactly(0, 1);
    }

    @Test
    void rejectsBlankInterface() {
        assertThatIllegalArgumentException()
                .isThrownBy(() -> XdpMapConfig.allQueues(" ", Path.of("/sys/fs/bpf/xsks")))
                .withMessage("interface name must not be empty");
    }

    @Test
    void rejectsRelativePath() {
        assertThatIllegalArgumentException().isThrownBy(() -> XdpMapConfig.allQueues("eth0", Path.of("xsks")))
                .withMessageContaining("map path must be absolute");
    }

    @Test
    void rejectsNegativeAndDuplicateQueues() {
        Path pin = Path.of("/sys/fs/bpf/xsks");
        assertThatIllegalArgumentException().isThrownBy(() -> new XdpMapConfig("eth0", pin, List.of(-1)))
                .withMessage("queue ids must not be negative, not -1");
        assertThatIllegalArgumentException().isThrownBy(() -> new XdpMapConfig("eth0", pin, Arrays.asList(1, 1)))
                .withMessage("queue 1 is listed twice");
    }

    @Test
    void aPinPathIsAPinnedMapSourceAndOnlyItHasAMapPath() {
        Path pin = Path.of("/sys/fs/bpf/xsks");
        assertThat(XdpMapConfig.allQueues("eth0", pin).source()).isEqualTo(MapSource.pinned(pin));
        assertThat(XdpMapConfig.allQueues("eth0", pin).mapPath()).isEqualTo(pin);
        XdpMapConfig agent = XdpMapConfig.allQueues("eth0", MapSource.agent(Path.of("/run/quic-xdp/agent.sock")));
        assertThat(agent.mapPath()).isNull();
        assertThat(agent.source().toString()).isEqualTo("the quic-xdp agent's socket /run/quic-xdp/agent.sock");
    }

    @Test
    void theDevicePluginSocketDefaultsToWhereThePluginMountsIt() {
        assertThat(MapSource.devicePluginOf("eth1").path()).isEqualTo(Path.of("/tmp/afxdp_dp/eth1/afxdp.sock"));
        assertThat(MapSource.devicePluginOf("eth1").kind().key()).isEqualTo("device-plugin-socket");
    }

    @Test
    void rejectsRelativeSocket() {
        assertThatIllegalArgumentException().isThrownBy(() -> MapSource.agent(Path.of("agent.sock")))
                .withMessage("the agent-socket must be an absolute path, not 'agent.sock'");
    }
}
