package io.damselfly.engine.command;

import io.damselfly.engine.exec.Tx;
import io.damselfly.engine.exec.TxPart;
import io.damselfly.engine.journal.Journal;
import io.damselfly.engine.keyspace.Entry;
import io.damselfly.engine.resp.Numbers;
import io.damselfly.engine.resp.Reply;
import io.damselfly.engine.shard.Keyspace;
import io.damselfly.engine.types.BytesMap;
import io.damselfly.engine.types.IntSet;
import io.damselfly.engine.types.Members;
import io.damselfly.engine.types.SetValue;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

import static io.damselfly.engine.command.CommandSpec.DENYOOM;
import static io.damselfly.engine.command.CommandSpec.FAST;
import static io.damselfly.engine.command.CommandSpec.READONLY;
import static io.damselfly.engine.command.CommandSpec.WRITE;
import static io.damselfly.engine.command.CommandSpec.command;

/**
 * Sets. A set of integers is an {@link IntSet} inside the key's entry (intset) up to
 * set-max-intset-entries members; any other set is a {@link SetValue} (hashtable), and stays
 * one.
 */
public final class SetCommands {
    private static final byte[] SREM = Reply.ascii("SREM");
    private static final byte[] SADD = Reply.ascii("SADD");
    private static final byte[] DEL = Reply.ascii("DEL");
    /** Members per SREM that SPOP journals, as Redis batches its propagation. */
    private static final int SPOP_BATCH = 1024;

    private SetCommands() {
    }

