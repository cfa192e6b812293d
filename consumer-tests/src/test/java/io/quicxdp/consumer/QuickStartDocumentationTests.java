package io.quicxdp.consumer;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * What README.md's Quick start and docs/http3.md tell a user to put in their POM is what the consumer
 * application (src/it/consumer-app), which the invoker builds and runs against a real map, has; and the BOM
 * it imports manages every published module and nothing else.
 */
class QuickStartDocumentationTests {

    private static final Path ROOT = Path.of(System.getProperty("root.dir"));

    private static final Pattern XML_BLOCK = Pattern.compile("```xml\\n(.*?)```", Pattern.DOTALL);

    /** A dependency, or a property such as the Netty pin. */
    private static final Pattern ELEMENT = Pattern
        .compile("<dependency>.*?</dependency>|<([a-z.-]+\\.version)>[^<]*</\\1>", Pattern.DOTALL);

    @Test
    void theQuickStartsDependenciesAreTheConsumers() throws IOException {
        String consumer = normalized(Files.readString(ROOT.resolve("consumer-tests/src/it/consumer-app/pom.xml"))
            .replace("@project.version@", System.getProperty("project.version")));
        List<String> documented = new ArrayList<>();
        documented.addAll(elements(section(ROOT.resolve("README.md"), "## Quick start")));
        documented.addAll(elements(section(ROOT.resolve("docs/http3.md"), "## Set-up")));
        assertThat(documented).as("the docs' POM snippets").hasSizeGreaterThanOrEqualTo(5)
            .anySatisfy((element) -> assertThat(element).contains("<netty.version>"))
            .anySatisfy((element) -> assertThat(element).contains("quic-xdp-bom"));
        for (String element : documented) {
            assertThat(consumer).as("the consumer's pom.xml has what the docs show").contains(element);
        }
    }

    @Test
    void theBomManagesEveryPublishedModuleAndNothingElse() throws IOException {
        String bom = Files.readString(ROOT.resolve("bom/target/.flattened-pom.xml"));
        assertThat(bom).as("no parent: importing the BOM brings no one else's management").doesNotContain("<parent>");
        Set<String> managed = new TreeSet<>();
        Matcher dependency = Pattern.compile("<dependency>\\s*<groupId>([^<]*)</groupId>\\s*<artifactId>([^<]*)</artifactId>")
            .matcher(bom);
        while (dependency.find()) {
            assertThat(dependency.group(1)).isEqualTo("io.quicxdp");
            managed.add(dependency.group(2));
        }
        Set<String> published = new TreeSet<>();
        Matcher module = Pattern.compile("<module>([^<]*)</module>").matcher(Files.readString(ROOT.resolve("pom.xml")));
        while (module.find()) {
            String pom = Files.readString(ROOT.resolve(module.group(1)).resolve("pom.xml"));
            Matcher artifactId = Pattern.compile("</parent>\\s*<artifactId>([^<]*)</artifactId>").matcher(pom);
            assertThat(artifactId.find()).isTrue();
            if (!pom.contains("<maven.deploy.skip>true</maven.deploy.skip>") && !pom.contains("<packaging>pom</packaging>")) {
                published.add(artifactId.group(1));
            }
        }
        assertThat(managed).isEqualTo(published);
    }

    /** The text of a Markdown file from the heading to the next heading of that level. */
    private static String section(Path file, String heading) throws IOException {
        String text = Files.readString(file);
        int start = text.indexOf("\n" + heading);
        assertThat(start).as("%s has a section %s", file, heading).isNotNegative();
        int end = text.indexOf("\n" + heading.substring(0, heading.indexOf(' ') + 1), start + 1);
        return text.substring(start, (end < 0) ? text.length() : end);
    }

    private static List<String> elements(String markdown) {
        List<String> elements = new ArrayList<>();
        Matcher block = XML_BLOCK.matcher(markdown);
        while (block.find()) {
            Matcher element = ELEMENT.matcher(block.group(1));
            while (element.find()) {
                elements.add(normalized(element.group()));
            }
        }
        return elements;
    }

    private static String normalized(String xml) {
        return xml.replaceAll(">\\s+<", "><").replaceAll("\\s+", " ").trim();
    }
}
