package io.damselfly.engine.config;

import java.util.Locale;
import java.util.function.Consumer;

/**
 * One setting of the settings table, under its Redis name. The value is kept as text in a
 * volatile field (any thread may read it; CONFIG SET, the only writer after start, is
 * serialised by {@link Settings}) plus a parsed number for numeric kinds.
 */
public abstract class Setting {
    public static final int IMMUTABLE = 1;
    public static final int MULTI_ARG = 2;
    public static final int SENSITIVE = 4;
    /** Not shown by CONFIG GET * (still settable): internal tuning. */
    public static final int HIDDEN = 8;

    final String name;
    final String[] aliases;
    final int flags;
    final String defaultValue;
    volatile String text;
    volatile long number;
    private Consumer<Setting> onChange;

    Setting(String name, String defaultValue, int flags, String... aliases) {
        this.name = name;
        this.defaultValue = defaultValue;
        this.flags = flags;
        this.aliases = aliases;
    }

    public String name() {
        return name;
    }

    public String[] aliases() {
        return aliases;
    }

    public String value() {
        return text;
    }

    public long number() {
        return number;
    }

    public boolean bool() {
        return number != 0;
    }

    public String defaultValue() {
        return defaultValue;
    }

    public boolean has(int flag) {
        return (flags & flag) != 0;
    }

    public void onChange(Consumer<Setting> listener) {
        this.onChange = listener;
    }

    /** Parses and stores a value; returns an error text (Redis's wording) or null. */
    final String set(String value) {
        String error = parse(value);
        if (error != null) {
            return error;
        }
        if (onChange != null) {
            onChange.accept(this);
        }
        return null;
    }

    /** Validates {@code value}; on success stores {@link #text} and {@link #number}. */
    abstract String parse(String value);

    // ------------------------------------------------------------------ kinds

    static final class Bool extends Setting {
        Bool(String name, boolean def, int flags, String... aliases) {
            super(name, def ? "yes" : "no", flags, aliases);
        }

        @Override
        String parse(String value) {
            String v = value.toLowerCase(Locale.ROOT);
            if (!v.equals("yes") && !v.equals("no")) {
                return "argument must be 'yes' or 'no'";
            }
            number = v.equals("yes") ? 1 : 0;
            text = v;
            return null;
        }
    }

    static final class Num extends Setting {
        final long min;
        final long max;
        final boolean memory;

        Num(String name, long def, long min, long max, boolean memory, int flags, String... aliases) {
            super(name, Long.toString(def), flags, aliases);
            this.min = min;
            this.max = max;
            this.memory = memory;
        }

        @Override
        String parse(String value) {
            long v;
            if (memory) {
                v = parseMemory(value);
                if (v == Long.MIN_VALUE) {
                    return "argument must be a memory value";
                }
            } else {
                try {
                    v = Long.parseLong(value.trim());
                } catch (NumberFormatException e) {
                    return "argument couldn't be parsed into an integer";
                }
            }
            if (v < min || v > max) {
                return "argument must be between " + min + " and " + max + " inclusive";
            }
            number = v;
            text = Long.toString(v);
            return null;
        }
    }

    static final class Choice extends Setting {
        final String[] choices;

        Choice(String name, String def, String[] choices, int flags, String... aliases) {
            super(name, def, flags, aliases);
            this.choices = choices;
        }

        @Override
        String parse(String value) {
            String v = value.toLowerCase(Locale.ROOT);
            for (int i = 0; i < choices.length; i++) {
                if (choices[i].equals(v)) {
                    number = i;
                    text = v;
                    return null;
                }
            }
            return "argument(s) must be one of the following: " + String.join(", ", choices);
        }
    }

    /** Free text, optionally checked by a validator that returns an error or null. */
    static final class Text extends Setting {
        final java.util.function.Function<String, String> validator;

        Text(String name, String def, java.util.function.Function<String, String> validator, int flags,
             String... aliases) {
            super(name, def, flags, aliases);
            this.validator = validator;
        }

        @Override
        String parse(String value) {
            if (validator != null) {
                String error = validator.apply(value);
                if (error != null) {
                    return error;
                }
            }
            text = value;
            return null;
        }
    }

    /**
     * Redis's memtoull: a number with an optional unit b, k, kb, m, mb, g, gb (k = 1000,
     * kb = 1024), case-insensitive. Returns Long.MIN_VALUE when it is not one.
     */
    public static long parseMemory(String s) {
        String v = s.trim().toLowerCase(Locale.ROOT);
        long mul = 1;
        String digits = v;
        String[][] units = {{"gb", "1073741824"}, {"mb", "1048576"}, {"kb", "1024"}, {"g", "1000000000"},
                {"m", "1000000"}, {"k", "1000"}, {"b", "1"}};
        for (String[] u : units) {
            if (v.endsWith(u[0])) {
                mul = Long.parseLong(u[1]);
                digits = v.substring(0, v.length() - u[0].length());
                break;
            }
        }
        if (digits.isEmpty()) {
            return Long.MIN_VALUE;
        }
        for (int i = 0; i < digits.length(); i++) {
            char c = digits.charAt(i);
            if ((c < '0' || c > '9') && !(i == 0 && c == '-')) {
                return Long.MIN_VALUE;
            }
        }
        try {
            return Math.multiplyExact(Long.parseLong(digits), mul);
        } catch (ArithmeticException | NumberFormatException e) {
            return Long.MIN_VALUE;
        }
    }
}
