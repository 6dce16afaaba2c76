package io.damselfly.engine.command;

import io.damselfly.engine.exec.Tx;
import io.damselfly.engine.exec.TxPart;
import io.damselfly.engine.journal.Journal;
import io.damselfly.engine.keyspace.Entry;
import io.damselfly.engine.resp.ByteOutput;
import io.damselfly.engine.resp.Numbers;
import io.damselfly.engine.resp.Reply;
import io.damselfly.engine.shard.Keyspace;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;

import static io.damselfly.engine.command.CommandSpec.DENYOOM;
import static io.damselfly.engine.command.CommandSpec.FAST;
import static io.damselfly.engine.command.CommandSpec.READONLY;
import static io.damselfly.engine.command.CommandSpec.WRITE;
import static io.damselfly.engine.command.CommandSpec.command;

/** The string commands, with Redis 7.0's semantics, replies and replicated forms. */
public final class StringCommands {
    private static final byte[] SET = Reply.ascii("SET");
    private static final byte[] PXAT = Reply.ascii("PXAT");
    private static final byte[] DEL = Reply.ascii("DEL");
    private static final byte[] UNLINK = Reply.ascii("UNLINK");
    private static final byte[] KEEPTTL = Reply.ascii("KEEPTTL");
    private static final byte[] MSET = Reply.ascii("MSET");
    private static final byte[] MSETNX = Reply.ascii("MSETNX");
    private static final byte[] PEXPIREAT = Reply.ascii("PEXPIREAT");
    private static final byte[] PERSIST = Reply.ascii("PERSIST");
    private static final byte[] EMPTY = new byte[0];
    /** Largest finite x87 long double, the precision Redis computes INCRBYFLOAT in. */
    static final BigDecimal LONG_DOUBLE_MAX = new BigDecimal("1.18973149535723176502e+4932");

    private StringCommands() {
    }

