package io.damselfly.engine.command;

import io.damselfly.engine.exec.Tx;
import io.damselfly.engine.exec.TxPart;
import io.damselfly.engine.keyspace.Entry;
import io.damselfly.engine.resp.Numbers;
import io.damselfly.engine.resp.Reply;
import io.damselfly.engine.shard.Keyspace;
import io.damselfly.engine.types.Bytes;
import io.damselfly.engine.types.HashValue;
import io.damselfly.engine.types.IntSet;
import io.damselfly.engine.types.Pack;
import io.damselfly.engine.types.QuickList;
import io.damselfly.engine.types.SetValue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static io.damselfly.engine.command.CommandSpec.DENYOOM;
import static io.damselfly.engine.command.CommandSpec.READONLY;
import static io.damselfly.engine.command.CommandSpec.WRITE;
import static io.damselfly.engine.command.CommandSpec.command;

/**
 * SORT and SORT_RO over lists, sets and sorted sets, with BY, LIMIT, GET, ASC|DESC, ALPHA and
 * STORE. The keys BY and GET patterns name are read on the shard of the sorted key; a pattern
 * that leads to a key of another shard is refused (a hash tag keeps them together, as Redis
 * Cluster requires of SORT's patterns).
 */
public final class SortCommands {
    static final String CROSS_SHARD = "ERR BY and GET patterns of SORT must name keys on the same shard as the "
            + "sorted key (use a hash tag)";

    private SortCommands() {
    }

    public static void register(CommandTable t) {
        t.add(command("sort", -2).flags(WRITE | DENYOOM).keyFinder((r, out) -> keys(r, out, false)).group("generic")
                .since("1.0.0").acl("@write", "@set", "@sortedset", "@list", "@slow", "@dangerous")
                .summary("Sorts the elements of a list, set or sorted set, optionally storing the result.")
                .complexity("O(N+M*log(M)) where N is the number of elements in the list or set to sort, and M the number of returned elements. When the elements are not sorted, complexity is O(N).")
                .handler(c -> sort(c, false)).multi(new StoreOp()).build());
        t.add(command("sort_ro", -2).flags(READONLY).keys(1, 1, 1).group("generic").since("7.0.0")
                .acl("@read", "@set", "@sortedset", "@list", "@slow", "@dangerous")
                .summary("Sorts the elements of a list, set or sorted set (never stores).")
                .complexity("O(N+M*log(M)) where N is the number of elements in the list or set to sort, and M the number of returned elements. When the elements are not sorted, complexity is O(N).")
                .handler(c -> sort(c, true)).build());
    }

    /** The sorted key, and the STORE destination when there is one. */
    static int keys(Request r, int[] out, boolean readonly) {
        int store = -1;
        for (int j = 2; j < r.argc(); j++) {
            if (r.is(j, "store") && j + 1 < r.argc()) {
                store = j + 1;
                j++;
            } else if ((r.is(j, "by") || r.is(j, "get")) && j + 1 < r.argc()) {
                j++;
            } else if (r.is(j, "limit") && j + 2 < r.argc()) {
                j += 2;
            }
        }
        out[0] = 1;
        if (store < 0 || readonly) {
            return 1;
        }
        out[1] = store;
        return 2;
    }

    /** A parsed SORT. */
    static final class Sort {
        boolean desc;
        boolean alpha;
        boolean dontsort;
        long limitStart;
        long limitCount = -1;
        byte[] by;
        final List<byte[]> gets = new ArrayList<>();
        int storeArg = -1;
        List<byte[]> rows;

        String parse(Request r, boolean readonly) {
            for (int j = 2; j < r.argc(); j++) {
                int left = r.argc() - j - 1;
                if (r.is(j, "asc")) {
                    desc = false;
                } else if (r.is(j, "desc")) {
                    desc = true;
                } else if (r.is(j, "alpha")) {
                    alpha = true;
                } else if (r.is(j, "limit") && left >= 2) {
                    if (!r.parseLong(j + 1)) {
                        return CommandContext.NOT_INTEGER;
                    }
                    limitStart = r.longValue();
                    if (!r.parseLong(j + 2)) {
                        return CommandContext.NOT_INTEGER;
                    }
                    limitCount = r.longValue();
                    j += 2;
                } else if (!readonly && r.is(j, "store") && left >= 1) {
                    storeArg = j + 1;
                    j++;
                } else if (r.is(j, "by") && left >= 1) {
                    by = r.copy(j + 1);
                    dontsort = indexOf(by, (byte) '*', 0) < 0;
                    j++;
                } else if (r.is(j, "get") && left >= 1) {
                    gets.add(r.copy(j + 1));
                    j++;
                } else {
                    return CommandContext.SYNTAX;
                }
            }
            return null;
        }

