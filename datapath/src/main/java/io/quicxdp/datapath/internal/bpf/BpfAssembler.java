package io.quicxdp.datapath.internal.bpf;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Builds eBPF programs instruction by instruction, with named labels for jump targets.
 *
 * <p>Each instruction is one {@code struct bpf_insn} (opcode byte, destination and source register nibbles,
 * signed 16-bit offset, signed 32-bit immediate) held in a {@code long} whose little-endian bytes are the
 * instruction as the kernel reads it on x86-64 and arm64. {@code ld_imm64} takes two slots. The encoding
 * follows the kernel's {@code Documentation/bpf/standardization/instruction-set.rst}.
 *
 * <p>Registers: {@link #R0} holds return values, {@link #R1} to {@link #R5} arguments (clobbered by calls),
 * {@link #R6} to {@link #R9} survive calls, {@link #R10} is the read-only frame pointer.
 */
public final class BpfAssembler {

    public static final int R0 = 0;
    public static final int R1 = 1;
    public static final int R2 = 2;
    public static final int R3 = 3;
    public static final int R4 = 4;
    public static final int R5 = 5;
    public static final int R6 = 6;
    public static final int R7 = 7;
    public static final int R8 = 8;
    public static final int R9 = 9;
    public static final int R10 = 10;

    /** Helper {@code bpf_map_lookup_elem(map, key)}. */
    public static final int HELPER_MAP_LOOKUP_ELEM = 1;

    /** Helper {@code bpf_redirect_map(map, key, flags)}; the low bits of flags are the action on a miss. */
    public static final int HELPER_REDIRECT_MAP = 51;

    /** Helper {@code bpf_ktime_get_ns()}: nanoseconds of {@code CLOCK_MONOTONIC}. */
    public static final int HELPER_KTIME_GET_NS = 5;

    private static final int CLASS_LD = 0x00;
    private static final int CLASS_LDX = 0x01;
    private static final int CLASS_ST = 0x02;
    private static final int CLASS_STX = 0x03;
    private static final int CLASS_ALU = 0x04;
    private static final int CLASS_JMP = 0x05;
    private static final int CLASS_ALU64 = 0x07;

    private static final int SOURCE_IMMEDIATE = 0x00;
    private static final int SOURCE_REGISTER = 0x08;

    private static final int MODE_IMM = 0x00;
    private static final int MODE_MEM = 0x60;
    /** {@code BPF_ATOMIC}; its immediate {@code BPF_ADD} (0), without {@code BPF_FETCH}, is the old {@code XADD}. */
    private static final int MODE_ATOMIC = 0xc0;

    private static final int OP_END = 0xd0;
    /** With {@link #OP_END}, the bit that picks "to big-endian" where an ALU operation picks its source. */
    private static final int END_TO_BIG_ENDIAN = 0x08;
    private static final int OP_JA = 0x00;
    private static final int OP_CALL = 0x80;
    private static final int OP_EXIT = 0x90;

    /** {@code BPF_PSEUDO_MAP_FD}: the source register of an {@code ld_imm64} whose immediate is a map fd. */
    private static final int PSEUDO_MAP_FD = 1;

    /** Arithmetic and logic operations, with their opcode bits. */
    public enum AluOp {
        ADD(0x00), SUB(0x10), MUL(0x20), DIV(0x30), OR(0x40), AND(0x50), LSH(0x60), RSH(0x70), NEG(0x80),
        MOD(0x90), XOR(0xa0), MOV(0xb0), ARSH(0xc0);

        private final int code;

        AluOp(int code) {
            this.code = code;
        }
    }

    /** Conditional jumps comparing 64-bit values, unsigned unless named signed, with their opcode bits. */
    public enum JumpOp {
        JEQ(0x10), JGT(0x20), JGE(0x30), JSET(0x40), JNE(0x50), JSGT(0x60), JSGE(0x70), JLT(0xa0), JLE(0xb0),
        JSLT(0xc0), JSLE(0xd0);

        private final int code;

        JumpOp(int code) {
            this.code = code;
        }
    }

    /** Memory access sizes, with their opcode bits. */
    public enum Size {
        BYTE(1, 0x10), HALF(2, 0x08), WORD(4, 0x00), DOUBLE(8, 0x18);

        private final int bytes;

        private final int code;

        Size(int bytes, int code) {
            this.bytes = bytes;
            this.code = code;
        }

        /** The size of {@code bytes} bytes: 1, 2, 4 or 8. */
        public static Size ofBytes(int bytes) {
            for (Size size : values()) {
                if (size.bytes == bytes) {
                    return size;
                }
            }
            throw new IllegalArgumentException("no BPF access size of " + bytes + " bytes");
        }
    }

    private final List<Long> instructions = new ArrayList<>();

    /** Jumps waiting for their label: instruction index to label name. */
    private final Map<Integer, String> pendingJumps = new HashMap<>();

    private final Map<String, Integer> labels = new HashMap<>();

    /** {@code dst = dst OP imm} on 64 bits ({@code imm} sign-extended). */
    public BpfAssembler alu64(AluOp op, int dst, int imm) {
        return emit(CLASS_ALU64 | op.code | SOURCE_IMMEDIATE, dst, 0, 0, imm);
    }

    /** {@code dst = dst OP src} on 64 bits. */
    public BpfAssembler alu64Reg(AluOp op, int dst, int src) {
        return emit(CLASS_ALU64 | op.code | SOURCE_REGISTER, dst, src, 0, 0);
    }

    /** {@code dst = (u32) (dst OP imm)}: 32-bit operation, upper half zeroed. */
    public BpfAssembler alu32(AluOp op, int dst, int imm) {
        return emit(CLASS_ALU | op.code | SOURCE_IMMEDIATE, dst, 0, 0, imm);
    }

    /** {@code dst = (u32) (dst OP src)}: 32-bit operation, upper half zeroed. */
    public BpfAssembler alu32Reg(AluOp op, int dst, int src) {
        return emit(CLASS_ALU | op.code | SOURCE_REGISTER, dst, src, 0, 0);
    }

    /** {@code dst = imm}, sign-extended to 64 bits. */
    public BpfAssembler mov64(int dst, int imm) {
        return alu64(AluOp.MOV, dst, imm);
    }

    /** {@code dst = src}. */
    public BpfAssembler mov64Reg(int dst, int src) {
        return alu64Reg(AluOp.MOV, dst, src);
    }

    /**
     * Converts the low {@code bits} (16, 32 or 64) of {@code dst} from host to big-endian (network) order,
     * zeroing the rest: a loaded network-order field becomes its numeric value on a little-endian host.
     */
    public BpfAssembler toBigEndian(int dst, int bits) {
        if (bits != 16 && bits != 32 && bits != 64) {
            throw new IllegalArgumentException("byte swap width must be 16, 32 or 64, not " + bits);
        }
        return emit(CLASS_ALU | OP_END | END_TO_BIG_ENDIAN, dst, 0, 0, bits);
    }

    /** {@code dst = *(size *) (src + offset)}, zero-extended. */
    public BpfAssembler load(Size size, int dst, int src, int offset) {
        return emit(CLASS_LDX | MODE_MEM | size.code, dst, src, offset, 0);
    }

    /** {@code *(size *) (dst + offset) = src}. */
    public BpfAssembler store(Size size, int dst, int offset, int src) {
        return emit(CLASS_STX | MODE_MEM | size.code, dst, src, offset, 0);
    }

    /** {@code *(size *) (dst + offset) += src}, atomically; {@code size} a word or a double word. */
    public BpfAssembler atomicAdd(Size size, int dst, int offset, int src) {
        if (size != Size.WORD && size != Size.DOUBLE) {
            throw new IllegalArgumentException("atomic adds are of 4 or 8 bytes, not " + size);
        }
        return emit(CLASS_STX | MODE_ATOMIC | size.code, dst, src, offset, 0);
    }

    /** {@code *(size *) (dst + offset) = imm}. */
    public BpfAssembler storeImm(Size size, int dst, int offset, int imm) {
        return emit(CLASS_ST | MODE_MEM | size.code, dst, 0, offset, imm);
    }

    /** {@code dst = value}, a full 64-bit constant ({@code ld_imm64}, two slots). */
    public BpfAssembler loadImm64(int dst, long value) {
        return loadImm64(dst, 0, value);
    }

    /**
     * {@code dst = &map}, where the map is given by a file descriptor of this process; the kernel replaces the
     * descriptor with the map's address when it loads the program, and holds the map while the program lives.
     */
    public BpfAssembler loadMapFd(int dst, int mapFd) {
        return loadImm64(dst, PSEUDO_MAP_FD, mapFd);
    }

    /** {@code if (dst OP imm) goto label}. */
    public BpfAssembler jump(JumpOp op, int dst, int imm, String label) {
        return jumpTo(CLASS_JMP | op.code | SOURCE_IMMEDIATE, dst, 0, imm, label);
    }

    /** {@code if (dst OP src) goto label}. */
    public BpfAssembler jumpReg(JumpOp op, int dst, int src, String label) {
        return jumpTo(CLASS_JMP | op.code | SOURCE_REGISTER, dst, src, 0, label);
    }

    /** {@code goto label}. */
    public BpfAssembler jumpAlways(String label) {
        return jumpTo(CLASS_JMP | OP_JA, 0, 0, 0, label);
    }

    /** Calls helper function number {@code helper}: arguments in R1 to R5, result in R0, R1 to R5 clobbered. */
    public BpfAssembler call(int helper) {
        return emit(CLASS_JMP | OP_CALL, 0, 0, 0, helper);
    }

    /** Returns R0. */
    public BpfAssembler exit() {
        return emit(CLASS_JMP | OP_EXIT, 0, 0, 0, 0);
    }

    /** Marks the next instruction as the target {@code name}. */
    public BpfAssembler label(String name) {
        if (labels.putIfAbsent(Objects.requireNonNull(name), instructions.size()) != null) {
            throw new IllegalStateException("label '" + name + "' defined twice");
        }
        return this;
    }

    /**
     * The program so far, with every jump resolved.
     *
     * @throws IllegalStateException when a jump names an undefined label or lies too far from it
     */
    public long[] assemble() {
        long[] program = new long[instructions.size()];
        for (int i = 0; i < program.length; i++) {
            program[i] = instructions.get(i);
        }
        pendingJumps.forEach((index, label) -> {
            Integer target = labels.get(label);
            if (target == null) {
                throw new IllegalStateException("jump to undefined label '" + label + "'");
            }
            // jump offsets count instructions from the one after the jump
            int offset = target - index - 1;
            if (offset != (short) offset) {
                throw new IllegalStateException("jump to '" + label + "' is out of range");
            }
            program[index] = (program[index] & ~0xffff_0000L) | ((offset & 0xffffL) << 16);
        });
        return program;
    }

    /** The bytes of {@code program} as {@code BPF_PROG_LOAD} takes them. */
    public static byte[] toBytes(long[] program) {
        byte[] bytes = new byte[program.length * 8];
        for (int i = 0; i < program.length; i++) {
            for (int b = 0; b < 8; b++) {
                bytes[i * 8 + b] = (byte) (program[i] >>> (8 * b));
            }
        }
        return bytes;
    }

    private BpfAssembler loadImm64(int dst, int src, long value) {
        emit(CLASS_LD | MODE_IMM | Size.DOUBLE.code, dst, src, 0, (int) value);
        return emit(0, 0, 0, 0, (int) (value >>> 32));
    }

    private BpfAssembler jumpTo(int opcode, int dst, int src, int imm, String label) {
        pendingJumps.put(instructions.size(), Objects.requireNonNull(label));
        return emit(opcode, dst, src, 0, imm);
    }

    private BpfAssembler emit(int opcode, int dst, int src, int offset, int imm) {
        checkRegister(dst);
        checkRegister(src);
        if (offset != (short) offset) {
            throw new IllegalArgumentException("offset " + offset + " does not fit 16 bits");
        }
        instructions.add((opcode & 0xffL) | ((long) dst << 8) | ((long) src << 12) | ((offset & 0xffffL) << 16)
                | ((imm & 0xffff_ffffL) << 32));
        return this;
    }

    private static void checkRegister(int register) {
        if (register < R0 || register > R10) {
            throw new IllegalArgumentException("no BPF register r" + register);
        }
    }
}
