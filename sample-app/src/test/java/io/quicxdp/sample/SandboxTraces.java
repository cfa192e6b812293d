package io.quicxdp.sample;

import static org.assertj.core.api.Assertions.assertThat;

import io.quicxdp.datapath.testing.Commands;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/** What a sandbox leaves on the host while it exists, found by the id it logs; and checks that it is gone. */
record SandboxTraces(String id) {

    private static final Pattern LOGGED = Pattern.compile("Sandbox: network namespace qxs-([0-9a-f]{7}) ");

    /** The sandbox whose creation {@code output} logs, or {@code null}. */
    static SandboxTraces loggedIn(CharSequence output) {
        Matcher matcher = LOGGED.matcher(output);
        return matcher.find() ? new SandboxTraces(matcher.group(1)) : null;
    }

    String namespace() {
        return "qxs-" + this.id;
    }

    String appInterface() {
        return "qxsa" + this.id;
    }

    Path pinDirectory() {
        return Path.of("/sys/fs/bpf", "quic-xdp-sample-" + this.id);
    }

    void assertGone() {
        assertThat(Path.of("/var/run/netns", namespace())).as("the sandbox's network namespace").doesNotExist();
        assertThat(Commands.tryRun("ip", "link", "show", "dev", appInterface()).exitCode())
            .as("the sandbox's veth end " + appInterface()).isNotZero();
        assertThat(pinDirectory()).as("the sandbox's bpffs directory").doesNotExist();
    }

    /** Removes whatever is left, for a test that failed before the sample could. */
    void removeLeftovers() {
        Commands.tryRun("ip", "netns", "del", namespace());
        Commands.tryRun("ip", "link", "del", appInterface());
        if (Files.exists(pinDirectory())) {
            try (Stream<Path> paths = Files.walk(pinDirectory())) {
                paths.sorted(Comparator.reverseOrder()).forEach((path) -> path.toFile().delete());
            }
            catch (IOException ex) {
                // best effort
            }
        }
    }
}
