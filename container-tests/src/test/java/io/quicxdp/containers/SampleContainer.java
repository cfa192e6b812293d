package io.quicxdp.containers;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.command.InspectContainerResponse;
import com.github.dockerjava.api.model.Bind;
import com.github.dockerjava.api.model.Capability;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.containers.startupcheck.StartupCheckStrategy;
import org.testcontainers.containers.wait.strategy.Wait;

/**
 * The sample in a container, deployed as the least-privilege docs describe: {@code --network host} (the
 * interface and its XDP program are the host's), all capabilities dropped but those given, Docker's default
 * seccomp profile unless another is named, and the map's source (a pin's bpffs directory, or later a socket)
 * bind-mounted. Each {@code quic.xdp.maps[0]} property and each mount is set by the test, so a new map source
 * (the agent's socket, the device plugin's) is one more {@link #withProperty} and {@link #withBind}.
 */
final class SampleContainer extends GenericContainer<SampleContainer> {

    private static final Duration START = Duration.ofSeconds(120);

    private final List<Capability> added = new ArrayList<>();

    private final List<String> securityOptions = new ArrayList<>();

    private final List<Bind> binds = new ArrayList<>();

    private String user = "0:0";

    private final List<String> arguments = new ArrayList<>(List.of("--server.port=0",
            "--spring.main.banner-mode=off"));

    SampleContainer() {
        super(SampleImage.get());
        withNetworkMode("host");
        withCreateContainerCmdModifier(command -> command.withUser(this.user)
            .getHostConfig()
            .withCapDrop(Capability.ALL)
            .withCapAdd(this.added.toArray(Capability[]::new))
            .withSecurityOpts(this.securityOptions)
            .withBinds(this.binds));
    }

    /**
     * Runs the sample as {@code uid}, with the same gid, instead of the image's root: it then holds the added
     * capabilities through the image's file capabilities on {@code java} only ({@link SampleImage}).
     */
    SampleContainer withUser(int uid) {
        this.user = uid + ":" + uid;
        return this;
    }

    /** Adds {@code capabilities} to the empty set the container starts from ({@code --cap-drop ALL}). */
    SampleContainer withCapabilities(Capability... capabilities) {
        this.added.addAll(List.of(capabilities));
        return this;
    }

    /** Replaces Docker's default seccomp profile: {@code unconfined}, or a profile's JSON. */
    SampleContainer withSeccomp(String profile) {
        this.securityOptions.add("seccomp=" + profile);
        return this;
    }

    /**
     * {@code --security-opt no-new-privileges} (Kubernetes' {@code allowPrivilegeEscalation: false}): the kernel
     * then ignores the file capabilities of what the container runs.
     */
    SampleContainer withNoNewPrivileges() {
        this.securityOptions.add("no-new-privileges");
        return this;
    }

    /** Mounts a host directory (bpffs, a socket's directory) at the same path. */
    SampleContainer withBind(Path directory) {
        this.binds.add(Bind.parse(directory + ":" + directory));
        return this;
    }

    /** Passes {@code --name=value} to the sample. */
    SampleContainer withProperty(String name, Object value) {
        this.arguments.add("--" + name + "=" + value);
        return this;
    }

    /** Starts it and waits until the sample says it started. */
    void startServing() {
        withCommand(this.arguments.toArray(String[]::new));
        waitingFor(Wait.forLogMessage(".*Started SampleApplication.*\\n", 1).withStartupTimeout(START));
        start();
    }

    /** Starts it and waits until it has exited, whatever its status; returns the status. */
    long runToExit() {
        withCommand(this.arguments.toArray(String[]::new));
        withStartupCheckStrategy(new RanToItsEnd().withTimeout(START));
        start();
        return getCurrentContainerInfo().getState().getExitCodeLong();
    }

    /** {@code docker kill -s KILL}, and waits until Docker reports it stopped. */
    void killHard() throws InterruptedException {
        DockerClient client = getDockerClient();
        client.killContainerCmd(getContainerId()).withSignal("KILL").exec();
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (Boolean.TRUE.equals(client.inspectContainerCmd(getContainerId()).exec().getState().getRunning())) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("the container still runs 30 s after SIGKILL");
            }
            Thread.sleep(50);
        }
    }

    /** Counts a container that has exited, with any status, as started: for the runs that are to fail. */
    private static final class RanToItsEnd extends StartupCheckStrategy {

        @Override
        public StartupStatus checkStartupState(DockerClient dockerClient, String containerId) {
            InspectContainerResponse.ContainerState state = getCurrentState(dockerClient, containerId);
            return Boolean.TRUE.equals(state.getRunning()) ? StartupStatus.NOT_YET_KNOWN : StartupStatus.SUCCESSFUL;
        }
    }
}
