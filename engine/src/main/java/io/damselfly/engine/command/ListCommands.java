package io.damselfly.engine.command;

import io.damselfly.engine.exec.Tx;
import io.damselfly.engine.exec.TxPart;
import io.damselfly.engine.journal.Journal;
import io.damselfly.engine.keyspace.Entry;
import io.damselfly.engine.resp.Reply;
import io.damselfly.engine.shard.Keyspace;
import io.damselfly.engine.types.QuickList;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static io.damselfly.engine.command.CommandSpec.BLOCKING;
import static io.damselfly.engine.command.CommandSpec.DENYOOM;
import static io.damselfly.engine.command.CommandSpec.FAST;
import static io.damselfly.engine.command.CommandSpec.NOSCRIPT;
import static io.damselfly.engine.command.CommandSpec.READONLY;
import static io.damselfly.engine.command.CommandSpec.WRITE;
import static io.damselfly.engine.command.CommandSpec.command;

/**
 * Lists: always a {@link QuickList} kept by the shard (OBJECT ENCODING quicklist), its nodes
 * sized by list-max-listpack-size. A list that empties is deleted.
 */
public final class ListCommands {
    private static final byte[] LPOP = Reply.ascii("LPOP");
    private static final byte[] RPOP = Reply.ascii("RPOP");
    private static final byte[] LPUSH = Reply.ascii("LPUSH");
    private static final byte[] RPUSH = Reply.ascii("RPUSH");
    private static final byte[] LMOVE = Reply.ascii("LMOVE");
    private static final byte[] RPOPLPUSH = Reply.ascii("RPOPLPUSH");
    private static final byte[] LEFT = Reply.ascii("left");
    private static final byte[] RIGHT = Reply.ascii("right");

    private ListCommands() {
    }

