package io.quicxdp.bench.quic;

import io.netty.handler.codec.http3.DefaultHttp3Headers;
import io.netty.handler.codec.http3.Http3Headers;

/**
 * A path the load requests, with the check its responses must pass: status 200 and the body length the
 * server announced or, without content-length, the length of the first complete response of the path.
 */
final class Target {

    /** The request headers, built once and shared by every request (the encoder only reads them). */
    final Http3Headers headers;

    private long learnedLength = -1;

    Target(String path, String authority) {
        this.headers = new DefaultHttp3Headers().method("GET").scheme("https").authority(authority).path(path);
    }

    /**
     * Whether a response passes.
     *
     * @param status the response's :status, -1 if absent
     * @param announced its content-length, -1 if absent
     * @param received the body bytes received
     */
    boolean accepts(int status, long announced, long received) {
        if (status != 200) {
            return false;
        }
        if (announced >= 0) {
            return received == announced;
        }
        if (learnedLength < 0) {
            learnedLength = received;
            return true;
        }
        return received == learnedLength;
    }
}
