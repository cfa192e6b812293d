package io.quicxdp.containers;

import io.quicxdp.datapath.testing.Commands;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileVisitOption;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermission;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ThreadLocalRandom;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.images.builder.ImageFromDockerfile;

/**
 * The sample's image, built locally and never pulled (no registry is reachable from CI): {@code FROM scratch}
 * with this JVM's runtime, the shared libraries it loads, and the sample's executable jar. Built once per test
 * JVM and removed when the JVM exits.
 * <p>
 * Its {@code java} carries the file capabilities {@code cap_net_raw,cap_ipc_lock+ep}, as an image for a
 * non-root user must: Docker (and Kubernetes) put a non-root user's added capabilities into its bounding set
 * only, and the kernel raises them at exec from the file's. The image's root ignores them (root gets its
 * bounding set anyway), so one image serves both.
 */
final class SampleImage {

    /** Where the runtime lives in the image. */
    static final String JAVA = "/opt/java/bin/java";

    /** Where the sample's jar lives in the image. */
    static final String JAR = "/app/sample.jar";

    // the runtime's own libraries that a server loads, and glibc's that JNA and Netty's native QUIC need
    private static final List<String> LOADED = List.of("bin/java", "lib/server/libjvm.so", "lib/libjava.so",
            "lib/libjli.so", "lib/libnet.so", "lib/libnio.so", "lib/libzip.so", "lib/libjimage.so",
            "lib/libverify.so", "lib/libextnet.so", "lib/libmanagement.so", "lib/libmanagement_ext.so",
            "lib/libj2pkcs11.so", "lib/libsyslookup.so", "lib/libprefs.so");

    private static final List<String> GLIBC = List.of("libc.so.6", "libm.so.6", "libdl.so.2", "libpthread.so.0",
            "librt.so.1", "libgcc_s.so.1", "libresolv.so.2");

    // what a server never needs: sources, headers, tools, the compiler's symbol file
    private static final Set<String> LEFT_OUT = Set.of("include", "man", "demo", "jmods", "lib/src.zip",
            "lib/ct.sym");

    /**
     * {@code security.capability} for {@code cap_net_raw,cap_ipc_lock+ep}: struct vfs_cap_data revision 2,
     * little-endian, the effective flag set, permitted bits 13 and 14. Every byte is below 0x80, so the tar's
     * UTF-8 PAX record carries them as they are.
     */
    private static final byte[] NET_RAW_IPC_LOCK = { 0x01, 0x00, 0x00, 0x02, 0x00, 0x60, 0x00, 0x00, 0, 0, 0, 0, 0,
            0, 0, 0, 0, 0, 0, 0 };

    private static ImageFromDockerfile image;

    private SampleImage() {
    }

    /** The image, built on first use. */
    static synchronized ImageFromDockerfile get() {
        if (image == null) {
            image = build();
        }
        return image;
    }