    public static void register(CommandTable t) {
        t.add(command("lpush", -3).flags(WRITE | DENYOOM | FAST).keys(1, 1, 1).group("list").since("1.0.0")
                .acl("@write", "@list", "@fast").summary("Pushes elements at the head of a list; creates it if needed.")
                .complexity("O(1) for each element added").handler(c -> push(c, true, false)).build());
        t.add(command("rpush", -3).flags(WRITE | DENYOOM | FAST).keys(1, 1, 1).group("list").since("1.0.0")
                .acl("@write", "@list", "@fast").summary("Pushes elements at the tail of a list; creates it if needed.")
                .complexity("O(1) for each element added").handler(c -> push(c, false, false)).build());
        t.add(command("lpushx", -3).flags(WRITE | DENYOOM | FAST).keys(1, 1, 1).group("list").since("2.2.0")
                .acl("@write", "@list", "@fast").summary("Pushes elements at the head of a list that exists.")
                .complexity("O(1) for each element added").handler(c -> push(c, true, true)).build());
        t.add(command("rpushx", -3).flags(WRITE | DENYOOM | FAST).keys(1, 1, 1).group("list").since("2.2.0")
                .acl("@write", "@list", "@fast").summary("Pushes elements at the tail of a list that exists.")
                .complexity("O(1) for each element added").handler(c -> push(c, false, true)).build());
        t.add(command("lpop", -2).flags(WRITE | FAST).keys(1, 1, 1).group("list").since("1.0.0")
                .acl("@write", "@list", "@fast").summary("Removes and returns elements from the head of a list.")
                .complexity("O(N) where N is the number of elements returned").handler(c -> pop(c, true)).build());
        t.add(command("rpop", -2).flags(WRITE | FAST).keys(1, 1, 1).group("list").since("1.0.0")
                .acl("@write", "@list", "@fast").summary("Removes and returns elements from the tail of a list.")
                .complexity("O(N) where N is the number of elements returned").handler(c -> pop(c, false)).build());
        t.add(command("llen", 2).flags(READONLY | FAST).keys(1, 1, 1).group("list").since("1.0.0")
                .acl("@read", "@list", "@fast").summary("Returns the length of a list.").handler(ListCommands::llen).build());
        t.add(command("lrange", 4).flags(READONLY).keys(1, 1, 1).group("list").since("1.0.0")
                .acl("@read", "@list", "@slow").summary("Returns a range of elements of a list.")
                .complexity("O(S+N) where S is the distance of start offset from HEAD for small lists, from nearest end (HEAD or TAIL) for large lists; and N is the number of elements in the specified range.")
                .handler(ListCommands::lrange).build());
        t.add(command("lindex", 3).flags(READONLY).keys(1, 1, 1).group("list").since("1.0.0")
                .acl("@read", "@list", "@slow").summary("Returns the element at an index of a list.")
                .complexity("O(N) where N is the number of elements to traverse to get to the element at index.")
                .handler(ListCommands::lindex).build());
        t.add(command("lset", 4).flags(WRITE | DENYOOM).keys(1, 1, 1).group("list").since("1.0.0")
                .acl("@write", "@list", "@slow").summary("Replaces the element at an index of a list.")
                .complexity("O(N) where N is the length of the list.").handler(ListCommands::lset).build());
        t.add(command("linsert", 5).flags(WRITE | DENYOOM).keys(1, 1, 1).group("list").since("2.2.0")
                .acl("@write", "@list", "@slow").summary("Inserts an element before or after another one in a list.")
                .complexity("O(N) where N is the number of elements to traverse before seeing the value pivot.")
                .handler(ListCommands::linsert).build());
        t.add(command("lrem", 4).flags(WRITE).keys(1, 1, 1).group("list").since("1.0.0")
                .acl("@write", "@list", "@slow").summary("Removes occurrences of an element from a list.")
                .complexity("O(N+M) where N is the length of the list and M is the number of elements removed.")
                .handler(ListCommands::lrem).build());
        t.add(command("ltrim", 4).flags(WRITE).keys(1, 1, 1).group("list").since("1.0.0")
                .acl("@write", "@list", "@slow").summary("Keeps only a range of elements of a list.")
                .complexity("O(N) where N is the number of elements to be removed by the operation.")
                .handler(ListCommands::ltrim).build());
        t.add(command("lpos", -3).flags(READONLY).keys(1, 1, 1).group("list").since("6.0.6")
                .acl("@read", "@list", "@slow").summary("Returns the indexes where an element occurs in a list.")
                .complexity("O(N) where N is the number of elements in the list, for the average case.")
                .handler(ListCommands::lpos).build());
        t.add(command("lmove", 5).flags(WRITE | DENYOOM).keys(1, 2, 1).group("list").since("6.2.0")
                .acl("@write", "@list", "@slow").summary("Pops an element from one list and pushes it to another.")
                .handler(c -> BlockingPop.run(c, new Move(false, false))).multi(new MoveOp(() -> new Move(false, false)))
                .build());
        t.add(command("rpoplpush", 3).flags(WRITE | DENYOOM).keys(1, 2, 1).group("list").since("1.2.0")
                .acl("@write", "@list", "@slow").summary("Pops from the tail of a list and pushes at the head of another.")
                .handler(c -> BlockingPop.run(c, new Move(true, false))).multi(new MoveOp(() -> new Move(true, false)))
                .build());
        t.add(command("blmove", 6).flags(WRITE | DENYOOM | NOSCRIPT | BLOCKING).keys(1, 2, 1).group("list")
                .since("6.2.0").acl("@write", "@list", "@slow", "@blocking")
                .summary("Like LMOVE, waiting for an element when the source is empty.")
                .handler(c -> BlockingPop.run(c, new Move(false, true))).multi(new MoveOp(() -> new Move(false, true)))
                .build());
        t.add(command("brpoplpush", 4).flags(WRITE | DENYOOM | NOSCRIPT | BLOCKING).keys(1, 2, 1).group("list")
                .since("2.2.0").acl("@write", "@list", "@slow", "@blocking")
                .summary("Like RPOPLPUSH, waiting for an element when the source is empty.")
                .handler(c -> BlockingPop.run(c, new Move(true, true))).multi(new MoveOp(() -> new Move(true, true)))
                .build());
        t.add(command("lmpop", -4).flags(WRITE).keyFinder(SetCommands::numKeysAt1).group("list").since("7.0.0")
                .acl("@write", "@list", "@slow").summary("Pops elements from the first non-empty of several lists.")
                .complexity("O(N+M) where N is the number of provided keys and M is the number of elements returned.")
                .handler(c -> BlockingPop.run(c, new Mpop(false))).multi(new BlockingPop.Op(() -> new Mpop(false))).build());
        t.add(command("blmpop", -5).flags(WRITE | BLOCKING).keyFinder((r, out) -> SetCommands.numKeys(r, 2, out))
                .group("list").since("7.0.0").acl("@write", "@list", "@slow", "@blocking")
                .summary("Like LMPOP, waiting for an element when every list is empty.")
                .complexity("O(N+M) where N is the number of provided keys and M is the number of elements returned.")
                .handler(c -> BlockingPop.run(c, new Mpop(true))).multi(new BlockingPop.Op(() -> new Mpop(true))).build());
        t.add(command("blpop", -3).flags(WRITE | NOSCRIPT | BLOCKING).keys(1, -2, 1).group("list").since("2.0.0")
                .acl("@write", "@list", "@slow", "@blocking")
                .summary("Pops from the head of the first non-empty list, waiting when all are empty.")
                .complexity("O(N) where N is the number of provided keys.")
                .handler(c -> BlockingPop.run(c, new Bpop(true))).multi(new BlockingPop.Op(() -> new Bpop(true))).build());
        t.add(command("brpop", -3).flags(WRITE | NOSCRIPT | BLOCKING).keys(1, -2, 1).group("list").since("2.0.0")
                .acl("@write", "@list", "@slow", "@blocking")
                .summary("Pops from the tail of the first non-empty list, waiting when all are empty.")
                .complexity("O(N) where N is the number of provided keys.")
                .handler(c -> BlockingPop.run(c, new Bpop(false))).multi(new BlockingPop.Op(() -> new Bpop(false))).build());
    }