    public static void register(CommandTable t) {
        t.add(command("get", 2).flags(READONLY | FAST).keys(1, 1, 1).group("string").since("1.0.0")
                .acl("@read", "@string", "@fast").summary("Returns the string stored at a key.")
                .handler(StringCommands::get).build());
        t.add(command("set", -3).flags(WRITE | DENYOOM).keys(1, 1, 1).group("string").since("1.0.0")
                .acl("@write", "@string", "@slow")
                .summary("Stores a string at a key, with optional conditions and expiry, and can return the old value.")
                .handler(StringCommands::set).build());
        t.add(command("setnx", 3).flags(WRITE | DENYOOM | FAST).keys(1, 1, 1).group("string").since("1.0.0")
                .acl("@write", "@string", "@fast").summary("Stores a string only when the key does not exist yet.")
                .handler(StringCommands::setnx).build());
        t.add(command("setex", 4).flags(WRITE | DENYOOM).keys(1, 1, 1).group("string").since("2.0.0")
                .acl("@write", "@string", "@slow").summary("Stores a string with a time to live in seconds.")
                .handler(c -> setex(c, 1000)).build());
        t.add(command("psetex", 4).flags(WRITE | DENYOOM).keys(1, 1, 1).group("string").since("2.6.0")
                .acl("@write", "@string", "@slow").summary("Stores a string with a time to live in milliseconds.")
                .handler(c -> setex(c, 1)).build());
        t.add(command("getset", 3).flags(WRITE | DENYOOM | FAST).keys(1, 1, 1).group("string").since("1.0.0")
                .acl("@write", "@string", "@fast").summary("Stores a string and returns the previous one.")
                .handler(StringCommands::getset).build());
        t.add(command("getdel", 2).flags(WRITE | FAST).keys(1, 1, 1).group("string").since("6.2.0")
                .acl("@write", "@string", "@fast").summary("Returns a string and deletes its key.")
                .handler(StringCommands::getdel).build());
        t.add(command("getex", -2).flags(WRITE | FAST).keys(1, 1, 1).group("string").since("6.2.0")
                .acl("@write", "@string", "@fast").summary("Returns a string and changes or removes its expiry.")
                .handler(StringCommands::getex).build());
        t.add(command("mget", -2).flags(READONLY | FAST).keys(1, -1, 1).group("string").since("1.0.0")
                .acl("@read", "@string", "@fast").summary("Returns the strings stored at several keys.")
                .complexity("O(N) where N is the number of keys to retrieve.")
                .handler(StringCommands::mget).multi(new MgetOp()).build());
        t.add(command("mset", -3).flags(WRITE | DENYOOM).keyFinder(StringCommands::pairKeys).group("string")
                .since("1.0.1").acl("@write", "@string", "@slow")
                .summary("Stores several strings at once, atomically.")
                .complexity("O(N) where N is the number of keys to set.")
                .handler(StringCommands::mset).multi(new MsetOp(false)).build());
        t.add(command("msetnx", -3).flags(WRITE | DENYOOM).keyFinder(StringCommands::pairKeys).group("string")
                .since("1.0.1").acl("@write", "@string", "@slow")
                .summary("Stores several strings at once only when none of the keys exists.")
                .complexity("O(N) where N is the number of keys to set.")
                .handler(StringCommands::msetnx).multi(new MsetOp(true)).build());
        t.add(command("append", 3).flags(WRITE | DENYOOM | FAST).keys(1, 1, 1).group("string").since("2.0.0")
                .acl("@write", "@string", "@fast").summary("Appends bytes to a string, creating it if needed.")
                .handler(StringCommands::append).build());
        t.add(command("strlen", 2).flags(READONLY | FAST).keys(1, 1, 1).group("string").since("2.2.0")
                .acl("@read", "@string", "@fast").summary("Returns the length of a string.")
                .handler(StringCommands::strlen).build());
        t.add(command("incr", 2).flags(WRITE | DENYOOM | FAST).keys(1, 1, 1).group("string").since("1.0.0")
                .acl("@write", "@string", "@fast").summary("Adds one to the integer stored at a key.")
                .handler(c -> incrBy(c, 1)).build());
        t.add(command("decr", 2).flags(WRITE | DENYOOM | FAST).keys(1, 1, 1).group("string").since("1.0.0")
                .acl("@write", "@string", "@fast").summary("Subtracts one from the integer stored at a key.")
                .handler(c -> incrBy(c, -1)).build());
        t.add(command("incrby", 3).flags(WRITE | DENYOOM | FAST).keys(1, 1, 1).group("string").since("1.0.0")
                .acl("@write", "@string", "@fast").summary("Adds an amount to the integer stored at a key.")
                .handler(StringCommands::incrby).build());
        t.add(command("decrby", 3).flags(WRITE | DENYOOM | FAST).keys(1, 1, 1).group("string").since("1.0.0")
                .acl("@write", "@string", "@fast").summary("Subtracts an amount from the integer stored at a key.")
                .handler(StringCommands::decrby).build());
        t.add(command("incrbyfloat", 3).flags(WRITE | DENYOOM | FAST).keys(1, 1, 1).group("string")
                .since("2.6.0").acl("@write", "@string", "@fast")
                .summary("Adds a decimal amount to the number stored at a key.")
                .handler(StringCommands::incrbyfloat).build());
        t.add(command("getrange", 4).flags(READONLY).keys(1, 1, 1).group("string").since("2.4.0")
                .acl("@read", "@string", "@slow").summary("Returns a substring of a string, by byte offsets.")
                .complexity("O(N) where N is the length of the returned string.")
                .handler(StringCommands::getrange).build());
        t.add(command("substr", 4).flags(READONLY).keys(1, 1, 1).group("string").since("1.0.0")
                .acl("@read", "@string", "@slow").summary("Returns a substring of a string (old name of GETRANGE).")
                .complexity("O(N) where N is the length of the returned string.")
                .handler(StringCommands::getrange).build());
        t.add(command("setrange", 4).flags(WRITE | DENYOOM).keys(1, 1, 1).group("string").since("2.2.0")
                .acl("@write", "@string", "@slow").summary("Overwrites part of a string from an offset, growing it as needed.")
                .handler(StringCommands::setrange).build());
        t.add(command("lcs", -3).flags(READONLY).keys(1, 2, 1).group("string").since("7.0.0")
                .acl("@read", "@string", "@slow").summary("Finds the longest common subsequence of two strings.")
                .complexity("O(N*M) where N and M are the lengths of s1 and s2, respectively")
                .handler(StringCommands::lcs).multi(new LcsOp()).build());
    }

