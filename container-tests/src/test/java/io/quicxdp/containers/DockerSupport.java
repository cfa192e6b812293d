package io.quicxdp.containers;

import io.quicxdp.datapath.testing.KernelSupport;
import org.junit.jupiter.api.Assumptions;
import org.testcontainers.DockerClientFactory;

/**
 * Whether the container tests can run here: the kernel tests' needs (root, AF_XDP, bpffs) and a Docker daemon
 * that answers. Without them the tests skip, saying what is missing; under CI, .ci/run starts a daemon and
 * fails on any skip.
 */
final class DockerSupport {

    private DockerSupport() {
    }

    /** Skips the calling test, with the reason, when there is no kernel support or no Docker daemon. */
    static void assumeAvailable() {
        KernelSupport.assumeAvailable();
        Assumptions.assumeTrue(DockerClientFactory.instance().isDockerAvailable(),
                "no Docker daemon answers (DOCKER_HOST=" + System.getenv("DOCKER_HOST") + "): install docker.io and "
                        + "start dockerd, as .ci/run does");
    }
}
