package io.quicxdp.bench.quic;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class TargetTests {

    @Test
    void announcedLengthMustMatch() {
        Target target = new Target("/small", "localhost");
        assertThat(target.accepts(200, 100, 100)).isTrue();
        assertThat(target.accepts(200, 100, 99)).isFalse();
        assertThat(target.accepts(404, 100, 100)).isFalse();
        assertThat(target.accepts(-1, -1, 0)).isFalse();
    }

    @Test
    void withoutContentLengthTheFirstResponseSetsTheLength() {
        Target target = new Target("/bulk", "localhost");
        assertThat(target.accepts(200, -1, 4096)).isTrue();
        assertThat(target.accepts(200, -1, 4096)).isTrue();
        assertThat(target.accepts(200, -1, 4000)).isFalse();
        assertThat(target.accepts(200, 4000, 4000)).isTrue();
    }

    @Test
    void requestHeadersNameThePath() {
        Target target = new Target("/bulk", "localhost");
        assertThat(target.headers.path().toString()).isEqualTo("/bulk");
        assertThat(target.headers.method().toString()).isEqualTo("GET");
        assertThat(target.headers.scheme().toString()).isEqualTo("https");
        assertThat(target.headers.authority().toString()).isEqualTo("localhost");
    }
}