    /** Keys of MSET/MSETNX: every other argument; an even argc is an arity error (-1: run at home). */
    static int pairKeys(Request r, int[] out) {
        if (r.argc() % 2 == 0) {
            return -1;
        }
        int n = 0;
        for (int i = 1; i < r.argc(); i += 2) {
            out[n++] = i;
        }
        return n;
    }

    // ------------------------------------------------------------------ GET / SET family

    static void get(CommandContext c) {
        long a = Values.readString(c, 1);
        if (a == 0) {
            c.reply.nullBulk();
        } else if (a > 0) {
            Values.replyValue(c, a);
        }
    }

    private static final int NX = 1;
    private static final int XX = 2;
    private static final int GET = 4;
    private static final int KEEP = 8;
    private static final int EX = 16;
    private static final int PX = 32;
    private static final int EXAT = 64;
    private static final int PXAT_F = 128;
    private static final int PERSIST_F = 256;

    /** Parses SET/GETEX options from argument {@code from}; returns flags, or -1 after a syntax error. */
    private static int parseOptions(CommandContext c, int from, boolean forSet, int[] expireArg) {
        Request r = c.req;
        int flags = 0;
        expireArg[0] = -1;
        for (int j = from; j < r.argc(); j++) {
            boolean next = j < r.argc() - 1;
            int expiry = EX | PX | EXAT | PXAT_F;
            if (forSet && r.is(j, "nx") && (flags & XX) == 0) {
                flags |= NX;
            } else if (forSet && r.is(j, "xx") && (flags & NX) == 0) {
                flags |= XX;
            } else if (forSet && r.is(j, "get")) {
                flags |= GET;
            } else if (forSet && r.is(j, "keepttl") && (flags & (PERSIST_F | expiry)) == 0) {
                flags |= KEEP;
            } else if (!forSet && r.is(j, "persist") && (flags & (expiry | KEEP)) == 0) {
                flags |= PERSIST_F;
            } else if (r.is(j, "ex") && (flags & (KEEP | PERSIST_F | EXAT | PX | PXAT_F)) == 0 && next) {
                flags |= EX;
                expireArg[0] = ++j;
            } else if (r.is(j, "px") && (flags & (KEEP | PERSIST_F | EX | EXAT | PXAT_F)) == 0 && next) {
                flags |= PX;
                expireArg[0] = ++j;
            } else if (r.is(j, "exat") && (flags & (KEEP | PERSIST_F | EX | PX | PXAT_F)) == 0 && next) {
                flags |= EXAT;
                expireArg[0] = ++j;
            } else if (r.is(j, "pxat") && (flags & (KEEP | PERSIST_F | EX | EXAT | PX)) == 0 && next) {
                flags |= PXAT_F;
                expireArg[0] = ++j;
            } else {
                c.syntaxError();
                return -1;
            }
        }
        return flags;
    }

    /**
     * The absolute deadline (unix ms) an expire argument gives, or Long.MIN_VALUE after an error
     * reply. {@code relative} adds the current time; {@code seconds} scales by 1000.
     */
    static long deadline(CommandContext c, int arg, boolean seconds, boolean relative) {
        Request r = c.req;
        if (!r.parseLong(arg)) {
            c.notInteger();
            return Long.MIN_VALUE;
        }
        long v = r.longValue();
        if (v <= 0 || (seconds && v > Long.MAX_VALUE / 1000)) {
            invalidExpire(c);
            return Long.MIN_VALUE;
        }
        if (seconds) {
            v *= 1000;
        }
        if (relative) {
            v += c.now();
        }
        if (v <= 0) {
            invalidExpire(c);
            return Long.MIN_VALUE;
        }
        return v;
    }

    private static void invalidExpire(CommandContext c) {
        c.reply.error("ERR invalid expire time in '" + c.spec.fullName() + "' command");
    }

