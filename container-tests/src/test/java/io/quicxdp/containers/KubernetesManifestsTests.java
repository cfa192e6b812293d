package io.quicxdp.containers;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.yaml.snakeyaml.Yaml;

/**
 * The manifests in docs/kubernetes, checked without a cluster: they parse, and they name what
 * docs/kubernetes.md says they do (kinds, the device plugin's resource, capabilities, seccomp profiles, the
 * mounts, the map properties), and the agent's DaemonSet and the application agree on socket, interface and
 * uid.
 */
class KubernetesManifestsTests {

    private static final Path DOCS = Path.of(System.getProperty("docs.dir", "../docs"));

    @Test
    void devicePluginDeploymentRequestsThePluginsResourceAndNamesItsSocket() throws IOException {
        Map<String, Object> deployment = single("device-plugin-deployment.yaml");
        assertThat(deployment).containsEntry("apiVersion", "apps/v1").containsEntry("kind", "Deployment");
        Map<String, Object> template = map(map(deployment, "spec"), "template");
        assertThat(map(map(template, "metadata"), "annotations"))
            .containsEntry("k8s.v1.cni.cncf.io/networks", "afxdp-network");
        Map<String, Object> container = onlyContainer(template);

        Map<String, Object> resources = map(container, "resources");
        assertThat(map(resources, "limits")).isEqualTo(map(resources, "requests")).containsOnlyKeys("afxdp/myPool");
        Map<String, Object> security = map(container, "securityContext");
        assertThat(map(security, "capabilities")).containsEntry("drop", List.of("ALL"))
            .containsEntry("add", List.of("NET_RAW", "IPC_LOCK"));
        assertThat(map(security, "seccompProfile")).containsEntry("type", "Localhost")
            .containsEntry("localhostProfile", "profiles/quic-xdp-bpf.json");

        List<String> args = strings(container, "args");
        assertThat(args).contains("--quic.xdp.maps[0].interface=${AFXDP_DEVICES_MYPOOL}",
                "--quic.xdp.maps[0].device-plugin-socket=/tmp/afxdp_dp/${AFXDP_DEVICES_MYPOOL}/afxdp.sock");
        assertExactlyOneMapSource(args);
        assertThat(map(map(container, "readinessProbe"), "httpGet")).containsEntry("path", "/actuator/health");
    }

    @Test
    void agentDaemonSetAndApplicationAgreeOnSocketInterfaceAndUid() throws IOException {
        Map<String, Object> daemonSet = single("agent-daemonset.yaml");
        assertThat(daemonSet).containsEntry("apiVersion", "apps/v1").containsEntry("kind", "DaemonSet");
        Map<String, Object> agentPod = map(map(daemonSet, "spec"), "template");
        Map<String, Object> agent = onlyContainer(agentPod);
        List<String> agentArgs = strings(agent, "args");
        String socket = after(agentArgs, "--socket");
        String[] mapArg = after(agentArgs, "--map").split("=", 2);
        String uid = after(agentArgs, "--allow-uid");
        assertThat(mapArg[1]).startsWith("/sys/fs/bpf/");
        assertThat(mountedFromHost(agentPod, agent, "/sys/fs/bpf")).isEqualTo("/sys/fs/bpf");
        String socketDirectory = Path.of(socket).getParent().toString();
        String hostSocketDirectory = mountedFromHost(agentPod, agent, socketDirectory);
        assertThat(map(map(agent, "securityContext"), "seccompProfile")).containsEntry("type", "Localhost");

        Map<String, Object> deployment = single("agent-app-deployment.yaml");
        assertThat(deployment).containsEntry("apiVersion", "apps/v1").containsEntry("kind", "Deployment");
        Map<String, Object> appPod = map(map(deployment, "spec"), "template");
        assertThat(map(appPod, "spec")).containsEntry("hostNetwork", true);
        Map<String, Object> app = onlyContainer(appPod);
        List<String> args = strings(app, "args");
        assertThat(args).contains("--quic.xdp.maps[0].interface=" + mapArg[0],
                "--quic.xdp.maps[0].agent-socket=" + socket);
        assertExactlyOneMapSource(args);
        assertThat(mountedFromHost(appPod, app, socketDirectory)).isEqualTo(hostSocketDirectory);

        Map<String, Object> security = map(app, "securityContext");
        assertThat(String.valueOf(security.get("runAsUser"))).as("the uid the agent allows").isEqualTo(uid);
        assertThat(map(security, "capabilities")).containsEntry("drop", List.of("ALL"))
            .containsEntry("add", List.of("NET_RAW", "IPC_LOCK"));
        assertThat(map(security, "seccompProfile")).as("no bpf() call: the runtime's default profile")
            .containsEntry("type", "RuntimeDefault");
    }