    public static void register(CommandTable t) {
        t.add(command("sadd", -3).flags(WRITE | DENYOOM | FAST).keys(1, 1, 1).group("set").since("1.0.0")
                .acl("@write", "@set", "@fast").summary("Adds members to a set; counts the ones that were new.")
                .complexity("O(1) for each element added").handler(SetCommands::sadd).build());
        t.add(command("srem", -3).flags(WRITE | FAST).keys(1, 1, 1).group("set").since("1.0.0")
                .acl("@write", "@set", "@fast").summary("Removes members from a set; the key goes when it is empty.")
                .complexity("O(N) where N is the number of members to be removed.").handler(SetCommands::srem).build());
        t.add(command("scard", 2).flags(READONLY | FAST).keys(1, 1, 1).group("set").since("1.0.0")
                .acl("@read", "@set", "@fast").summary("Counts the members of a set.").handler(SetCommands::scard).build());
        t.add(command("sismember", 3).flags(READONLY | FAST).keys(1, 1, 1).group("set").since("1.0.0")
                .acl("@read", "@set", "@fast").summary("Says whether a value is a member of a set.")
                .handler(SetCommands::sismember).build());
        t.add(command("smismember", -3).flags(READONLY | FAST).keys(1, 1, 1).group("set").since("6.2.0")
                .acl("@read", "@set", "@fast").summary("Says for each of several values whether it is a member of a set.")
                .complexity("O(N) where N is the number of elements being checked for membership")
                .handler(SetCommands::smismember).build());
        t.add(command("smembers", 2).flags(READONLY).keys(1, 1, 1).group("set").since("1.0.0")
                .acl("@read", "@set", "@slow").tips("nondeterministic_output_order")
                .summary("Returns every member of a set.").complexity("O(N) where N is the set cardinality.")
                .handler(SetCommands::smembers).build());
        t.add(command("srandmember", -2).flags(READONLY).keys(1, 1, 1).group("set").since("1.0.0")
                .acl("@read", "@set", "@slow").tips("nondeterministic_output")
                .summary("Returns random members of a set without removing them.")
                .complexity("Without the count argument O(1), otherwise O(N) where N is the absolute value of the passed count.")
                .handler(SetCommands::srandmember).build());
        t.add(command("spop", -2).flags(WRITE | FAST).keys(1, 1, 1).group("set").since("1.0.0")
                .acl("@write", "@set", "@fast").tips("nondeterministic_output")
                .summary("Removes and returns random members of a set.")
                .complexity("Without the count argument O(1), otherwise O(N) where N is the value of the passed count.")
                .handler(SetCommands::spop).build());
        t.add(command("smove", 4).flags(WRITE | FAST).keys(1, 2, 1).group("set").since("1.0.0")
                .acl("@write", "@set", "@fast").summary("Moves a member from one set to another.")
                .handler(SetCommands::smove).multi(new SmoveOp()).build());
        t.add(command("sinter", -2).flags(READONLY).keys(1, -1, 1).group("set").since("1.0.0")
                .acl("@read", "@set", "@slow").tips("nondeterministic_output_order")
                .summary("Returns the members every given set has.")
                .complexity("O(N*M) worst case where N is the cardinality of the smallest set and M is the number of sets.")
                .handler(c -> Combine.run(c, new Algebra(INTER, false))).multi(new Combine.Op(() -> new Algebra(INTER, false))).build());
        t.add(command("sintercard", -3).flags(READONLY).keyFinder(SetCommands::numKeysAt1).group("set").since("7.0.0")
                .acl("@read", "@set", "@slow").summary("Counts the members every given set has, up to an optional limit.")
                .complexity("O(N*M) worst case where N is the cardinality of the smallest set and M is the number of sets.")
                .handler(c -> Combine.run(c, new Algebra(CARD, false))).multi(new Combine.Op(() -> new Algebra(CARD, false))).build());
        t.add(command("sunion", -2).flags(READONLY).keys(1, -1, 1).group("set").since("1.0.0")
                .acl("@read", "@set", "@slow").tips("nondeterministic_output_order")
                .summary("Returns the members of any of the given sets.")
                .complexity("O(N) where N is the total number of elements in all given sets.")
                .handler(c -> Combine.run(c, new Algebra(UNION, false))).multi(new Combine.Op(() -> new Algebra(UNION, false))).build());
        t.add(command("sdiff", -2).flags(READONLY).keys(1, -1, 1).group("set").since("1.0.0")
                .acl("@read", "@set", "@slow").tips("nondeterministic_output_order")
                .summary("Returns the members of the first set that no other given set has.")
                .complexity("O(N) where N is the total number of elements in all given sets.")
                .handler(c -> Combine.run(c, new Algebra(DIFF, false))).multi(new Combine.Op(() -> new Algebra(DIFF, false))).build());
        t.add(command("sinterstore", -3).flags(WRITE | DENYOOM).keys(1, -1, 1).group("set").since("1.0.0")
                .acl("@write", "@set", "@slow").summary("Stores the members every given set has in a key.")
                .complexity("O(N*M) worst case where N is the cardinality of the smallest set and M is the number of sets.")
                .handler(c -> Combine.run(c, new Algebra(INTER, true))).multi(new Combine.Op(() -> new Algebra(INTER, true))).build());
        t.add(command("sunionstore", -3).flags(WRITE | DENYOOM).keys(1, -1, 1).group("set").since("1.0.0")
                .acl("@write", "@set", "@slow").summary("Stores the members of any of the given sets in a key.")
                .complexity("O(N) where N is the total number of elements in all given sets.")
                .handler(c -> Combine.run(c, new Algebra(UNION, true))).multi(new Combine.Op(() -> new Algebra(UNION, true))).build());
        t.add(command("sdiffstore", -3).flags(WRITE | DENYOOM).keys(1, -1, 1).group("set").since("1.0.0")
                .acl("@write", "@set", "@slow").summary("Stores the members of the first set that no other given set has.")
                .complexity("O(N) where N is the total number of elements in all given sets.")
                .handler(c -> Combine.run(c, new Algebra(DIFF, true))).multi(new Combine.Op(() -> new Algebra(DIFF, true))).build());
        t.add(command("sscan", -3).flags(READONLY).keys(1, 1, 1).group("set").since("2.8.0")
                .acl("@read", "@set", "@slow").tips("nondeterministic_output")
                .summary("Iterates over the members of a set with a cursor.")
                .complexity("O(1) for every call. O(N) for a complete iteration.").handler(SetCommands::sscan).build());
    }

    /** Keys of a command with numkeys at argument 1 and the keys after it (SINTERCARD, ZINTERCARD, LMPOP ...). */
    static int numKeysAt1(Request r, int[] out) {
        return numKeys(r, 1, out);
    }