    // ------------------------------------------------------------------ access

    static QuickList list(CommandContext c, long a) {
        return (QuickList) c.db.object(a);
    }

    static int fill(CommandContext c) {
        return (int) c.engine.settings().listMaxListpackSize.number();
    }

    /** Pushes the request's arguments [from, to) to the list at key argument {@code keyArg}, creating it. */
    static long pushArgs(CommandContext c, int keyArg, long a, int from, int to, boolean left) {
        Request r = c.req;
        byte[] b = r.buf();
        QuickList q;
        if (a == 0) {
            q = new QuickList(fill(c));
            int bytes = 0;
            for (int i = from; i < to; i++) {
                bytes += QuickList.elementSize(r.len(i));
            }
            q.firstPush(bytes, to - from, left);
        } else {
            c.db.beforeChange(b, r.off(keyArg), r.len(keyArg), a);
            q = list(c, a);
        }
        for (int i = from; i < to; i++) {
            if (left) {
                q.pushFront(b, r.off(i), r.len(i));
            } else {
                q.pushBack(b, r.off(i), r.len(i));
            }
        }
        if (a == 0) {
            c.db.putObject(b, r.off(keyArg), r.len(keyArg), Entry.TYPE_LIST, q, Keyspace.NO_EXPIRE);
        }
        return q.size();
    }

    /** Pushes one element given as bytes (LMOVE's destination). */
    static void pushOne(CommandContext c, byte[] key, int koff, int klen, byte[] element, boolean left) {
        long a = c.db.lookupWrite(key, koff, klen);
        QuickList q;
        if (a == 0) {
            q = new QuickList(fill(c));
        } else {
            c.db.beforeChange(key, koff, klen, a);
            q = (QuickList) c.db.object(a);
        }
        if (left) {
            q.pushFront(element, 0, element.length);
        } else {
            q.pushBack(element, 0, element.length);
        }
        if (a == 0) {
            c.db.putObject(key, koff, klen, Entry.TYPE_LIST, q, Keyspace.NO_EXPIRE);
        }
        c.notify(Events.LIST, left ? Events.LPUSH : Events.RPUSH, key, koff, klen);
    }

    /** Pops one element from the list at key argument {@code keyArg}; deletes the key when it empties. */
    static byte[] popOne(CommandContext c, int keyArg, long a, boolean left) {
        Request r = c.req;
        c.db.beforeChange(r.buf(), r.off(keyArg), r.len(keyArg), a);
        QuickList q = list(c, a);
        byte[] v = left ? q.popFront() : q.popBack();
        afterPop(c, keyArg, q, left);
        return v;
    }

    // ------------------------------------------------------------------ push and pop

    static void push(CommandContext c, boolean left, boolean onlyExisting) {
        long a = Values.write(c, 1, Entry.TYPE_LIST);
        if (a < 0) {
            return;
        }
        if (a == 0 && onlyExisting) {
            c.reply.integer(0);
            return;
        }
        c.reply.integer(pushArgs(c, 1, a, 2, c.req.argc(), left));
        c.journalVerbatim();
        c.notify(Events.LIST, left ? Events.LPUSH : Events.RPUSH, 1);
    }

    static void pop(CommandContext c, boolean left) {
        Request r = c.req;
        if (r.argc() > 3) {
            c.wrongArity();
            return;
        }
        long count = -1;
        if (r.argc() == 3) {
            if (!c.rangeLong(2, 0, Long.MAX_VALUE, "value is out of range, must be positive")) {
                return;
            }
            count = c.number.value;
        }
        long a = Values.write(c, 1, Entry.TYPE_LIST);
        if (a < 0) {
            return;
        }
        if (a == 0) {
            if (count < 0) {
                c.reply.nullBulk();
            } else {
                c.reply.nullArray();
            }
            return;
        }
        if (count < 0) {
            c.db.beforeChange(r.buf(), r.off(1), r.len(1), a);
            QuickList q = list(c, a);
            if (left) {
                q.popFrontTo(c.reply);
            } else {
                q.popBackTo(c.reply);
            }
            afterPop(c, 1, q, left);
            c.journalVerbatim();
            return;
        }
        if (count == 0) {
            c.reply.array(0);
            return;
        }
        popMany(c, 1, a, left, count);
        c.journalVerbatim();
    }

