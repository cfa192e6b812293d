package io.quicxdp.containers;

import io.quicxdp.datapath.testing.Commands;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.FileVisitOption;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ThreadLocalRandom;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.images.builder.ImageFromDockerfile;

/**
 * The sample's image, built locally and never pulled (no registry is reachable from CI): {@code FROM scratch}
 * with this JVM's runtime, the shared libraries it loads, and the sample's executable jar. Built once per test
 * JVM and removed when the JVM exits.
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
            Files.createDirectories(rootfs.resolve("tmp"));
            Files.createDirectories(rootfs.resolve("app"));
            Files.copy(jar, rootfs.resolve(JAR.substring(1)));
            Files.writeString(context.resolve("Dockerfile"), "FROM scratch\nCOPY rootfs/ /\n"
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