        /** Sorts on this shard; returns an error reply or null (then {@link #rows} holds the output). */
        String run(CommandContext c) {
            Request r = c.req;
            long a = c.db.lookupRead(r.buf(), r.off(1), r.len(1));
            int type = a == 0 ? Entry.TYPE_LIST : c.db.type(a);
            if (a != 0 && type != Entry.TYPE_LIST && type != Entry.TYPE_SET && type != Entry.TYPE_ZSET) {
                return CommandContext.WRONGTYPE;
            }
            List<byte[]> elements = a == 0 ? new ArrayList<>() : elements(c, a, type);
            if (dontsort && type == Entry.TYPE_SET && storeArg >= 0) {
                dontsort = false; // a stored set is sorted, so that replicas store the same list
                alpha = true;
                by = null;
            }
            int n = elements.size();
            long start = Math.min(Math.max(limitStart, 0), n);
            long count = Math.min(Math.max(limitCount, -1), n);
            long end = count < 0 ? n - 1 : start + count - 1;
            if (start >= n) {
                start = n - 1;
                end = n - 2;
            }
            if (end >= n) {
                end = n - 1;
            }
            List<byte[]> chosen = new ArrayList<>();
            try {
                if (dontsort) {
                    if (type != Entry.TYPE_SET && desc) {
                        for (long i = n - 1 - start; i >= n - 1 - end && i >= 0; i--) {
                            chosen.add(elements.get((int) i));
                        }
                    } else {
                        for (long i = start; i <= end; i++) {
                            chosen.add(elements.get((int) i));
                        }
                    }
                } else {
                    String error = sortInPlace(c, elements);
                    if (error != null) {
                        return error;
                    }
                    for (long i = start; i <= end; i++) {
                        chosen.add(elements.get((int) i));
                    }
                }
                rows = new ArrayList<>();
                for (byte[] e : chosen) {
                    if (gets.isEmpty()) {
                        rows.add(e);
                    } else {
                        for (byte[] g : gets) {
                            rows.add(lookup(c, g, e));
                        }
                    }
                }
            } catch (CrossShard e) {
                return CROSS_SHARD;
            }
            return null;
        }

        private String sortInPlace(CommandContext c, List<byte[]> elements) {
            int n = elements.size();
            byte[][] keysAlpha = new byte[n][];
            double[] scores = new double[n];
            boolean badScore = false;
            for (int i = 0; i < n; i++) {
                byte[] e = elements.get(i);
                byte[] v = by == null ? e : lookup(c, by, e);
                if (v == null) {
                    continue;
                }
                if (alpha) {
                    keysAlpha[i] = v;
                } else {
                    double d = Numbers.parseDouble(v, 0, v.length);
                    if (Double.isNaN(d)) {
                        badScore = true;
                    }
                    scores[i] = d;
                }
            }
            if (badScore) {
                return "ERR One or more scores can't be converted into double";
            }
            Integer[] order = new Integer[n];
            for (int i = 0; i < n; i++) {
                order[i] = i;
            }
            boolean byPattern = by != null;
            Arrays.sort(order, (x, y) -> {
                int cmp;
                if (!alpha) {
                    cmp = Double.compare(scores[x], scores[y]);
                    if (scores[x] == scores[y]) {
                        cmp = Bytes.compare(elements.get(x), elements.get(y));
                    }
                } else if (byPattern) {
                    byte[] kx = keysAlpha[x];
                    byte[] ky = keysAlpha[y];
                    cmp = kx == null || ky == null ? (kx == ky ? 0 : kx == null ? -1 : 1) : Bytes.compare(kx, ky);
                } else {
                    cmp = Bytes.compare(elements.get(x), elements.get(y));
                }
                return desc ? -cmp : cmp;
            });
            List<byte[]> sorted = new ArrayList<>(n);
            for (int i : order) {
                sorted.add(elements.get(i));
            }
            elements.clear();
            elements.addAll(sorted);
            return null;
        }
    }

    /** A BY or GET pattern named a key on another shard. */
    static final class CrossShard extends RuntimeException {
        CrossShard() {
            super(null, null, false, false);
        }
    }

    /** The elements of a list (in order), set or sorted set (by score). */
    static List<byte[]> elements(CommandContext c, long a, int type) {
        List<byte[]> out = new ArrayList<>();
        switch (type) {
            case Entry.TYPE_LIST -> ((QuickList) c.db.object(a)).forEach(0, (b, o, l) -> out.add(Arrays.copyOfRange(b, o, o + l)));
            case Entry.TYPE_SET -> {
                if (c.db.isObject(a)) {
                    ((SetValue) c.db.object(a)).map.forEach(n -> out.add(n.key));
                } else {
                    for (long v : IntSet.values(c.db.page(a), c.db.valueOffset(a))) {
                        out.add(Numbers.toBytes(v));
                    }
                }
            }
            default -> ZSetCommands.view(c, a).walk(0, false, (m, s) -> out.add(m));
        }
        return out;
    }

    private static int indexOf(byte[] b, byte x, int from) {
        for (int i = from; i < b.length; i++) {
            if (b[i] == x) {
                return i;
            }
        }
        return -1;
    }

