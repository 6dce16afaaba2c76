package io.damselfly.server;

import io.damselfly.engine.config.Settings;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The command line, as redis-server reads it: an optional config file first, then
 * {@code --name value...} options, each applied as if it were a line of the config file after
 * the file's own lines.
 */
final class Options {
    private Options() {
    }

    static Settings parse(List<String> args) throws IOException {
        Settings settings = new Settings();
        int i = 0;
        if (!args.isEmpty() && !args.get(0).startsWith("--")) {
            Path file = Path.of(args.get(0));
            if (!Files.isReadable(file)) {
                throw new IllegalArgumentException("Fatal error, can't open config file '" + file + "': No such file or directory");
            }
            settings.load(file);
            i = 1;
        }
        while (i < args.size()) {
            String arg = args.get(i);
            if (!arg.startsWith("--") || arg.length() == 2) {
                throw new IllegalArgumentException("Invalid argument '" + arg + "': options start with --");
            }
            String name = arg.substring(2).toLowerCase(java.util.Locale.ROOT);
            List<String> values = new ArrayList<>();
            i++;
            while (i < args.size() && !(args.get(i).startsWith("--") && args.get(i).length() > 2)) {
                values.add(args.get(i));
                i++;
            }
            if (values.size() == 1 && settings.get(name) != null
                    && settings.get(name).has(io.damselfly.engine.config.Setting.MULTI_ARG) && !values.get(0).isEmpty()) {
                List<String> split = io.damselfly.engine.config.ConfigWords.split(values.get(0));
                if (split != null) {
                    values = split;
                }
            }
            try {
                settings.apply(name, values);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("Bad option --" + name + " " + String.join(" ", values) + ": " + e.getMessage());
            }
        }
        return settings;
    }
}
