package io.quicxdp.datapath.internal.bpf;

/** The values an XDP program returns ({@code enum xdp_action}). */
public final class XdpAction {

    /** An error in the program: the frame is dropped and a trace event fires. */
    public static final int ABORTED = 0;
    public static final int DROP = 1;
    /** Hand the frame to the kernel's network stack. */
    public static final int PASS = 2;
    public static final int TX = 3;
    /** Send the frame where {@code bpf_redirect_map} pointed, for an XSKMAP an AF_XDP socket. */
    public static final int REDIRECT = 4;

    private static final String[] NAMES = {"XDP_ABORTED", "XDP_DROP", "XDP_PASS", "XDP_TX", "XDP_REDIRECT"};

    private XdpAction() {
    }

    /** The action's name, such as {@code XDP_PASS}, or {@code action N} for an unknown value. */
    public static String nameOf(int action) {
        return action >= 0 && action < NAMES.length ? NAMES[action] : "action " + action;
    }
}
