package io.damselfly.engine.command;

import io.damselfly.engine.keyspace.Glob;
import io.damselfly.engine.types.BytesMap;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/**
 * HSCAN, SSCAN and ZSCAN. A compact collection is returned whole with cursor 0, as Redis does
 * for listpacks and intsets; a large one is walked bucket by bucket with the reverse-binary
 * cursor of {@link BytesMap#scan}, which visits every element present for the whole scan at
 * least once across resizes.
 */
final class CollectionScan {
    private CollectionScan() {
    }

    /** Parsed SCAN options, or null after an error reply. */
    record Options(long cursor, long count, byte[] pattern) {
    }

    static Options parse(CommandContext c, int cursorArg) {
        Request r = c.req;
        long cursor = KeyCommands.parseCursor(r, cursorArg);
        if (cursor < 0) {
            c.reply.error("ERR invalid cursor");
            return null;
        }
        long count = 10;
        byte[] pattern = null;
        for (int j = cursorArg + 1; j < r.argc(); j++) {
            int more = r.argc() - j - 1;
            if (r.is(j, "count") && more >= 1) {
                if (!r.parseLong(j + 1)) {
                    c.notInteger();
                    return null;
                }
                count = r.longValue();
                if (count < 1) {
                    c.syntaxError();
                    return null;
                }
                j++;
            } else if (r.is(j, "match") && more >= 1) {
                pattern = r.copy(j + 1);
                if (pattern.length == 1 && pattern[0] == '*') {
                    pattern = null;
                }
                j++;
            } else {
                c.syntaxError();
                return null;
            }
        }
        return new Options(cursor, count, pattern);
    }

    /** The reply for a missing key: the cursor is checked, the options are not (as Redis does). */
    static void empty(CommandContext c, int cursorArg) {
        if (KeyCommands.parseCursor(c.req, cursorArg) < 0) {
            c.reply.error("ERR invalid cursor");
            return;
        }
        c.reply.array(2);
        c.reply.bulk(ZERO);
        c.reply.array(0);
    }

    private static final byte[] ZERO = {'0'};

    /**
     * Replies to a scan. Either {@code map} (large encoding; {@code valueOf} turns a node's value
     * into its reply bytes, null for sets) or {@code compact} (every element, each a one- or
     * two-element array) is given; both null means the key is missing.
     */
    static void scan(CommandContext c, int cursorArg, BytesMap map, Function<Object, byte[]> valueOf,
            List<byte[][]> compact) {
        Options o = parse(c, cursorArg);
        if (o == null) {
            return;
        }
        List<byte[][]> found;
        long next = 0;
        if (map != null) {
            found = new ArrayList<>();
            long cursor = o.cursor();
            long maxBuckets = o.count() * 10;
            long visited = 0;
            do {
                cursor = map.scan(cursor, n -> found.add(valueOf == null ? new byte[][] {n.key}
                        : new byte[][] {n.key, valueOf.apply(n.value)}));
                visited++;
            } while (cursor != 0 && found.size() < o.count() && visited < maxBuckets);
            next = cursor;
        } else {
            found = compact == null ? List.of() : compact;
        }
        int n = 0;
        for (byte[][] e : found) {
            if (o.pattern() == null || Glob.match(o.pattern(), 0, o.pattern().length, e[0], 0, e[0].length, false)) {
                n += e.length;
            }
        }
        c.reply.array(2);
        c.reply.bulk(Long.toUnsignedString(next));
        c.reply.array(n);
        for (byte[][] e : found) {
            if (o.pattern() == null || Glob.match(o.pattern(), 0, o.pattern().length, e[0], 0, e[0].length, false)) {
                for (byte[] part : e) {
                    c.reply.bulk(part);
                }
            }
        }
    }
}
