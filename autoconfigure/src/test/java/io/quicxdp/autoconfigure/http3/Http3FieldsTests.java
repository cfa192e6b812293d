package io.quicxdp.autoconfigure.http3;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.netty.handler.codec.http3.DefaultHttp3Headers;
import io.netty.handler.codec.http3.Http3Headers;
import org.junit.jupiter.api.Test;

/**
 * The DATA frame headers the adapter writes below Netty's codec (the end-to-end tests download bodies of every
 * size through them), and which request fields it refuses as malformed.
 */
class Http3FieldsTests {

    @Test
    void aDataFrameHeaderIsItsTypeAndItsLengthAsAQuicVariableLengthInteger() {
        // RFC 9000, 16: one, two, four or eight bytes, the first two bits saying which
        assertThat(header(0)).isEqualTo("0000");
        assertThat(header(63)).isEqualTo("003f");
        assertThat(header(64)).isEqualTo("004040");
        assertThat(header(16383)).isEqualTo("007fff");
        assertThat(header(16384)).isEqualTo("0080004000");
        assertThat(header((1 << 30) - 1)).isEqualTo("00bfffffff");
        assertThat(header(1 << 30)).isEqualTo("00c000000040000000");
    }

    @Test
    void roomAfterTheHeaderTakesTheBody() {
        ByteBuf frame = Http3Fields.dataFrameHeader(UnpooledByteBufAllocator.DEFAULT, 3, 3);
        try {
            assertThat(frame.isDirect()).isTrue();
            assertThat(frame.writableBytes()).isGreaterThanOrEqualTo(3);
        }
        finally {
            frame.release();
        }
    }

    @Test
    void wellFormedFieldsPass() {
        assertThat(Http3Fields.malformed(request().add("x-trace_id.1", "a b\tc").add("empty", ""))).isNull();
    }

    @Test
    void namesThatAreNotTokensAndValuesWithControlsOrSurroundingSpaceAreMalformed() {
        assertThat(Http3Fields.malformed(request().add("bad name", "x"))).contains("'bad name'", "not a token");
        assertThat(Http3Fields.malformed(request().add("x(y)", "x"))).contains("not a token");
        assertThat(Http3Fields.malformed(request().add("x-a", " x"))).contains("'x-a'");
        assertThat(Http3Fields.malformed(request().add("x-a", "x\t"))).contains("'x-a'");
        assertThat(Http3Fields.malformed(request().add("x-a", "a\rb"))).contains("'x-a'");
        assertThat(Http3Fields.malformed(request().add("x-a", "a\u0000b"))).contains("'x-a'");
    }

    @Test
    void namesAreLowerCasedOnce() {
        assertThat((Object) Http3Fields.name("Content-Type")).hasToString("content-type");
        assertThat((Object) Http3Fields.name("Content-Type")).isSameAs(Http3Fields.name("Content-Type"));
    }

    private static Http3Headers request() {
        return new DefaultHttp3Headers().method("GET").path("/").scheme("https").authority("example.test");
    }

    private static String header(int length) {
        ByteBuf header = Http3Fields.dataFrameHeader(UnpooledByteBufAllocator.DEFAULT, length);
        try {
            return ByteBufUtil.hexDump(header);
        }
        finally {
            header.release();
        }
    }
}