    /** Keys counted by the numkeys argument at {@code at}, starting right after it; -1 when malformed. */
    static int numKeys(Request r, int at, int[] out) {
        if (r.argc() <= at || !r.parseLong(at)) {
            return -1;
        }
        long n = r.longValue();
        if (n < 1 || n > r.argc() - at - 1) {
            return -1;
        }
        for (int i = 0; i < n; i++) {
            out[i] = at + 1 + i;
        }
        return (int) n;
    }

    // ------------------------------------------------------------------ encoding helpers

    static boolean isIntSet(CommandContext c, long a) {
        return !c.db.isObject(a);
    }

    static long card(CommandContext c, long a) {
        if (a == 0) {
            return 0;
        }
        if (c.db.isObject(a)) {
            return ((SetValue) c.db.object(a)).map.size();
        }
        return IntSet.count(c.db.page(a), c.db.valueOffset(a));
    }

    static boolean contains(CommandContext c, long a, byte[] b, int off, int len) {
        if (c.db.isObject(a)) {
            return ((SetValue) c.db.object(a)).map.get(b, off, len) != null;
        }
        return Numbers.parseLong(b, off, len, c.number)
                && IntSet.search(c.db.page(a), c.db.valueOffset(a), c.number.value) >= 0;
    }

    /** Every member, as new arrays (intsets in ascending order). */
    static List<byte[]> members(CommandContext c, long a) {
        List<byte[]> out = new ArrayList<>();
        if (c.db.isObject(a)) {
            ((SetValue) c.db.object(a)).map.forEach(n -> out.add(n.key));
        } else {
            for (long v : IntSet.values(c.db.page(a), c.db.valueOffset(a))) {
                out.add(Numbers.toBytes(v));
            }
        }
        return out;
    }

    private static long maxIntset(CommandContext c) {
        return Math.min(c.engine.settings().setMaxIntsetEntries.number(), 1L << 30);
    }

    /** Rewrites an intset with the given sorted distinct values (never empty). */
    private static void writeIntSet(CommandContext c, byte[] key, int koff, int klen, long[] values, int n, long expireAt) {
        IntSet.write(c.pack, values, n);
        c.db.putCompact(key, koff, klen, Entry.TYPE_SET, c.pack.array(), 0, c.pack.size(), expireAt);
    }

    /** Replaces an intset by a hashtable with the same members; returns the new address. */
    private static long toHashtable(CommandContext c, byte[] key, int koff, int klen, long a) {
        SetValue s = new SetValue();
        if (a != 0) {
            for (long v : IntSet.values(c.db.page(a), c.db.valueOffset(a))) {
                s.map.putIfAbsent(Numbers.toBytes(v), null);
            }
        }
        return c.db.putObject(key, koff, klen, Entry.TYPE_SET, s, a == 0 ? Keyspace.NO_EXPIRE : Keyspace.KEEP_TTL);
    }

    /**
     * Adds the request's arguments [from, to) to the set at key argument {@code keyArg} (address
     * {@code a}, 0 when missing), creating and converting as Redis does. Returns how many were new.
     */
    static int add(CommandContext c, int keyArg, long a, int from, int to) {
        Request r = c.req;
        byte[] b = r.buf();
        int koff = r.off(keyArg);
        int klen = r.len(keyArg);
        if (a == 0 || !c.db.isObject(a)) {
            int existing = a == 0 ? 0 : IntSet.count(c.db.page(a), c.db.valueOffset(a));
            long[] values = new long[existing + (to - from)];
            int n = 0;
            boolean allInts = true;
            if (a != 0) {
                for (int i = 0; i < existing; i++) {
                    values[n++] = IntSet.get(c.db.page(a), c.db.valueOffset(a), i);
                }
            }
            for (int i = from; i < to && allInts; i++) {
                allInts = Numbers.parseLong(b, r.off(i), r.len(i), c.number);
                values[n++] = c.number.value;
            }
            if (allInts) {
                Arrays.sort(values, 0, n);
                int distinct = 0;
                for (int i = 0; i < n; i++) {
                    if (distinct == 0 || values[distinct - 1] != values[i]) {
                        values[distinct++] = values[i];
                    }
                }
                int added = distinct - existing;
                if (distinct <= maxIntset(c)) {
                    if (added > 0) {
                        writeIntSet(c, b, koff, klen, values, distinct, a == 0 ? Keyspace.NO_EXPIRE : Keyspace.KEEP_TTL);
                    }
                    return added;
                }
            }
            a = toHashtable(c, b, koff, klen, a);
        } else {
            a = announceIfAdding(c, keyArg, a, from, to);
        }
        BytesMap map = ((SetValue) c.db.object(a)).map;
        int added = 0;
        for (int i = from; i < to; i++) {
            if (map.get(b, r.off(i), r.len(i)) == null) {
                map.putIfAbsent(r.copy(i), null);
                added++;
            }
        }
        return added;
    }

