package io.damselfly.engine.config;

import java.util.Locale;

/**
 * client-output-buffer-limit: per client class a hard limit, a soft limit and the seconds a
 * client may stay over the soft limit. Damselfly's default gives normal clients a hard limit
 * (1 GB) so that a client that never reads cannot grow the heap without bound.
 */
public final class ClientOutputLimits {
    public static final int NORMAL = 0;
    public static final int REPLICA = 1;
    public static final int PUBSUB = 2;

    /** [class][hard, soft, seconds] */
    private final long[][] limits = new long[3][3];

    private ClientOutputLimits() {
    }

    /** Parses "class hard soft seconds ..." (classes normal, slave/replica, pubsub); null if invalid. */
    public static ClientOutputLimits parse(String v) {
        ClientOutputLimits l = new ClientOutputLimits();
        String[] w = v.trim().split("\\s+");
        if (v.isBlank() || w.length % 4 != 0) {
            return null;
        }
        for (int i = 0; i < w.length; i += 4) {
            int cls = switch (w[i].toLowerCase(Locale.ROOT)) {
                case "normal" -> NORMAL;
                case "slave", "replica" -> REPLICA;
                case "pubsub" -> PUBSUB;
                default -> -1;
            };
            if (cls < 0) {
                return null;
            }
            long hard = Setting.parseMemory(w[i + 1]);
            long soft = Setting.parseMemory(w[i + 2]);
            long secs;
            try {
                secs = Long.parseLong(w[i + 3]);
            } catch (NumberFormatException e) {
                return null;
            }
            if (hard < 0 || soft < 0 || secs < 0) {
                return null;
            }
            l.limits[cls][0] = hard;
            l.limits[cls][1] = soft;
            l.limits[cls][2] = secs;
        }
        return l;
    }

    static String validate(String v) {
        return parse(v) == null ? "Wrong number of arguments in buffer limit configuration." : null;
    }

    public long hard(int cls) {
        return limits[cls][0];
    }

    public long soft(int cls) {
        return limits[cls][1];
    }

    public long softSeconds(int cls) {
        return limits[cls][2];
    }
}