    /** After a pop: the keyspace events, and the key deleted when the list emptied. */
    private static void afterPop(CommandContext c, int keyArg, QuickList q, boolean left) {
        Request r = c.req;
        c.notify(Events.LIST, left ? Events.LPOP : Events.RPOP, keyArg);
        if (q.size() == 0) {
            c.db.delete(r.buf(), r.off(keyArg), r.len(keyArg));
            c.notify(Events.GENERIC, Events.DEL, keyArg);
        }
    }

    /** Pops up to {@code count} elements and replies with them as an array; returns how many. */
    static long popMany(CommandContext c, int keyArg, long a, boolean left, long count) {
        Request r = c.req;
        c.db.beforeChange(r.buf(), r.off(keyArg), r.len(keyArg), a);
        QuickList q = list(c, a);
        long n = Math.min(count, q.size());
        c.reply.array(n);
        for (long i = 0; i < n; i++) {
            if (left) {
                q.popFrontTo(c.reply);
            } else {
                q.popBackTo(c.reply);
            }
        }
        afterPop(c, keyArg, q, left);
        return n;
    }

    static void llen(CommandContext c) {
        long a = Values.read(c, 1, Entry.TYPE_LIST);
        if (a >= 0) {
            c.reply.integer(a == 0 ? 0 : list(c, a).size());
        }
    }

    // ------------------------------------------------------------------ positions

    /** LRANGE's and LTRIM's normalisation: [start, end] within [0, len), or null when empty. */
    static long[] range(long start, long end, long len) {
        if (start < 0) {
            start = len + start;
        }
        if (end < 0) {
            end = len + end;
        }
        if (start < 0) {
            start = 0;
        }
        if (start > end || start >= len) {
            return null;
        }
        if (end >= len) {
            end = len - 1;
        }
        return new long[] {start, end};
    }

    static void lrange(CommandContext c) {
        Request r = c.req;
        if (!r.parseLong(2)) {
            c.notInteger();
            return;
        }
        long start = r.longValue();
        if (!r.parseLong(3)) {
            c.notInteger();
            return;
        }
        long end = r.longValue();
        long a = Values.read(c, 1, Entry.TYPE_LIST);
        if (a < 0) {
            return;
        }
        if (a == 0) {
            c.reply.array(0);
            return;
        }
        QuickList q = list(c, a);
        long[] span = range(start, end, q.size());
        if (span == null) {
            c.reply.array(0);
            return;
        }
        long n = span[1] - span[0] + 1;
        c.reply.array(n);
        long[] left = {n};
        if (span[0] <= q.size() - 1 - span[1]) {
            q.forEach(span[0], (b, o, l) -> {
                c.reply.bulk(b, o, l);
                return --left[0] > 0;
            });
        } else {
            // nearer the tail: collect backwards, reply forwards
            List<byte[]> tail = new ArrayList<>((int) Math.min(n, 1 << 20));
            q.forEachReverse(q.size() - 1 - span[1], (b, o, l) -> {
                tail.add(Arrays.copyOfRange(b, o, o + l));
                return --left[0] > 0;
            });
            for (int i = tail.size() - 1; i >= 0; i--) {
                c.reply.bulk(tail.get(i));
            }
        }
    }

    static void lindex(CommandContext c) {
        Request r = c.req;
        long a = Values.read(c, 1, Entry.TYPE_LIST);
        if (a < 0) {
            return;
        }
        if (a == 0) {
            c.reply.nullBulk();
            return;
        }
        if (!r.parseLong(2)) {
            c.notInteger();
            return;
        }
        long index = r.longValue();
        QuickList q = list(c, a);
        if (index < 0) {
            index += q.size();
        }
        if (index < 0 || index >= q.size()) {
            c.reply.nullBulk();
            return;
        }
        replyAt(c, q, index);
    }

    private static void replyAt(CommandContext c, QuickList q, long index) {
        if (index <= q.size() / 2) {
            q.forEach(index, (b, o, l) -> {
                c.reply.bulk(b, o, l);
                return false;
            });
        } else {
            q.forEachReverse(q.size() - 1 - index, (b, o, l) -> {
                c.reply.bulk(b, o, l);
                return false;
            });
        }
    }