    /** Tells the keyspace a large set is about to change, if any of the arguments is new to it. */
    private static long announceIfAdding(CommandContext c, int keyArg, long a, int from, int to) {
        Request r = c.req;
        BytesMap map = ((SetValue) c.db.object(a)).map;
        for (int i = from; i < to; i++) {
            if (map.get(r.buf(), r.off(i), r.len(i)) == null) {
                c.db.beforeChange(r.buf(), r.off(keyArg), r.len(keyArg), a);
                break;
            }
        }
        return a;
    }

    /** Removes the request's arguments [from, to) from the set; deletes the key when it empties. */
    static int remove(CommandContext c, int keyArg, long a, int from, int to) {
        Request r = c.req;
        byte[] b = r.buf();
        int koff = r.off(keyArg);
        int klen = r.len(keyArg);
        int removed = 0;
        boolean empty;
        if (c.db.isObject(a)) {
            BytesMap map = ((SetValue) c.db.object(a)).map;
            for (int i = from; i < to; i++) {
                if (map.get(b, r.off(i), r.len(i)) != null) {
                    if (removed == 0) {
                        c.db.beforeChange(b, koff, klen, a);
                    }
                    map.remove(b, r.off(i), r.len(i));
                    removed++;
                }
            }
            empty = map.size() == 0;
        } else {
            long[] values = IntSet.values(c.db.page(a), c.db.valueOffset(a));
            int n = values.length;
            for (int i = from; i < to; i++) {
                if (!Numbers.parseLong(b, r.off(i), r.len(i), c.number)) {
                    continue;
                }
                int at = Arrays.binarySearch(values, 0, n, c.number.value);
                if (at >= 0) {
                    System.arraycopy(values, at + 1, values, at, n - at - 1);
                    n--;
                    removed++;
                }
            }
            empty = n == 0;
            if (removed > 0 && !empty) {
                writeIntSet(c, b, koff, klen, values, n, Keyspace.KEEP_TTL);
            }
        }
        if (removed > 0 && empty) {
            c.db.delete(b, koff, klen);
        }
        return removed;
    }

    // ------------------------------------------------------------------ single-key commands

    static void sadd(CommandContext c) {
        long a = Values.write(c, 1, Entry.TYPE_SET);
        if (a < 0) {
            return;
        }
        int added = add(c, 1, a, 2, c.req.argc());
        c.reply.integer(added);
        if (added > 0) {
            c.journalVerbatim();
            c.notify(Events.SET, Events.SADD, 1);
        }
    }

    static void srem(CommandContext c) {
        long a = Values.write(c, 1, Entry.TYPE_SET);
        if (a <= 0) {
            if (a == 0) {
                c.reply.integer(0);
            }
            return;
        }
        int removed = remove(c, 1, a, 2, c.req.argc());
        c.reply.integer(removed);
        if (removed > 0) {
            c.journalVerbatim();
            c.notifyRemoval(Events.SET, Events.SREM, 1);
        }
    }

    static void scard(CommandContext c) {
        long a = Values.read(c, 1, Entry.TYPE_SET);
        if (a >= 0) {
            c.reply.integer(card(c, a));
        }
    }

    static void sismember(CommandContext c) {
        Request r = c.req;
        long a = Values.read(c, 1, Entry.TYPE_SET);
        if (a >= 0) {
            c.reply.integer(a != 0 && contains(c, a, r.buf(), r.off(2), r.len(2)) ? 1 : 0);
        }
    }

