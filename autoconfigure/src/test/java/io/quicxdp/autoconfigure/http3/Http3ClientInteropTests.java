package io.quicxdp.autoconfigure.http3;

import static org.assertj.core.api.Assertions.assertThat;

import io.quicxdp.datapath.XdpDatapath;
import io.quicxdp.datapath.state.SocketState;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Clients no one here wrote, against the WebFlux application over HTTP/3 through the XSKs, in the peer
 * namespace: Debian's {@code gtlsclient} in some of the QUIC Interop Runner's cases (transfer, IPv6,
 * multiplexing, key update, ChaCha20, resumption and 0-RTT, with early data on), and flupke (Java, on kwik).
 */
class Http3ClientInteropTests extends Http3InteropTestBase {

    @Override
    List<String> http3Properties() {
        return List.of("quic.xdp.http3.early-data=true");
    }

    @Test
    void transferOfSeveralFilesOneOfFiveMegabytesIsByteExact(@TempDir Path downloads) throws Exception {
        long sentBefore = application.getBean(XdpHttp3Server.class).state().bytesSent();
        long inPlaceBefore = txInPlace();
        gtlsclient(fixture.net().appIpv4(), downloads, List.of("--quiet"), "/file/1", "/file/1000", "/file/65536",
                "/file/5242880");
        for (int size : new int[] {1, 1000, 65536, 5242880}) {
            assertDownloaded(downloads, size);
        }
        assertThat(application.getBean(XdpHttp3Server.class).state().bytesSent() - sentBefore)
            .as("response bytes counted").isGreaterThanOrEqualTo(1 + 1000 + 65536 + 5242880);
        // by default quiche writes each datagram into a TX frame, which leaves from there
        assertThat(txInPlace() - inPlaceBefore).as("datagrams sent from the TX frame quiche wrote them into")
            .isGreaterThan((1000 + 65536 + 5242880) / 1500);
    }

    @Test
    void transferOverIpv6(@TempDir Path downloads) throws Exception {
        gtlsclient(fixture.net().appIpv6(), downloads, List.of("--quiet"), "/file/100000");
        assertDownloaded(downloads, 100000);
    }

    @Test
    void multiplexingAThousandRequestsOnOneConnection(@TempDir Path downloads) throws Exception {
        int before = requests.get();
        gtlsclient(fixture.net().appIpv4(), downloads, List.of("--quiet", "--nstreams=1000"), "/file/100");
        assertThat(requests.get() - before).as("requests answered on the one connection").isEqualTo(1000);
        assertDownloaded(downloads, 100);
    }

    @Test
    void aKeyUpdateMidTransferLeavesTheTransferWhole(@TempDir Path downloads) throws Exception {
        String log = gtlsclient(fixture.net().appIpv4(), downloads,
                List.of("--no-quic-dump", "--no-http-dump", "--key-update=5ms"), "/file/5242880");
        assertThat(log).contains("Initiate key update");
        assertDownloaded(downloads, 5242880);
    }

    @Test
    void chaCha20OnlyIsNegotiatedAndServes(@TempDir Path downloads) throws Exception {
        String log = gtlsclient(fixture.net().appIpv4(), downloads, List.of("--no-quic-dump", "--no-http-dump",
                "--ciphers=NORMAL:-VERS-ALL:+VERS-TLS1.3:-CIPHER-ALL:+CHACHA20-POLY1305"), "/file/65536");
        assertThat(log).contains("Negotiated cipher suite is CHACHA20-POLY1305");
        assertDownloaded(downloads, 65536);
    }

    @Test
    void flupkeFetchesAFileWholeAndManyAtOnceOnOneConnection() throws Exception {
        String base = "https://" + fixture.net().appIpv4().getHostAddress() + ":" + PORT;
        int before = requests.get();
        long received = rxPackets();
        fixture.net().inPeer(() -> {
            // a socket belongs to the namespace of the thread that opens it: the client's opens here
            java.net.http.HttpClient flupke = new tech.kwik.flupke.Http3ClientBuilder().disableCertificateCheck()
                .connectTimeout(java.time.Duration.ofSeconds(5)).build();
            java.net.http.HttpResponse<byte[]> file = flupke.send(java.net.http.HttpRequest
                .newBuilder(java.net.URI.create(base + "/file/1000000")).timeout(java.time.Duration.ofSeconds(20)).build(),
                    java.net.http.HttpResponse.BodyHandlers.ofByteArray());
            assertThat(file.statusCode()).isEqualTo(200);
            assertThat(sha256(file.body())).isEqualTo(sha256(content(1000000)));
            List<java.util.concurrent.CompletableFuture<java.net.http.HttpResponse<byte[]>>> many = new ArrayList<>();
            for (int i = 0; i < 200; i++) {
                many.add(flupke.sendAsync(java.net.http.HttpRequest.newBuilder(java.net.URI.create(base + "/file/100"))
                    .timeout(java.time.Duration.ofSeconds(20)).build(), java.net.http.HttpResponse.BodyHandlers.ofByteArray()));
            }
            for (java.util.concurrent.CompletableFuture<java.net.http.HttpResponse<byte[]>> response : many) {
                assertThat(response.get(20, TimeUnit.SECONDS).body()).isEqualTo(content(100));
            }
            return null;
        });
        assertThat(requests.get() - before).isEqualTo(201);
        assertThat(rxPackets()).as("flupke's packets came through the XSKs").isGreaterThan(received);
    }

    @Test
    void aReturningClientResumesItsSessionAndSendsItsRequestInEarlyData(@TempDir Path first, @TempDir Path second)
            throws Exception {
        Path session = first.resolve("session");
        Path parameters = first.resolve("transport-parameters");
        List<String> resume = List.of("--no-http-dump", "--session-file=" + session, "--tp-file=" + parameters);
        String full = gtlsclient(fixture.net().appIpv4(), first, resume, "/file/3000");
        assertDownloaded(first, 3000);
        String resumed = gtlsclient(fixture.net().appIpv4(), second, resume, "/file/3000");
        assertDownloaded(second, 3000);
        // the server's first Handshake flight carries its certificate unless the session is resumed
        assertThat(serverHandshakeBytes(resumed)).as("resumed: no certificate sent")
            .isLessThan(serverHandshakeBytes(full) / 2);
        // gtlsclient says so only when the server rejects early data
        assertThat(resumed).as("the request went out in 0-RTT and was kept").contains("type=0RTT")
            .doesNotContain("Early data was rejected by server");
    }

    private long txInPlace() {
        return application.getBean(XdpDatapath.class).state().sockets().stream()
            .mapToLong(SocketState::txInPlace)
            .sum();
    }
}
