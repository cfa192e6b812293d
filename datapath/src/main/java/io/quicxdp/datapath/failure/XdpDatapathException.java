package io.quicxdp.datapath.failure;

import io.quicxdp.datapath.internal.linux.Errno;
import java.nio.file.Path;

/**
 * Why the map-mode datapath could not start or go on, with what to do about it.
 *
 * <p>Every subclass names the interface, map and queue involved where they are known, the kernel's errno
 * where one was returned, and in {@link #action()} the fix. The message states what happened; the
 * action is kept apart so that a front end (a Spring Boot failure analysis, a CLI) can show it as advice.
 */
public abstract class XdpDatapathException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    private final String interfaceName;

    private final transient Path mapPath;

    private final Integer queueId;

    private final int errno;

    private final String action;

    /**
     * @param message what happened
     * @param action what to do about it
     * @param interfaceName the interface involved, or {@code null}
     * @param mapPath the XSKMAP pin involved, or {@code null}
     * @param queueId the queue involved, or {@code null}
     * @param errno the kernel's errno, or 0
     * @param cause the failed system call, or {@code null}
     */
    protected XdpDatapathException(String message, String action, String interfaceName, Path mapPath,
            Integer queueId, int errno, Throwable cause) {
        super(message, cause);
        this.action = action;
        this.interfaceName = interfaceName;
        this.mapPath = mapPath;
        this.queueId = queueId;
        this.errno = errno;
    }

    /** What to do to fix it. */
    public String action() {
        return action;
    }

    /** The network interface involved, or {@code null}. */
    public String interfaceName() {
        return interfaceName;
    }

    /** The bpffs path of the XSKMAP involved, or {@code null}. */
    public Path mapPath() {
        return mapPath;
    }

    /** The receive queue involved, or {@code null}. */
    public Integer queueId() {
        return queueId;
    }

    /** The errno the kernel returned, or 0 when the failure was found without a system call failing. */
    public int errno() {
        return errno;
    }

    /** The errno's symbolic name, for example {@code EPERM}; {@code null} when {@link #errno()} is 0. */
    public String errnoName() {
        return errno == 0 ? null : Errno.name(errno);
    }
}
