package io.damselfly.engine.command;

import io.damselfly.engine.journal.Journal;
import io.damselfly.engine.keyspace.Entry;
import io.damselfly.engine.resp.Numbers;
import io.damselfly.engine.resp.Reply;
import io.damselfly.engine.shard.Keyspace;
import io.damselfly.engine.types.BytesMap;
import io.damselfly.engine.types.HashValue;
import io.damselfly.engine.types.Pack;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

import static io.damselfly.engine.command.CommandSpec.DENYOOM;
import static io.damselfly.engine.command.CommandSpec.FAST;
import static io.damselfly.engine.command.CommandSpec.READONLY;
import static io.damselfly.engine.command.CommandSpec.WRITE;
import static io.damselfly.engine.command.CommandSpec.command;

/**
 * Hashes. Small hashes are a {@link Pack} of field, value pairs inside the key's entry
 * (listpack); past hash-max-listpack-entries fields or a field or value longer than
 * hash-max-listpack-value they become a {@link HashValue} (hashtable), and stay one.
 */
public final class HashCommands {
    private static final byte[] HSET = Reply.ascii("HSET");

    private HashCommands() {
    }

    public static void register(CommandTable t) {
        t.add(command("hset", -4).flags(WRITE | DENYOOM | FAST).keys(1, 1, 1).group("hash").since("2.0.0")
                .acl("@write", "@hash", "@fast").summary("Sets fields of a hash; counts the fields that were new.")
                .complexity("O(1) for each field/value pair added").handler(c -> hset(c, false)).build());
        t.add(command("hmset", -4).flags(WRITE | DENYOOM | FAST).keys(1, 1, 1).group("hash").since("2.0.0")
                .acl("@write", "@hash", "@fast").summary("Sets fields of a hash (older form of HSET, answers OK).")
                .complexity("O(N) where N is the number of fields being set.").handler(c -> hset(c, true)).build());
        t.add(command("hsetnx", 4).flags(WRITE | DENYOOM | FAST).keys(1, 1, 1).group("hash").since("2.0.0")
                .acl("@write", "@hash", "@fast").summary("Sets a field of a hash only if it does not exist yet.")
                .handler(HashCommands::hsetnx).build());
        t.add(command("hget", 3).flags(READONLY | FAST).keys(1, 1, 1).group("hash").since("2.0.0")
                .acl("@read", "@hash", "@fast").summary("Returns the value of a field of a hash.")
                .handler(HashCommands::hget).build());
        t.add(command("hmget", -3).flags(READONLY | FAST).keys(1, 1, 1).group("hash").since("2.0.0")
                .acl("@read", "@hash", "@fast").summary("Returns the values of fields of a hash.")
                .complexity("O(N) where N is the number of fields being requested.").handler(HashCommands::hmget).build());
        t.add(command("hdel", -3).flags(WRITE | FAST).keys(1, 1, 1).group("hash").since("2.0.0")
                .acl("@write", "@hash", "@fast").summary("Deletes fields of a hash; the key goes when it is empty.")
                .complexity("O(N) where N is the number of fields to be removed.").handler(HashCommands::hdel).build());
        t.add(command("hlen", 2).flags(READONLY | FAST).keys(1, 1, 1).group("hash").since("2.0.0")
                .acl("@read", "@hash", "@fast").summary("Counts the fields of a hash.").handler(HashCommands::hlen).build());
        t.add(command("hstrlen", 3).flags(READONLY | FAST).keys(1, 1, 1).group("hash").since("3.2.0")
                .acl("@read", "@hash", "@fast").summary("Returns the length of the value of a field of a hash.")
                .handler(HashCommands::hstrlen).build());
        t.add(command("hexists", 3).flags(READONLY | FAST).keys(1, 1, 1).group("hash").since("2.0.0")
                .acl("@read", "@hash", "@fast").summary("Says whether a field exists in a hash.")
                .handler(HashCommands::hexists).build());
        t.add(command("hkeys", 2).flags(READONLY).keys(1, 1, 1).group("hash").since("2.0.0")
                .acl("@read", "@hash", "@slow").tips("nondeterministic_output_order")
                .summary("Returns the fields of a hash.").complexity("O(N) where N is the size of the hash.")
                .handler(c -> getAll(c, true, false)).build());
        t.add(command("hvals", 2).flags(READONLY).keys(1, 1, 1).group("hash").since("2.0.0")
                .acl("@read", "@hash", "@slow").tips("nondeterministic_output_order")
                .summary("Returns the values of a hash.").complexity("O(N) where N is the size of the hash.")
                .handler(c -> getAll(c, false, true)).build());
        t.add(command("hgetall", 2).flags(READONLY).keys(1, 1, 1).group("hash").since("2.0.0")
                .acl("@read", "@hash", "@slow").tips("nondeterministic_output_order")
                .summary("Returns every field and value of a hash.").complexity("O(N) where N is the size of the hash.")
                .handler(c -> getAll(c, true, true)).build());
        t.add(command("hincrby", 4).flags(WRITE | DENYOOM | FAST).keys(1, 1, 1).group("hash").since("2.0.0")
                .acl("@write", "@hash", "@fast").summary("Adds an integer to the value of a field of a hash.")
                .handler(HashCommands::hincrby).build());
        t.add(command("hincrbyfloat", 4).flags(WRITE | DENYOOM | FAST).keys(1, 1, 1).group("hash").since("2.6.0")
                .acl("@write", "@hash", "@fast").summary("Adds a decimal number to the value of a field of a hash.")
                .handler(HashCommands::hincrbyfloat).build());
        t.add(command("hrandfield", -2).flags(READONLY).keys(1, 1, 1).group("hash").since("6.2.0")
                .acl("@read", "@hash", "@slow").tips("nondeterministic_output")
                .summary("Returns random fields of a hash, optionally with their values.")
                .complexity("O(N) where N is the number of fields returned").handler(HashCommands::hrandfield).build());
        t.add(command("hscan", -3).flags(READONLY).keys(1, 1, 1).group("hash").since("2.8.0")
                .acl("@read", "@hash", "@slow").tips("nondeterministic_output")
                .summary("Iterates over the fields and values of a hash with a cursor.")
                .complexity("O(1) for every call. O(N) for a complete iteration.").handler(HashCommands::hscan).build());
    }