    static void smismember(CommandContext c) {
        Request r = c.req;
        long a = Values.read(c, 1, Entry.TYPE_SET);
        if (a < 0) {
            return;
        }
        c.reply.array(r.argc() - 2);
        for (int i = 2; i < r.argc(); i++) {
            c.reply.integer(a != 0 && contains(c, a, r.buf(), r.off(i), r.len(i)) ? 1 : 0);
        }
    }

    static void smembers(CommandContext c) {
        long a = Values.read(c, 1, Entry.TYPE_SET);
        if (a < 0) {
            return;
        }
        if (a == 0) {
            c.reply.set(0);
            return;
        }
        if (c.db.isObject(a)) {
            BytesMap map = ((SetValue) c.db.object(a)).map;
            c.reply.set(map.size());
            map.forEach(n -> c.reply.bulk(n.key));
            return;
        }
        MemorySegment page = c.db.page(a);
        long base = c.db.valueOffset(a);
        int n = IntSet.count(page, base);
        c.reply.set(n);
        for (int i = 0; i < n; i++) {
            c.reply.bulkLong(IntSet.get(page, base, i));
        }
    }

    static void srandmember(CommandContext c) {
        Request r = c.req;
        if (r.argc() > 3) {
            c.syntaxError();
            return;
        }
        long count = 0;
        if (r.argc() == 3) {
            if (!c.rangeLong(2, -Long.MAX_VALUE, Long.MAX_VALUE, null)) {
                return;
            }
            count = c.number.value;
        }
        long a = Values.read(c, 1, Entry.TYPE_SET);
        if (a < 0) {
            return;
        }
        if (r.argc() == 2) {
            if (a == 0) {
                c.reply.nullBulk();
            } else {
                c.reply.bulk(randomMember(c, a));
            }
            return;
        }
        if (a == 0 || count == 0) {
            c.reply.array(0);
            return;
        }
        pick(c, a, count, false);
    }

    private static byte[] randomMember(CommandContext c, long a) {
        if (c.db.isObject(a)) {
            return ((SetValue) c.db.object(a)).map.random(ThreadLocalRandom.current()).key;
        }
        MemorySegment page = c.db.page(a);
        long base = c.db.valueOffset(a);
        return Numbers.toBytes(IntSet.get(page, base, ThreadLocalRandom.current().nextInt(IntSet.count(page, base))));
    }

    /** Replies with a random pick of {@code count} members (an array, or a set for SPOP); returns them. */
    private static List<byte[]> pick(CommandContext c, long a, long count, boolean asSet) {
        boolean large = c.db.isObject(a);
        BytesMap map = large ? ((SetValue) c.db.object(a)).map : null;
        int size = (int) card(c, a);
        long n = RandomPick.replyLength(count, size);
        if (asSet) {
            c.reply.set(n);
        } else {
            c.reply.array(n);
        }
        List<byte[]> picked = asSet ? new ArrayList<>((int) n) : null;
        if (large) {
            RandomPick.pick(count, size, () -> map.random(ThreadLocalRandom.current()), () -> HashCommands.nodes(map),
                    node -> {
                        c.reply.bulk(node.key);
                        if (picked != null) {
                            picked.add(node.key);
                        }
                    });
        } else {
            List<byte[]> all = members(c, a);
            RandomPick.pick(count, size, null, () -> all, m -> {
                c.reply.bulk(m);
                if (picked != null) {
                    picked.add(m);
                }
            });
        }
        return picked;
    }