    static void set(CommandContext c) {
        Request r = c.req;
        byte[] b = r.buf();
        if (r.argc() == 3) {
            c.db.putString(b, r.off(1), r.len(1), b, r.off(2), r.len(2), Keyspace.NO_EXPIRE);
            c.reply.ok();
            c.journalVerbatim();
            c.notify(Events.STRING, Events.SET_, 1);
            return;
        }
        int[] expireArg = c.ints;
        int flags = parseOptions(c, 3, true, expireArg);
        if (flags < 0) {
            return;
        }
        long at = Keyspace.NO_EXPIRE;
        if (expireArg[0] > 0) {
            at = deadline(c, expireArg[0], (flags & (EX | EXAT)) != 0, (flags & (EX | PX)) != 0);
            if (at == Long.MIN_VALUE) {
                return;
            }
        }
        if ((flags & GET) != 0) {
            long old = Values.readString(c, 1);
            if (old < 0) {
                return;
            }
            if (old == 0) {
                c.reply.nullBulk();
            } else {
                Values.replyValue(c, old);
            }
        }
        boolean found = c.db.lookupWrite(b, r.off(1), r.len(1)) != 0;
        if (((flags & NX) != 0 && found) || ((flags & XX) != 0 && !found)) {
            if ((flags & GET) == 0) {
                c.reply.nullBulk();
            }
            return;
        }
        long expireAt = (flags & KEEP) != 0 ? Keyspace.KEEP_TTL : at;
        c.db.putString(b, r.off(1), r.len(1), b, r.off(2), r.len(2), expireAt);
        if ((flags & GET) == 0) {
            c.reply.ok();
        }
        c.notify(Events.STRING, Events.SET_, 1);
        if (at >= 0) {
            c.notify(Events.GENERIC, Events.EXPIRE, 1);
        }
        Journal j = c.journalIfEnabled();
        if (j != null) {
            if (at >= 0) {
                j.begin(c.db.id(), 5).arg(SET).arg(b, r.off(1), r.len(1)).arg(b, r.off(2), r.len(2))
                        .arg(PXAT).arg(at).end();
            } else if ((flags & GET) != 0) {
                int keep = 0;
                for (int i = 0; i < r.argc(); i++) {
                    if (i < 3 || !r.is(i, "get")) {
                        keep++;
                    }
                }
                j.begin(c.db.id(), keep);
                for (int i = 0; i < r.argc(); i++) {
                    if (i < 3 || !r.is(i, "get")) {
                        j.arg(b, r.off(i), r.len(i));
                    }
                }
                j.end();
            } else {
                c.journalVerbatim();
            }
        }
    }

    static void setnx(CommandContext c) {
        Request r = c.req;
        byte[] b = r.buf();
        if (c.db.lookupWrite(b, r.off(1), r.len(1)) != 0) {
            c.reply.integer(0);
            return;
        }
        c.db.putString(b, r.off(1), r.len(1), b, r.off(2), r.len(2), Keyspace.NO_EXPIRE);
        c.reply.integer(1);
        c.journalVerbatim();
        c.notify(Events.STRING, Events.SET_, 1);
    }

    static void setex(CommandContext c, int unitMs) {
        Request r = c.req;
        byte[] b = r.buf();
        long at = deadline(c, 2, unitMs == 1000, true);
        if (at == Long.MIN_VALUE) {
            return;
        }
        c.db.putString(b, r.off(1), r.len(1), b, r.off(3), r.len(3), at);
        c.reply.ok();
        c.notify(Events.STRING, Events.SET_, 1);
        c.notify(Events.GENERIC, Events.EXPIRE, 1);
        Journal j = c.journalIfEnabled();
        if (j != null) {
            j.begin(c.db.id(), 5).arg(SET).arg(b, r.off(1), r.len(1)).arg(b, r.off(3), r.len(3))
                    .arg(PXAT).arg(at).end();
        }
    }

    static void getset(CommandContext c) {
        Request r = c.req;
        byte[] b = r.buf();
        long old = Values.readString(c, 1);
        if (old < 0) {
            return;
        }
        if (old == 0) {
            c.reply.nullBulk();
        } else {
            Values.replyValue(c, old);
        }
        c.db.putString(b, r.off(1), r.len(1), b, r.off(2), r.len(2), Keyspace.NO_EXPIRE);
        c.notify(Events.STRING, Events.SET_, 1);
        Journal j = c.journalIfEnabled();
        if (j != null) {
            j.begin(c.db.id(), 3).arg(SET).arg(b, r.off(1), r.len(1)).arg(b, r.off(2), r.len(2)).end();
        }
    }