    // ------------------------------------------------------------------ reading

    /** Finds a field in a compact hash; leaves the cursor on its value. */
    static boolean findCompact(Pack.Cursor cur, byte[] b, int off, int len) {
        while (cur.next()) {
            boolean match = cur.equalsElement(b, off, len);
            cur.next();
            if (match) {
                return true;
            }
        }
        return false;
    }

    static void hget(CommandContext c) {
        long a = Values.read(c, 1, Entry.TYPE_HASH);
        if (a <= 0) {
            if (a == 0) {
                c.reply.nullBulk();
            }
            return;
        }
        replyField(c, a, 2);
    }

    private static void replyField(CommandContext c, long a, int arg) {
        Request r = c.req;
        if (c.db.isObject(a)) {
            BytesMap.Node n = ((HashValue) c.db.object(a)).map.get(r.buf(), r.off(arg), r.len(arg));
            if (n == null) {
                c.reply.nullBulk();
            } else {
                c.reply.bulk((byte[]) n.value);
            }
            return;
        }
        Pack.Cursor cur = c.compact(a);
        if (findCompact(cur, r.buf(), r.off(arg), r.len(arg))) {
            c.reply.bulk(cur.segment(), cur.elemOff, cur.elemLen);
        } else {
            c.reply.nullBulk();
        }
    }

    static void hmget(CommandContext c) {
        Request r = c.req;
        long a = Values.read(c, 1, Entry.TYPE_HASH);
        if (a < 0) {
            return;
        }
        c.reply.array(r.argc() - 2);
        for (int i = 2; i < r.argc(); i++) {
            if (a == 0) {
                c.reply.nullBulk();
            } else {
                replyField(c, a, i);
            }
        }
    }

    static long length(CommandContext c, long a) {
        if (c.db.isObject(a)) {
            return ((HashValue) c.db.object(a)).map.size();
        }
        return c.compact(a).count() / 2;
    }

    static void hlen(CommandContext c) {
        long a = Values.read(c, 1, Entry.TYPE_HASH);
        if (a >= 0) {
            c.reply.integer(a == 0 ? 0 : length(c, a));
        }
    }

    static void hstrlen(CommandContext c) {
        Request r = c.req;
        long a = Values.read(c, 1, Entry.TYPE_HASH);
        if (a < 0) {
            return;
        }
        if (a == 0) {
            c.reply.integer(0);
            return;
        }
        if (c.db.isObject(a)) {
            BytesMap.Node n = ((HashValue) c.db.object(a)).map.get(r.buf(), r.off(2), r.len(2));
            c.reply.integer(n == null ? 0 : ((byte[]) n.value).length);
            return;
        }
        Pack.Cursor cur = c.compact(a);
        c.reply.integer(findCompact(cur, r.buf(), r.off(2), r.len(2)) ? cur.elemLen : 0);
    }