    static void spop(CommandContext c) {
        Request r = c.req;
        byte[] b = r.buf();
        if (r.argc() > 3) {
            c.syntaxError();
            return;
        }
        long count = -1;
        if (r.argc() == 3) {
            if (!c.rangeLong(2, 0, Long.MAX_VALUE, "value is out of range, must be positive")) {
                return;
            }
            count = c.number.value;
        }
        long a = Values.write(c, 1, Entry.TYPE_SET);
        if (a < 0) {
            return;
        }
        if (count < 0) {
            if (a == 0) {
                c.reply.nullBulk();
                return;
            }
            byte[] m = randomMember(c, a);
            removeOne(c, a, m);
            c.reply.bulk(m);
            c.notifyRemoval(Events.SET, Events.SPOP, 1);
            Journal j = c.journalIfEnabled();
            if (j != null) {
                j.begin(c.db.id(), 3).arg(SREM).arg(b, r.off(1), r.len(1)).arg(m).end();
            }
            return;
        }
        if (a == 0 || count == 0) {
            c.reply.set(0);
            return;
        }
        long size = card(c, a);
        if (count >= size) {
            List<byte[]> all = members(c, a);
            c.reply.set(all.size());
            for (byte[] m : all) {
                c.reply.bulk(m);
            }
            c.db.delete(b, r.off(1), r.len(1));
            c.notifyRemoval(Events.SET, Events.SPOP, 1);
            Journal j = c.journalIfEnabled();
            if (j != null) {
                j.begin(c.db.id(), 2).arg(DEL).arg(b, r.off(1), r.len(1)).end();
            }
            return;
        }
        List<byte[]> popped = pick(c, a, count, true);
        for (byte[] m : popped) {
            a = c.db.lookupWrite(b, r.off(1), r.len(1));
            removeOne(c, a, m);
        }
        c.notifyRemoval(Events.SET, Events.SPOP, 1);
        Journal j = c.journalIfEnabled();
        if (j != null) {
            for (int from = 0; from < popped.size(); from += SPOP_BATCH) {
                int to = Math.min(popped.size(), from + SPOP_BATCH);
                j.begin(c.db.id(), 2 + to - from).arg(SREM).arg(b, r.off(1), r.len(1));
                for (int i = from; i < to; i++) {
                    j.arg(popped.get(i));
                }
                j.end();
            }
        }
    }

    /** Removes one member given as bytes (SPOP's picks). */
    private static void removeOne(CommandContext c, long a, byte[] m) {
        Request r = c.req;
        byte[] b = r.buf();
        if (c.db.isObject(a)) {
            BytesMap map = ((SetValue) c.db.object(a)).map;
            c.db.beforeChange(b, r.off(1), r.len(1), a);
            map.remove(m, 0, m.length);
            if (map.size() == 0) {
                c.db.delete(b, r.off(1), r.len(1));
            }
            return;
        }
        long[] values = IntSet.values(c.db.page(a), c.db.valueOffset(a));
        Numbers.parseLong(m, 0, m.length, c.number);
        int at = Arrays.binarySearch(values, c.number.value);
        System.arraycopy(values, at + 1, values, at, values.length - at - 1);
        if (values.length == 1) {
            c.db.delete(b, r.off(1), r.len(1));
        } else {
            writeIntSet(c, b, r.off(1), r.len(1), values, values.length - 1, Keyspace.KEEP_TTL);
        }
    }

    static void sscan(CommandContext c) {
        long a = Values.read(c, 1, Entry.TYPE_SET);
        if (a < 0) {
            return;
        }
        if (a == 0) {
            CollectionScan.empty(c, 2);
            return;
        }
        if (c.db.isObject(a)) {
            CollectionScan.scan(c, 2, ((SetValue) c.db.object(a)).map, null, null);
            return;
        }
        List<byte[][]> all = new ArrayList<>();
        for (byte[] m : members(c, a)) {
            all.add(new byte[][] {m});
        }
        CollectionScan.scan(c, 2, null, null, all);
    }

    // ------------------------------------------------------------------ SMOVE

    static void smove(CommandContext c) {
        Request r = c.req;
        byte[] b = r.buf();
        long src = c.db.lookupWrite(b, r.off(1), r.len(1));
        long dst = c.db.lookupWrite(b, r.off(2), r.len(2));
        if (src == 0) {
            c.reply.integer(0);
            return;
        }
        if (c.db.type(src) != Entry.TYPE_SET || (dst != 0 && c.db.type(dst) != Entry.TYPE_SET)) {
            c.wrongType();
            return;
        }
        if (r.equalArgs(1, 2)) {
            c.reply.integer(contains(c, src, b, r.off(3), r.len(3)) ? 1 : 0);
            return;
        }
        if (!contains(c, src, b, r.off(3), r.len(3))) {
            c.reply.integer(0);
            return;
        }
        remove(c, 1, src, 3, 4);
        c.notifyRemoval(Events.SET, Events.SREM, 1);
        dst = c.db.lookupWrite(b, r.off(2), r.len(2));
        if (add(c, 2, dst, 3, 4) > 0) {
            c.notify(Events.SET, Events.SADD, 2);
        }
        c.reply.integer(1);
        c.journalVerbatim();
    }

