package io.damselfly.engine.command;

import io.damselfly.engine.journal.Journal;
import io.damselfly.engine.keyspace.Entry;
import io.damselfly.engine.resp.Numbers;
import io.damselfly.engine.resp.Reply;
import io.damselfly.engine.shard.Keyspace;
import io.damselfly.engine.types.Bytes;
import io.damselfly.engine.types.BytesMap;
import io.damselfly.engine.types.LexRange;
import io.damselfly.engine.types.Members;
import io.damselfly.engine.types.Pack;
import io.damselfly.engine.types.ScoreRange;
import io.damselfly.engine.types.SkipList;
import io.damselfly.engine.types.ZSetValue;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

import static io.damselfly.engine.command.CommandSpec.BLOCKING;
import static io.damselfly.engine.command.CommandSpec.DENYOOM;
import static io.damselfly.engine.command.CommandSpec.FAST;
import static io.damselfly.engine.command.CommandSpec.NOSCRIPT;
import static io.damselfly.engine.command.CommandSpec.READONLY;
import static io.damselfly.engine.command.CommandSpec.WRITE;
import static io.damselfly.engine.command.CommandSpec.command;

/**
 * Sorted sets. A small one is a {@link Pack} of member, score pairs inside the key's entry,
 * ordered by score then member (listpack); past zset-max-listpack-entries members or a member
 * longer than zset-max-listpack-value it becomes a {@link ZSetValue} (skiplist), and stays one.
 * Reads go through a {@link View} by rank, so every range command is the same walk on both.
 */
public final class ZSetCommands {
    private static final byte[] ZPOPMIN = Reply.ascii("ZPOPMIN");
    private static final byte[] ZPOPMAX = Reply.ascii("ZPOPMAX");
    static final String NOT_FLOAT_RANGE = "ERR min or max is not a float";
    static final String NOT_LEX_RANGE = "ERR min or max not valid string range item";

    private ZSetCommands() {
    }

    public static void register(CommandTable t) {
        t.add(command("zadd", -4).flags(WRITE | DENYOOM | FAST).keys(1, 1, 1).group("sorted_set").since("1.2.0")
                .acl("@write", "@sortedset", "@fast").summary("Adds members with scores to a sorted set, or updates their scores.")
                .complexity("O(log(N)) for each item added, where N is the number of elements in the sorted set.")
                .handler(c -> zadd(c, false)).build());
        t.add(command("zincrby", 4).flags(WRITE | DENYOOM | FAST).keys(1, 1, 1).group("sorted_set").since("1.2.0")
                .acl("@write", "@sortedset", "@fast").summary("Adds to the score of a member of a sorted set.")
                .complexity("O(log(N)) where N is the number of elements in the sorted set.")
                .handler(c -> zadd(c, true)).build());
        t.add(command("zrem", -3).flags(WRITE | FAST).keys(1, 1, 1).group("sorted_set").since("1.2.0")
                .acl("@write", "@sortedset", "@fast").summary("Removes members from a sorted set; the key goes when it is empty.")
                .complexity("O(M*log(N)) with N being the number of elements in the sorted set and M the number of elements to be removed.")
                .handler(ZSetCommands::zrem).build());
        t.add(command("zcard", 2).flags(READONLY | FAST).keys(1, 1, 1).group("sorted_set").since("1.2.0")
                .acl("@read", "@sortedset", "@fast").summary("Counts the members of a sorted set.")
                .handler(ZSetCommands::zcard).build());
        t.add(command("zscore", 3).flags(READONLY | FAST).keys(1, 1, 1).group("sorted_set").since("1.2.0")
                .acl("@read", "@sortedset", "@fast").summary("Returns the score of a member of a sorted set.")
                .handler(ZSetCommands::zscore).build());
        t.add(command("zmscore", -3).flags(READONLY | FAST).keys(1, 1, 1).group("sorted_set").since("6.2.0")
                .acl("@read", "@sortedset", "@fast").summary("Returns the scores of several members of a sorted set.")
                .complexity("O(N) where N is the number of members being requested.").handler(ZSetCommands::zmscore).build());
        t.add(command("zrank", 3).flags(READONLY | FAST).keys(1, 1, 1).group("sorted_set").since("2.0.0")
                .acl("@read", "@sortedset", "@fast").summary("Returns the rank of a member, counting from the lowest score.")
                .complexity("O(log(N))").handler(c -> zrank(c, false)).build());
        t.add(command("zrevrank", 3).flags(READONLY | FAST).keys(1, 1, 1).group("sorted_set").since("2.0.0")
                .acl("@read", "@sortedset", "@fast").summary("Returns the rank of a member, counting from the highest score.")
                .complexity("O(log(N))").handler(c -> zrank(c, true)).build());
        t.add(command("zcount", 4).flags(READONLY | FAST).keys(1, 1, 1).group("sorted_set").since("2.0.0")
                .acl("@read", "@sortedset", "@fast").summary("Counts the members with a score in a range.")
                .complexity("O(log(N)) with N being the number of elements in the sorted set.")
                .handler(c -> zcount(c, false)).build());
        t.add(command("zlexcount", 4).flags(READONLY | FAST).keys(1, 1, 1).group("sorted_set").since("2.8.9")
                .acl("@read", "@sortedset", "@fast").summary("Counts the members in a lexical range.")
                .complexity("O(log(N)) with N being the number of elements in the sorted set.")
                .handler(c -> zcount(c, true)).build());
        String rangeComplexity = "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements returned.";
        t.add(command("zrange", -4).flags(READONLY).keys(1, 1, 1).group("sorted_set").since("1.2.0")
                .acl("@read", "@sortedset", "@slow").summary("Returns members in a range of ranks, scores or names.")
                .complexity(rangeComplexity).handler(c -> zrange(c, AUTO, AUTO, false)).build());
        t.add(command("zrevrange", -4).flags(READONLY).keys(1, 1, 1).group("sorted_set").since("1.2.0")
                .acl("@read", "@sortedset", "@slow").summary("Returns members in a range of ranks, highest score first.")
                .complexity(rangeComplexity).handler(c -> zrange(c, RANK, REVERSE, false)).build());
        t.add(command("zrangebyscore", -4).flags(READONLY).keys(1, 1, 1).group("sorted_set").since("1.0.5")
                .acl("@read", "@sortedset", "@slow").summary("Returns members with scores in a range.")
                .complexity(rangeComplexity).handler(c -> zrange(c, SCORE, FORWARD, false)).build());
        t.add(command("zrevrangebyscore", -4).flags(READONLY).keys(1, 1, 1).group("sorted_set").since("2.2.0")
                .acl("@read", "@sortedset", "@slow").summary("Returns members with scores in a range, highest first.")
                .complexity(rangeComplexity).handler(c -> zrange(c, SCORE, REVERSE, false)).build());
        t.add(command("zrangebylex", -4).flags(READONLY).keys(1, 1, 1).group("sorted_set").since("2.8.9")
                .acl("@read", "@sortedset", "@slow").summary("Returns members in a lexical range.")
                .complexity(rangeComplexity).handler(c -> zrange(c, LEX, FORWARD, false)).build());
        t.add(command("zrevrangebylex", -4).flags(READONLY).keys(1, 1, 1).group("sorted_set").since("2.8.9")
                .acl("@read", "@sortedset", "@slow").summary("Returns members in a lexical range, in reverse order.")
                .complexity(rangeComplexity).handler(c -> zrange(c, LEX, REVERSE, false)).build());
        t.add(command("zrangestore", -5).flags(WRITE | DENYOOM).keys(1, 2, 1).group("sorted_set").since("6.2.0")
                .acl("@write", "@sortedset", "@slow").summary("Stores a range of a sorted set in another key.")
                .complexity("O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements stored into the destination key.")
                .handler(c -> zrange(c, AUTO, AUTO, true)).multi(new Combine.Op(RangeStore::new)).build());
        t.add(command("zremrangebyrank", 4).flags(WRITE).keys(1, 1, 1).group("sorted_set").since("2.0.0")
                .acl("@write", "@sortedset", "@slow").summary("Removes the members in a range of ranks.")
                .complexity("O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements removed by the operation.")
                .handler(c -> zremrange(c, RANK)).build());
        t.add(command("zremrangebyscore", 4).flags(WRITE).keys(1, 1, 1).group("sorted_set").since("1.2.0")
                .acl("@write", "@sortedset", "@slow").summary("Removes the members with scores in a range.")
                .complexity("O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements removed by the operation.")
                .handler(c -> zremrange(c, SCORE)).build());
        t.add(command("zremrangebylex", 4).flags(WRITE).keys(1, 1, 1).group("sorted_set").since("2.8.9")
                .acl("@write", "@sortedset", "@slow").summary("Removes the members in a lexical range.")
                .complexity("O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements removed by the operation.")
                .handler(c -> zremrange(c, LEX)).build());
        t.add(command("zpopmin", -2).flags(WRITE | FAST).keys(1, 1, 1).group("sorted_set").since("5.0.0")
                .acl("@write", "@sortedset", "@fast").summary("Removes and returns the members with the lowest scores.")
                .complexity("O(log(N)*M) with N being the number of elements in the sorted set, and M being the number of elements popped.")
                .handler(c -> zpop(c, true)).build());
        t.add(command("zpopmax", -2).flags(WRITE | FAST).keys(1, 1, 1).group("sorted_set").since("5.0.0")
                .acl("@write", "@sortedset", "@fast").summary("Removes and returns the members with the highest scores.")
                .complexity("O(log(N)*M) with N being the number of elements in the sorted set, and M being the number of elements popped.")
                .handler(c -> zpop(c, false)).build());
        t.add(command("bzpopmin", -3).flags(WRITE | NOSCRIPT | FAST | BLOCKING).keys(1, -2, 1).group("sorted_set")
                .since("5.0.0").acl("@write", "@sortedset", "@fast", "@blocking")
                .summary("Pops the lowest-scored member of the first non-empty sorted set, waiting when all are empty.")
                .complexity("O(log(N)) with N being the number of elements in the sorted set.")
                .handler(c -> BlockingPop.run(c, new Bzpop(true))).multi(new BlockingPop.Op(() -> new Bzpop(true))).build());
        t.add(command("bzpopmax", -3).flags(WRITE | NOSCRIPT | FAST | BLOCKING).keys(1, -2, 1).group("sorted_set")
                .since("5.0.0").acl("@write", "@sortedset", "@fast", "@blocking")
                .summary("Pops the highest-scored member of the first non-empty sorted set, waiting when all are empty.")
                .complexity("O(log(N)) with N being the number of elements in the sorted set.")
                .handler(c -> BlockingPop.run(c, new Bzpop(false))).multi(new BlockingPop.Op(() -> new Bzpop(false))).build());
        t.add(command("zmpop", -4).flags(WRITE).keyFinder(SetCommands::numKeysAt1).group("sorted_set").since("7.0.0")
                .acl("@write", "@sortedset", "@slow").summary("Pops members from the first non-empty of several sorted sets.")
                .complexity("O(K) + O(M*log(N)) where K is the number of provided keys, N being the number of elements in the sorted set, and M being the number of elements popped.")
                .handler(c -> BlockingPop.run(c, new Zmpop(false))).multi(new BlockingPop.Op(() -> new Zmpop(false))).build());
        t.add(command("bzmpop", -5).flags(WRITE | BLOCKING).keyFinder((r, out) -> SetCommands.numKeys(r, 2, out))
                .group("sorted_set").since("7.0.0").acl("@write", "@sortedset", "@slow", "@blocking")
                .summary("Like ZMPOP, waiting for a member when every sorted set is empty.")
                .complexity("O(K) + O(M*log(N)) where K is the number of provided keys, N being the number of elements in the sorted set, and M being the number of elements popped.")
                .handler(c -> BlockingPop.run(c, new Zmpop(true))).multi(new BlockingPop.Op(() -> new Zmpop(true))).build());
        t.add(command("zrandmember", -2).flags(READONLY).keys(1, 1, 1).group("sorted_set").since("6.2.0")
                .acl("@read", "@sortedset", "@slow").tips("nondeterministic_output")
                .summary("Returns random members of a sorted set, optionally with their scores.")
                .complexity("O(N) where N is the number of members returned").handler(ZSetCommands::zrandmember).build());
        registerAlgebra(t);
        t.add(command("zscan", -3).flags(READONLY).keys(1, 1, 1).group("sorted_set").since("2.8.0")
                .acl("@read", "@sortedset", "@slow").tips("nondeterministic_output")
                .summary("Iterates over the members and scores of a sorted set with a cursor.")
                .complexity("O(1) for every call. O(N) for a complete iteration.").handler(ZSetCommands::zscan).build());
    }

