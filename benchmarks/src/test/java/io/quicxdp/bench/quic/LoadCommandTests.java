package io.quicxdp.bench.quic;

import java.net.Inet4Address;
import java.net.Inet6Address;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

class LoadCommandTests {

    @Test
    void parsesEachKind() {
        LoadCommand handshakes = LoadCommand.parse("handshakes 198.18.0.1 4433 10 32");
        assertThat(handshakes.kind).isEqualTo(LoadCommand.Kind.HANDSHAKES);
        assertThat(handshakes.server.getAddress()).isInstanceOf(Inet4Address.class);
        assertThat(handshakes.server.getPort()).isEqualTo(4433);
        assertThat(handshakes.seconds).isEqualTo(10);
        assertThat(handshakes.first).isEqualTo(32);
        LoadCommand requests = LoadCommand.parse("  requests   fd00:198:18::1 443 5 4 16 ");
        assertThat(requests.kind).isEqualTo(LoadCommand.Kind.REQUESTS);
        assertThat(requests.server.getAddress()).isInstanceOf(Inet6Address.class);
        assertThat(requests.first).isEqualTo(4);
        assertThat(requests.second).isEqualTo(16);
        assertThat(LoadCommand.parse("bulk 198.18.0.1 4433 5 8").first).isEqualTo(8);
        LoadCommand latency = LoadCommand.parse("latency ::1 4433 5 8 20000");
        assertThat(latency.kind).isEqualTo(LoadCommand.Kind.LATENCY);
        assertThat(latency.second).isEqualTo(20000);
        LoadCommand paced = LoadCommand.parse("paced 198.18.0.1 4433 5 25");
        assertThat(paced.kind).isEqualTo(LoadCommand.Kind.PACED);
        assertThat(paced.first).isEqualTo(25);
        assertThat(paced.second).isZero();
    }

    @Test
    void rejectsHostNames() {
        assertThatIllegalArgumentException().isThrownBy(() -> LoadCommand.parse("bulk localhost 4433 5 1"))
                .withMessageContaining("not an IPv4 or IPv6 literal");
        assertThatIllegalArgumentException().isThrownBy(() -> LoadCommand.parse("bulk 1.2.3 4433 5 1"))
                .withMessageContaining("not an IPv4 or IPv6 literal");
    }

    @Test
    void rejectsWrongArityUnknownWordsAndRanges() {
        assertThatIllegalArgumentException().isThrownBy(() -> LoadCommand.parse("bulk 198.18.0.1 4433 5"))
                .withMessage("expected: bulk HOST PORT SECONDS STREAMS");
        assertThatIllegalArgumentException().isThrownBy(() -> LoadCommand.parse("requests 198.18.0.1 4433 5 1"))
                .withMessage("expected: requests HOST PORT SECONDS CONNECTIONS STREAMS");
        assertThatIllegalArgumentException().isThrownBy(() -> LoadCommand.parse("flood 198.18.0.1 4433 5 1"))
                .withMessageContaining("unknown command 'flood'");
        assertThatIllegalArgumentException().isThrownBy(() -> LoadCommand.parse("bulk 198.18.0.1 0 5 1"))
                .withMessageContaining("PORT 0 is outside 1..65535");
        assertThatIllegalArgumentException().isThrownBy(() -> LoadCommand.parse("bulk 198.18.0.1 4433 x 1"))
                .withMessageContaining("SECONDS 'x' is not a number");
        assertThatIllegalArgumentException().isThrownBy(() -> LoadCommand.parse("latency 198.18.0.1 4433 5 1 0"))
                .withMessageContaining("RATE 0 is outside");
        assertThatIllegalArgumentException().isThrownBy(() -> LoadCommand.parse("handshakes 198.18.0.1 4433 5 -1"))
                .withMessageContaining("CONCURRENCY -1 is outside");
        assertThatIllegalArgumentException().isThrownBy(() -> LoadCommand.parse("paced 198.18.0.1 4433 5 20000"))
                .withMessageContaining("MBPS 20000 is outside 1..10000");
        assertThatIllegalArgumentException().isThrownBy(() -> LoadCommand.parse("paced 198.18.0.1 4433 5 1 1"))
                .withMessage("expected: paced HOST PORT SECONDS MBPS");
    }
}
