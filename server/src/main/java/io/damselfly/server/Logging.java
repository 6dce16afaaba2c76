package io.damselfly.server;

import io.damselfly.engine.config.Settings;

/** Configures slf4j-simple from the loglevel and logfile settings, before the first logger exists. */
final class Logging {
    private Logging() {
    }

    static void configure(Settings settings) {
        String level = switch (settings.loglevel.value()) {
            case "debug" -> "debug";
            case "verbose" -> "info";
            case "warning" -> "warn";
            default -> "info";
        };
        setIfAbsent("org.slf4j.simpleLogger.defaultLogLevel", level);
        setIfAbsent("org.slf4j.simpleLogger.showDateTime", "true");
        setIfAbsent("org.slf4j.simpleLogger.dateTimeFormat", "dd MMM yyyy HH:mm:ss.SSS");
        setIfAbsent("org.slf4j.simpleLogger.showThreadName", "false");
        setIfAbsent("org.slf4j.simpleLogger.showShortLogName", "true");
        String file = settings.logfile.value();
        setIfAbsent("org.slf4j.simpleLogger.logFile", file.isEmpty() ? "System.out" : file);
    }

    private static void setIfAbsent(String key, String value) {
        if (System.getProperty(key) == null) {
            System.setProperty(key, value);
        }
    }
}