    static void hexists(CommandContext c) {
        Request r = c.req;
        long a = Values.read(c, 1, Entry.TYPE_HASH);
        if (a < 0) {
            return;
        }
        if (a == 0) {
            c.reply.integer(0);
            return;
        }
        if (c.db.isObject(a)) {
            c.reply.integer(((HashValue) c.db.object(a)).map.get(r.buf(), r.off(2), r.len(2)) == null ? 0 : 1);
            return;
        }
        c.reply.integer(findCompact(c.compact(a), r.buf(), r.off(2), r.len(2)) ? 1 : 0);
    }

    static void getAll(CommandContext c, boolean fields, boolean values) {
        long a = Values.read(c, 1, Entry.TYPE_HASH);
        if (a < 0) {
            return;
        }
        long n = a == 0 ? 0 : length(c, a);
        if (fields && values) {
            c.reply.map(n);
        } else {
            c.reply.array(n);
        }
        if (a == 0) {
            return;
        }
        if (c.db.isObject(a)) {
            ((HashValue) c.db.object(a)).map.forEach(node -> {
                if (fields) {
                    c.reply.bulk(node.key);
                }
                if (values) {
                    c.reply.bulk((byte[]) node.value);
                }
            });
            return;
        }
        Pack.Cursor cur = c.compact(a);
        while (cur.next()) {
            if (fields) {
                c.reply.bulk(cur.segment(), cur.elemOff, cur.elemLen);
            }
            cur.next();
            if (values) {
                c.reply.bulk(cur.segment(), cur.elemOff, cur.elemLen);
            }
        }
    }

    // ------------------------------------------------------------------ writing

    private static boolean tooLong(CommandContext c, int len) {
        return len > c.engine.settings().hashMaxListpackValue.number();
    }

    /** Converts a compact hash to its large form; returns the new entry's address. */
    static long convert(CommandContext c, long a) {
        Request r = c.req;
        HashValue h = new HashValue();
        Pack.Cursor cur = c.compact(a);
        while (cur.next()) {
            byte[] field = cur.element();
            cur.next();
            h.map.put(field, cur.element());
        }
        return c.db.putObject(r.buf(), r.off(1), r.len(1), Entry.TYPE_HASH, h, Keyspace.KEEP_TTL);
    }

