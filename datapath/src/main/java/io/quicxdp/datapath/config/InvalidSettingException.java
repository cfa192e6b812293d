package io.quicxdp.datapath.config;

/**
 * A value {@link DatapathSettings.Builder#build()} refuses, because the kernel or the datapath would: the message
 * starts with the setting's name, as its builder method spells it, and says what it must be.
 */
public class InvalidSettingException extends IllegalArgumentException {

    private static final long serialVersionUID = 1L;

    private final String setting;

    /**
     * @param setting the builder method's name, for example {@code frameSize}
     * @param rule what the value must be and what it is, for example {@code must be 2048 or 4096, not 3000}
     */
    public InvalidSettingException(String setting, String rule) {
        super(setting + " " + rule);
        this.setting = setting;
    }

    /** The setting's name, as its builder method spells it, for example {@code frameSize}. */
    public String setting() {
        return setting;
    }

    /** What the value must be and what it is, the message without the setting's name. */
    public String rule() {
        return getMessage().substring(setting.length() + 1);
    }
}
