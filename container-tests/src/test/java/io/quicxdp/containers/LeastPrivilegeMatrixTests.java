package io.quicxdp.containers;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Every line of the matrix in docs/least-privilege.md names the test that backs it, and that test exists: a
 * test method of that name in a test class of that name in this repository.
 */
class LeastPrivilegeMatrixTests {

    /** A matrix line's last cell: {@code `Class#method`}. */
    private static final Pattern BACKED_BY = Pattern.compile("\\| `(\\w+)#(\\w+)` \\|$");

    private static final Path DOCS = Path.of(System.getProperty("docs.dir", "../docs"));

    @Test
    void everyLineNamesATestThatExists() throws IOException {
        List<String> lines = matrixLines();
        assertThat(lines).as("lines of the matrix").hasSizeGreaterThanOrEqualTo(10);
        for (String line : lines) {
            Matcher backedBy = BACKED_BY.matcher(line);
            assertThat(backedBy.find()).as("names its test as `Class#method` in its last cell: %s", line).isTrue();
            Optional<Path> source = testSource(backedBy.group(1));
            assertThat(source).as("test class %s", backedBy.group(1)).isPresent();
            assertThat(Files.readString(source.get())).as("%s in %s", backedBy.group(2), source.get())
                .containsPattern("@Test\\s+void " + backedBy.group(2) + "\\(");
        }
    }

    /** The table's rows, its header and separator left out. */
    private static List<String> matrixLines() throws IOException {
        List<String> rows = new ArrayList<>();
        boolean inMatrix = false;
        for (String line : Files.readAllLines(DOCS.resolve("least-privilege.md"))) {
            if (line.equals("## The matrix")) {
                inMatrix = true;
            }
            else if (line.startsWith("## ")) {
                inMatrix = false;
            }
            else if (inMatrix && line.startsWith("|") && !line.startsWith("| where ") && !line.startsWith("|---")) {
                rows.add(line);
            }
        }
        return rows;
    }

    private static Optional<Path> testSource(String className) throws IOException {
        try (Stream<Path> files = Files.walk(DOCS.getParent())) {
            return files.filter(path -> path.toString().contains("/src/test/java/"))
                .filter(path -> path.getFileName().toString().equals(className + ".java"))
                .findFirst();
        }
    }
}