    @Test
    void theGuideLinksEveryManifestAndNamesEachProperty() throws IOException {
        String guide = Files.readString(DOCS.resolve("kubernetes.md"));
        try (var manifests = Files.list(DOCS.resolve("kubernetes"))) {
            assertThat(manifests.map(path -> "(kubernetes/" + path.getFileName() + ")").toList())
                .isNotEmpty()
                .allSatisfy(link -> assertThat(guide).contains(link));
        }
        assertThat(guide).contains("quic.xdp.maps[i].device-plugin-socket", "quic.xdp.maps[i].agent-socket",
                "quic.xdp.maps[i].path", "/actuator/health", "/actuator/xdp");
    }

    private static void assertExactlyOneMapSource(List<String> args) {
        assertThat(args.stream()
            .filter(arg -> arg.matches("--quic\\.xdp\\.maps\\[0]\\.(path|device-plugin-socket|agent-socket)=.*")))
            .hasSize(1);
    }

    /** The host path behind the container's mount at {@code mountPath}, which must be a hostPath volume. */
    private static String mountedFromHost(Map<String, Object> pod, Map<String, Object> container, String mountPath) {
        String volume = list(container, "volumeMounts").stream()
            .filter(mount -> mountPath.equals(mount.get("mountPath")))
            .map(mount -> (String) mount.get("name"))
            .findFirst()
            .orElseThrow(() -> new AssertionError("no volume mounted at " + mountPath));
        return list(map(pod, "spec"), "volumes").stream()
            .filter(candidate -> volume.equals(candidate.get("name")))
            .map(candidate -> (String) map(candidate, "hostPath").get("path"))
            .findFirst()
            .orElseThrow(() -> new AssertionError("no hostPath volume " + volume));
    }

    private static String after(List<String> args, String option) {
        int index = args.indexOf(option);
        assertThat(index).as(option).isNotNegative().isLessThan(args.size() - 1);
        return args.get(index + 1);
    }

    private static Map<String, Object> onlyContainer(Map<String, Object> template) {
        List<Map<String, Object>> containers = list(map(template, "spec"), "containers");
        assertThat(containers).hasSize(1);
        return containers.get(0);
    }

    /** The manifest's one document, checked for the fields every object has. */
    private static Map<String, Object> single(String name) throws IOException {
        List<Object> documents = new ArrayList<>();
        try (Reader reader = Files.newBufferedReader(DOCS.resolve("kubernetes").resolve(name))) {
            new Yaml().loadAll(reader).forEach(documents::add);
        }
        assertThat(documents).as(name).hasSize(1);
        @SuppressWarnings("unchecked")
        Map<String, Object> document = (Map<String, Object>) documents.get(0);
        assertThat(document).containsKeys("apiVersion", "kind", "metadata", "spec");
        assertThat(map(document, "metadata")).containsKey("name");
        return document;
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> map(Map<String, Object> parent, String key) {
        Object value = parent.get(key);
        assertThat(value).as(key).isInstanceOf(Map.class);
        return (Map<String, Object>) value;
    }

    @SuppressWarnings("unchecked")
    private static List<Map<String, Object>> list(Map<String, Object> parent, String key) {
        Object value = parent.get(key);
        assertThat(value).as(key).isInstanceOf(List.class);
        return (List<Map<String, Object>>) value;
    }

    @SuppressWarnings("unchecked")
    private static List<String> strings(Map<String, Object> parent, String key) {
        Object value = parent.get(key);
        assertThat(value).as(key).isInstanceOf(List.class);
        return (List<String>) value;
    }
}
