package io.quicxdp.autoconfigure.http3;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** gtlsclient against an application that validates new clients' addresses with Retry. */
class Http3RetryInteropTests extends Http3InteropTestBase {

    @Override
    List<String> http3Properties() {
        return List.of("quic.xdp.http3.retry=true");
    }

    @Test
    void withRetryOnTheClientIsSentARetryAndCompletes(@TempDir Path downloads) throws Exception {
        long retries = application.getBean(XdpHttp3Server.class).state().retriesSent();
        String log = gtlsclient(fixture.net().appIpv4(), downloads, List.of("--no-http-dump"), "/file/10");
        assertThat(log).contains("type=Retry");
        assertDownloaded(downloads, 10);
        assertThat(application.getBean(XdpHttp3Server.class).state().retriesSent()).isGreaterThan(retries);
    }
}
