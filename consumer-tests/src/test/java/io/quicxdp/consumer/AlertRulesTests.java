package io.quicxdp.consumer;

import static org.assertj.core.api.Assertions.assertThat;

import io.quicxdp.datapath.testing.Commands;
import io.quicxdp.datapath.testing.Commands.Result;
import java.nio.file.Path;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The Prometheus alert rules of docs/prometheus pass Prometheus' own checks, and each alert fires as its unit
 * tests (quic-xdp-rules.test.yml) say. That the meters they use are exported is checked against a running
 * application, by the consumer application's tests.
 */
class AlertRulesTests {

    private static final Path RULES = Path.of(System.getProperty("root.dir"), "docs", "prometheus");

    @BeforeAll
    static void promtool() {
        Assumptions.assumeTrue(Commands.tryRun("promtool", "--version").exitCode() == 0,
                "the promtool command is missing: apt-get install prometheus");
    }

    @Test
    void theRulesFilePassesPromtoolCheckRules() {
        Result check = Commands.tryRun("promtool", "check", "rules", RULES.resolve("quic-xdp-rules.yml").toString());
        assertThat(check.exitCode()).as(check.output()).isZero();
        assertThat(check.output()).contains("SUCCESS: 7 rules found");
    }

    @Test
    void everyAlertFiresAsItsUnitTestsSay() {
        Result test = Commands.tryRun("promtool", "test", "rules", RULES.resolve("quic-xdp-rules.test.yml").toString());
        assertThat(test.exitCode()).as(test.output()).isZero();
        assertThat(test.output()).contains("SUCCESS");
    }
}