    /**
     * Sets the pairs at arguments [from, to) (field, value ...); with {@code onlyNew} a field
     * that exists keeps its value. A non-null {@code value} stands in for the one value argument
     * of a single pair (HINCRBY and HINCRBYFLOAT store their result this way). Returns how many
     * fields were created.
     */
    static int setPairs(CommandContext c, long a, int from, int to, boolean onlyNew, byte[] value) {
        Request r = c.req;
        byte[] b = r.buf();
        byte[] vb = value != null ? value : b;
        int vOff = value != null ? 0 : r.off(from + 1);
        int vLen = value != null ? value.length : r.len(from + 1);
        long maxEntries = c.engine.settings().hashMaxListpackEntries.number();
        if (a != 0 && !c.db.isObject(a)) {
            boolean convert = length(c, a) + (to - from) / 2 > maxEntries || tooLong(c, vLen);
            for (int i = from; i < to && !convert; i++) {
                convert = tooLong(c, r.len(i));
            }
            if (convert) {
                a = convert(c, a);
            }
        } else if (a == 0) {
            boolean large = (to - from) / 2 > maxEntries || tooLong(c, vLen);
            for (int i = from; i < to && !large; i++) {
                large = tooLong(c, r.len(i));
            }
            if (large) {
                a = c.db.putObject(b, r.off(1), r.len(1), Entry.TYPE_HASH, new HashValue(), Keyspace.NO_EXPIRE);
            }
        }
        if (a != 0 && c.db.isObject(a)) {
            c.db.beforeChange(b, r.off(1), r.len(1), a);
            BytesMap map = ((HashValue) c.db.object(a)).map;
            int created = 0;
            for (int i = from; i < to; i += 2) {
                BytesMap.Node n = map.get(b, r.off(i), r.len(i));
                byte[] v = value != null ? value : r.copy(i + 1);
                if (n == null) {
                    map.putIfAbsent(r.copy(i), v);
                    created++;
                } else if (!onlyNew) {
                    n.value = v;
                }
            }
            return created;
        }
        int pairs = (to - from) / 2;
        if (pairs == 1 && a != 0) {
            // one field already there with a value of the same length: overwrite it in place
            Pack.Cursor cur = c.compact(a);
            if (findCompact(cur, b, r.off(from), r.len(from))) {
                if (onlyNew) {
                    return 0;
                }
                if (cur.elemLen == vLen) {
                    long at = cur.elemOff;
                    MemorySegment seg = cur.segment();
                    c.db.beforeChange(b, r.off(1), r.len(1), a);
                    MemorySegment.copy(vb, vOff, seg, ValueLayout.JAVA_BYTE, at, vLen);
                    return 0;
                }
            }
        }
        // compact: rebuild the pack with the changes
        boolean[] exists = new boolean[pairs];
        int created = 0;
        Pack.begin(c.pack);
        int count = 0;
        if (a != 0) {
            Pack.Cursor cur = c.compact(a);
            while (cur.next()) {
                long fOff = cur.elemOff;
                int fLen = cur.elemLen;
                int hit = -1;
                for (int k = pairs - 1; k >= 0; k--) {
                    int i = from + 2 * k;
                    if (cur.equalsElement(b, r.off(i), r.len(i))) {
                        hit = k;
                        break;
                    }
                }
                cur.next();
                Pack.add(c.pack, cur.segment(), fOff, fLen);
                if (hit >= 0 && !onlyNew) {
                    exists[hit] = true;
                    int v = from + 2 * hit + 1;
                    if (value != null) {
                        Pack.add(c.pack, vb, vOff, vLen);
                    } else {
                        Pack.add(c.pack, b, r.off(v), r.len(v));
                    }
                } else {
                    if (hit >= 0) {
                        exists[hit] = true;
                    }
                    Pack.add(c.pack, cur.segment(), cur.elemOff, cur.elemLen);
                }
                count += 2;
            }
        }
        for (int k = 0; k < pairs; k++) {
            if (exists[k]) {
                continue;
            }
            int i = from + 2 * k;
            // a field repeated in the same command: the last value wins, counted once
            boolean later = false;
            for (int j = k + 1; j < pairs; j++) {
                if (r.len(from + 2 * j) == r.len(i) && java.util.Arrays.equals(b, r.off(i), r.off(i) + r.len(i), b,
                        r.off(from + 2 * j), r.off(from + 2 * j) + r.len(from + 2 * j))) {
                    later = true;
                    break;
                }
            }
            if (later) {
                continue;
            }
            Pack.add(c.pack, b, r.off(i), r.len(i));
            if (value != null) {
                Pack.add(c.pack, vb, vOff, vLen);
            } else {
                Pack.add(c.pack, b, r.off(i + 1), r.len(i + 1));
            }
            count += 2;
            created++;
        }
        Pack.finish(c.pack, count);
        c.db.putCompact(b, r.off(1), r.len(1), Entry.TYPE_HASH, c.pack.array(), 0, c.pack.size(),
                a == 0 ? Keyspace.NO_EXPIRE : Keyspace.KEEP_TTL);
        return created;
    }

    static void hset(CommandContext c, boolean legacy) {
        Request r = c.req;
        if (r.argc() % 2 == 1) {
            c.wrongArity();
            return;
        }
        long a = Values.write(c, 1, Entry.TYPE_HASH);
        if (a < 0) {
            return;
        }
        int created = setPairs(c, a, 2, r.argc(), false, null);
        if (legacy) {
            c.reply.ok();
        } else {
            c.reply.integer(created);
        }
        c.journalVerbatim();
        c.notify(Events.HASH, Events.HSET, 1);
    }

    static void hsetnx(CommandContext c) {
        Request r = c.req;
        long a = Values.write(c, 1, Entry.TYPE_HASH);
        if (a < 0) {
            return;
        }
        if (a != 0 && fieldExists(c, a, 2)) {
            c.reply.integer(0);
            return;
        }
        setPairs(c, a, 2, 4, true, null);
        c.reply.integer(1);
        c.journalVerbatim();
        c.notify(Events.HASH, Events.HSET, 1);
    }