    private static void registerAlgebra(CommandTable t) {
        String unionC = "O(N)+O(M*log(M)) with N being the sum of the sizes of the input sorted sets, and M being the number of elements in the resulting sorted set.";
        String interC = "O(N*K)+O(M*log(M)) worst case with N being the smallest input sorted set, K being the number of input sorted sets and M being the number of elements in the resulting sorted set.";
        String diffC = "O(L + (N-K)log(N)) worst case where L is the total number of elements in all the sets, N is the size of the first set, and K is the size of the result set.";
        Object[][] forms = {
            {"zunion", -3, UNION, false, "2", "Returns the union of sorted sets, with scores combined.", unionC},
            {"zinter", -3, INTER, false, "2", "Returns the intersection of sorted sets, with scores combined.", interC},
            {"zdiff", -3, DIFF, false, "2", "Returns the members of the first sorted set that no other has.", diffC},
            {"zintercard", -3, CARD, false, "2", "Counts the members every given sorted set has, up to an optional limit.",
                "O(N*K) worst case with N being the smallest input sorted set, K being the number of input sorted sets."},
            {"zunionstore", -4, UNION, true, "1", "Stores the union of sorted sets in a key.", unionC},
            {"zinterstore", -4, INTER, true, "1", "Stores the intersection of sorted sets in a key.", interC},
            {"zdiffstore", -4, DIFF, true, "1", "Stores the members of the first sorted set that no other has in a key.", diffC},
        };
        for (Object[] f : forms) {
            int kind = (Integer) f[2];
            boolean store = (Boolean) f[3];
            String name = (String) f[0];
            String since = name.equals("zunionstore") || name.equals("zinterstore") ? "2.0.0"
                    : name.equals("zintercard") ? "7.0.0" : "6.2.0";
            t.add(command(name, (Integer) f[1]).flags(store ? WRITE | DENYOOM : READONLY)
                    .keyFinder((r, out) -> algebraKeys(r, store, out)).group("sorted_set").since(since)
                    .acl(store ? "@write" : "@read", "@sortedset", "@slow").summary((String) f[5]).complexity((String) f[6])
                    .handler(c -> Combine.run(c, new Algebra(kind, store, name)))
                    .multi(new Combine.Op(() -> new Algebra(kind, store, name))).build());
        }
    }

    /** Keys of ZUNION and friends: [destination,] then numkeys sources. */
    static int algebraKeys(Request r, boolean store, int[] out) {
        int at = store ? 2 : 1;
        int n = SetCommands.numKeys(r, at, store ? Arrays.copyOfRange(out, 1, out.length) : out);
        if (n < 0) {
            return -1;
        }
        if (!store) {
            return n;
        }
        out[0] = 1;
        for (int i = 0; i < n; i++) {
            out[1 + i] = at + 1 + i;
        }
        return n + 1;
    }

    // ------------------------------------------------------------------ views

    static final int AUTO = 0;
    static final int RANK = 1;
    static final int SCORE = 2;
    static final int LEX = 3;
    static final int FORWARD = 1;
    static final int REVERSE = 2;

    @FunctionalInterface
    interface Visitor {
        boolean visit(byte[] member, double score);
    }

    /** A sorted set read by rank (0 = lowest score), whatever its encoding. */
    abstract static class View {
        abstract long size();

        /** Score of a member, or NaN. */
        abstract double score(byte[] b, int off, int len);

        /** 0-based rank of a member, or -1. */
        abstract long rank(byte[] b, int off, int len);

        /** Visits members from rank {@code from} on, upwards or (reverse) downwards, while the visitor agrees. */
        abstract void walk(long from, boolean reverse, Visitor v);

        /** Rank of the first member in the range, or -1. */
        abstract long firstIn(ScoreRange r);

