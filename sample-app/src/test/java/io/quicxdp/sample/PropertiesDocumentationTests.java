package io.quicxdp.sample;

import static org.assertj.core.api.Assertions.assertThat;

import io.quicxdp.autoconfigure.XdpProperties;
import java.beans.PropertyDescriptor;
import java.io.IOException;
import java.io.InputStream;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.Type;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.springframework.beans.BeanUtils;
import org.springframework.boot.context.properties.bind.DataObjectPropertyName;
import org.springframework.boot.json.JsonParserFactory;

/**
 * docs/properties.md against the configuration metadata that the configuration processor generates from
 * the properties' Javadoc: every property documented, none invented, with the same type, default and
 * description. The elements of {@code quic.xdp.maps} are not in the metadata; they are checked against
 * {@link XdpProperties.MapProperties} itself.
 */
class PropertiesDocumentationTests {

    private static final Path DOCUMENT = Path.of(System.getProperty("basedir", "."))
        .toAbsolutePath()
        .resolveSibling("docs")
        .resolve("properties.md");

    /** {@code | `name` | `type` | default | description |}. */
    private static final Pattern ROW = Pattern
        .compile("^\\| `([a-z0-9.\\[\\]-]+)` \\| `([^`]+)` \\| ([^|]+) \\| ([^|]+) \\|$");

    @Test
    void documentsEveryStarterPropertyAsTheMetadataDescribesIt() throws IOException {
        List<Map<String, Object>> starter = metadata("quic.xdp");
        assertMatchesMetadata(withPrefix(starter, "quic.xdp."), "quic.xdp.");
        assertMatchesMetadata(withPrefix(starter, "management.endpoint.xdp."), "management.endpoint.xdp.");
        assertThat(starter).as("every property of the starter's metadata is in one of the two groups")
            .hasSize(withPrefix(starter, "quic.xdp.").size() + withPrefix(starter, "management.endpoint.xdp.").size());
    }

    private static List<Map<String, Object>> withPrefix(List<Map<String, Object>> properties, String prefix) {
        return properties.stream().filter((property) -> ((String) property.get("name")).startsWith(prefix)).toList();
    }

    @Test
    void documentsEverySampleProperty() throws IOException {
        assertMatchesMetadata(metadata("sample"), "sample.");
    }

    @Test
    void documentsTheElementsOfEachMapEntry() throws IOException {
        Map<String, Row> documented = documented("quic.xdp.maps[i].");
        Map<String, String> actual = new TreeMap<>();
        for (PropertyDescriptor property : BeanUtils.getPropertyDescriptors(XdpProperties.MapProperties.class)) {
            if (property.getWriteMethod() != null) {
                actual.put("quic.xdp.maps[i]." + DataObjectPropertyName.toDashedForm(property.getName()),
                        simpleName(property.getReadMethod().getGenericReturnType()));
            }
        }
        assertThat(documented.keySet()).as("documented map entry properties").isEqualTo(actual.keySet());
        actual.forEach((name, type) -> assertThat(documented.get(name).type()).as(name + " type").isEqualTo(type));
        XdpProperties.MapProperties defaults = new XdpProperties.MapProperties();
        assertThat(documented.get("quic.xdp.maps[i].interface").defaultValue()).isEqualTo("unset");
        assertThat(defaults.getInterface()).isNull();
        assertThat(documented.get("quic.xdp.maps[i].path").defaultValue()).isEqualTo("unset");
        assertThat(defaults.getPath()).isNull();
        assertThat(documented.get("quic.xdp.maps[i].device-plugin-socket").defaultValue()).isEqualTo("unset");
        assertThat(defaults.getDevicePluginSocket()).isNull();
        assertThat(documented.get("quic.xdp.maps[i].agent-socket").defaultValue()).isEqualTo("unset");
        assertThat(defaults.getAgentSocket()).isNull();
        assertThat(documented.get("quic.xdp.maps[i].queues").defaultValue()).isEqualTo("empty");
        assertThat(defaults.getQueues()).isEmpty();
    }

    private static void assertMatchesMetadata(List<Map<String, Object>> properties, String prefix) throws IOException {
        Map<String, Row> documented = documented(prefix);
        documented.keySet().removeIf((name) -> name.startsWith("quic.xdp.maps[i]."));
        Map<String, Map<String, Object>> expected = new TreeMap<>();
        properties.forEach((property) -> expected.put((String) property.get("name"), property));
        assertThat(documented.keySet()).as("properties in " + DOCUMENT + " (left) and in the metadata (right)")
            .containsExactlyInAnyOrderElementsOf(expected.keySet());
        expected.forEach((name, property) -> {
            Row row = documented.get(name);
            assertThat(row.type()).as(name + " type").isEqualTo(simpleName((String) property.get("type")));
            Object defaultValue = property.get("defaultValue");
            if (defaultValue != null) {
                assertThat(row.defaultValue()).as(name + " default").isEqualTo("`" + defaultValue + "`");
            }
            else {
                assertThat(row.defaultValue()).as(name + " default").isIn("unset", "empty");
            }
            assertThat(row.description()).as(name + " description: the metadata's first, then anything more")
                .startsWith((String) property.get("description"));
        });
    }

    /** The documented rows whose property name starts with {@code prefix}, by name. */
    private static Map<String, Row> documented(String prefix) throws IOException {
        Map<String, Row> rows = new LinkedHashMap<>();
        for (String line : Files.readAllLines(DOCUMENT)) {
            Matcher row = ROW.matcher(line);
            if (row.matches() && row.group(1).startsWith(prefix)) {
                Row previous = rows.put(row.group(1), new Row(row.group(2), row.group(3).strip(), row.group(4).strip()));
                assertThat(previous).as(row.group(1) + " documented twice").isNull();
            }
        }
        assertThat(rows).as("rows for " + prefix + "* in " + DOCUMENT).isNotEmpty();
        return rows;
    }

    /** The properties of the one metadata file on the class path that has the group {@code group}. */
    @SuppressWarnings("unchecked")
    private static List<Map<String, Object>> metadata(String group) throws IOException {
        List<List<Map<String, Object>>> found = new ArrayList<>();
        for (URL url : Collections.list(PropertiesDocumentationTests.class.getClassLoader()
            .getResources("META-INF/spring-configuration-metadata.json"))) {
            try (InputStream in = url.openStream()) {
                Map<String, Object> json = JsonParserFactory.getJsonParser()
                    .parseMap(new String(in.readAllBytes(), StandardCharsets.UTF_8));
                List<Map<String, Object>> groups = (List<Map<String, Object>>) json.getOrDefault("groups", List.of());
                if (groups.stream().anyMatch((candidate) -> group.equals(candidate.get("name")))) {
                    found.add((List<Map<String, Object>>) json.get("properties"));
                }
            }
        }
        assertThat(found).as("metadata files with group " + group).hasSize(1);
        return found.get(0);
    }

    /** {@code java.util.List<io.quicxdp.autoconfigure.XdpProperties$MapProperties>} as {@code List<MapProperties>}. */
    private static String simpleName(String type) {
        return type.replaceAll("[a-zA-Z0-9_.]*[.$]", "");
    }

    private static String simpleName(Type type) {
        if (type instanceof ParameterizedType parameterized) {
            return simpleName(parameterized.getRawType()) + "<"
                    + String.join(", ", List.of(parameterized.getActualTypeArguments()).stream()
                        .map(PropertiesDocumentationTests::simpleName).toList())
                    + ">";
        }
        return simpleName(type.getTypeName());
    }

    private record Row(String type, String defaultValue, String description) {
    }
}