    private static boolean fieldExists(CommandContext c, long a, int arg) {
        Request r = c.req;
        if (c.db.isObject(a)) {
            return ((HashValue) c.db.object(a)).map.get(r.buf(), r.off(arg), r.len(arg)) != null;
        }
        return findCompact(c.compact(a), r.buf(), r.off(arg), r.len(arg));
    }

    static void hdel(CommandContext c) {
        Request r = c.req;
        byte[] b = r.buf();
        long a = Values.write(c, 1, Entry.TYPE_HASH);
        if (a <= 0) {
            if (a == 0) {
                c.reply.integer(0);
            }
            return;
        }
        int deleted = 0;
        boolean empty;
        if (c.db.isObject(a)) {
            c.db.beforeChange(b, r.off(1), r.len(1), a);
            BytesMap map = ((HashValue) c.db.object(a)).map;
            for (int i = 2; i < r.argc(); i++) {
                if (map.remove(b, r.off(i), r.len(i)) != null) {
                    deleted++;
                }
            }
            empty = map.size() == 0;
        } else {
            Pack.begin(c.pack);
            int count = 0;
            Pack.Cursor cur = c.compact(a);
            while (cur.next()) {
                boolean drop = false;
                for (int i = 2; i < r.argc() && !drop; i++) {
                    drop = cur.equalsElement(b, r.off(i), r.len(i));
                }
                long fOff = cur.elemOff;
                int fLen = cur.elemLen;
                cur.next();
                if (drop) {
                    deleted++;
                } else {
                    Pack.add(c.pack, cur.segment(), fOff, fLen);
                    Pack.add(c.pack, cur.segment(), cur.elemOff, cur.elemLen);
                    count += 2;
                }
            }
            Pack.finish(c.pack, count);
            empty = count == 0;
            if (deleted > 0 && !empty) {
                c.db.putCompact(b, r.off(1), r.len(1), Entry.TYPE_HASH, c.pack.array(), 0, c.pack.size(),
                        Keyspace.KEEP_TTL);
            }
        }
        if (empty) {
            c.db.delete(b, r.off(1), r.len(1));
        }
        c.reply.integer(deleted);
        if (deleted > 0) {
            c.journalVerbatim();
            c.notify(Events.HASH, Events.HDEL, 1);
            if (empty) {
                c.notify(Events.GENERIC, Events.DEL, 1);
            }
        }
    }

    /** The value of a field as bytes, or null. */
    private static byte[] fieldValue(CommandContext c, long a, int arg) {
        Request r = c.req;
        if (a == 0) {
            return null;
        }
        if (c.db.isObject(a)) {
            BytesMap.Node n = ((HashValue) c.db.object(a)).map.get(r.buf(), r.off(arg), r.len(arg));
            return n == null ? null : (byte[]) n.value;
        }
        Pack.Cursor cur = c.compact(a);
        return findCompact(cur, r.buf(), r.off(arg), r.len(arg)) ? cur.element() : null;
    }

    /** Writes one field's new value (the request's field argument, the given value bytes). */
    private static void setField(CommandContext c, long a, byte[] value) {
        setPairs(c, a, 2, 4, false, value);
    }

    static void hincrby(CommandContext c) {
        Request r = c.req;
        if (!r.parseLong(3)) {
            c.notInteger();
            return;
        }
        long incr = r.longValue();
        long a = Values.write(c, 1, Entry.TYPE_HASH);
        if (a < 0) {
            return;
        }
        long value = 0;
        byte[] old = fieldValue(c, a, 2);
        if (old != null) {
            if (!Numbers.parseLong(old, 0, old.length, c.number)) {
                c.reply.error("ERR hash value is not an integer");
                return;
            }
            value = c.number.value;
        }
        if ((incr < 0 && value < 0 && incr < Long.MIN_VALUE - value)
                || (incr > 0 && value > 0 && incr > Long.MAX_VALUE - value)) {
            c.reply.error("ERR increment or decrement would overflow");
            return;
        }
        value += incr;
        setField(c, a, Numbers.toBytes(value));
        c.reply.integer(value);
        c.journalVerbatim();
        c.notify(Events.HASH, Events.HINCRBY, 1);
    }