    static void lset(CommandContext c) {
        Request r = c.req;
        byte[] b = r.buf();
        long a = c.db.lookupWrite(b, r.off(1), r.len(1));
        if (a == 0) {
            c.reply.error("ERR no such key");
            return;
        }
        if (c.db.type(a) != Entry.TYPE_LIST) {
            c.wrongType();
            return;
        }
        if (!r.parseLong(2)) {
            c.notInteger();
            return;
        }
        long index = r.longValue();
        QuickList q = list(c, a);
        if (index < 0) {
            index += q.size();
        }
        if (index < 0 || index >= q.size()) {
            c.reply.error("ERR index out of range");
            return;
        }
        c.db.beforeChange(b, r.off(1), r.len(1), a);
        List<byte[]> all = q.toList();
        all.set((int) index, r.copy(3));
        q.replaceAll(all);
        c.reply.ok();
        c.journalVerbatim();
        c.notify(Events.LIST, Events.LSET, 1);
    }

    static void linsert(CommandContext c) {
        Request r = c.req;
        byte[] b = r.buf();
        boolean after;
        if (r.is(2, "after")) {
            after = true;
        } else if (r.is(2, "before")) {
            after = false;
        } else {
            c.syntaxError();
            return;
        }
        long a = Values.write(c, 1, Entry.TYPE_LIST);
        if (a < 0) {
            return;
        }
        if (a == 0) {
            c.reply.integer(0);
            return;
        }
        QuickList q = list(c, a);
        long[] at = {-1};
        long[] i = {0};
        q.forEach(0, (buf, o, l) -> {
            if (l == r.len(3) && Arrays.equals(buf, o, o + l, b, r.off(3), r.off(3) + l)) {
                at[0] = i[0];
                return false;
            }
            i[0]++;
            return true;
        });
        if (at[0] < 0) {
            c.reply.integer(-1);
            return;
        }
        c.db.beforeChange(b, r.off(1), r.len(1), a);
        List<byte[]> all = q.toList();
        all.add((int) at[0] + (after ? 1 : 0), r.copy(4));
        q.replaceAll(all);
        c.reply.integer(q.size());
        c.journalVerbatim();
        c.notify(Events.LIST, Events.LINSERT, 1);
    }

    static void lrem(CommandContext c) {
        Request r = c.req;
        byte[] b = r.buf();
        if (!r.parseLong(2)) {
            c.notInteger();
            return;
        }
        long count = r.longValue();
        long a = Values.write(c, 1, Entry.TYPE_LIST);
        if (a < 0) {
            return;
        }
        if (a == 0) {
            c.reply.integer(0);
            return;
        }
        QuickList q = list(c, a);
        List<byte[]> all = q.toList();
        long limit = count == 0 ? Long.MAX_VALUE : Math.abs(count);
        long removed = 0;
        int off = r.off(3);
        int len = r.len(3);
        if (count >= 0) {
            for (int i = 0; i < all.size() && removed < limit; ) {
                if (Arrays.equals(all.get(i), 0, all.get(i).length, b, off, off + len)) {
                    all.remove(i);
                    removed++;
                } else {
                    i++;
                }
            }
        } else {
            for (int i = all.size() - 1; i >= 0 && removed < limit; i--) {
                if (Arrays.equals(all.get(i), 0, all.get(i).length, b, off, off + len)) {
                    all.remove(i);
                    removed++;
                }
            }
        }
        if (removed > 0) {
            c.db.beforeChange(b, r.off(1), r.len(1), a);
            if (all.isEmpty()) {
                c.db.delete(b, r.off(1), r.len(1));
            } else {
                q.replaceAll(all);
            }
            c.journalVerbatim();
            c.notify(Events.LIST, Events.LREM, 1);
            if (all.isEmpty()) {
                c.notify(Events.GENERIC, Events.DEL, 1);
            }
        }
        c.reply.integer(removed);
    }

    static void ltrim(CommandContext c) {
        Request r = c.req;
        byte[] b = r.buf();
        if (!r.parseLong(2)) {
            c.notInteger();
            return;
        }
        long start = r.longValue();
        if (!r.parseLong(3)) {
            c.notInteger();
            return;
        }
        long end = r.longValue();
        long a = Values.write(c, 1, Entry.TYPE_LIST);
        if (a < 0) {
            return;
        }
        if (a == 0) {
            c.reply.ok();
            return;
        }
        QuickList q = list(c, a);
        long[] span = range(start, end, q.size());
        long front = span == null ? q.size() : span[0];
        long back = span == null ? 0 : q.size() - 1 - span[1];
        if (front + back > 0) {
            c.db.beforeChange(b, r.off(1), r.len(1), a);
            q.trimFront(front);
            q.trimBack(back);
            boolean emptied = q.size() == 0;
            if (emptied) {
                c.db.delete(b, r.off(1), r.len(1));
            }
            c.journalVerbatim();
            c.notify(Events.LIST, Events.LTRIM, 1);
            if (emptied) {
                c.notify(Events.GENERIC, Events.DEL, 1);
            }
        }
        c.reply.ok();
    }

