package io.quicxdp.autoconfigure;

import io.quicxdp.datapath.config.InvalidSettingException;
import io.quicxdp.datapath.config.MapSource;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.jspecify.annotations.Nullable;
import org.springframework.boot.context.properties.bind.DataObjectPropertyName;
import org.springframework.validation.Errors;

/**
 * What {@code quic.xdp.*} must be, checked while it is bound, each mistake reported against its property. The map
 * entries are checked here, across entries too; the settings are checked by building them, so that the datapath's
 * own rules ({@link io.quicxdp.datapath.config.DatapathSettings.Builder#build()}) are the only ones.
 */
final class XdpPropertiesValidator {

    private XdpPropertiesValidator() {
    }

    static void validate(XdpProperties properties, Errors errors) {
        if (Boolean.TRUE.equals(properties.getEnabled()) && properties.getMaps().isEmpty()) {
            reject(errors, "enabled", "is true, but quic.xdp.maps configures no map: add an entry with the interface "
                    + "and the path of the XSKMAP its XDP program redirects into, or remove quic.xdp.enabled");
        }
        validateMaps(properties.getMaps(), errors);
        if (properties.getHealth().getFillRingStarvedThreshold().isNegative()) {
            reject(errors, "health.fillRingStarvedThreshold", "must not be negative: 0 reports every stretch of "
                    + "starvation, 5s (the default) only those that last");
        }
        try {
            DatapathSettingsMapper.settings(properties).build();
        }
        catch (InvalidSettingException ex) {
            reject(errors, DatapathSettingsMapper.property(ex.setting()), ex.rule());
        }
    }

    private static void validateMaps(List<XdpProperties.MapProperties> maps, Errors errors) {
        Map<String, Integer> interfaces = new HashMap<>();
        Map<Path, Integer> paths = new HashMap<>();
        Map<Path, Integer> pluginSockets = new HashMap<>();
        for (int i = 0; i < maps.size(); i++) {
            XdpProperties.MapProperties map = maps.get(i);
            String prefix = "maps[" + i + "].";
            String name = map.getInterface();
            if (name == null || name.isBlank()) {
                reject(errors, prefix + "interface", "must name the network interface, for example eth0");
            }
            else {
                Integer first = interfaces.putIfAbsent(name, i);
                if (first != null) {
                    reject(errors, prefix + "interface", "names '" + name + "', which quic.xdp.maps[" + first
                            + "] configures already: configure each interface once");
                }
            }
            validateSource(errors, prefix, map, paths, pluginSockets, i);
            Set<Integer> queues = new HashSet<>();
            for (Integer queue : map.getQueues()) {
                if (queue == null) {
                    reject(errors, prefix + "queues", "must not hold an empty entry");
                }
                else if (queue < 0) {
                    reject(errors, prefix + "queues", "must not hold a negative queue id");
                }
                else if (!queues.add(queue)) {
                    reject(errors, prefix + "queues", "lists queue " + queue + " twice");
                }
            }
        }
    }

    /** Exactly one of path, device-plugin-socket and agent-socket, absolute, and no pin or plugin used twice. */
    private static void validateSource(Errors errors, String prefix, XdpProperties.MapProperties map,
            Map<Path, Integer> paths, Map<Path, Integer> pluginSockets, int index) {
        Map<String, String> set = new LinkedHashMap<>();
        putIfSet(set, "path", map.getPath());
        putIfSet(set, "devicePluginSocket", map.getDevicePluginSocket());
        putIfSet(set, "agentSocket", map.getAgentSocket());
        String entry = "quic.xdp." + prefix;
        if (set.isEmpty()) {
            reject(errors, prefix + "path", "is not set, nor " + entry + "device-plugin-socket or " + entry
                    + "agent-socket: set exactly one of them to say where the XSKMAP comes from (path: the pinned map, "
                    + "for example /sys/fs/bpf/xsks; device-plugin-socket: the AF_XDP device plugin's socket, for "
                    + "example " + String.format(MapSource.DEVICE_PLUGIN_SOCKET, "eth0") + "; agent-socket: the "
                    + "quic-xdp agent's socket)");
            return;
        }
        if (set.size() > 1) {
            List<String> names = set.keySet().stream().map((field) -> entry + DataObjectPropertyName.toDashedForm(field))
                .toList();
            String last = set.keySet().stream().reduce((first, second) -> second).orElseThrow();
            reject(errors, prefix + last, "is set together with " + String.join(" and ", names.subList(0, names.size() - 1))
                    + ": set exactly one of path, device-plugin-socket and agent-socket per map, and remove the others");
            return;
        }
        Map.Entry<String, String> only = set.entrySet().iterator().next();
        String field = only.getKey();
        String value = only.getValue();
        if (!value.startsWith("/")) {
            reject(errors, prefix + field, field.equals("path")
                    ? "must be an absolute bpffs path such as /sys/fs/bpf/" + value + ", not a relative one"
                    : "must be an absolute path to a unix socket, not the relative '" + value + "'");
            return;
        }
        if (field.equals("path")) {
            Integer first = paths.putIfAbsent(Path.of(value).normalize(), index);
            if (first != null) {
                reject(errors, prefix + "path", "names the XSKMAP that quic.xdp.maps[" + first
                        + "] uses already: its keys are queue ids, so give each interface an XSKMAP of its own");
            }
        }
        else if (field.equals("devicePluginSocket")) {
            Integer first = pluginSockets.putIfAbsent(Path.of(value).normalize(), index);
            if (first != null) {
                reject(errors, prefix + field, "names the device plugin socket that quic.xdp.maps[" + first
                        + "] uses already: the plugin mounts one socket per interface, each serving one connection");
            }
        }
    }

    private static void putIfSet(Map<String, String> set, String field, @Nullable String value) {
        if (value != null && !value.isBlank()) {
            set.put(field, value);
        }
    }

    /** Rejects {@code field}, with a message that names the property as it is written in configuration. */
    private static void reject(Errors errors, String field, String reason) {
        errors.rejectValue(field, "invalid", "quic.xdp." + DataObjectPropertyName.toDashedForm(field) + " " + reason);
    }
}