    /**
     * SMOVE across shards: hop 0 checks both keys and whether the source has the member, hop 1
     * removes it on the source's shard and adds it on the destination's, each journaling its
     * half (SREM, SADD).
     */
    static final class SmoveOp implements MultiShardOp {
        @Override
        public boolean isLast(Tx tx, int hop) {
            return hop == 1;
        }

        @Override
        public void step(CommandContext c, TxPart part, int hop) {
            Request r = c.req;
            byte[] b = r.buf();
            int arg = part.keyArg(0);
            if (hop == 0) {
                long a = c.db.lookupWrite(b, r.off(arg), r.len(arg));
                if (a == 0) {
                    part.result = 0;
                } else if (c.db.type(a) != Entry.TYPE_SET) {
                    part.result = -1;
                } else {
                    part.result = arg == 1 && !contains(c, a, b, r.off(3), r.len(3)) ? 2 : 1;
                }
                return;
            }
            long a = c.db.lookupWrite(b, r.off(arg), r.len(arg));
            Journal j = c.journalIfEnabled();
            if (arg == 1) {
                remove(c, 1, a, 3, 4);
                c.notifyRemoval(Events.SET, Events.SREM, 1);
                if (j != null) {
                    j.begin(c.db.id(), 3).arg(SREM).arg(b, r.off(1), r.len(1)).arg(b, r.off(3), r.len(3)).end();
                }
            } else {
                boolean added = add(c, 2, a, 3, 4) > 0;
                if (added) {
                    c.notify(Events.SET, Events.SADD, 2);
                }
                if (added && j != null) {
                    j.begin(c.db.id(), 3).arg(SADD).arg(b, r.off(2), r.len(2)).arg(b, r.off(3), r.len(3)).end();
                }
            }
        }

        @Override
        public int afterHop(Tx tx, int hop) {
            TxPart src = null;
            TxPart dst = null;
            for (int i = 0; i < tx.participantCount(); i++) {
                TxPart p = tx.participant(i);
                if (p.keyArg(0) == 1) {
                    src = p;
                } else {
                    dst = p;
                }
            }
            tx.value = 0;
            if (src.result == 0) {
                return DONE;
            }
            if (src.result < 0 || dst.result < 0) {
                tx.error = CommandContext.WRONGTYPE;
                return DONE;
            }
            if (src.result == 2) {
                return DONE;
            }
            tx.value = 1;
            return NEXT;
        }

        @Override
        public void reply(Tx tx, Reply reply) {
            if (tx.error != null) {
                reply.error(tx.error);
            } else {
                reply.integer(tx.value);
            }
        }
    }

    // ------------------------------------------------------------------ SINTER SUNION SDIFF and their STORE forms

    static final int INTER = 0;
    static final int UNION = 1;
    static final int DIFF = 2;
    static final int CARD = 3;

    /** SINTER, SINTERCARD, SUNION, SDIFF and the STORE forms. */
    static final class Algebra extends Combine {
        private final int kind;
        private final boolean store;
        private long limit;
        private List<byte[]> result;
        private long stored;

        Algebra(int kind, boolean store) {
            this.kind = kind;
            this.store = store;
        }

        @Override
        String parse(Request r) {
            if (kind == CARD) {
                if (!r.parseLong(1) || r.longValue() < 1) {
                    return "ERR numkeys should be greater than 0";
                }
                long n = r.longValue();
                if (n > r.argc() - 2) {
                    return "ERR Number of keys can't be greater than number of args";
                }
                for (int j = 2 + (int) n; j < r.argc(); j++) {
                    if (r.is(j, "limit") && j + 1 < r.argc()) {
                        j++;
                        if (!r.parseLong(j) || r.longValue() < 0) {
                            return "ERR LIMIT can't be negative";
                        }
                        limit = r.longValue();
                    } else {
                        return CommandContext.SYNTAX;
                    }
                }
                sources = new int[(int) n];
                for (int i = 0; i < n; i++) {
                    sources[i] = 2 + i;
                }
                return null;
            }
            int first = store ? 2 : 1;
            dest = store ? 1 : -1;
            sources = new int[r.argc() - first];
            for (int i = 0; i < sources.length; i++) {
                sources[i] = first + i;
            }
            return null;
        }

