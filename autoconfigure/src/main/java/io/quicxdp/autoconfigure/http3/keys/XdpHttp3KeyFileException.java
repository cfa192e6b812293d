package io.quicxdp.autoconfigure.http3.keys;

import org.jspecify.annotations.Nullable;

/** A key file a property names is missing, unreadable or not in the key file format. */
public class XdpHttp3KeyFileException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    private final KeyKind kind;

    XdpHttp3KeyFileException(KeyKind kind, String resource, String problem, @Nullable Throwable cause) {
        super(kind.property() + " names " + resource + ", which " + problem, cause);
        this.kind = kind;
    }

    /** The kind of key, and so the property. */
    public KeyKind kind() {
        return this.kind;
    }

    /** What to change. */
    public String action() {
        String format = this.kind.several()
                ? "one base64 " + this.kind.description() + " of " + this.kind.length() + " bytes a line, the key"
                        + " that issues first (all are accepted)"
                : "one base64 " + this.kind.description() + " of " + this.kind.length() + " bytes";
        return "Point " + this.kind.property() + " at a readable file (for a Kubernetes Secret mounted as a volume, "
                + "file:<mount path>/<key of the Secret>) holding " + format + "; make a key with '"
                + this.kind.command() + "'. Or remove " + this.kind.property() + " to use a key made at random for "
                + "this process, enough for a single instance.";
    }
}