    static void lpos(CommandContext c) {
        Request r = c.req;
        byte[] b = r.buf();
        long rank = 1;
        long count = -1;
        long maxlen = 0;
        for (int j = 3; j < r.argc(); j++) {
            boolean more = j + 1 < r.argc();
            if (r.is(j, "rank") && more) {
                if (!r.parseLong(j + 1)) {
                    c.notInteger();
                    return;
                }
                rank = r.longValue();
                if (rank == 0) {
                    c.reply.error("ERR RANK can't be zero: use 1 to start from the first match, 2 from the second ... "
                            + "or use negative to start from the end of the list");
                    return;
                }
            } else if (r.is(j, "count") && more) {
                if (!r.parseLong(j + 1) || r.longValue() < 0) {
                    c.reply.error("ERR COUNT can't be negative");
                    return;
                }
                count = r.longValue();
            } else if (r.is(j, "maxlen") && more) {
                if (!r.parseLong(j + 1) || r.longValue() < 0) {
                    c.reply.error("ERR MAXLEN can't be negative");
                    return;
                }
                maxlen = r.longValue();
            } else {
                c.syntaxError();
                return;
            }
            j++;
        }
        long a = Values.read(c, 1, Entry.TYPE_LIST);
        if (a < 0) {
            return;
        }
        List<Long> found = new ArrayList<>();
        if (a != 0) {
            QuickList q = list(c, a);
            boolean forward = rank > 0;
            long skip = (rank == Long.MIN_VALUE ? 1 : Math.abs(rank)) - 1;
            long want = count < 0 ? 1 : count == 0 ? Long.MAX_VALUE : count;
            long size = q.size();
            long[] state = {0, skip}; // scanned, matches still to skip
            long scanLimit = maxlen;
            int off = r.off(2);
            int len = r.len(2);
            QuickList.ElementVisitor v = (buf, o, l) -> {
                long index = forward ? state[0] : size - 1 - state[0];
                state[0]++;
                if (l == len && Arrays.equals(buf, o, o + l, b, off, off + len)) {
                    if (state[1] > 0) {
                        state[1]--;
                    } else {
                        found.add(index);
                    }
                }
                return found.size() < want && (scanLimit == 0 || state[0] < scanLimit);
            };
            if (forward) {
                q.forEach(0, v);
            } else {
                q.forEachReverse(0, v);
            }
        }
        if (count < 0) {
            if (found.isEmpty()) {
                c.reply.nullBulk();
            } else {
                c.reply.integer(found.get(0));
            }
            return;
        }
        c.reply.array(found.size());
        for (long i : found) {
            c.reply.integer(i);
        }
    }

    // ------------------------------------------------------------------ LMOVE RPOPLPUSH BLMOVE BRPOPLPUSH

    /** LMOVE and friends: source at argument 1, destination at 2. */
    static final class Move extends BlockingPop {
        private final boolean rpoplpush;
        private final boolean blocking;
        boolean fromLeft;
        boolean toLeft;

        Move(boolean rpoplpush, boolean blocking) {
            this.rpoplpush = rpoplpush;
            this.blocking = blocking;
        }

        @Override
        String parse(Request r) {
            keys = new int[] {1};
            if (rpoplpush) {
                fromLeft = false;
                toLeft = true;
                return blocking ? parseTimeout(r, 3) : null;
            }
            int from = side(r, 3);
            int to = side(r, 4);
            if (from < 0 || to < 0) {
                return CommandContext.SYNTAX;
            }
            fromLeft = from == 0;
            toLeft = to == 0;
            return blocking ? parseTimeout(r, 5) : null;
        }

        @Override
        public int type() {
            return Entry.TYPE_LIST;
        }

        @Override
        public boolean movesToOtherKey() {
            return true;
        }

        @Override
        public void serve(CommandContext c, int keyArg, boolean served) {
            Request r = c.req;
            byte[] b = r.buf();
            long dst = c.db.lookupWrite(b, r.off(2), r.len(2));
            if (dst != 0 && c.db.type(dst) != Entry.TYPE_LIST) {
                c.wrongType();
                return;
            }
            long src = c.db.lookupWrite(b, r.off(1), r.len(1));
            byte[] v = popOne(c, 1, src, fromLeft);
            pushOne(c, b, r.off(2), r.len(2), v, toLeft);
            c.reply.bulk(v);
            journal(c, served);
        }

