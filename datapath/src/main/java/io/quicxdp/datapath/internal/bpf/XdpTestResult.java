package io.quicxdp.datapath.internal.bpf;

/**
 * What one {@code BPF_PROG_TEST_RUN} of an XDP program gave.
 *
 * @param action the program's return value, see {@link XdpAction}
 * @param frame the frame as the program left it
 */
public record XdpTestResult(int action, byte[] frame) {
}