    static void getdel(CommandContext c) {
        Request r = c.req;
        byte[] b = r.buf();
        long a = Values.readString(c, 1);
        if (a < 0) {
            return;
        }
        if (a == 0) {
            c.reply.nullBulk();
            return;
        }
        Values.replyValue(c, a);
        c.db.delete(b, r.off(1), r.len(1));
        journalDelete(c, 1);
        c.notify(Events.GENERIC, Events.DEL, 1);
    }

    /** Journals "DEL key" (or UNLINK with lazyfree-lazy-user-del) for key argument {@code i}. */
    static void journalDelete(CommandContext c, int i) {
        Journal j = c.journalIfEnabled();
        if (j != null) {
            Request r = c.req;
            boolean lazy = c.engine.settings().lazyfreeLazyUserDel.bool();
            j.begin(c.db.id(), 2).arg(lazy ? UNLINK : DEL).arg(r.buf(), r.off(i), r.len(i)).end();
        }
    }

    static void getex(CommandContext c) {
        Request r = c.req;
        byte[] b = r.buf();
        int[] expireArg = c.ints;
        int flags = parseOptions(c, 2, false, expireArg);
        if (flags < 0) {
            return;
        }
        long a = Values.readString(c, 1);
        if (a < 0) {
            return;
        }
        if (a == 0) {
            c.reply.nullBulk();
            return;
        }
        long at = Keyspace.NO_EXPIRE;
        if (expireArg[0] > 0) {
            at = deadline(c, expireArg[0], (flags & (EX | EXAT)) != 0, (flags & (EX | PX)) != 0);
            if (at == Long.MIN_VALUE) {
                return;
            }
        }
        Values.replyValue(c, a);
        Journal j = c.journalIfEnabled();
        if ((flags & (EXAT | PXAT_F)) != 0 && at <= c.now()) {
            c.db.delete(b, r.off(1), r.len(1));
            c.notify(Events.GENERIC, Events.DEL, 1);
            if (j != null) {
                boolean lazy = c.engine.settings().lazyfreeLazyExpire.bool();
                j.begin(c.db.id(), 2).arg(lazy ? UNLINK : DEL).arg(b, r.off(1), r.len(1)).end();
            }
        } else if (expireArg[0] > 0) {
            c.db.setExpire(b, r.off(1), r.len(1), a, at);
            c.notify(Events.GENERIC, Events.EXPIRE, 1);
            if (j != null) {
                j.begin(c.db.id(), 3).arg(PEXPIREAT).arg(b, r.off(1), r.len(1)).arg(at).end();
            }
        } else if ((flags & PERSIST_F) != 0 && c.db.expireAt(a) >= 0) {
            c.db.setExpire(b, r.off(1), r.len(1), a, Keyspace.NO_EXPIRE);
            c.notify(Events.GENERIC, Events.PERSIST, 1);
            if (j != null) {
                j.begin(c.db.id(), 2).arg(PERSIST).arg(b, r.off(1), r.len(1)).end();
            }
        }
    }

    // ------------------------------------------------------------------ MGET / MSET

    static void mget(CommandContext c) {
        Request r = c.req;
        c.reply.array(r.argc() - 1);
        for (int i = 1; i < r.argc(); i++) {
            mgetOne(c, i);
        }
    }

    private static void mgetOne(CommandContext c, int i) {
        Request r = c.req;
        long a = c.db.lookupRead(r.buf(), r.off(i), r.len(i));
        if (a == 0 || c.db.type(a) != Entry.TYPE_STRING) {
            c.reply.nullBulk();
        } else {
            Values.replyValue(c, a);
        }
    }

    static void mset(CommandContext c) {
        Request r = c.req;
        if (r.argc() % 2 == 0) {
            c.wrongArity();
            return;
        }
        setPairs(c, 1, r.argc(), 2);
        c.reply.ok();
        c.journalVerbatim();
    }

    private static void setPairs(CommandContext c, int from, int to, int step) {
        Request r = c.req;
        byte[] b = r.buf();
        for (int i = from; i < to; i += step) {
            c.db.putString(b, r.off(i), r.len(i), b, r.off(i + 1), r.len(i + 1), Keyspace.NO_EXPIRE);
            c.notify(Events.STRING, Events.SET_, i);
        }
    }

