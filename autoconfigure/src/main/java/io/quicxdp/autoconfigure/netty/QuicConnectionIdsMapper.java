package io.quicxdp.autoconfigure.netty;

import io.quicxdp.datapath.config.InvalidSettingException;
import io.quicxdp.netty.quic.QuicLbConnectionIds;
import java.util.HexFormat;
import java.util.Locale;
import org.springframework.boot.context.properties.PropertyMapper;
import org.springframework.boot.context.properties.bind.DataObjectPropertyName;
import org.springframework.validation.Errors;

/**
 * Maps {@code quic.xdp.quic.*} onto {@link QuicLbConnectionIds}, whose builder alone says what the format may be: a
 * value it refuses is reported against the property of the same name.
 */
final class QuicConnectionIdsMapper {

    private static final String PREFIX = "quic.xdp.quic.";

    private QuicConnectionIdsMapper() {
    }

    /** The format the properties give; they are validated. */
    static QuicLbConnectionIds connectionIds(XdpQuicProperties properties) {
        QuicLbConnectionIds.Builder builder = QuicLbConnectionIds.builder();
        PropertyMapper map = PropertyMapper.get();
        map.from(properties::getServerId).as(QuicConnectionIdsMapper::octets).to(builder::serverId);
        map.from(properties::getServerIdLength).to(builder::serverIdLength);
        map.from(properties::getConnectionIdLength).to(builder::connectionIdLength);
        map.from(properties::getConfigRotation).to(builder::configRotation);
        map.from(properties::isLengthSelfDescription).to(builder::lengthSelfDescription);
        return builder.build();
    }

    static void validate(XdpQuicProperties properties, Errors errors) {
        String serverId = properties.getServerId();
        if (serverId != null && octetsOrNull(serverId) == null) {
            reject(errors, "serverId", "must be hexadecimal, two digits an octet (for example 0a01), not '"
                    + serverId + "'");
            return;
        }
        try {
            connectionIds(properties);
        }
        catch (InvalidSettingException ex) {
            reject(errors, ex.setting(), ex.rule());
        }
    }

    private static byte[] octets(String hex) {
        byte[] octets = octetsOrNull(hex);
        if (octets == null) {
            throw new IllegalArgumentException("not hexadecimal octets: " + hex);
        }
        return octets;
    }

    private static byte[] octetsOrNull(String hex) {
        String digits = hex.strip().toLowerCase(Locale.ROOT);
        if (digits.startsWith("0x")) {
            digits = digits.substring(2);
        }
        try {
            return HexFormat.of().parseHex(digits);
        }
        catch (IllegalArgumentException ex) {
            return null;
        }
    }

    private static void reject(Errors errors, String field, String reason) {
        errors.rejectValue(field, "invalid", PREFIX + DataObjectPropertyName.toDashedForm(field) + " " + reason);
    }
}