        void journal(CommandContext c, boolean served) {
            Journal j = c.journalIfEnabled();
            if (j == null) {
                return;
            }
            Request r = c.req;
            byte[] b = r.buf();
            if (rpoplpush) {
                j.begin(c.db.id(), 3).arg(RPOPLPUSH).arg(b, r.off(1), r.len(1)).arg(b, r.off(2), r.len(2)).end();
                return;
            }
            j.begin(c.db.id(), 5).arg(LMOVE).arg(b, r.off(1), r.len(1)).arg(b, r.off(2), r.len(2));
            if (served) {
                j.arg(fromLeft ? LEFT : RIGHT).arg(toLeft ? LEFT : RIGHT);
            } else {
                j.arg(b, r.off(3), r.len(3)).arg(b, r.off(4), r.len(4));
            }
            j.end();
        }

        @Override
        public void nothing(Reply reply, boolean timedOut) {
            if (timedOut) {
                reply.nullArray();
            } else {
                reply.nullBulk();
            }
        }
    }

    /** 0 for LEFT, 1 for RIGHT, -1 otherwise. */
    static int side(Request r, int i) {
        return r.is(i, "left") ? 0 : r.is(i, "right") ? 1 : -1;
    }

    /**
     * LMOVE with source and destination on different shards. Hop 0 checks both keys and takes a
     * copy of the element to move; hop 1 pops it on the source's shard and pushes it on the
     * destination's, each journaling its half (RPOP/LPOP, LPUSH/RPUSH). A blocking form that
     * finds the source empty blocks on the source's shard; when the source fills, the client is
     * retried as a fresh transaction.
     */
    static final class MoveOp implements MultiShardOp {
        private final java.util.function.Supplier<BlockingPop> factory;

        MoveOp(java.util.function.Supplier<BlockingPop> factory) {
            this.factory = factory;
        }

        @Override
        public String precheck(Tx tx, int databases) {
            BlockingPop pop = factory.get();
            tx.payload = pop;
            return pop.parse(tx.req);
        }

        @Override
        public boolean isLast(Tx tx, int hop) {
            return hop == 1;
        }

        @Override
        public void step(CommandContext c, TxPart part, int hop) {
            Move move = (Move) part.tx().payload;
            Request r = c.req;
            byte[] b = r.buf();
            int arg = part.keyArg(0);
            Journal j = c.journalIfEnabled();
            if (hop == 0) {
                long a = c.db.lookupWrite(b, r.off(arg), r.len(arg));
                if (a == 0) {
                    part.result = 0;
                } else if (c.db.type(a) != Entry.TYPE_LIST) {
                    part.result = -1;
                } else {
                    part.result = 1;
                    if (arg == 1) {
                        QuickList q = list(c, a);
                        part.payload = move.fromLeft ? q.get(0) : q.get(q.size() - 1);
                    }
                }
                return;
            }
            Tx tx = part.tx();
            if (tx.value < 0) {
                if (arg == 1) {
                    c.blockPart(move, part);
                }
                return;
            }
            if (arg == 1) {
                long a = c.db.lookupWrite(b, r.off(1), r.len(1));
                popOne(c, 1, a, move.fromLeft);
                if (j != null) {
                    j.begin(c.db.id(), 2).arg(move.fromLeft ? LPOP : RPOP).arg(b, r.off(1), r.len(1)).end();
                }
            } else {
                byte[] v = (byte[]) tx.extra;
                pushOne(c, b, r.off(2), r.len(2), v, move.toLeft);
                if (j != null) {
                    j.begin(c.db.id(), 3).arg(move.toLeft ? LPUSH : RPUSH).arg(b, r.off(2), r.len(2)).arg(v).end();
                }
            }
        }

        @Override
        public int afterHop(Tx tx, int hop) {
            Move move = (Move) tx.payload;
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
            if (src.result < 0) {
                tx.error = CommandContext.WRONGTYPE;
                return DONE;
            }
            if (src.result == 0) {
                tx.value = -1;
                if (move.timeoutMs >= 0 && tx.canBlock()) {
                    tx.block(move);
                    return NEXT;
                }
                return DONE;
            }
            if (dst.result < 0) {
                tx.error = CommandContext.WRONGTYPE;
                return DONE;
            }
            tx.value = 1;
            tx.extra = src.payload;
            return NEXT;
        }