    static void msetnx(CommandContext c) {
        Request r = c.req;
        if (r.argc() % 2 == 0) {
            c.wrongArity();
            return;
        }
        byte[] b = r.buf();
        for (int i = 1; i < r.argc(); i += 2) {
            if (c.db.lookupWrite(b, r.off(i), r.len(i)) != 0) {
                c.reply.integer(0);
                return;
            }
        }
        setPairs(c, 1, r.argc(), 2);
        c.reply.integer(1);
        c.journalVerbatim();
    }

    /** MGET across shards: each shard looks up its keys; the reply is assembled in argument order. */
    static final class MgetOp implements MultiShardOp {
        @Override
        public void step(CommandContext c, TxPart part, int hop) {
            for (int k = 0; k < part.keyCount(); k++) {
                mgetOne(c, part.keyArg(k));
                part.mark(k);
            }
        }

        @Override
        public void reply(Tx tx, Reply reply) {
            Request r = tx.req;
            reply.array(r.argc() - 1);
            assembleInOrder(tx, reply.output());
        }
    }

    /** Copies each part's per-key pieces into {@code out}, in the order of the keys in the request. */
    static void assembleInOrder(Tx tx, ByteOutput out) {
        for (int i = 0; i < tx.participantCount(); i++) {
            tx.participant(i).result2 = 0;
        }
        // parts list their keys in ascending argument order; walk each part with a cursor
        int total = 0;
        for (int i = 0; i < tx.participantCount(); i++) {
            total += tx.participant(i).keyCount();
        }
        for (int emitted = 0; emitted < total; emitted++) {
            TxPart best = null;
            int bestArg = Integer.MAX_VALUE;
            for (int i = 0; i < tx.participantCount(); i++) {
                TxPart p = tx.participant(i);
                int k = (int) p.result2;
                if (k < p.keyCount() && p.keyArg(k) < bestArg) {
                    bestArg = p.keyArg(k);
                    best = p;
                }
            }
            int k = (int) best.result2;
            int start = k == 0 ? 0 : best.marks[k - 1];
            out.write(best.out.array(), start, best.marks[k] - start);
            best.result2 = k + 1;
        }
    }

    /** MSET/MSETNX across shards. MSETNX checks every shard first (hop 0), then sets (hop 1). */
    static final class MsetOp implements MultiShardOp {
        private final boolean nx;

        MsetOp(boolean nx) {
            this.nx = nx;
        }

        @Override
        public boolean isLast(Tx tx, int hop) {
            return !nx || hop == 1;
        }

        @Override
        public void step(CommandContext c, TxPart part, int hop) {
            Request r = c.req;
            byte[] b = r.buf();
            if (nx && hop == 0) {
                long existing = 0;
                for (int k = 0; k < part.keyCount(); k++) {
                    int a = part.keyArg(k);
                    if (c.db.lookupWrite(b, r.off(a), r.len(a)) != 0) {
                        existing++;
                    }
                }
                part.result = existing;
                return;
            }
            for (int k = 0; k < part.keyCount(); k++) {
                int a = part.keyArg(k);
                c.db.putString(b, r.off(a), r.len(a), b, r.off(a + 1), r.len(a + 1), Keyspace.NO_EXPIRE);
                c.notify(Events.STRING, Events.SET_, a);
            }
            Journal j = c.journalIfEnabled();
            if (j != null) {
                j.begin(c.db.id(), 1 + 2 * part.keyCount()).arg(nx ? MSETNX : MSET);
                for (int k = 0; k < part.keyCount(); k++) {
                    int a = part.keyArg(k);
                    j.arg(b, r.off(a), r.len(a)).arg(b, r.off(a + 1), r.len(a + 1));
                }
                j.end();
            }
        }

        @Override
        public int afterHop(Tx tx, int hop) {
            for (int i = 0; i < tx.participantCount(); i++) {
                if (tx.participant(i).result > 0) {
                    tx.flag = false;
                    return DONE;
                }
            }
            tx.flag = true;
            return NEXT;
        }

        @Override
        public void reply(Tx tx, Reply reply) {
            if (nx) {
                reply.integer(tx.flag ? 1 : 0);
            } else {
                reply.ok();
            }
        }
    }

    // ------------------------------------------------------------------ editing strings

