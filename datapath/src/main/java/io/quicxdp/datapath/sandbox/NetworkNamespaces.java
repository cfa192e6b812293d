package io.quicxdp.datapath.sandbox;

import io.quicxdp.datapath.internal.linux.Namespaces;
import java.io.IOException;

/**
 * Network namespaces for a sandbox's threads. On Linux the network namespace belongs to the thread, and a
 * socket stays in the namespace it was created in, so one thread can send from a sandbox's peer namespace
 * while the rest of the JVM stays where it is.
 */
public final class NetworkNamespaces {

    private NetworkNamespaces() {
    }

    /**
     * Moves the calling thread, only it, into the network namespace at {@code path}, such as
     * {@code /var/run/netns/NAME}.
     *
     * @throws IOException when the namespace cannot be opened or entered (entering needs CAP_SYS_ADMIN)
     */
    public static void enter(String path) throws IOException {
        Namespaces.enterNetworkNamespace(path);
    }
}
