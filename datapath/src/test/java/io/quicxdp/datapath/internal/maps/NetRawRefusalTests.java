package io.quicxdp.datapath.internal.maps;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/**
 * The analysis of a refused {@code socket(AF_XDP)} over {@code /proc/<pid>/status} lines as the kernel writes
 * them, for the contexts that refuse it: a non-root container user, with and without no_new_privs, a container
 * that was never given CAP_NET_RAW, and a host process without it.
 */
class NetRawRefusalTests {

    // docker run --user 10001 --cap-drop ALL --cap-add NET_RAW --cap-add IPC_LOCK, java without file capabilities
    private static final String NON_ROOT_CONTAINER = """
            Uid:\t10001\t10001\t10001\t10001
            Gid:\t10001\t10001\t10001\t10001
            CapInh:\t0000000000000000
            CapPrm:\t0000000000000000
            CapEff:\t0000000000000000
            CapBnd:\t0000000000006000
            CapAmb:\t0000000000000000
            NoNewPrivs:\t0
            Seccomp:\t2
            """;

    @Test
    void aNonRootContainerUserIsToldAboutFileCapabilities() {
        NetRawRefusal refusal = NetRawRefusal.parse(NON_ROOT_CONTAINER);
        assertThat(refusal.explanation()).isEqualTo("it runs as uid 10001 without CAP_NET_RAW in effect (CapEff: "
                + "0000000000000000), though CAP_NET_RAW is in its bounding set");
        assertThat(refusal.action()).startsWith("Grant the process CAP_NET_RAW")
            .contains("AmbientCapabilities=CAP_NET_RAW", "setcap cap_net_raw,cap_ipc_lock+ep",
                    "bounding set only");
    }

    @Test
    void noNewPrivsIsNamedAsWhatVoidsTheFileCapabilities() {
        NetRawRefusal refusal = NetRawRefusal.parse(NON_ROOT_CONTAINER.replace("NoNewPrivs:\t0", "NoNewPrivs:\t1"));
        assertThat(refusal.explanation()).endsWith(
                ", and no_new_privs is set (NoNewPrivs: 1), which voids file capabilities");
        assertThat(refusal.action()).startsWith("Turn no_new_privs off (drop --security-opt no-new-privileges; on "
                + "Kubernetes allowPrivilegeEscalation: true)").contains("setcap cap_net_raw,cap_ipc_lock+ep");
    }

    @Test
    void aContainerWithoutNetRawIsToldToAddIt() {
        NetRawRefusal refusal = NetRawRefusal.parse(NON_ROOT_CONTAINER.replace("0000000000006000", "0000000000004000")
            .replace("10001", "0"));
        assertThat(refusal.explanation()).isEqualTo("it runs as uid 0 without CAP_NET_RAW in effect (CapEff: "
                + "0000000000000000), and CAP_NET_RAW is not even in its bounding set");
        assertThat(refusal.action()).startsWith("Add CAP_NET_RAW to the process's bounding set: to the container "
                + "(docker run --cap-add NET_RAW");
    }

    @Test
    void rootWithoutNetRawInEffectIsToldToGrantIt() {
        NetRawRefusal refusal = NetRawRefusal.parse(NON_ROOT_CONTAINER.replace("10001", "0"));
        assertThat(refusal.action()).startsWith("Grant the process CAP_NET_RAW").doesNotContain("setcap");
    }

    @Test
    void anUnreadableStatusExplainsNothingAndGivesTheGeneralAdvice() {
        NetRawRefusal refusal = NetRawRefusal.parse(null);
        assertThat(refusal.explanation()).isNull();
        assertThat(refusal.action()).startsWith("Grant the process CAP_NET_RAW");
    }
}