    static void append(CommandContext c) {
        Request r = c.req;
        byte[] b = r.buf();
        long a = Values.writeString(c, 1);
        if (a < 0) {
            return;
        }
        long total;
        if (a == 0) {
            c.db.putString(b, r.off(1), r.len(1), b, r.off(2), r.len(2), Keyspace.NO_EXPIRE);
            total = r.len(2);
        } else {
            int old = c.db.valueLength(a);
            total = (long) old + r.len(2);
            if (!checkLength(c, old, r.len(2))) {
                return;
            }
            long moved = c.db.resizeString(b, r.off(1), r.len(1), a, total);
            MemorySegment.copy(b, r.off(2), c.db.page(moved), ValueLayout.JAVA_BYTE,
                    c.db.valueOffset(moved) + old, r.len(2));
        }
        c.reply.integer(total);
        c.journalVerbatim();
        c.notify(Events.STRING, Events.APPEND, 1);
    }

    /** Redis's checkStringLength: size + append within proto-max-bulk-len, without overflowing. */
    static boolean checkLength(CommandContext c, long size, long append) {
        long total = size + append;
        if (total > c.engine.settings().protoMaxBulkLen.number() || total < size || total < append) {
            c.reply.error("ERR string exceeds maximum allowed size (proto-max-bulk-len)");
            return false;
        }
        return true;
    }

    static void strlen(CommandContext c) {
        long a = Values.readString(c, 1);
        if (a >= 0) {
            c.reply.integer(a == 0 ? 0 : c.db.valueLength(a));
        }
    }

    static void incrby(CommandContext c) {
        if (!c.req.parseLong(2)) {
            c.notInteger();
            return;
        }
        incrBy(c, c.req.longValue());
    }

    static void decrby(CommandContext c) {
        if (!c.req.parseLong(2)) {
            c.notInteger();
            return;
        }
        long v = c.req.longValue();
        if (v == Long.MIN_VALUE) {
            c.reply.error("ERR decrement would overflow");
            return;
        }
        incrBy(c, -v);
    }