        abstract long lastIn(ScoreRange r);

        abstract long firstIn(LexRange r);

        abstract long lastIn(LexRange r);
    }

    /** A compact sorted set decoded into arrays. */
    static final class Small extends View {
        byte[][] members;
        double[] scores;
        int n;

        Small(int capacity) {
            members = new byte[Math.max(capacity, 4)][];
            scores = new double[Math.max(capacity, 4)];
        }

        static Small decode(CommandContext c, long a) {
            Pack.Cursor cur = c.compact(a);
            Small s = new Small(cur.count() / 2 + 1);
            while (cur.next()) {
                byte[] m = cur.element();
                cur.next();
                s.members[s.n] = m;
                s.scores[s.n] = cur.score();
                s.n++;
            }
            return s;
        }

        @Override
        long size() {
            return n;
        }

        int indexOf(byte[] b, int off, int len) {
            for (int i = 0; i < n; i++) {
                if (Bytes.equals(members[i], b, off, len)) {
                    return i;
                }
            }
            return -1;
        }

        @Override
        double score(byte[] b, int off, int len) {
            int i = indexOf(b, off, len);
            return i < 0 ? Double.NaN : scores[i];
        }

        @Override
        long rank(byte[] b, int off, int len) {
            return indexOf(b, off, len);
        }

        @Override
        void walk(long from, boolean reverse, Visitor v) {
            if (reverse) {
                for (long i = from; i >= 0; i--) {
                    if (!v.visit(members[(int) i], scores[(int) i])) {
                        return;
                    }
                }
            } else {
                for (long i = from; i < n; i++) {
                    if (!v.visit(members[(int) i], scores[(int) i])) {
                        return;
                    }
                }
            }
        }

        @Override
        long firstIn(ScoreRange r) {
            for (int i = 0; i < n; i++) {
                if (r.aboveMin(scores[i])) {
                    return r.belowMax(scores[i]) ? i : -1;
                }
            }
            return -1;
        }

        @Override
        long lastIn(ScoreRange r) {
            for (int i = n - 1; i >= 0; i--) {
                if (r.belowMax(scores[i])) {
                    return r.aboveMin(scores[i]) ? i : -1;
                }
            }
            return -1;
        }

        @Override
        long firstIn(LexRange r) {
            for (int i = 0; i < n; i++) {
                if (r.aboveMin(members[i])) {
                    return r.belowMax(members[i]) ? i : -1;
                }
            }
            return -1;
        }

        @Override
        long lastIn(LexRange r) {
            for (int i = n - 1; i >= 0; i--) {
                if (r.belowMax(members[i])) {
                    return r.aboveMin(members[i]) ? i : -1;
                }
            }
            return -1;
        }

        /** Inserts a member that is not there, keeping the order. */
        void insert(byte[] member, double score) {
            if (n == members.length) {
                members = Arrays.copyOf(members, n * 2);
                scores = Arrays.copyOf(scores, n * 2);
            }
            int at = n;
            while (at > 0 && compare(scores[at - 1], members[at - 1], score, member) > 0) {
                at--;
            }
            System.arraycopy(members, at, members, at + 1, n - at);
            System.arraycopy(scores, at, scores, at + 1, n - at);
            members[at] = member;
            scores[at] = score;
            n++;
        }

        void removeAt(int i) {
            System.arraycopy(members, i + 1, members, i, n - i - 1);
            System.arraycopy(scores, i + 1, scores, i, n - i - 1);
            n--;
            members[n] = null;
        }

        void rescore(int i, double score) {
            byte[] m = members[i];
            removeAt(i);
            insert(m, score);
        }

        int maxMemberLength() {
            int max = 0;
            for (int i = 0; i < n; i++) {
                max = Math.max(max, members[i].length);
            }
            return max;
        }

        /** Writes the pack into c.pack (-0 stored as 0, as a listpack stores integers). */
        void encode(CommandContext c) {
            Pack.begin(c.pack);
            for (int i = 0; i < n; i++) {
                Pack.add(c.pack, members[i], 0, members[i].length);
                Pack.addScore(c.pack, scores[i] == 0 ? 0.0 : scores[i]);
            }
            Pack.finish(c.pack, n * 2);
        }

        ZSetValue toLarge() {
            ZSetValue z = new ZSetValue();
            for (int i = 0; i < n; i++) {
                z.add(members[i], scores[i]);
            }
            return z;
        }
    }

    /**
     * A compact sorted set read in place, for the commands that only read: nothing is decoded but
     * the members a reply needs. The cursor is the context's (one command at a time).
     */
    static final class Packed extends View {
        private final Pack.Cursor cur;
        private final int n;

        Packed(Pack.Cursor cur) {
            this.cur = cur;
            this.n = cur.count() / 2;
        }

        @Override
        long size() {
            return n;
        }

        /** Positions the cursor on member {@code i} (its next() reads the member). */
        private void at(long i) {
            cur.rewind();
            for (long k = 0; k < 2 * i; k++) {
                cur.skip();
            }
        }

        @Override
        double score(byte[] b, int off, int len) {
            cur.rewind();
            while (cur.next()) {
                boolean hit = cur.equalsElement(b, off, len);
                cur.next();
                if (hit) {
                    return cur.score();
                }
            }
            return Double.NaN;
        }

        @Override
        long rank(byte[] b, int off, int len) {
            cur.rewind();
            for (int i = 0; cur.next(); i++) {
                boolean hit = cur.equalsElement(b, off, len);
                cur.skip();
                if (hit) {
                    return i;
                }
            }
            return -1;
        }

        @Override
        void walk(long from, boolean reverse, Visitor v) {
            if (from < 0 || from >= n) {
                return;
            }
            if (!reverse) {
                at(from);
                while (cur.next()) {
                    byte[] m = cur.element();
                    cur.next();
                    if (!v.visit(m, cur.score())) {
                        return;
                    }
                }
                return;
            }
            long[] starts = new long[(int) from + 1];
            cur.rewind();
            for (int i = 0; i <= from; i++) {
                starts[i] = cur.position();
                cur.skip();
                cur.skip();
            }
            for (int i = (int) from; i >= 0; i--) {
                cur.seek(starts[i], 2 * i);
                cur.next();
                byte[] m = cur.element();
                cur.next();
                if (!v.visit(m, cur.score())) {
                    return;
                }
            }
        }

        @Override
        long firstIn(ScoreRange r) {
            cur.rewind();
            for (int i = 0; cur.skip(); i++) {
                cur.next();
                double s = cur.score();
                if (r.aboveMin(s)) {
                    return r.belowMax(s) ? i : -1;
                }
            }
            return -1;
        }

        @Override
        long lastIn(ScoreRange r) {
            long last = -1;
            double lastScore = 0;
            cur.rewind();
            for (int i = 0; cur.skip(); i++) {
                cur.next();
                double s = cur.score();
                if (!r.belowMax(s)) {
                    break;
                }
                last = i;
                lastScore = s;
            }
            return last >= 0 && r.aboveMin(lastScore) ? last : -1;
        }

        @Override
        long firstIn(LexRange r) {
            cur.rewind();
            for (int i = 0; cur.next(); i++) {
                byte[] m = cur.element();
                cur.skip();
                if (r.aboveMin(m)) {
                    return r.belowMax(m) ? i : -1;
                }
            }
            return -1;
        }

        @Override
        long lastIn(LexRange r) {
            long last = -1;
            byte[] lastMember = null;
            cur.rewind();
            for (int i = 0; cur.next(); i++) {
                byte[] m = cur.element();
                cur.skip();
                if (!r.belowMax(m)) {
                    break;
                }
                last = i;
                lastMember = m;
            }
            return last >= 0 && r.aboveMin(lastMember) ? last : -1;
        }
    }

    static int compare(double s1, byte[] m1, double s2, byte[] m2) {
        if (s1 < s2) {
            return -1;
        }
        if (s1 > s2) {
            return 1;
        }
        return Bytes.compare(m1, m2);
    }

    /** A large sorted set through its skip list. */
    static final class Large extends View {
        final ZSetValue z;

        Large(ZSetValue z) {
            this.z = z;
        }

        @Override
        long size() {
            return z.list.length();
        }

