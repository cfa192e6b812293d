package io.quicxdp.datapath.internal.maps;

import static org.assertj.core.api.Assertions.assertThat;

import io.quicxdp.datapath.internal.maps.BpfRefusal.Cause;
import io.quicxdp.datapath.config.XdpMapConfig;
import io.quicxdp.datapath.failure.MissingPrivilegeException;
import io.quicxdp.datapath.failure.XdpDatapathException;
import io.quicxdp.datapath.internal.linux.Errno;
import io.quicxdp.datapath.internal.linux.NativeIoException;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;

/**
 * The EPERM analysis over {@code /proc/<pid>/status} texts as the kernel writes them, for the contexts a
 * service meets: Docker's default seccomp profile, unconfined, a systemd unit with a filter of its own.
 */
class BpfRefusalTests {

    @Test
    void dockersDefaultProfileOnACurrentKernelIsTheFilterNotACapability() {
        BpfRefusal refusal = BpfRefusal.parse(status("docker-default"), "2\n", "6.18.44-fc-v857");
        assertThat(refusal.cause()).isEqualTo(Cause.SECCOMP_FILTER);
        assertThat(refusal.explanation()).startsWith("a seccomp filter on this process refuses bpf(), not a missing "
                + "capability (Seccomp: 2 (filter) in /proc/self/status, it holds neither CAP_BPF nor CAP_SYS_ADMIN, "
                + "kernel.unprivileged_bpf_disabled=2, Linux 6.18.44-fc-v857)");
        assertThat(refusal.action("the pin /sys/fs/bpf/xsks"))
            .startsWith("Docker's default seccomp profile refuses bpf() to a container without CAP_SYS_ADMIN")
            .contains("--security-opt seccomp=PROFILE", "seccomp=unconfined", "securityContext.seccompProfile",
                    "quic.xdp.maps[i].agent-socket")
            .doesNotStartWith("Grant");
    }

    @Test
    void dockersDefaultProfileOnAKernelBefore519NeedsBothChanged() {
        BpfRefusal refusal = BpfRefusal.parse(status("docker-default"), "2", "5.15.0-91-generic");
        assertThat(refusal.cause()).isEqualTo(Cause.CAPABILITY_AND_SECCOMP_FILTER);
        assertThat(refusal.action("the pin /sys/fs/bpf/xsks")).startsWith("Both must change: grant CAP_BPF")
            .contains("--cap-add SYS_ADMIN", "quic.xdp.maps[i].agent-socket");
    }

    @Test
    void noFilterAndNoCapabilityOnAKernelBefore519IsTheCapability() {
        BpfRefusal refusal = BpfRefusal.parse(status("docker-unconfined"), "1", "5.10.0-28-amd64");
        assertThat(refusal.cause()).isEqualTo(Cause.CAPABILITY);
        assertThat(refusal.explanation()).contains("Seccomp: 0 in /proc/self/status",
                "kernel.unprivileged_bpf_disabled=1", "Linux 5.10.0-28-amd64");
        assertThat(refusal.action("the pin /sys/fs/bpf/xsks")).startsWith("Grant the process CAP_BPF")
            .contains("Linux 5.19");
    }

    @Test
    void unprivilegedBpfAllowedLeavesNothingForTheKernelToRefuse() {
        BpfRefusal refusal = BpfRefusal.parse(status("docker-unconfined"), "0", "5.10.0-28-amd64");
        assertThat(refusal.cause()).isEqualTo(Cause.UNEXPLAINED);
        assertThat(refusal.action("the map /sys/fs/bpf/xsks")).contains("SELinux", "AppArmor");
    }

    @Test
    void noFilterOnACurrentKernelIsNeitherAndPointsAtSecurityModules() {
        BpfRefusal refusal = BpfRefusal.parse(status("docker-unconfined"), "2", "6.1.0-18-amd64");
        assertThat(refusal.cause()).isEqualTo(Cause.UNEXPLAINED);
        assertThat(refusal.explanation()).startsWith("neither a seccomp filter nor a missing capability explains it");
    }

    @Test
    void aFilterWithCapBpfHeldIsStillTheFilter() {
        BpfRefusal refusal = BpfRefusal.parse(status("systemd-net-raw-bpf"), "2", "5.15.0-91-generic");
        assertThat(refusal.cause()).isEqualTo(Cause.SECCOMP_FILTER);
        assertThat(refusal.explanation()).contains("it holds CAP_BPF");
    }

    @Test
    void aFilterThatRefusesEvenCapSysAdminIsACustomProfile() {
        BpfRefusal refusal = BpfRefusal.parse(status("docker-sys-admin"), "2", "6.18.44");
        assertThat(refusal.cause()).isEqualTo(Cause.SECCOMP_FILTER);
        assertThat(refusal.explanation()).contains("it holds CAP_SYS_ADMIN");
    }

    @Test
    void unreadableProcSaysSoAndNamesBothFixes() {
        BpfRefusal refusal = BpfRefusal.parse(null, null, null);
        assertThat(refusal.cause()).isEqualTo(Cause.UNKNOWN);
        assertThat(refusal.action("the pin /sys/fs/bpf/xsks")).contains("seccomp profile", "CAP_BPF",
                "quic.xdp.maps[i].agent-socket");
    }

    @Test
    void theStartupFailureCarriesTheAnalysis() {
        XdpMapConfig config = XdpMapConfig.allQueues("eth0", Path.of("/sys/fs/bpf/quic/xsks"));
        XdpDatapathException failure = StartupFailures.bpfRefused(
                "The kernel refused the bpf() system call to open /sys/fs/bpf/quic/xsks", "the pin /sys/fs/bpf/quic/xsks",
                BpfRefusal.parse(status("docker-default"), "2", "6.18.44"), config, null,
                new NativeIoException("bpf(BPF_OBJ_GET)", Errno.EPERM));
        assertThat(failure).isInstanceOf(MissingPrivilegeException.class)
            .hasMessageStartingWith("The kernel refused the bpf() system call to open /sys/fs/bpf/quic/xsks (EPERM): "
                    + "a seccomp filter on this process refuses bpf()");
        assertThat(failure.errno()).isEqualTo(Errno.EPERM);
        assertThat(failure.interfaceName()).isEqualTo("eth0");
    }

    @Test
    @EnabledOnOs(OS.LINUX)
    void readsThisThreadsContext() {
        assertThat(BpfRefusal.ofCallingThread().cause()).isNotEqualTo(Cause.UNKNOWN);
    }

    private static String status(String name) {
        try (InputStream in = BpfRefusalTests.class.getResourceAsStream("/bpf-refusal/" + name + ".status")) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        catch (IOException ex) {
            throw new UncheckedIOException(ex);
        }
    }
}