    static void incrBy(CommandContext c, long incr) {
        Request r = c.req;
        byte[] b = r.buf();
        long a = Values.writeString(c, 1);
        if (a < 0) {
            return;
        }
        long value = 0;
        if (a != 0) {
            if (!Values.parseLong(c.db, a, c.number, c.scratch)) {
                c.notInteger();
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
        int len = Numbers.writeLong(c.scratch, 0, value);
        c.db.putString(b, r.off(1), r.len(1), c.scratch, 0, len, Keyspace.KEEP_TTL);
        c.reply.integer(value);
        c.journalVerbatim();
        c.notify(Events.STRING, Events.INCRBY, 1);
    }

    static void incrbyfloat(CommandContext c) {
        Request r = c.req;
        byte[] b = r.buf();
        long a = Values.writeString(c, 1);
        if (a < 0) {
            return;
        }
        BigDecimal value = BigDecimal.ZERO;
        if (a != 0) {
            byte[] v = c.db.copyValue(a);
            value = Numbers.parseDecimal(v, 0, v.length);
            if (value == null) {
                c.reply.error(CommandContext.NOT_FLOAT);
                return;
            }
        }
        double incrD = Numbers.parseDouble(b, r.off(2), r.len(2));
        if (Double.isNaN(incrD)) {
            c.reply.error(CommandContext.NOT_FLOAT);
            return;
        }
        if (Double.isInfinite(incrD)) {
            c.reply.error("ERR increment would produce NaN or Infinity");
            return;
        }
        BigDecimal incr = Numbers.parseDecimal(b, r.off(2), r.len(2));
        BigDecimal sum = value.add(incr);
        if (sum.abs().compareTo(LONG_DOUBLE_MAX) > 0) {
            c.reply.error("ERR increment would produce NaN or Infinity");
            return;
        }
        byte[] text = Numbers.formatHumanLongDouble(sum).getBytes(StandardCharsets.US_ASCII);
        c.db.putString(b, r.off(1), r.len(1), text, 0, text.length, Keyspace.KEEP_TTL);
        c.reply.bulk(text);
        c.notify(Events.STRING, Events.INCRBYFLOAT, 1);
        Journal j = c.journalIfEnabled();
        if (j != null) {
            j.begin(c.db.id(), 4).arg(SET).arg(b, r.off(1), r.len(1)).arg(text).arg(KEEPTTL).end();
        }
    }

    static void getrange(CommandContext c) {
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
        long a = Values.readString(c, 1);
        if (a < 0) {
            return;
        }
        if (a == 0) {
            c.reply.bulk(EMPTY);
            return;
        }
        long len = c.db.valueLength(a);
        long[] range = start < 0 && end < 0 && start > end ? null : Values.clampRange(start, end, len);
        if (range == null || len == 0) {
            c.reply.bulk(EMPTY);
            return;
        }
        c.reply.bulk(c.db.page(a), c.db.valueOffset(a) + range[0], (int) (range[1] - range[0] + 1));
    }

    static void setrange(CommandContext c) {
        Request r = c.req;
        byte[] b = r.buf();
        if (!r.parseLong(2)) {
            c.notInteger();
            return;
        }
        long offset = r.longValue();
        if (offset < 0) {
            c.reply.error("ERR offset is out of range");
            return;
        }
        int vlen = r.len(3);
        long a = Values.writeString(c, 1);
        if (a < 0) {
            return;
        }
        long total;
        if (a == 0) {
            if (vlen == 0) {
                c.reply.integer(0);
                return;
            }
            if (!checkLength(c, offset, vlen)) {
                return;
            }
            total = offset + vlen;
            long created = c.db.allocateValue(b, r.off(1), r.len(1), Entry.TYPE_STRING, total, Keyspace.NO_EXPIRE);
            MemorySegment page = c.db.page(created);
            long vo = c.db.valueOffset(created);
            page.asSlice(vo, offset).fill((byte) 0);
            MemorySegment.copy(b, r.off(3), page, ValueLayout.JAVA_BYTE, vo + offset, vlen);
        } else {
            long old = c.db.valueLength(a);
            if (vlen == 0) {
                c.reply.integer(old);
                return;
            }
            if (!checkLength(c, offset, vlen)) {
                return;
            }
            total = Math.max(old, offset + vlen);
            long moved = c.db.resizeString(b, r.off(1), r.len(1), a, total);
            MemorySegment.copy(b, r.off(3), c.db.page(moved), ValueLayout.JAVA_BYTE,
                    c.db.valueOffset(moved) + offset, vlen);
        }
        c.reply.integer(total);
        c.journalVerbatim();
        c.notify(Events.STRING, Events.SETRANGE, 1);
    }

    // ------------------------------------------------------------------ LCS

    static void lcs(CommandContext c) {
        Request r = c.req;
        long a = c.db.lookupRead(r.buf(), r.off(1), r.len(1));
        long b = c.db.lookupRead(r.buf(), r.off(2), r.len(2));
        if ((a != 0 && c.db.type(a) != Entry.TYPE_STRING) || (b != 0 && c.db.type(b) != Entry.TYPE_STRING)) {
            c.reply.error("ERR The specified keys must contain string values");
            return;
        }
        byte[] va = a == 0 ? EMPTY : c.db.copyValue(a);
        byte[] vb = b == 0 ? EMPTY : c.db.copyValue(b);
        Lcs.reply(r, va, vb, c.reply, c.engine.settings().protoMaxBulkLen.number());
    }

    /** LCS across shards: each shard reads its key; the coordinator computes. */
    static final class LcsOp implements MultiShardOp {
        @Override
        public void step(CommandContext c, TxPart part, int hop) {
            Request r = c.req;
            int arg = part.keyArg(0);
            long a = c.db.lookupRead(r.buf(), r.off(arg), r.len(arg));
            if (a != 0 && c.db.type(a) != Entry.TYPE_STRING) {
                part.result = -1;
            } else {
                part.payload = a == 0 ? EMPTY : c.db.copyValue(a);
            }
        }

        @Override
        public void reply(Tx tx, Reply reply) {
            byte[][] values = new byte[3][];
            for (int i = 0; i < tx.participantCount(); i++) {
                TxPart p = tx.participant(i);
                if (p.result < 0) {
                    reply.error("ERR The specified keys must contain string values");
                    return;
                }
                for (int k = 0; k < p.keyCount(); k++) {
                    values[p.keyArg(k)] = (byte[]) p.payload;
                }
            }
            Lcs.reply(tx.req, values[1], values[2], reply, Long.MAX_VALUE);
        }
    }
}