        @Override
        double score(byte[] b, int off, int len) {
            return z.score(b, off, len);
        }

        @Override
        long rank(byte[] b, int off, int len) {
            BytesMap.Node d = z.dict.get(b, off, len);
            if (d == null) {
                return -1;
            }
            SkipList.Node n = (SkipList.Node) d.value;
            return z.list.rank(n.score, n.member);
        }

        @Override
        void walk(long from, boolean reverse, Visitor v) {
            for (SkipList.Node n = z.list.byRank(from); n != null; n = reverse ? n.previous() : n.next()) {
                if (!v.visit(n.member, n.score)) {
                    return;
                }
            }
        }

        private long rankOf(SkipList.Node n) {
            return n == null ? -1 : z.list.rank(n.score, n.member);
        }

        @Override
        long firstIn(ScoreRange r) {
            return rankOf(z.list.firstInRange(r));
        }

        @Override
        long lastIn(ScoreRange r) {
            return rankOf(z.list.lastInRange(r));
        }

        @Override
        long firstIn(LexRange r) {
            return rankOf(z.list.firstInLex(r));
        }

        @Override
        long lastIn(LexRange r) {
            return rankOf(z.list.lastInLex(r));
        }
    }

    static View view(CommandContext c, long a) {
        return c.db.isObject(a) ? new Large((ZSetValue) c.db.object(a)) : Small.decode(c, a);
    }

    /** A view for commands that only read: a compact set is read in place, not decoded. */
    static View readView(CommandContext c, long a) {
        return c.db.isObject(a) ? new Large((ZSetValue) c.db.object(a)) : new Packed(c.compact(a));
    }

    private static long maxEntries(CommandContext c) {
        return c.engine.settings().zsetMaxListpackEntries.number();
    }

    private static long maxValue(CommandContext c) {
        return c.engine.settings().zsetMaxListpackValue.number();
    }

    /** Stores a changed compact set back (or deletes the key when it emptied). */
    /**
     * ZADD of one member to a compact sorted set that stays compact: the pack is searched in place
     * and rewritten by copying its entries around the change, without decoding it. Returns false,
     * having changed nothing, when the set must become a skip list (the general path does that).
     */
    private static boolean zaddPacked(CommandContext c, long a, int j, double score, boolean nx, boolean xx, boolean gt,
            boolean lt, boolean ch, boolean incr) {
        Request r = c.req;
        byte[] b = r.buf();
        int moff = r.off(j + 1);
        int mlen = r.len(j + 1);
        Pack.Cursor cur = c.compact(a);
        int n = cur.count() / 2;
        long found = -1;
        double current = Double.NaN;
        while (cur.next()) {
            long start = cur.elemOff;
            boolean hit = cur.equalsElement(b, moff, mlen);
            cur.next();
            if (hit) {
                found = start;
                current = cur.score();
                break;
            }
        }
        boolean exists = found >= 0;
        if (exists) {
            if (nx) {
                replyUnchanged(c, incr);
                return true;
            }
            if (incr) {
                score += current;
                if (Double.isNaN(score)) {
                    c.reply.error("ERR resulting score is not a number (NaN)");
                    return true;
                }
            }
            if ((lt && score >= current) || (gt && score <= current)) {
                replyUnchanged(c, incr);
                return true;
            }
            if (score == current) {
                if (incr) {
                    c.reply.doubleValue(score);
                } else {
                    c.reply.integer(0);
                }
                return true;
            }
        } else {
            if (xx) {
                replyUnchanged(c, incr);
                return true;
            }
            if (n + 1 > maxEntries(c) || mlen > maxValue(c)) {
                return false;
            }
        }
        double stored = score == 0 ? 0.0 : score;
        Pack.begin(c.pack);
        boolean inserted = false;
        cur.rewind();
        MemorySegment seg = cur.segment();
        while (true) {
            long pairStart = cur.position();
            if (!cur.next()) {
                break;
            }
            long memberOff = cur.elemOff;
            boolean self = exists && memberOff == found;
            int cmp = self ? 0 : cur.compareElement(b, moff, mlen);
            cur.next();
            if (self) {
                continue;
            }
            double s = cur.score();
            if (!inserted && (s > stored || (s == stored && cmp > 0))) {
                Pack.add(c.pack, b, moff, mlen);
                Pack.addScore(c.pack, stored);
                inserted = true;
            }
            c.pack.write(seg, pairStart, (int) (cur.position() - pairStart));
        }
        if (!inserted) {
            Pack.add(c.pack, b, moff, mlen);
            Pack.addScore(c.pack, stored);
        }
        Pack.finish(c.pack, 2 * (exists ? n : n + 1));
        c.db.beforeChange(b, r.off(1), r.len(1), a);
        c.db.putCompact(b, r.off(1), r.len(1), Entry.TYPE_ZSET, c.pack.array(), 0, c.pack.size(), Keyspace.KEEP_TTL);
        if (incr) {
            c.reply.doubleValue(score);
        } else {
            c.reply.integer(exists ? (ch ? 1 : 0) : 1);
        }
        c.journalVerbatim();
        c.notify(Events.ZSET, incr ? Events.ZINCR : Events.ZADD, 1);
        return true;
    }

    private static void replyUnchanged(CommandContext c, boolean incr) {
        if (incr) {
            c.reply.nullBulk();
        } else {
            c.reply.integer(0);
        }
    }

    private static void storeSmall(CommandContext c, byte[] key, int koff, int klen, Small s, long expireAt) {
        if (s.n == 0) {
            c.db.delete(key, koff, klen);
            return;
        }
        s.encode(c);
        c.db.putCompact(key, koff, klen, Entry.TYPE_ZSET, c.pack.array(), 0, c.pack.size(), expireAt);
    }

    /**
     * Replaces whatever is at the key with a sorted set of these members (sorted, distinct),
     * compact when it fits the listpack limits.
     */
    static void storeSorted(CommandContext c, Keyspace db, byte[] key, int koff, int klen, List<byte[]> members,
            double[] scores) {
        int maxLen = 0;
        for (byte[] m : members) {
            maxLen = Math.max(maxLen, m.length);
        }
        if (members.size() <= maxEntries(c) && maxLen <= maxValue(c)) {
            Small s = new Small(members.size());
            for (int i = 0; i < members.size(); i++) {
                s.members[i] = members.get(i);
                s.scores[i] = scores[i];
            }
            s.n = members.size();
            s.encode(c);
            db.putCompact(key, koff, klen, Entry.TYPE_ZSET, c.pack.array(), 0, c.pack.size(), Keyspace.NO_EXPIRE);
            return;
        }
        ZSetValue z = new ZSetValue();
        for (int i = 0; i < members.size(); i++) {
            z.add(members.get(i), scores[i]);
        }
        db.putObject(key, koff, klen, Entry.TYPE_ZSET, z, Keyspace.NO_EXPIRE);
    }

    // ------------------------------------------------------------------ ZADD ZINCRBY ZREM