    /**
     * Redis's lookupKeyByPattern: "#" is the element itself; otherwise the first '*' is replaced
     * by the element, and a "->field" suffix reads that field of a hash. Null when missing.
     */
    static byte[] lookup(CommandContext c, byte[] pattern, byte[] element) {
        if (pattern.length == 1 && pattern[0] == '#') {
            return element;
        }
        int star = indexOf(pattern, (byte) '*', 0);
        if (star < 0) {
            return null;
        }
        int arrow = -1;
        for (int i = star + 1; i + 1 < pattern.length; i++) {
            if (pattern[i] == '-' && pattern[i + 1] == '>') {
                arrow = i;
                break;
            }
        }
        byte[] field = null;
        int keyEnd = pattern.length;
        if (arrow >= 0 && arrow + 2 < pattern.length) {
            field = Arrays.copyOfRange(pattern, arrow + 2, pattern.length);
            keyEnd = arrow;
        }
        byte[] key = new byte[star + element.length + (keyEnd - star - 1)];
        System.arraycopy(pattern, 0, key, 0, star);
        System.arraycopy(element, 0, key, star, element.length);
        System.arraycopy(pattern, star + 1, key, star + element.length, keyEnd - star - 1);
        if (c.engine.shardOf(key, 0, key.length) != c.shard.index()) {
            throw new CrossShard();
        }
        long a = c.db.lookupRead(key, 0, key.length);
        if (a == 0) {
            return null;
        }
        if (field != null) {
            return c.db.type(a) == Entry.TYPE_HASH ? hashField(c, a, field) : null;
        }
        return c.db.type(a) == Entry.TYPE_STRING ? c.db.copyValue(a) : null;
    }

    private static byte[] hashField(CommandContext c, long a, byte[] field) {
        if (c.db.isObject(a)) {
            var n = ((HashValue) c.db.object(a)).map.get(field);
            return n == null ? null : (byte[]) n.value;
        }
        Pack.Cursor cur = c.compact(a);
        return HashCommands.findCompact(cur, field, 0, field.length) ? cur.element() : null;
    }

    static void sort(CommandContext c, boolean readonly) {
        Sort s = new Sort();
        String error = s.parse(c.req, readonly);
        if (error == null) {
            error = s.run(c);
        }
        if (error != null) {
            c.reply.error(error);
            return;
        }
        if (s.storeArg < 0) {
            reply(c.reply, s.rows);
            return;
        }
        store(c, c.db, s.storeArg, s.rows, true);
        c.reply.integer(s.rows.size());
    }

    static void reply(Reply reply, List<byte[]> rows) {
        reply.array(rows.size());
        for (byte[] row : rows) {
            if (row == null) {
                reply.nullBulk();
            } else {
                reply.bulk(row);
            }
        }
    }

    /** STORE: the rows become a list at the destination (missing GET values as empty strings). */
    static void store(CommandContext c, Keyspace db, int arg, List<byte[]> rows, boolean local) {
        Request r = c.req;
        byte[] b = r.buf();
        boolean existed = db.lookupWrite(b, r.off(arg), r.len(arg)) != 0;
        if (rows.isEmpty()) {
            if (existed) {
                db.delete(b, r.off(arg), r.len(arg));
                c.notify(db, Events.GENERIC, Events.DEL, arg);
            } else {
                return;
            }
        } else {
            QuickList q = new QuickList(ListCommands.fill(c));
            for (byte[] row : rows) {
                byte[] v = row == null ? new byte[0] : row;
                q.pushBack(v, 0, v.length);
            }
            db.putObject(b, r.off(arg), r.len(arg), Entry.TYPE_LIST, q, Keyspace.NO_EXPIRE);
            c.notify(db, Events.LIST, Events.SORTSTORE, arg);
        }
        if (local) {
            c.journalVerbatim();
        } else {
            Rebuild.journal(c, db, b, r.off(arg), r.len(arg));
        }
    }

    /** SORT ... STORE with the destination on another shard: sort there in hop 0, store in hop 1. */
    static final class StoreOp implements MultiShardOp {
        @Override
        public String precheck(Tx tx, int databases) {
            Sort s = new Sort();
            tx.payload = s;
            return s.parse(tx.req, false);
        }

        @Override
        public boolean isLast(Tx tx, int hop) {
            return hop == 1;
        }

        @Override
        public void step(CommandContext c, TxPart part, int hop) {
            Sort s = (Sort) part.tx().payload;
            if (hop == 0) {
                if (part.keyArg(0) == 1) {
                    part.payload = s.run(c);
                }
                return;
            }
            if (part.keyArg(0) == s.storeArg) {
                store(c, c.db, s.storeArg, s.rows, false);
            }
        }

        @Override
        public int afterHop(Tx tx, int hop) {
            for (int i = 0; i < tx.participantCount(); i++) {
                TxPart p = tx.participant(i);
                if (p.keyArg(0) == 1 && p.payload != null) {
                    tx.error = (String) p.payload;
                    return DONE;
                }
            }
            return NEXT;
        }

        @Override
        public void reply(Tx tx, Reply reply) {
            if (tx.error != null) {
                reply.error(tx.error);
            } else {
                reply.integer(((Sort) tx.payload).rows.size());
            }
        }
    }
}