        @Override
        boolean accepts(int type) {
            return type == Entry.TYPE_SET;
        }

        @Override
        void compute(Members[] in) {
            result = new ArrayList<>();
            switch (kind) {
                case INTER, CARD -> {
                    Members smallest = in[0];
                    for (Members m : in) {
                        if (m.size() < smallest.size()) {
                            smallest = m;
                        }
                    }
                    if (smallest.size() == 0) {
                        return;
                    }
                    Members pivot = smallest;
                    smallest.forEach((b, off, len, score) -> {
                        for (Members m : in) {
                            if (m != pivot && !m.contains(b, off, len)) {
                                return true;
                            }
                        }
                        result.add(Arrays.copyOfRange(b, off, off + len));
                        return kind != CARD || limit == 0 || result.size() < limit;
                    });
                }
                case UNION -> {
                    BytesMap seen = new BytesMap();
                    for (Members m : in) {
                        m.forEach((b, off, len, score) -> {
                            if (seen.get(b, off, len) == null) {
                                byte[] copy = Arrays.copyOfRange(b, off, off + len);
                                seen.putIfAbsent(copy, null);
                                result.add(copy);
                            }
                            return true;
                        });
                    }
                }
                default -> in[0].forEach((b, off, len, score) -> {
                    for (int i = 1; i < in.length; i++) {
                        if (in[i] == in[0] || in[i].contains(b, off, len)) {
                            return true;
                        }
                    }
                    result.add(Arrays.copyOfRange(b, off, off + len));
                    return true;
                });
            }
        }

        @Override
        void store(CommandContext c, boolean local) {
            Request r = c.req;
            byte[] b = r.buf();
            stored = result.size();
            boolean existed = c.db.lookupWrite(b, r.off(1), r.len(1)) != 0;
            if (result.isEmpty()) {
                if (existed) {
                    c.db.delete(b, r.off(1), r.len(1));
                    c.notify(Events.GENERIC, Events.DEL, 1);
                    if (local) {
                        c.journalVerbatim();
                    } else {
                        Rebuild.journal(c, c.db, b, r.off(1), r.len(1));
                    }
                }
                return;
            }
            storeMembers(c, c.db, b, r.off(1), r.len(1), result);
            c.notify(Events.SET, kind == INTER ? Events.SINTERSTORE : kind == UNION ? Events.SUNIONSTORE
                    : Events.SDIFFSTORE, 1);
            if (local) {
                c.journalVerbatim();
            } else {
                Rebuild.journal(c, c.db, b, r.off(1), r.len(1));
            }
        }

        @Override
        void reply(Reply reply) {
            if (store) {
                reply.integer(stored);
            } else if (kind == CARD) {
                reply.integer(result.size());
            } else {
                reply.set(result.size());
                for (byte[] m : result) {
                    reply.bulk(m);
                }
            }
        }
    }

    /** Replaces whatever is at the key with a set of these distinct members (no deadline). */
    static void storeMembers(CommandContext c, Keyspace db, byte[] key, int koff, int klen, List<byte[]> members) {
        long[] values = new long[members.size()];
        boolean allInts = members.size() <= maxIntset(c);
        for (int i = 0; i < members.size() && allInts; i++) {
            byte[] m = members.get(i);
            allInts = Numbers.parseLong(m, 0, m.length, c.number);
            values[i] = c.number.value;
        }
        if (allInts) {
            Arrays.sort(values);
            IntSet.write(c.pack, values, values.length);
            db.putCompact(key, koff, klen, Entry.TYPE_SET, c.pack.array(), 0, c.pack.size(), Keyspace.NO_EXPIRE);
            return;
        }
        SetValue s = new SetValue();
        for (byte[] m : members) {
            s.map.putIfAbsent(m, null);
        }
        db.putObject(key, koff, klen, Entry.TYPE_SET, s, Keyspace.NO_EXPIRE);
    }
}