    static void zadd(CommandContext c, boolean zincrby) {
        Request r = c.req;
        byte[] b = r.buf();
        boolean nx = false;
        boolean xx = false;
        boolean gt = false;
        boolean lt = false;
        boolean ch = false;
        boolean incr = zincrby;
        int j = 2;
        for (; j < r.argc(); j++) {
            if (r.is(j, "nx")) {
                nx = true;
            } else if (r.is(j, "xx")) {
                xx = true;
            } else if (r.is(j, "gt")) {
                gt = true;
            } else if (r.is(j, "lt")) {
                lt = true;
            } else if (r.is(j, "ch")) {
                ch = true;
            } else if (r.is(j, "incr")) {
                incr = true;
            } else {
                break;
            }
        }
        int elements = r.argc() - j;
        if (elements % 2 != 0 || elements == 0) {
            c.syntaxError();
            return;
        }
        if (nx && xx) {
            c.reply.error("ERR XX and NX options at the same time are not compatible");
            return;
        }
        if ((gt && nx) || (lt && nx) || (gt && lt)) {
            c.reply.error("ERR GT, LT, and/or NX options at the same time are not compatible");
            return;
        }
        int pairs = elements / 2;
        if (incr && pairs > 1) {
            c.reply.error("ERR INCR option supports a single increment-element pair");
            return;
        }
        double[] scores = new double[pairs];
        for (int k = 0; k < pairs; k++) {
            int s = j + 2 * k;
            scores[k] = Numbers.parseDouble(b, r.off(s), r.len(s));
            if (Double.isNaN(scores[k])) {
                c.reply.error(CommandContext.NOT_FLOAT);
                return;
            }
        }
        long a = Values.write(c, 1, Entry.TYPE_ZSET);
        if (a < 0) {
            return;
        }
        int koff = r.off(1);
        int klen = r.len(1);
        if (a == 0) {
            if (xx) {
                if (incr) {
                    c.reply.nullBulk();
                } else {
                    c.reply.integer(0);
                }
                return;
            }
            int first = r.len(j + 1);
            if (maxEntries(c) == 0 || maxValue(c) < first) {
                a = c.db.putObject(b, koff, klen, Entry.TYPE_ZSET, new ZSetValue(), Keyspace.NO_EXPIRE);
            }
        }
        if (pairs == 1 && a != 0 && !c.db.isObject(a)
                && zaddPacked(c, a, j, scores[0], nx, xx, gt, lt, ch, incr)) {
            return;
        }
        int added = 0;
        int updated = 0;
        double result = Double.NaN;
        boolean large = a != 0 && c.db.isObject(a);
        Small small = large ? null : a == 0 ? new Small(pairs) : Small.decode(c, a);
        ZSetValue z = large ? (ZSetValue) c.db.object(a) : null;
        boolean announced = a == 0;
        for (int k = 0; k < pairs; k++) {
            int m = j + 2 * k + 1;
            double score = scores[k];
            double current = large ? z.score(b, r.off(m), r.len(m)) : small.score(b, r.off(m), r.len(m));
            if (!Double.isNaN(current)) {
                if (nx) {
                    continue;
                }
                if (incr) {
                    score += current;
                    if (Double.isNaN(score)) {
                        c.reply.error("ERR resulting score is not a number (NaN)");
                        return; // nothing was changed: INCR takes a single pair
                    }
                }
                if ((lt && score >= current) || (gt && score <= current)) {
                    continue;
                }
                result = score;
                if (score != current) {
                    if (!announced) {
                        c.db.beforeChange(b, koff, klen, a);
                        announced = true;
                    }
                    if (large) {
                        z.add(r.copy(m), score);
                    } else {
                        small.rescore(small.indexOf(b, r.off(m), r.len(m)), score);
                    }
                    updated++;
                }
                continue;
            }
            if (xx) {
                continue;
            }
            if (!announced) {
                c.db.beforeChange(b, koff, klen, a);
                announced = true;
            }
            if (!large && (small.n + 1 > maxEntries(c) || r.len(m) > maxValue(c))) {
                z = small.toLarge();
                large = true;
                a = c.db.putObject(b, koff, klen, Entry.TYPE_ZSET, z, a == 0 ? Keyspace.NO_EXPIRE : Keyspace.KEEP_TTL);
            }
            if (large) {
                z.add(r.copy(m), score);
            } else {
                small.insert(r.copy(m), score);
            }
            added++;
            result = score;
        }
        boolean changed = added + updated > 0;
        if (changed && !large) {
            storeSmall(c, b, koff, klen, small, a == 0 ? Keyspace.NO_EXPIRE : Keyspace.KEEP_TTL);
        }
        if (incr) {
            if (Double.isNaN(result)) {
                c.reply.nullBulk();
            } else {
                c.reply.doubleValue(result);
            }
        } else {
            c.reply.integer(ch ? added + updated : added);
        }
        if (changed) {
            c.journalVerbatim();
            c.notify(Events.ZSET, incr ? Events.ZINCR : Events.ZADD, 1);
        }
    }

    static void zrem(CommandContext c) {
        Request r = c.req;
        byte[] b = r.buf();
        long a = Values.write(c, 1, Entry.TYPE_ZSET);
        if (a <= 0) {
            if (a == 0) {
                c.reply.integer(0);
            }
            return;
        }
        int removed = 0;
        if (c.db.isObject(a)) {
            ZSetValue z = (ZSetValue) c.db.object(a);
            for (int i = 2; i < r.argc() && z.list.length() > 0; i++) {
                if (!Double.isNaN(z.score(b, r.off(i), r.len(i)))) {
                    if (removed == 0) {
                        c.db.beforeChange(b, r.off(1), r.len(1), a);
                    }
                    z.remove(b, r.off(i), r.len(i));
                    removed++;
                }
            }
            if (z.list.length() == 0) {
                c.db.delete(b, r.off(1), r.len(1));
            }
        } else {
            Small s = Small.decode(c, a);
            for (int i = 2; i < r.argc() && s.n > 0; i++) {
                int at = s.indexOf(b, r.off(i), r.len(i));
                if (at >= 0) {
                    s.removeAt(at);
                    removed++;
                }
            }
            if (removed > 0) {
                storeSmall(c, b, r.off(1), r.len(1), s, Keyspace.KEEP_TTL);
            }
        }
        c.reply.integer(removed);
        if (removed > 0) {
            c.journalVerbatim();
            c.notifyRemoval(Events.ZSET, Events.ZREM, 1);
        }
    }

    // ------------------------------------------------------------------ point reads

    static void zcard(CommandContext c) {
        long a = Values.read(c, 1, Entry.TYPE_ZSET);
        if (a >= 0) {
            c.reply.integer(a == 0 ? 0 : card(c, a));
        }
    }

    static long card(CommandContext c, long a) {
        return c.db.isObject(a) ? ((ZSetValue) c.db.object(a)).list.length() : c.compact(a).count() / 2;
    }

    /** A member's score without decoding the whole compact set. */
    static double score(CommandContext c, long a, byte[] b, int off, int len) {
        if (c.db.isObject(a)) {
            return ((ZSetValue) c.db.object(a)).score(b, off, len);
        }
        Pack.Cursor cur = c.compact(a);
        while (cur.next()) {
            boolean match = cur.equalsElement(b, off, len);
            cur.next();
            if (match) {
                return cur.score();
            }
        }
        return Double.NaN;
    }

    static void zscore(CommandContext c) {
        Request r = c.req;
        long a = Values.read(c, 1, Entry.TYPE_ZSET);
        if (a < 0) {
            return;
        }
        double s = a == 0 ? Double.NaN : score(c, a, r.buf(), r.off(2), r.len(2));
        if (Double.isNaN(s)) {
            c.reply.nullBulk();
        } else {
            c.reply.doubleValue(s);
        }
    }

    static void zmscore(CommandContext c) {
        Request r = c.req;
        long a = Values.read(c, 1, Entry.TYPE_ZSET);
        if (a < 0) {
            return;
        }
        c.reply.array(r.argc() - 2);
        for (int i = 2; i < r.argc(); i++) {
            double s = a == 0 ? Double.NaN : score(c, a, r.buf(), r.off(i), r.len(i));
            if (Double.isNaN(s)) {
                c.reply.nullBulk();
            } else {
                c.reply.doubleValue(s);
            }
        }
    }

    static void zrank(CommandContext c, boolean reverse) {
        Request r = c.req;
        long a = Values.read(c, 1, Entry.TYPE_ZSET);
        if (a < 0) {
            return;
        }
        if (a == 0) {
            c.reply.nullBulk();
            return;
        }
        View v = readView(c, a);
        long rank = v.rank(r.buf(), r.off(2), r.len(2));
        if (rank < 0) {
            c.reply.nullBulk();
        } else {
            c.reply.integer(reverse ? v.size() - 1 - rank : rank);
        }
    }

    static void zcount(CommandContext c, boolean lex) {
        Request r = c.req;
        byte[] b = r.buf();
        ScoreRange sr = null;
        LexRange lr = null;
        if (lex) {
            lr = LexRange.parse(b, r.off(2), r.len(2), r.off(3), r.len(3));
            if (lr == null) {
                c.reply.error(NOT_LEX_RANGE);
                return;
            }
        } else {
            sr = ScoreRange.parse(b, r.off(2), r.len(2), r.off(3), r.len(3));
            if (sr == null) {
                c.reply.error(NOT_FLOAT_RANGE);
                return;
            }
        }
        long a = Values.read(c, 1, Entry.TYPE_ZSET);
        if (a < 0) {
            return;
        }
        if (a == 0) {
            c.reply.integer(0);
            return;
        }
        View v = readView(c, a);
        long lo = lex ? v.firstIn(lr) : v.firstIn(sr);
        long hi = lex ? v.lastIn(lr) : v.lastIn(sr);
        c.reply.integer(lo < 0 || hi < 0 || hi < lo ? 0 : hi - lo + 1);
    }