    private static ImageFromDockerfile build() {
        Path jar = Path.of(System.getProperty("sample.jar", "../sample-app/target/quic-xdp-sample-app.jar"));
        if (!Files.isRegularFile(jar)) {
            throw new IllegalStateException("The sample's jar " + jar + " is missing: build it first (mvn package "
                    + "-pl sample-app -am, or verify from the root, which builds it before this module)");
        }
        Path context = Path.of("target", "sample-image");
        try {
            deleteRecursively(context);
            Path rootfs = context.resolve("rootfs");
            Path javaHome = Path.of(System.getProperty("java.home")).toRealPath();
            copyRuntime(javaHome, rootfs.resolve("opt/java"));
            for (String library : libraries(javaHome)) {
                Path target = rootfs.resolve(library.substring(1));
                Files.createDirectories(target.getParent());
                Files.copy(Path.of(library), target, StandardCopyOption.REPLACE_EXISTING);
            }
            // with file capabilities the loader ignores java's $ORIGIN run path: libjli goes where it always looks
            Files.copy(javaHome.resolve("lib/libjli.so"), rootfs.resolve("lib/x86_64-linux-gnu/libjli.so"),
                    StandardCopyOption.REPLACE_EXISTING);
            Files.createDirectories(rootfs.resolve("tmp"));
            Files.createDirectories(rootfs.resolve("app"));
            Files.copy(jar, rootfs.resolve(JAR.substring(1)));
            // a tar, not a directory, so that java's capabilities and /tmp's mode reach the image
            writeTar(rootfs, context.resolve("rootfs.tar"));
            deleteRecursively(rootfs);
            Files.writeString(context.resolve("Dockerfile"), "FROM scratch\nADD rootfs.tar /\n"
                    + "ENTRYPOINT [\"" + JAVA + "\", \"-jar\", \"" + JAR + "\"]\n");
        }
        catch (IOException ex) {
            throw new UncheckedIOException(ex);
        }
        String tag = "quic-xdp-sample-test:" + HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextInt());
        // without Ryuk, Testcontainers leaves built images behind: this JVM removes its own when it exits
        Runtime.getRuntime().addShutdownHook(new Thread(() -> remove(tag), "sample-image-removal"));
        // the Dockerfile is sent as part of the context, so Testcontainers does not try to pull its FROM
        return new ImageFromDockerfile(tag, false).withFileFromPath(".", context);
    }

    /** Tars {@code rootfs} as root's, {@code /tmp} writable by all, {@code java} with its capabilities. */
    private static void writeTar(Path rootfs, Path tar) throws IOException {
        List<Path> paths;
        try (Stream<Path> walk = Files.walk(rootfs)) {
            paths = walk.filter(path -> !path.equals(rootfs)).sorted().toList();
        }
        try (TarArchiveOutputStream out = new TarArchiveOutputStream(Files.newOutputStream(tar))) {
            out.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
            out.setBigNumberMode(TarArchiveOutputStream.BIGNUMBER_POSIX);
            for (Path path : paths) {
                String name = rootfs.relativize(path).toString();
                boolean directory = Files.isDirectory(path);
                TarArchiveEntry entry = new TarArchiveEntry(directory ? name + "/" : name);
                entry.setIds(0, 0);
                entry.setNames("root", "root");
                entry.setModTime(Files.getLastModifiedTime(path));
                int permissions = name.equals("tmp") ? 01777 : permissions(path);
                entry.setMode((directory ? 040000 : 0100000) | permissions);
                if (!directory) {
                    entry.setSize(Files.size(path));
                }
                if (("/" + name).equals(JAVA)) {
                    entry.addPaxHeader("SCHILY.xattr.security.capability",
                            new String(NET_RAW_IPC_LOCK, StandardCharsets.ISO_8859_1));
                }
                out.putArchiveEntry(entry);
                if (Files.isRegularFile(path)) {
                    Files.copy(path, out);
                }
                out.closeArchiveEntry();
            }
        }
    }

    private static int permissions(Path path) throws IOException {
        int mode = 0;
        for (PosixFilePermission permission : Files.getPosixFilePermissions(path)) {
            // the enum runs from OWNER_READ (0400) to OTHERS_EXECUTE (0001)
            mode |= 0400 >> permission.ordinal();
        }
        return mode;
    }

    private static void remove(String tag) {
        try {
            DockerClientFactory.instance().client().removeImageCmd(tag).withForce(true).exec();
        }
        catch (RuntimeException ex) {
            // never built (the build failed), or the daemon is gone: nothing of ours is left to remove
        }
    }

    private static void copyRuntime(Path javaHome, Path target) throws IOException {
        try (Stream<Path> files = Files.walk(javaHome, FileVisitOption.FOLLOW_LINKS)) {
            for (Path source : (Iterable<Path>) files::iterator) {
                String relative = javaHome.relativize(source).toString();
                if (LEFT_OUT.stream().anyMatch(relative::startsWith)
                        || (relative.startsWith("bin/") && !relative.equals("bin/java"))) {
                    continue;
                }
                Path copy = target.resolve(relative);
                if (Files.isDirectory(source)) {
                    Files.createDirectories(copy);
                }
                else if (Files.exists(source)) {
                    // links resolved: Debian's runtime points into /etc for its configuration and trust store
                    Files.copy(source, copy, StandardCopyOption.COPY_ATTRIBUTES);
                }
            }
        }
    }

    /** The host paths of the shared libraries (and the dynamic loader) that the runtime links against. */
    private static Set<String> libraries(Path javaHome) {
        Set<String> libraries = new TreeSet<>();
        Pattern resolved = Pattern.compile("(/\\S+) \\(0x");
        for (String file : LOADED) {
            Path path = javaHome.resolve(file);
            if (!Files.exists(path)) {
                continue;
            }
            Matcher matcher = resolved.matcher(Commands.run("ldd", path.toString()));
            while (matcher.find()) {
                // the runtime's own libraries, found through its RUNPATH, are copied with it
                if (!Path.of(matcher.group(1)).normalize().startsWith(javaHome)) {
                    libraries.add(matcher.group(1));
                }
            }
        }
        for (String library : GLIBC) {
            Path path = Path.of("/lib/x86_64-linux-gnu", library);
            if (Files.exists(path, LinkOption.NOFOLLOW_LINKS)) {
                libraries.add(path.toString());
            }
        }
        return libraries;
    }

    private static void deleteRecursively(Path directory) throws IOException {
        if (!Files.exists(directory)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(directory)) {
            for (Path path : (Iterable<Path>) paths.sorted((a, b) -> b.compareTo(a))::iterator) {
                Files.delete(path);
            }
        }
    }
}
