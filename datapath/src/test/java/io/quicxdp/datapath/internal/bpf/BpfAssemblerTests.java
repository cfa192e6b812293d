package io.quicxdp.datapath.internal.bpf;

import static io.quicxdp.datapath.internal.bpf.BpfAssembler.R0;
import static io.quicxdp.datapath.internal.bpf.BpfAssembler.R1;
import static io.quicxdp.datapath.internal.bpf.BpfAssembler.R2;
import static io.quicxdp.datapath.internal.bpf.BpfAssembler.R10;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;
import static org.assertj.core.api.Assertions.assertThatIllegalStateException;

import io.quicxdp.datapath.internal.bpf.BpfAssembler.AluOp;
import io.quicxdp.datapath.internal.bpf.BpfAssembler.JumpOp;
import io.quicxdp.datapath.internal.bpf.BpfAssembler.Size;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;

class BpfAssemblerTests {

    /** The expected bytes are those of the kernel documentation's encoding, written out by hand. */
    private static String hex(BpfAssembler asm) {
        return HexFormat.ofDelimiter(" ").formatHex(BpfAssembler.toBytes(asm.assemble()));
    }

    @Test
    void encodesAluMovesAndExit() {
        assertThat(hex(new BpfAssembler().mov64(R0, 2).exit()))
                .isEqualTo("b7 00 00 00 02 00 00 00 95 00 00 00 00 00 00 00");
        assertThat(hex(new BpfAssembler().mov64Reg(6, R1).alu64(AluOp.ADD, R2, -4)))
                .isEqualTo("bf 16 00 00 00 00 00 00 07 02 00 00 fc ff ff ff");
        assertThat(hex(new BpfAssembler().alu32(AluOp.AND, R1, 0x0f).alu32Reg(AluOp.XOR, R1, R2)))
                .isEqualTo("54 01 00 00 0f 00 00 00 ac 21 00 00 00 00 00 00");
        assertThat(hex(new BpfAssembler().alu64Reg(AluOp.ADD, R1, R2).toBigEndian(R1, 16)))
                .isEqualTo("0f 21 00 00 00 00 00 00 dc 01 00 00 10 00 00 00");
    }

    @Test
    void encodesLoadsAndStoresOfEverySize() {
        assertThat(hex(new BpfAssembler().load(Size.BYTE, R1, R2, 23).load(Size.HALF, R1, R2, 12)
                .load(Size.WORD, R1, R2, -4).load(Size.DOUBLE, R1, R2, 8)))
                .isEqualTo("71 21 17 00 00 00 00 00 69 21 0c 00 00 00 00 00 61 21 fc ff 00 00 00 00"
                        + " 79 21 08 00 00 00 00 00");
        assertThat(hex(new BpfAssembler().store(Size.WORD, R10, -4, R1).storeImm(Size.BYTE, R1, 4, 7)
                .store(Size.HALF, R1, 0, R2).storeImm(Size.DOUBLE, R10, -8, -1)))
                .isEqualTo("63 1a fc ff 00 00 00 00 72 01 04 00 07 00 00 00 6b 21 00 00 00 00 00 00"
                        + " 7a 0a f8 ff ff ff ff ff");
        assertThat(Size.ofBytes(2)).isEqualTo(Size.HALF);
        assertThatIllegalArgumentException().isThrownBy(() -> Size.ofBytes(3));
    }

    @Test
    void encodesAtomicAddsAsTheOldXaddOfFourOrEightBytes() {
        assertThat(hex(new BpfAssembler().atomicAdd(Size.DOUBLE, R1, 8, R2).atomicAdd(Size.WORD, R1, -4, R2)))
                .isEqualTo("db 21 08 00 00 00 00 00 c3 21 fc ff 00 00 00 00");
        assertThatIllegalArgumentException().isThrownBy(() -> new BpfAssembler().atomicAdd(Size.BYTE, R1, 0, R2));
    }

    @Test
    void encodesWideConstantsAndMapReferencesInTwoSlots() {
        assertThat(hex(new BpfAssembler().loadImm64(R1, 0x1122334455667788L)))
                .isEqualTo("18 01 00 00 88 77 66 55 00 00 00 00 44 33 22 11");
        assertThat(hex(new BpfAssembler().loadMapFd(R1, 5)))
                .isEqualTo("18 11 00 00 05 00 00 00 00 00 00 00 00 00 00 00");
    }

    @Test
    void resolvesJumpsForwardAndBackwardCountingWideConstantsAsTwo() {
        long[] program = new BpfAssembler()
                .label("top")
                .jump(JumpOp.JEQ, R1, 17, "end")
                .loadImm64(R2, 1)
                .jumpReg(JumpOp.JGT, R1, R2, "top")
                .jumpAlways("end")
                .call(BpfAssembler.HELPER_REDIRECT_MAP)
                .label("end")
                .exit()
                .assemble();
        assertThat(program).hasSize(7);
        assertThat(HexFormat.ofDelimiter(" ").formatHex(BpfAssembler.toBytes(program)))
                .isEqualTo("15 01 05 00 11 00 00 00 18 02 00 00 01 00 00 00 00 00 00 00 00 00 00 00"
                        + " 2d 21 fc ff 00 00 00 00 05 00 01 00 00 00 00 00 85 00 00 00 33 00 00 00"
                        + " 95 00 00 00 00 00 00 00");
    }

    @Test
    void refusesUndefinedAndDuplicateLabelsAndBadRegisters() {
        assertThatIllegalStateException().isThrownBy(() -> new BpfAssembler().jumpAlways("nowhere").assemble())
                .withMessageContaining("nowhere");
        assertThatIllegalStateException().isThrownBy(() -> new BpfAssembler().label("a").label("a"));
        assertThatIllegalArgumentException().isThrownBy(() -> new BpfAssembler().mov64(11, 0));
        assertThatIllegalArgumentException().isThrownBy(() -> new BpfAssembler().load(Size.WORD, R1, R2, 40000));
        assertThatIllegalArgumentException().isThrownBy(() -> new BpfAssembler().toBigEndian(R1, 8));
    }
}