    // ------------------------------------------------------------------ ZRANGE and friends

    /** A parsed range request: what to select (ranks [lo, hi] once resolved), in which order. */
    static final class Range {
        int type;
        int direction;
        boolean withScores;
        long offset;
        long limit = -1;
        boolean limited;
        long start;
        long end;
        ScoreRange scores;
        LexRange lex;

        /** Parses ZRANGE's grammar from the arguments; returns the error reply or null. */
        String parse(Request r, int minArg, boolean store) {
            for (int j = minArg + 2; j < r.argc(); j++) {
                int left = r.argc() - j - 1;
                if (!store && r.is(j, "withscores")) {
                    withScores = true;
                } else if (r.is(j, "limit") && left >= 2) {
                    if (!r.parseLong(j + 1)) {
                        return CommandContext.NOT_INTEGER;
                    }
                    offset = r.longValue();
                    if (!r.parseLong(j + 2)) {
                        return CommandContext.NOT_INTEGER;
                    }
                    limit = r.longValue();
                    limited = true;
                    j += 2;
                } else if (direction == AUTO && r.is(j, "rev")) {
                    direction = REVERSE;
                } else if (type == AUTO && r.is(j, "bylex")) {
                    type = LEX;
                } else if (type == AUTO && r.is(j, "byscore")) {
                    type = SCORE;
                } else {
                    return CommandContext.SYNTAX;
                }
            }
            if (direction == AUTO) {
                direction = FORWARD;
            }
            if (type == AUTO) {
                type = RANK;
            }
            if (limited && type == RANK) {
                return "ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX";
            }
            if (withScores && type == LEX) {
                return "ERR syntax error, WITHSCORES not supported in combination with BYLEX";
            }
            int minA = minArg;
            int maxA = minArg + 1;
            if (direction == REVERSE && type != RANK) {
                minA = minArg + 1;
                maxA = minArg;
            }
            byte[] b = r.buf();
            switch (type) {
                case RANK -> {
                    if (!r.parseLong(minArg)) {
                        return CommandContext.NOT_INTEGER;
                    }
                    start = r.longValue();
                    if (!r.parseLong(minArg + 1)) {
                        return CommandContext.NOT_INTEGER;
                    }
                    end = r.longValue();
                }
                case SCORE -> {
                    scores = ScoreRange.parse(b, r.off(minA), r.len(minA), r.off(maxA), r.len(maxA));
                    if (scores == null) {
                        return NOT_FLOAT_RANGE;
                    }
                }
                default -> {
                    lex = LexRange.parse(b, r.off(minA), r.len(minA), r.off(maxA), r.len(maxA));
                    if (lex == null) {
                        return NOT_LEX_RANGE;
                    }
                }
            }
            return null;
        }

        /** Visits the selected members in reply order. */
        void select(View v, Visitor out) {
            boolean reverse = direction == REVERSE;
            long size = v.size();
            if (type == RANK) {
                long s = start;
                long e = end;
                long[] span = ListCommands.range(s, e, size);
                if (span == null) {
                    return;
                }
                long n = span[1] - span[0] + 1;
                long from = reverse ? size - 1 - span[0] : span[0];
                long[] left = {n};
                v.walk(from, reverse, (m, sc) -> {
                    out.visit(m, sc);
                    return --left[0] > 0;
                });
                return;
            }
            if (offset < 0 || limit == 0) {
                return;
            }
            long lo = type == SCORE ? v.firstIn(scores) : v.firstIn(lex);
            long hi = type == SCORE ? v.lastIn(scores) : v.lastIn(lex);
            if (lo < 0 || hi < 0 || hi < lo) {
                return;
            }
            long n = hi - lo + 1 - offset;
            if (n <= 0) {
                return;
            }
            if (limit > 0) {
                n = Math.min(n, limit);
            }
            long from = reverse ? hi - offset : lo + offset;
            long[] left = {n};
            v.walk(from, reverse, (m, sc) -> {
                out.visit(m, sc);
                return --left[0] > 0;
            });
        }
    }

    /** Replies with members and, with scores, RESP2 flat pairs or RESP3 nested pairs. */
    static void replyMembers(Reply reply, List<byte[]> members, double[] scores, boolean withScores) {
        boolean nested = withScores && reply.resp3();
        reply.array(withScores && !nested ? members.size() * 2L : members.size());
        for (int i = 0; i < members.size(); i++) {
            if (nested) {
                reply.array(2);
            }
            reply.bulk(members.get(i));
            if (withScores) {
                reply.doubleValue(scores[i]);
            }
        }
    }

    static void zrange(CommandContext c, int type, int direction, boolean store) {
        Request r = c.req;
        int src = store ? 2 : 1;
        Range range = new Range();
        range.type = type;
        range.direction = direction;
        String error = range.parse(r, src + 1, store);
        if (error != null) {
            c.reply.error(error);
            return;
        }
        long a = Values.read(c, src, Entry.TYPE_ZSET);
        if (a < 0) {
            return;
        }
        List<byte[]> members = new ArrayList<>();
        double[][] scores = {new double[16]};
        if (a != 0) {
            range.select(readView(c, a), (m, s) -> {
                if (members.size() == scores[0].length) {
                    scores[0] = Arrays.copyOf(scores[0], scores[0].length * 2);
                }
                scores[0][members.size()] = s;
                members.add(m);
                return true;
            });
        }
        if (!store) {
            replyMembers(c.reply, members, scores[0], range.withScores);
            return;
        }
        storeRange(c, c.db, members, scores[0], range.direction == REVERSE, true, Events.ZRANGESTORE);
        c.reply.integer(members.size());
    }

    /** ZRANGESTORE's write: the selection (in reply order) becomes the destination's content. */
    static void storeRange(CommandContext c, Keyspace db, List<byte[]> members, double[] scores, boolean reversed,
            boolean local, byte[] event) {
        Request r = c.req;
        byte[] b = r.buf();
        if (members.isEmpty()) {
            if (db.lookupWrite(b, r.off(1), r.len(1)) != 0) {
                db.delete(b, r.off(1), r.len(1));
                journalStore(c, db, local);
                c.notify(db, Events.GENERIC, Events.DEL, 1);
            }
            return;
        }
        List<byte[]> sorted = new ArrayList<>(members.size());
        double[] sortedScores = new double[members.size()];
        for (int i = 0; i < members.size(); i++) {
            int k = reversed ? members.size() - 1 - i : i;
            sorted.add(members.get(k).clone());
            sortedScores[i] = scores[k];
        }
        storeSorted(c, db, b, r.off(1), r.len(1), sorted, sortedScores);
        journalStore(c, db, local);
        c.notify(db, Events.ZSET, event, 1);
    }

    private static void journalStore(CommandContext c, Keyspace db, boolean local) {
        if (local) {
            c.journalVerbatim();
        } else {
            Request r = c.req;
            Rebuild.journal(c, db, r.buf(), r.off(1), r.len(1));
        }
    }

    /** ZRANGESTORE through {@link Combine}: the source is read (a copy), the range selected, the result stored. */
    static final class RangeStore extends Combine {
        private final Range range = new Range();
        private final List<byte[]> members = new ArrayList<>();
        private double[] scores = new double[16];

        @Override
        String parse(Request r) {
            sources = new int[] {2};
            dest = 1;
            return range.parse(r, 3, true);
        }

        @Override
        boolean accepts(int type) {
            return type == Entry.TYPE_ZSET;
        }