        @Override
        public void reply(Tx tx, Reply reply) {
            if (tx.error != null) {
                reply.error(tx.error);
            } else if (tx.value < 0) {
                if (!tx.blocked()) {
                    ((Move) tx.payload).nothing(reply, false);
                }
            } else {
                reply.bulk((byte[]) tx.extra);
            }
        }
    }

    // ------------------------------------------------------------------ BLPOP BRPOP LMPOP BLMPOP

    static final class Bpop extends BlockingPop {
        private final boolean left;

        Bpop(boolean left) {
            this.left = left;
        }

        @Override
        String parse(Request r) {
            return parseKeysThenTimeout(r);
        }

        @Override
        public int type() {
            return Entry.TYPE_LIST;
        }

        @Override
        public void serve(CommandContext c, int keyArg, boolean served) {
            Request r = c.req;
            long a = c.db.lookupWrite(r.buf(), r.off(keyArg), r.len(keyArg));
            byte[] v = popOne(c, keyArg, a, left);
            c.reply.array(2);
            c.reply.bulk(r.buf(), r.off(keyArg), r.len(keyArg));
            c.reply.bulk(v);
            Journal j = c.journalIfEnabled();
            if (j != null) {
                j.begin(c.db.id(), 2).arg(left ? LPOP : RPOP).arg(r.buf(), r.off(keyArg), r.len(keyArg)).end();
            }
        }

        @Override
        public void nothing(Reply reply, boolean timedOut) {
            reply.nullArray();
        }
    }

    /** LMPOP and BLMPOP: [timeout] numkeys key... LEFT|RIGHT [COUNT n]. */
    static final class Mpop extends BlockingPop {
        private final boolean blocking;
        boolean left;
        long count = 1;

        Mpop(boolean blocking) {
            this.blocking = blocking;
        }

        @Override
        String parse(Request r) {
            String error = parseMpop(r, blocking ? 2 : 1, this, false);
            if (error != null) {
                return error;
            }
            return blocking ? parseTimeout(r, 1) : null;
        }

        @Override
        public int type() {
            return Entry.TYPE_LIST;
        }

        @Override
        public void serve(CommandContext c, int keyArg, boolean served) {
            Request r = c.req;
            long a = c.db.lookupWrite(r.buf(), r.off(keyArg), r.len(keyArg));
            c.reply.array(2);
            c.reply.bulk(r.buf(), r.off(keyArg), r.len(keyArg));
            long n = popMany(c, keyArg, a, left, count);
            Journal j = c.journalIfEnabled();
            if (j != null) {
                j.begin(c.db.id(), 3).arg(left ? LPOP : RPOP).arg(r.buf(), r.off(keyArg), r.len(keyArg)).arg(n).end();
            }
        }

        @Override
        public void nothing(Reply reply, boolean timedOut) {
            reply.nullArray();
        }
    }

    /**
     * The shared grammar of LMPOP, BLMPOP, ZMPOP and BZMPOP: numkeys at {@code at}, the keys,
     * a direction (LEFT|RIGHT, or MIN|MAX when {@code zset}), then an optional COUNT.
     */
    static String parseMpop(Request r, int at, BlockingPop pop, boolean zset) {
        if (!r.parseLong(at) || r.longValue() < 1) {
            return "ERR numkeys should be greater than 0";
        }
        long n = r.longValue();
        long where = at + n + 1;
        if (where >= r.argc()) {
            return CommandContext.SYNTAX;
        }
        int w = (int) where;
        boolean first;
        if (zset) {
            if (r.is(w, "min")) {
                first = true;
            } else if (r.is(w, "max")) {
                first = false;
            } else {
                return CommandContext.SYNTAX;
            }
        } else {
            int side = side(r, w);
            if (side < 0) {
                return CommandContext.SYNTAX;
            }
            first = side == 0;
        }
        long count = 1;
        boolean counted = false;
        for (int j = w + 1; j < r.argc(); j++) {
            if (!counted && r.is(j, "count") && j + 1 < r.argc()) {
                j++;
                if (!r.parseLong(j) || r.longValue() < 1) {
                    return "ERR count should be greater than 0";
                }
                count = r.longValue();
                counted = true;
            } else {
                return CommandContext.SYNTAX;
            }
        }
        pop.keys = new int[(int) n];
        for (int i = 0; i < n; i++) {
            pop.keys[i] = at + 1 + i;
        }
        if (pop instanceof Mpop m) {
            m.left = first;
            m.count = count;
        } else if (pop instanceof ZSetCommands.Zmpop z) {
            z.min = first;
            z.count = count;
        }
        return null;
    }
}