    static void hincrbyfloat(CommandContext c) {
        Request r = c.req;
        byte[] b = r.buf();
        double incrD = Numbers.parseDouble(b, r.off(3), r.len(3));
        if (Double.isNaN(incrD)) {
            c.reply.error(CommandContext.NOT_FLOAT);
            return;
        }
        if (Double.isInfinite(incrD)) {
            c.reply.error("ERR value is NaN or Infinity");
            return;
        }
        long a = Values.write(c, 1, Entry.TYPE_HASH);
        if (a < 0) {
            return;
        }
        BigDecimal value = BigDecimal.ZERO;
        byte[] old = fieldValue(c, a, 2);
        if (old != null) {
            value = Numbers.parseDecimal(old, 0, old.length);
            if (value == null) {
                c.reply.error("ERR hash value is not a float");
                return;
            }
        }
        BigDecimal sum = value.add(Numbers.parseDecimal(b, r.off(3), r.len(3)));
        if (sum.abs().compareTo(StringCommands.LONG_DOUBLE_MAX) > 0) {
            c.reply.error("ERR increment would produce NaN or Infinity");
            return;
        }
        byte[] text = Numbers.formatHumanLongDouble(sum).getBytes(StandardCharsets.US_ASCII);
        setField(c, a, text);
        c.reply.bulk(text);
        c.notify(Events.HASH, Events.HINCRBYFLOAT, 1);
        Journal j = c.journalIfEnabled();
        if (j != null) {
            j.begin(c.db.id(), 4).arg(HSET).arg(b, r.off(1), r.len(1)).arg(b, r.off(2), r.len(2)).arg(text).end();
        }
    }

    // ------------------------------------------------------------------ random and scan

    /** All fields and values of a hash, as pairs (for random picks and scans). */
    static List<byte[][]> pairs(CommandContext c, long a) {
        List<byte[][]> out = new ArrayList<>();
        if (c.db.isObject(a)) {
            ((HashValue) c.db.object(a)).map.forEach(n -> out.add(pair(n)));
            return out;
        }
        Pack.Cursor cur = c.compact(a);
        while (cur.next()) {
            byte[] f = cur.element();
            cur.next();
            out.add(new byte[][] {f, cur.element()});
        }
        return out;
    }

    static void hrandfield(CommandContext c) {
        Request r = c.req;
        RandomPick.Args args = RandomPick.parse(c, "withvalues");
        if (args == null) {
            return;
        }
        boolean hasCount = args.hasCount();
        long count = args.count();
        boolean withValues = args.with();
        long a = Values.read(c, 1, Entry.TYPE_HASH);
        if (a < 0) {
            return;
        }
        if (!hasCount) {
            if (a == 0) {
                c.reply.nullBulk();
                return;
            }
            List<byte[][]> all = pairs(c, a);
            c.reply.bulk(all.get(ThreadLocalRandom.current().nextInt(all.size()))[0]);
            return;
        }
        if (a == 0 || count == 0) {
            c.reply.array(0);
            return;
        }
        boolean large = c.db.isObject(a);
        BytesMap map = large ? ((HashValue) c.db.object(a)).map : null;
        List<byte[][]> compact = large ? null : pairs(c, a);
        int size = large ? map.size() : compact.size();
        long n = RandomPick.replyLength(count, size);
        boolean nested = withValues && c.reply.resp3();
        c.reply.array(withValues && !nested ? n * 2 : n);
        boolean values = withValues;
        java.util.function.Consumer<byte[][]> emit = p -> {
            if (nested) {
                c.reply.array(2);
            }
            c.reply.bulk(p[0]);
            if (values) {
                c.reply.bulk(p[1]);
            }
        };
        if (large) {
            RandomPick.pick(count, size, () -> map.random(ThreadLocalRandom.current()), () -> nodes(map),
                    node -> emit.accept(pair(node)));
        } else {
            RandomPick.pick(count, size, null, () -> compact, emit);
        }
    }

    static List<BytesMap.Node> nodes(BytesMap map) {
        List<BytesMap.Node> out = new ArrayList<>(map.size());
        map.forEach(out::add);
        return out;
    }

    private static byte[][] pair(BytesMap.Node n) {
        return new byte[][] {n.key, (byte[]) n.value};
    }

    static void hscan(CommandContext c) {
        long a = Values.read(c, 1, Entry.TYPE_HASH);
        if (a < 0) {
            return;
        }
        if (a == 0) {
            CollectionScan.empty(c, 2);
            return;
        }
        boolean large = c.db.isObject(a);
        CollectionScan.scan(c, 2, large ? ((HashValue) c.db.object(a)).map : null, v -> (byte[]) v,
                large ? null : pairs(c, a));
    }
}