        @Override
        void compute(Members[] in) {
            // a detached source: put it in order as a small view, then select
            List<Object[]> rows = new ArrayList<>();
            in[0].forEach((b, off, len, score) -> {
                rows.add(new Object[] {Arrays.copyOfRange(b, off, off + len), score});
                return true;
            });
            rows.sort((x, y) -> compare((Double) x[1], (byte[]) x[0], (Double) y[1], (byte[]) y[0]));
            Small s = new Small(rows.size());
            for (Object[] row : rows) {
                s.members[s.n] = (byte[]) row[0];
                s.scores[s.n++] = (Double) row[1];
            }
            range.select(s, (m, sc) -> {
                if (members.size() == scores.length) {
                    scores = Arrays.copyOf(scores, scores.length * 2);
                }
                scores[members.size()] = sc;
                members.add(m);
                return true;
            });
        }

        @Override
        void store(CommandContext c, boolean local) {
            storeRange(c, c.db, members, scores, range.direction == REVERSE, local, Events.ZRANGESTORE);
        }

        @Override
        void reply(Reply reply) {
            reply.integer(members.size());
        }
    }

    static void zremrange(CommandContext c, int type) {
        Request r = c.req;
        byte[] b = r.buf();
        Range range = new Range();
        range.type = type;
        range.direction = FORWARD;
        String error = range.parse(r, 2, true);
        if (error != null) {
            c.reply.error(error);
            return;
        }
        long a = Values.write(c, 1, Entry.TYPE_ZSET);
        if (a <= 0) {
            if (a == 0) {
                c.reply.integer(0);
            }
            return;
        }
        View v = view(c, a);
        List<byte[]> doomed = new ArrayList<>();
        range.select(v, (m, s) -> doomed.add(m));
        if (doomed.isEmpty()) {
            c.reply.integer(0);
            return;
        }
        if (v instanceof Large large) {
            c.db.beforeChange(b, r.off(1), r.len(1), a);
            for (byte[] m : doomed) {
                large.z.remove(m, 0, m.length);
            }
            if (large.z.list.length() == 0) {
                c.db.delete(b, r.off(1), r.len(1));
            }
        } else {
            Small s = (Small) v;
            for (byte[] m : doomed) {
                s.removeAt(s.indexOf(m, 0, m.length));
            }
            storeSmall(c, b, r.off(1), r.len(1), s, Keyspace.KEEP_TTL);
        }
        c.reply.integer(doomed.size());
        c.journalVerbatim();
        c.notifyRemoval(Events.ZSET, type == RANK ? Events.ZREMRANGEBYRANK
                : type == SCORE ? Events.ZREMRANGEBYSCORE : Events.ZREMRANGEBYLEX, 1);
    }

    // ------------------------------------------------------------------ pops

    /** Pops up to {@code count} members from one end; returns them with their scores. */
    static List<Object[]> popMembers(CommandContext c, int keyArg, long a, boolean min, long count) {
        Request r = c.req;
        byte[] b = r.buf();
        List<Object[]> out = new ArrayList<>();
        if (c.db.isObject(a)) {
            ZSetValue z = (ZSetValue) c.db.object(a);
            c.db.beforeChange(b, r.off(keyArg), r.len(keyArg), a);
            while (out.size() < count && z.list.length() > 0) {
                SkipList.Node n = min ? z.list.first() : z.list.last();
                out.add(new Object[] {n.member, n.score});
                z.remove(n.member, 0, n.member.length);
            }
            if (z.list.length() == 0) {
                c.db.delete(b, r.off(keyArg), r.len(keyArg));
            }
        } else {
            Small s = Small.decode(c, a);
            while (out.size() < count && s.n > 0) {
                int i = min ? 0 : s.n - 1;
                out.add(new Object[] {s.members[i], s.scores[i]});
                s.removeAt(i);
            }
            storeSmall(c, b, r.off(keyArg), r.len(keyArg), s, Keyspace.KEEP_TTL);
        }
        if (!out.isEmpty()) {
            c.notifyRemoval(Events.ZSET, min ? Events.ZPOPMIN : Events.ZPOPMAX, keyArg);
        }
        return out;
    }

    static void zpop(CommandContext c, boolean min) {
        Request r = c.req;
        if (r.argc() > 3) {
            c.syntaxError();
            return;
        }
        long count = 1;
        boolean counted = r.argc() == 3;
        if (counted) {
            if (!c.rangeLong(2, 0, Long.MAX_VALUE, "value is out of range, must be positive")) {
                return;
            }
            count = c.number.value;
        }
        long a = Values.write(c, 1, Entry.TYPE_ZSET);
        if (a < 0) {
            return;
        }
        if (a == 0 || count == 0) {
            c.reply.array(0);
            return;
        }
        List<Object[]> popped = popMembers(c, 1, a, min, count);
        boolean nested = counted && c.reply.resp3();
        c.reply.array(nested ? popped.size() : popped.size() * 2L);
        for (Object[] p : popped) {
            if (nested) {
                c.reply.array(2);
            }
            c.reply.bulk((byte[]) p[0]);
            c.reply.doubleValue((Double) p[1]);
        }
        c.journalVerbatim();
    }

    /** BZPOPMIN and BZPOPMAX. */
    static final class Bzpop extends BlockingPop {
        private final boolean min;

        Bzpop(boolean min) {
            this.min = min;
        }

        @Override
        String parse(Request r) {
            return parseKeysThenTimeout(r);
        }

        @Override
        public int type() {
            return Entry.TYPE_ZSET;
        }

        @Override
        public void serve(CommandContext c, int keyArg, boolean served) {
            Request r = c.req;
            long a = c.db.lookupWrite(r.buf(), r.off(keyArg), r.len(keyArg));
            Object[] p = popMembers(c, keyArg, a, min, 1).get(0);
            c.reply.array(3);
            c.reply.bulk(r.buf(), r.off(keyArg), r.len(keyArg));
            c.reply.bulk((byte[]) p[0]);
            c.reply.doubleValue((Double) p[1]);
            Journal j = c.journalIfEnabled();
            if (j != null) {
                j.begin(c.db.id(), 2).arg(min ? ZPOPMIN : ZPOPMAX).arg(r.buf(), r.off(keyArg), r.len(keyArg)).end();
            }
        }

        @Override
        public void nothing(Reply reply, boolean timedOut) {
            reply.nullArray();
        }
    }

    /** ZMPOP and BZMPOP. */
    static final class Zmpop extends BlockingPop {
        private final boolean blocking;
        boolean min;
        long count = 1;

        Zmpop(boolean blocking) {
            this.blocking = blocking;
        }

        @Override
        String parse(Request r) {
            String error = ListCommands.parseMpop(r, blocking ? 2 : 1, this, true);
            if (error != null) {
                return error;
            }
            return blocking ? parseTimeout(r, 1) : null;
        }

        @Override
        public int type() {
            return Entry.TYPE_ZSET;
        }

        @Override
        public void serve(CommandContext c, int keyArg, boolean served) {
            Request r = c.req;
            long a = c.db.lookupWrite(r.buf(), r.off(keyArg), r.len(keyArg));
            List<Object[]> popped = popMembers(c, keyArg, a, min, count);
            c.reply.array(2);
            c.reply.bulk(r.buf(), r.off(keyArg), r.len(keyArg));
            c.reply.array(popped.size());
            for (Object[] p : popped) {
                c.reply.array(2);
                c.reply.bulk((byte[]) p[0]);
                c.reply.doubleValue((Double) p[1]);
            }
            Journal j = c.journalIfEnabled();
            if (j != null) {
                j.begin(c.db.id(), 3).arg(min ? ZPOPMIN : ZPOPMAX).arg(r.buf(), r.off(keyArg), r.len(keyArg))
                        .arg(popped.size()).end();
            }
        }

        @Override
        public void nothing(Reply reply, boolean timedOut) {
            reply.nullArray();
        }
    }

    // ------------------------------------------------------------------ ZRANDMEMBER ZSCAN

