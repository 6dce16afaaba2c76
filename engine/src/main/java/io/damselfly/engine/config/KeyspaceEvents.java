package io.damselfly.engine.config;

/**
 * The {@code notify-keyspace-events} setting: a string of class letters kept as a bit set.
 * CONFIG GET shows the set back in Redis's canonical order ("A" for all classes), so
 * {@code KA} reads back as {@code AK} (and, as in Redis, "A" hides an 'n' given with it).
 */
public final class KeyspaceEvents extends Setting {
    public static final int KEYSPACE = 1;
    public static final int KEYEVENT = 1 << 1;
    public static final int GENERIC = 1 << 2;
    public static final int STRING = 1 << 3;
    public static final int LIST = 1 << 4;
    public static final int SET = 1 << 5;
    public static final int HASH = 1 << 6;
    public static final int ZSET = 1 << 7;
    public static final int EXPIRED = 1 << 8;
    public static final int EVICTED = 1 << 9;
    public static final int STREAM = 1 << 10;
    public static final int KEY_MISS = 1 << 11;
    public static final int MODULE = 1 << 13;
    public static final int NEW = 1 << 14;
    /** 'A': every class but key misses and new keys. */
    public static final int ALL = GENERIC | STRING | LIST | SET | HASH | ZSET | EXPIRED | EVICTED | STREAM | MODULE;

    private static final String CLASSES = "g$lshzxetdn";
    private static final int[] CLASS_BITS = {GENERIC, STRING, LIST, SET, HASH, ZSET, EXPIRED, EVICTED, STREAM, MODULE, NEW};

    KeyspaceEvents(String name, int flags) {
        super(name, "", flags);
    }

    /** The bit set of a class string, or -1 when it holds a letter that names no class. */
    public static int parseFlags(String classes) {
        int flags = 0;
        for (int i = 0; i < classes.length(); i++) {
            char ch = classes.charAt(i);
            int bit = switch (ch) {
                case 'A' -> ALL;
                case 'K' -> KEYSPACE;
                case 'E' -> KEYEVENT;
                case 'm' -> KEY_MISS;
                default -> {
                    int at = CLASSES.indexOf(ch);
                    yield at < 0 ? -1 : CLASS_BITS[at];
                }
            };
            if (bit < 0) {
                return -1;
            }
            flags |= bit;
        }
        return flags;
    }

    /** The canonical class string of a bit set. */
    public static String format(int flags) {
        StringBuilder sb = new StringBuilder();
        if ((flags & ALL) == ALL) {
            sb.append('A');
        } else {
            for (int i = 0; i < CLASS_BITS.length; i++) {
                if ((flags & CLASS_BITS[i]) != 0) {
                    sb.append(CLASSES.charAt(i));
                }
            }
        }
        if ((flags & KEYSPACE) != 0) {
            sb.append('K');
        }
        if ((flags & KEYEVENT) != 0) {
            sb.append('E');
        }
        if ((flags & KEY_MISS) != 0) {
            sb.append('m');
        }
        return sb.toString();
    }

    @Override
    String parse(String value) {
        int flags = parseFlags(value);
        if (flags < 0) {
            return "Invalid event class character. Use 'Ag$lshzxeKEtmdn'.";
        }
        text = format(flags);
        number = flags;
        return null;
    }
}
