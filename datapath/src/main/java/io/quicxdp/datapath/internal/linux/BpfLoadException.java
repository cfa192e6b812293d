package io.quicxdp.datapath.internal.linux;

import java.util.Arrays;

/**
 * {@code BPF_PROG_LOAD} refused a program, with the verifier's log saying why.
 *
 * <p>The message ends with the last lines of the log, where the verifier names the rejected instruction.
 */
public final class BpfLoadException extends NativeIoException {

    private static final long serialVersionUID = 1L;

    /** Lines of the log's end that go into the message. */
    private static final int TAIL_LINES = 25;

    private final String verifierLog;

    BpfLoadException(String operation, int errno, String verifierLog) {
        super(operation, errno);
        this.verifierLog = verifierLog;
    }

    /** The verifier's whole log; empty when the kernel wrote none, as for a refusal before verification. */
    public String verifierLog() {
        return verifierLog;
    }

    @Override
    public String getMessage() {
        if (verifierLog.isBlank()) {
            return super.getMessage() + " (no verifier log)";
        }
        String[] lines = verifierLog.strip().split("\n");
        String tail = String.join("\n", Arrays.copyOfRange(lines, Math.max(0, lines.length - TAIL_LINES),
                lines.length));
        return super.getMessage() + "; verifier log" + (lines.length > TAIL_LINES ? " (last " + TAIL_LINES
                + " lines)" : "") + ":\n" + tail;
    }
}