    static void zrandmember(CommandContext c) {
        Request r = c.req;
        RandomPick.Args args = RandomPick.parse(c, "withscores");
        if (args == null) {
            return;
        }
        boolean hasCount = args.hasCount();
        long count = args.count();
        boolean withScores = args.with();
        long a = Values.read(c, 1, Entry.TYPE_ZSET);
        if (a < 0) {
            return;
        }
        if (!hasCount) {
            if (a == 0) {
                c.reply.nullBulk();
                return;
            }
            View v = readView(c, a);
            long pick = ThreadLocalRandom.current().nextLong(v.size());
            v.walk(pick, false, (m, s) -> {
                c.reply.bulk(m);
                return false;
            });
            return;
        }
        if (a == 0 || count == 0) {
            c.reply.array(0);
            return;
        }
        View v = readView(c, a);
        List<Object[]> all = new ArrayList<>();
        v.walk(0, false, (m, s) -> all.add(new Object[] {m, s}));
        boolean nested = withScores && c.reply.resp3();
        long n = RandomPick.replyLength(count, all.size());
        c.reply.array(withScores && !nested ? n * 2 : n);
        boolean scores = withScores;
        RandomPick.pick(count, all.size(), null, () -> all, p -> {
            if (nested) {
                c.reply.array(2);
            }
            c.reply.bulk((byte[]) p[0]);
            if (scores) {
                c.reply.doubleValue((Double) p[1]);
            }
        });
    }

    static void zscan(CommandContext c) {
        long a = Values.read(c, 1, Entry.TYPE_ZSET);
        if (a < 0) {
            return;
        }
        if (a == 0) {
            CollectionScan.empty(c, 2);
            return;
        }
        if (c.db.isObject(a)) {
            CollectionScan.scan(c, 2, ((ZSetValue) c.db.object(a)).dict,
                    v -> Numbers.formatDouble(((SkipList.Node) v).score).getBytes(java.nio.charset.StandardCharsets.US_ASCII),
                    null);
            return;
        }
        Small s = Small.decode(c, a);
        List<byte[][]> all = new ArrayList<>();
        for (int i = 0; i < s.n; i++) {
            double d = s.scores[i];
            String text = d == Math.rint(d) && Math.abs(d) < 0x1p62 ? Long.toString((long) d) : Numbers.formatDouble(d);
            all.add(new byte[][] {s.members[i], text.getBytes(java.nio.charset.StandardCharsets.US_ASCII)});
        }
        CollectionScan.scan(c, 2, null, null, all);
    }

    // ------------------------------------------------------------------ ZUNION ZINTER ZDIFF ZINTERCARD and STORE forms

    static final int UNION = 0;
    static final int INTER = 1;
    static final int DIFF = 2;
    static final int CARD = 3;

    static final class Algebra extends Combine {
        private final int kind;
        private final boolean store;
        private final String name;
        private double[] weights;
        private int aggregate; // 0 sum, 1 min, 2 max
        private boolean withScores;
        private long limit;
        private List<byte[]> members;
        private double[] scores;

        Algebra(int kind, boolean store, String name) {
            this.kind = kind;
            this.store = store;
            this.name = name;
        }

        private int numkeysArg() {
            return store ? 2 : 1;
        }

        @Override
        String parse(Request r) {
            int at = numkeysArg();
            if (!r.parseLong(at)) {
                return CommandContext.NOT_INTEGER;
            }
            long n = r.longValue();
            if (n < 1) {
                return "ERR at least 1 input key is needed for '" + name + "' command";
            }
            if (n > r.argc() - at - 1) {
                return CommandContext.SYNTAX;
            }
            sources = new int[(int) n];
            for (int i = 0; i < n; i++) {
                sources[i] = at + 1 + i;
            }
            dest = store ? 1 : -1;
            return null;
        }

        @Override
        String parseOptions(Request r) {
            int n = sources.length;
            weights = new double[n];
            Arrays.fill(weights, 1);
            for (int j = numkeysArg() + 1 + n; j < r.argc(); j++) {
                int remaining = r.argc() - j;
                if (kind != DIFF && kind != CARD && remaining >= n + 1 && r.is(j, "weights")) {
                    for (int k = 0; k < n; k++) {
                        int w = j + 1 + k;
                        weights[k] = Numbers.parseDouble(r.buf(), r.off(w), r.len(w));
                        if (Double.isNaN(weights[k])) {
                            return "ERR weight value is not a float";
                        }
                    }
                    j += n;
                } else if (kind != DIFF && kind != CARD && remaining >= 2 && r.is(j, "aggregate")) {
                    if (r.is(j + 1, "sum")) {
                        aggregate = 0;
                    } else if (r.is(j + 1, "min")) {
                        aggregate = 1;
                    } else if (r.is(j + 1, "max")) {
                        aggregate = 2;
                    } else {
                        return CommandContext.SYNTAX;
                    }
                    j++;
                } else if (!store && kind != CARD && r.is(j, "withscores")) {
                    withScores = true;
                } else if (kind == CARD && remaining >= 2 && r.is(j, "limit")) {
                    if (!r.parseLong(j + 1) || r.longValue() < 0) {
                        return "ERR LIMIT can't be negative";
                    }
                    limit = r.longValue();
                    j++;
                } else {
                    return CommandContext.SYNTAX;
                }
            }
            return null;
        }

        @Override
        boolean accepts(int type) {
            return type == Entry.TYPE_ZSET || type == Entry.TYPE_SET;
        }

        private double combine(double target, double value) {
            switch (aggregate) {
                case 0 -> {
                    double sum = target + value;
                    return Double.isNaN(sum) ? 0 : sum;
                }
                case 1 -> {
                    return Math.min(target, value);
                }
                default -> {
                    return Math.max(target, value);
                }
            }
        }

        private static double weighted(double score, double weight) {
            double v = score * weight;
            return Double.isNaN(v) ? 0 : v;
        }

        @Override
        void compute(Members[] in) {
            BytesMap acc = new BytesMap();
            List<byte[]> order = new ArrayList<>();
            switch (kind) {
                case UNION -> {
                    for (int i = 0; i < in.length; i++) {
                        double w = weights[i];
                        in[i].forEach((b, off, len, score) -> {
                            double v = weighted(score, w);
                            BytesMap.Node n = acc.get(b, off, len);
                            if (n == null) {
                                byte[] m = Arrays.copyOfRange(b, off, off + len);
                                acc.putIfAbsent(m, v);
                                order.add(m);
                            } else {
                                n.value = combine((Double) n.value, v);
                            }
                            return true;
                        });
                    }
                }
                case INTER, CARD -> {
                    int smallest = 0;
                    for (int i = 1; i < in.length; i++) {
                        if (in[i].size() < in[smallest].size()) {
                            smallest = i;
                        }
                    }
                    int pivot = smallest;
                    in[pivot].forEach((b, off, len, score) -> {
                        double v = weighted(score, weights[pivot]);
                        for (int i = 0; i < in.length; i++) {
                            if (i == pivot) {
                                continue;
                            }
                            double other = in[i].score(b, off, len);
                            if (Double.isNaN(other)) {
                                return true;
                            }
                            v = combine(v, weighted(other, weights[i]));
                        }
                        byte[] m = Arrays.copyOfRange(b, off, off + len);
                        acc.putIfAbsent(m, v);
                        order.add(m);
                        return kind != CARD || limit == 0 || order.size() < limit;
                    });
                }
                default -> in[0].forEach((b, off, len, score) -> {
                    for (int i = 1; i < in.length; i++) {
                        if (in[i].contains(b, off, len)) {
                            return true;
                        }
                    }
                    byte[] m = Arrays.copyOfRange(b, off, off + len);
                    acc.putIfAbsent(m, score);
                    order.add(m);
                    return true;
                });
            }
            // sort by (score, member)
            Object[][] rows = new Object[order.size()][];
            for (int i = 0; i < rows.length; i++) {
                byte[] m = order.get(i);
                rows[i] = new Object[] {m, acc.get(m).value};
            }
            Arrays.sort(rows, (x, y) -> compare((Double) x[1], (byte[]) x[0], (Double) y[1], (byte[]) y[0]));
            members = new ArrayList<>(rows.length);
            scores = new double[rows.length];
            for (int i = 0; i < rows.length; i++) {
                members.add((byte[]) rows[i][0]);
                scores[i] = (Double) rows[i][1];
            }
        }

        @Override
        void store(CommandContext c, boolean local) {
            storeRange(c, c.db, members, scores, false, local, kind == UNION ? Events.ZUNIONSTORE
                    : kind == INTER ? Events.ZINTERSTORE : Events.ZDIFFSTORE);
        }

        @Override
        void reply(Reply reply) {
            if (store) {
                reply.integer(members.size());
            } else if (kind == CARD) {
                reply.integer(members.size());
            } else {
                replyMembers(reply, members, scores, withScores);
            }
        }
    }
}
