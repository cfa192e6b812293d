package io.quicxdp.datapath.internal.bpf;

import io.quicxdp.datapath.internal.bpf.BpfAssembler.AluOp;
import io.quicxdp.datapath.internal.bpf.BpfAssembler.JumpOp;
import io.quicxdp.datapath.internal.bpf.BpfAssembler.Size;
import java.util.function.Consumer;

/**
 * The parse the XDP programs here open with, emitted into a program: Ethernet, then IPv4 (with or without
 * options, not a fragment) or IPv6 (UDP right after the fixed header), then the UDP header, every read preceded
 * by the bounds check the verifier demands. Anything else (another EtherType or protocol, a fragment, extension
 * headers, a VLAN tag, a frame too short for what it claims) jumps to the caller's label.
 */
public final class UdpParsing {

    /** The Ethernet header's length: where the IP header starts. */
    public static final int ETH_HEADER = 14;

    private static final int ETH_P_IP = 0x0800;
    private static final int ETH_P_IPV6 = 0x86dd;
    private static final int IPV4_MIN_HEADER = 20;
    private static final int IPV6_HEADER = 40;
    private static final int UDP_HEADER = 8;
    private static final int IPPROTO_UDP = 17;
    /** The "more fragments" flag and the fragment offset in IPv4's flags and fragment offset field. */
    private static final int IPV4_FRAGMENT_MASK = 0x3fff;

    private UdpParsing() {
    }

    /**
     * Emits the parse. Afterwards {@code udp} points at the UDP header, whose 8 bytes are within the frame, and
     * {@code data} is known to hold the IP header. The hooks add instructions once their family's header is
     * checked, with {@code data} still the frame's start; they may use {@code scratch} and the registers the
     * parse does not name.
     *
     * @param data the frame's start, kept
     * @param dataEnd the frame's end, kept
     * @param udp where the UDP header's address is left; a scratch register before that
     * @param scratch clobbered
     * @param otherwise the label to jump to for anything but UDP over IPv4 or IPv6
     */
    public static void emit(BpfAssembler asm, int data, int dataEnd, int udp, int scratch, String otherwise,
            Consumer<BpfAssembler> onIpv4, Consumer<BpfAssembler> onIpv6) {
        asm.mov64Reg(udp, data)
                .alu64(AluOp.ADD, udp, ETH_HEADER)
                .jumpReg(JumpOp.JGT, udp, dataEnd, otherwise)
                .load(Size.HALF, scratch, data, 12)
                .toBigEndian(scratch, 16)
                .jump(JumpOp.JEQ, scratch, ETH_P_IP, "udp_parsing.ipv4")
                .jump(JumpOp.JEQ, scratch, ETH_P_IPV6, "udp_parsing.ipv6")
                .jumpAlways(otherwise);

        asm.label("udp_parsing.ipv4")
                .mov64Reg(udp, data)
                .alu64(AluOp.ADD, udp, ETH_HEADER + IPV4_MIN_HEADER)
                .jumpReg(JumpOp.JGT, udp, dataEnd, otherwise)
                // version 4, and IHL of at least 5 words
                .load(Size.BYTE, scratch, data, ETH_HEADER)
                .mov64Reg(udp, scratch)
                .alu64(AluOp.RSH, udp, 4)
                .jump(JumpOp.JNE, udp, 4, otherwise)
                .load(Size.BYTE, udp, data, ETH_HEADER + 9)
                .jump(JumpOp.JNE, udp, IPPROTO_UDP, otherwise)
                .load(Size.HALF, udp, data, ETH_HEADER + 6)
                .toBigEndian(udp, 16)
                .alu64(AluOp.AND, udp, IPV4_FRAGMENT_MASK)
                .jump(JumpOp.JNE, udp, 0, otherwise)
                .alu64(AluOp.AND, scratch, 0x0f)
                .jump(JumpOp.JLT, scratch, IPV4_MIN_HEADER / 4, otherwise)
                // the UDP header, after the options: the header length is 20 to 60 bytes
                .alu64(AluOp.LSH, scratch, 2)
                .mov64Reg(udp, data)
                .alu64Reg(AluOp.ADD, udp, scratch)
                .alu64(AluOp.ADD, udp, ETH_HEADER)
                .mov64Reg(scratch, udp)
                .alu64(AluOp.ADD, scratch, UDP_HEADER)
                .jumpReg(JumpOp.JGT, scratch, dataEnd, otherwise);
        onIpv4.accept(asm);
        asm.jumpAlways("udp_parsing.done");

        asm.label("udp_parsing.ipv6")
                .mov64Reg(udp, data)
                .alu64(AluOp.ADD, udp, ETH_HEADER + IPV6_HEADER + UDP_HEADER)
                .jumpReg(JumpOp.JGT, udp, dataEnd, otherwise)
                .load(Size.BYTE, scratch, data, ETH_HEADER)
                .alu64(AluOp.RSH, scratch, 4)
                .jump(JumpOp.JNE, scratch, 6, otherwise)
                // next header: UDP right after the fixed header, no extension headers
                .load(Size.BYTE, scratch, data, ETH_HEADER + 6)
                .jump(JumpOp.JNE, scratch, IPPROTO_UDP, otherwise)
                .mov64Reg(udp, data)
                .alu64(AluOp.ADD, udp, ETH_HEADER + IPV6_HEADER);
        onIpv6.accept(asm);
        asm.label("udp_parsing.done");
    }
}
