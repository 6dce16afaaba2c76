package io.damselfly.engine.command;

import io.damselfly.engine.exec.Tx;
import io.damselfly.engine.exec.TxPart;
import io.damselfly.engine.journal.Journal;
import io.damselfly.engine.keyspace.Entry;
import io.damselfly.engine.resp.Reply;
import io.damselfly.engine.shard.Keyspace;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

import static io.damselfly.engine.command.CommandSpec.DENYOOM;
import static io.damselfly.engine.command.CommandSpec.FAST;
import static io.damselfly.engine.command.CommandSpec.READONLY;
import static io.damselfly.engine.command.CommandSpec.WRITE;
import static io.damselfly.engine.command.CommandSpec.command;

/**
 * SETBIT GETBIT BITCOUNT BITPOS BITOP BITFIELD BITFIELD_RO: strings as bit arrays, bit 0 the
 * most significant of byte 0.
 */
public final class BitCommands {
    private static final String OFFSET_ERROR = "ERR bit offset is not an integer or out of range";
    private static final byte[] SET = Reply.ascii("SET");
    private static final byte[] DEL = Reply.ascii("DEL");

    private BitCommands() {
    }

    public static void register(CommandTable t) {
        t.add(command("setbit", 4).flags(WRITE | DENYOOM).keys(1, 1, 1).group("bitmap").since("2.2.0")
                .acl("@write", "@bitmap", "@slow").summary("Sets or clears one bit of a string, growing it as needed.")
                .handler(BitCommands::setbit).build());
        t.add(command("getbit", 3).flags(READONLY | FAST).keys(1, 1, 1).group("bitmap").since("2.2.0")
                .acl("@read", "@bitmap", "@fast").summary("Returns one bit of a string.")
                .handler(BitCommands::getbit).build());
        t.add(command("bitcount", -2).flags(READONLY).keys(1, 1, 1).group("bitmap").since("2.6.0")
                .acl("@read", "@bitmap", "@slow").summary("Counts the set bits of a string, optionally in a byte or bit range.")
                .complexity("O(N)").handler(BitCommands::bitcount).build());
        t.add(command("bitpos", -3).flags(READONLY).keys(1, 1, 1).group("bitmap").since("2.8.7")
                .acl("@read", "@bitmap", "@slow").summary("Finds the first set or clear bit of a string, optionally in a range.")
                .complexity("O(N)").handler(BitCommands::bitpos).build());
        t.add(command("bitop", -4).flags(WRITE | DENYOOM).keys(2, -1, 1).group("bitmap").since("2.6.0")
                .acl("@write", "@bitmap", "@slow")
                .summary("Combines strings bit by bit (AND, OR, XOR, NOT) into a destination key.")
                .complexity("O(N)").handler(BitCommands::bitop).multi(new BitopOp()).build());
        t.add(command("bitfield", -2).flags(WRITE | DENYOOM).keys(1, 1, 1).group("bitmap").since("3.2.0")
                .acl("@write", "@bitmap", "@slow")
                .summary("Reads, writes and increments integers of any width up to 64 bits stored at bit offsets of a string.")
                .complexity("O(1) for each subcommand specified").handler(c -> bitfield(c, false)).build());
        t.add(command("bitfield_ro", -2).flags(READONLY | FAST).keys(1, 1, 1).group("bitmap").since("6.0.0")
                .acl("@read", "@bitmap", "@fast").summary("Reads integers at bit offsets of a string (BITFIELD's GET only).")
                .complexity("O(1) for each subcommand specified").handler(c -> bitfield(c, true)).build());
    }

    /** Bit offset of argument i, or -1 after an error reply. */
    private static long bitOffset(CommandContext c, int i) {
        if (!c.req.parseLong(i)) {
            c.reply.error(OFFSET_ERROR);
            return -1;
        }
        long v = c.req.longValue();
        if (v < 0 || (v >> 3) >= c.engine.settings().protoMaxBulkLen.number()) {
            c.reply.error(OFFSET_ERROR);
            return -1;
        }
        return v;
    }

    static void setbit(CommandContext c) {
        Request r = c.req;
        byte[] b = r.buf();
        long offset = bitOffset(c, 2);
        if (offset < 0) {
            return;
        }
        if (!r.parseLong(3) || (r.longValue() != 0 && r.longValue() != 1)) {
            c.reply.error("ERR bit is not an integer or out of range");
            return;
        }
        boolean on = r.longValue() == 1;
        long a = Values.writeString(c, 1);
        if (a < 0) {
            return;
        }
        long byteIndex = offset >> 3;
        int mask = 1 << (7 - (int) (offset & 7));
        if (a == 0) {
            a = c.db.allocateValue(b, r.off(1), r.len(1), Entry.TYPE_STRING, byteIndex + 1, Keyspace.NO_EXPIRE);
            c.db.page(a).asSlice(c.db.valueOffset(a), byteIndex + 1).fill((byte) 0);
        } else if (c.db.valueLength(a) <= byteIndex) {
            a = c.db.resizeString(b, r.off(1), r.len(1), a, byteIndex + 1);
        } else if (((Values.byteAt(c.db, a, byteIndex) & mask) != 0) == on) {
            c.reply.integer(on ? 1 : 0); // no change: not a write (no dirty, nothing replicated), as in Redis
            return;
        } else {
            a = c.db.resizeString(b, r.off(1), r.len(1), a, c.db.valueLength(a));
        }
        MemorySegment page = c.db.page(a);
        long at = c.db.valueOffset(a) + byteIndex;
        int old = page.get(ValueLayout.JAVA_BYTE, at) & 0xFF;
        int value = on ? old | mask : old & ~mask;
        page.set(ValueLayout.JAVA_BYTE, at, (byte) value);
        c.reply.integer((old & mask) != 0 ? 1 : 0);
        c.journalVerbatim();
        c.notify(Events.STRING, Events.SETBIT, 1);
    }

    static void getbit(CommandContext c) {
        long offset = bitOffset(c, 2);
        if (offset < 0) {
            return;
        }
        long a = Values.readString(c, 1);
        if (a < 0) {
            return;
        }
        long byteIndex = offset >> 3;
        if (a == 0 || c.db.valueLength(a) <= byteIndex) {
            c.reply.integer(0);
            return;
        }
        int v = Values.byteAt(c.db, a, byteIndex) & 0xFF;
        c.reply.integer((v >> (7 - (int) (offset & 7))) & 1);
    }

    static void bitcount(CommandContext c) {
        Request r = c.req;
        long a = Values.readString(c, 1);
        if (a < 0) {
            return;
        }
        if (a == 0) {
            c.reply.integer(0);
            return;
        }
        long len = c.db.valueLength(a);
        long startBit;
        long endBit;
        if (r.argc() == 4 || r.argc() == 5) {
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
            if (start < 0 && end < 0 && start > end) {
                c.reply.integer(0);
                return;
            }
            boolean bits = false;
            if (r.argc() == 5) {
                if (r.is(4, "bit")) {
                    bits = true;
                } else if (!r.is(4, "byte")) {
                    c.syntaxError();
                    return;
                }
            }
            long total = bits ? len << 3 : len;
            long[] range = Values.clampRange(start, end, total);
            if (range == null) {
                c.reply.integer(0);
                return;
            }
            startBit = bits ? range[0] : range[0] << 3;
            endBit = bits ? range[1] : (range[1] << 3) + 7;
        } else if (r.argc() == 2) {
            startBit = 0;
            endBit = (len << 3) - 1;
        } else {
            c.syntaxError();
            return;
        }
        c.reply.integer(countBits(c.db.page(a), c.db.valueOffset(a), startBit, endBit));
    }

    private static long countBits(MemorySegment page, long base, long startBit, long endBit) {
        if (startBit > endBit) {
            return 0;
        }
        long count = 0;
        long bit = startBit;
        while (bit <= endBit && (bit & 7) != 0) {
            count += bitAt(page, base, bit);
            bit++;
        }
        long fullBytesEnd = (endBit + 1) >> 3; // exclusive
        long byteIndex = bit >> 3;
        while (byteIndex + 8 <= fullBytesEnd) {
            count += Long.bitCount(page.get(ValueLayout.JAVA_LONG_UNALIGNED, base + byteIndex));
            byteIndex += 8;
        }
        while (byteIndex < fullBytesEnd) {
            count += Integer.bitCount(page.get(ValueLayout.JAVA_BYTE, base + byteIndex) & 0xFF);
            byteIndex++;
        }
        for (bit = Math.max(bit, fullBytesEnd << 3); bit <= endBit; bit++) {
            count += bitAt(page, base, bit);
        }
        return count;
    }

    private static int bitAt(MemorySegment page, long base, long bit) {
        int v = page.get(ValueLayout.JAVA_BYTE, base + (bit >> 3)) & 0xFF;
        return (v >> (7 - (int) (bit & 7))) & 1;
    }

    static void bitpos(CommandContext c) {
        Request r = c.req;
        if (!r.parseLong(2)) {
            c.notInteger();
            return;
        }
        long want = r.longValue();
        if (want != 0 && want != 1) {
            c.reply.error("ERR The bit argument must be 1 or 0.");
            return;
        }
        long a = c.db.lookupRead(r.buf(), r.off(1), r.len(1));
        if (a == 0) {
            c.reply.integer(want == 1 ? -1 : 0);
            return;
        }
        if (c.db.type(a) != Entry.TYPE_STRING) {
            c.wrongType();
            return;
        }
        long len = c.db.valueLength(a);
        long startBit;
        long endBit;
        boolean endGiven = false;
        if (r.argc() >= 4 && r.argc() <= 6) {
            if (!r.parseLong(3)) {
                c.notInteger();
                return;
            }
            long start = r.longValue();
            boolean bits = false;
            if (r.argc() == 6) {
                if (r.is(5, "bit")) {
                    bits = true;
                } else if (!r.is(5, "byte")) {
                    c.syntaxError();
                    return;
                }
            }
            long end;
            if (r.argc() >= 5) {
                if (!r.parseLong(4)) {
                    c.notInteger();
                    return;
                }
                end = r.longValue();
                endGiven = true;
            } else {
                end = bits ? (len << 3) + 7 : len - 1;
            }
            long total = bits ? len << 3 : len;
            long[] range = Values.clampRange(start, end, total);
            if (range == null) {
                c.reply.integer(-1);
                return;
            }
            startBit = bits ? range[0] : range[0] << 3;
            endBit = bits ? range[1] : (range[1] << 3) + 7;
        } else if (r.argc() == 3) {
            startBit = 0;
            endBit = (len << 3) - 1;
            if (len == 0) {
                c.reply.integer(want == 1 ? -1 : 0);
                return;
            }
        } else {
            c.syntaxError();
            return;
        }
        MemorySegment page = c.db.page(a);
        long base = c.db.valueOffset(a);
        for (long bit = startBit; bit <= endBit; bit++) {
            if ((bit & 7) == 0 && bit + 7 <= endBit) {
                int v = page.get(ValueLayout.JAVA_BYTE, base + (bit >> 3)) & 0xFF;
                if ((want == 1 && v == 0) || (want == 0 && v == 0xFF)) {
                    bit += 7;
                    continue;
                }
            }
            if (bitAt(page, base, bit) == want) {
                c.reply.integer(bit);
                return;
            }
        }
        if (want == 1 || endGiven) {
            c.reply.integer(-1);
        } else {
            c.reply.integer(endBit + 1);
        }
    }

    // ------------------------------------------------------------------ BITOP

    private static final int AND = 0;
    private static final int OR = 1;
    private static final int XOR = 2;
    private static final int NOT = 3;

    /** The operation named by argument 1, or -1 after an error reply. */
    private static int operation(Request r, Reply reply) {
        int op;
        if (r.is(1, "and")) {
            op = AND;
        } else if (r.is(1, "or")) {
            op = OR;
        } else if (r.is(1, "xor")) {
            op = XOR;
        } else if (r.is(1, "not")) {
            op = NOT;
        } else {
            reply.error(CommandContext.SYNTAX);
            return -1;
        }
        if (op == NOT && r.argc() != 4) {
            reply.error("ERR BITOP NOT must be called with a single source key.");
            return -1;
        }
        return op;
    }

    static byte[] combine(int op, byte[][] sources) {
        int max = 0;
        for (byte[] s : sources) {
            max = Math.max(max, s.length);
        }
        byte[] out = new byte[max];
        if (op == NOT) {
            byte[] s = sources[0];
            for (int i = 0; i < max; i++) {
                out[i] = (byte) ~s[i];
            }
            return out;
        }
        for (int i = 0; i < max; i++) {
            int v = i < sources[0].length ? sources[0][i] & 0xFF : 0;
            for (int k = 1; k < sources.length; k++) {
                int w = i < sources[k].length ? sources[k][i] & 0xFF : 0;
                v = switch (op) {
                    case AND -> v & w;
                    case OR -> v | w;
                    default -> v ^ w;
                };
            }
            out[i] = (byte) v;
        }
        return out;
    }

    static void bitop(CommandContext c) {
        Request r = c.req;
        int op = operation(r, c.reply);
        if (op < 0) {
            return;
        }
        byte[][] sources = new byte[r.argc() - 3][];
        for (int i = 3; i < r.argc(); i++) {
            long a = c.db.lookupRead(r.buf(), r.off(i), r.len(i));
            if (a != 0 && c.db.type(a) != Entry.TYPE_STRING) {
                c.wrongType();
                return;
            }
            sources[i - 3] = a == 0 ? new byte[0] : c.db.copyValue(a);
        }
        byte[] result = combine(op, sources);
        store(c, result, false);
        c.reply.integer(result.length);
        c.journalVerbatim();
    }

    private static void store(CommandContext c, byte[] result, boolean journal) {
        Request r = c.req;
        byte[] b = r.buf();
        if (result.length == 0) {
            boolean deleted = c.db.delete(b, r.off(2), r.len(2));
            if (deleted) {
                c.notify(Events.GENERIC, Events.DEL, 2);
            }
            if (journal && deleted) {
                Journal j = c.journalIfEnabled();
                if (j != null) {
                    j.begin(c.db.id(), 2).arg(DEL).arg(b, r.off(2), r.len(2)).end();
                }
            }
        } else {
            c.db.putString(b, r.off(2), r.len(2), result, 0, result.length, Keyspace.NO_EXPIRE);
            c.notify(Events.STRING, Events.SET_, 2);
            Journal j = journal ? c.journalIfEnabled() : null;
            if (j != null) {
                j.begin(c.db.id(), 3).arg(SET).arg(b, r.off(2), r.len(2)).arg(result).end();
            }
        }
    }

    /** BITOP across shards: hop 0 reads the sources everywhere, the coordinator combines, hop 1 stores. */
    static final class BitopOp implements MultiShardOp {
        @Override
        public boolean isLast(Tx tx, int hop) {
            return hop == 1;
        }

        @Override
        public void step(CommandContext c, TxPart part, int hop) {
            Request r = c.req;
            if (hop == 0) {
                byte[][] found = new byte[part.keyCount()][];
                for (int k = 0; k < part.keyCount(); k++) {
                    int i = part.keyArg(k);
                    if (i < 3) {
                        continue;
                    }
                    long a = c.db.lookupRead(r.buf(), r.off(i), r.len(i));
                    if (a != 0 && c.db.type(a) != Entry.TYPE_STRING) {
                        part.result = -1;
                        return;
                    }
                    found[k] = a == 0 ? new byte[0] : c.db.copyValue(a);
                }
                part.payload = found;
                return;
            }
            if (part.keyArg(0) == 2) {
                store(c, (byte[]) part.tx().payload, true);
            }
        }

        @Override
        public int afterHop(Tx tx, int hop) {
            Request r = tx.req;
            byte[][] sources = new byte[r.argc() - 3][];
            for (int i = 0; i < tx.participantCount(); i++) {
                TxPart p = tx.participant(i);
                if (p.result < 0) {
                    tx.error = CommandContext.WRONGTYPE;
                    return DONE;
                }
                byte[][] found = (byte[][]) p.payload;
                for (int k = 0; k < p.keyCount(); k++) {
                    if (p.keyArg(k) >= 3) {
                        sources[p.keyArg(k) - 3] = found[k];
                    }
                }
            }
            int op = operationQuiet(r);
            if (op < 0) {
                tx.error = op == -2 ? "ERR BITOP NOT must be called with a single source key." : CommandContext.SYNTAX;
                return DONE;
            }
            byte[] result = combine(op, sources);
            tx.payload = result;
            tx.value = result.length;
            return NEXT;
        }

        private static int operationQuiet(Request r) {
            int op = r.is(1, "and") ? AND : r.is(1, "or") ? OR : r.is(1, "xor") ? XOR : r.is(1, "not") ? NOT : -1;
            if (op == NOT && r.argc() != 4) {
                return -2;
            }
            return op;
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

    // ------------------------------------------------------------------ BITFIELD

    private static final int BF_GET = 0;
    private static final int BF_SET = 1;
    private static final int BF_INCRBY = 2;
    private static final int WRAP = 0;
    private static final int SAT = 1;
    private static final int FAIL = 2;
    private static final String TYPE_ERROR =
            "ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is.";

    /**
     * BITFIELD's operations, read one after another from the arguments: once to check them all
     * and find the farthest bit written, once more to run them (nothing is kept per operation).
     */
    private static final class FieldOps {
        int op;
        int bits;
        boolean signed;
        int mode = WRAP;
        long offset;
        long value;
        /** The value SET or INCRBY stores, once {@link #store} said it may. */
        long stored;
        private int next = 2;

        /** Reads the next operation: 1 when there is one, 0 at the end, -1 after an error reply. */
        int next(CommandContext c) {
            Request r = c.req;
            while (next < r.argc()) {
                int j = next;
                int left = r.argc() - j - 1;
                if (r.is(j, "get") && left >= 2) {
                    op = BF_GET;
                } else if (r.is(j, "set") && left >= 3) {
                    op = BF_SET;
                } else if (r.is(j, "incrby") && left >= 3) {
                    op = BF_INCRBY;
                } else if (r.is(j, "overflow") && left >= 1) {
                    if (r.is(j + 1, "wrap")) {
                        mode = WRAP;
                    } else if (r.is(j + 1, "sat")) {
                        mode = SAT;
                    } else if (r.is(j + 1, "fail")) {
                        mode = FAIL;
                    } else {
                        c.reply.error("ERR Invalid OVERFLOW type specified");
                        return -1;
                    }
                    next = j + 2;
                    continue;
                } else {
                    c.syntaxError();
                    return -1;
                }
                byte[] b = r.buf();
                int to = r.off(j + 1);
                int tl = r.len(j + 1);
                if (tl < 2 || (b[to] != 'i' && b[to] != 'u')
                        || !io.damselfly.engine.resp.Numbers.parseLong(b, to + 1, tl - 1, c.number)
                        || c.number.value < 1 || c.number.value > (b[to] == 'i' ? 64 : 63)) {
                    c.reply.error(TYPE_ERROR);
                    return -1;
                }
                bits = (int) c.number.value;
                signed = b[to] == 'i';
                int oo = r.off(j + 2);
                int ol = r.len(j + 2);
                boolean hash = ol > 0 && b[oo] == '#';
                if (!io.damselfly.engine.resp.Numbers.parseLong(b, hash ? oo + 1 : oo, hash ? ol - 1 : ol, c.number)) {
                    c.reply.error(OFFSET_ERROR);
                    return -1;
                }
                long at = c.number.value;
                if (hash) {
                    at = Math.multiplyHigh(at, bits) != (at * bits >> 63) ? -1 : at * bits; // overflow: out of range
                }
                if (at < 0 || (at >> 3) >= c.engine.settings().protoMaxBulkLen.number()) {
                    c.reply.error(OFFSET_ERROR);
                    return -1;
                }
                offset = at;
                if (op != BF_GET) {
                    if (!r.parseLong(j + 3)) {
                        c.notInteger();
                        return -1;
                    }
                    value = r.longValue();
                }
                next = j + (op == BF_GET ? 3 : 4);
                return 1;
            }
            return 0;
        }

        /**
         * What SET or INCRBY stores over {@code old}, into {@link #stored}; false when it overflows
         * under FAIL (nothing is written). The bounds are computed in wrapping 64-bit arithmetic,
         * as Redis computes them: a SET of a value far below a signed range counts as an overflow
         * upwards there (SAT stores the maximum), and so it does here.
         */
        boolean store(long old) {
            long incr = op == BF_INCRBY ? value : 0;
            long base = op == BF_INCRBY ? old : value;
            boolean up;
            boolean down;
            long max;
            long min;
            if (signed) {
                max = bits == 64 ? Long.MAX_VALUE : (1L << (bits - 1)) - 1;
                min = -max - 1;
                long maxIncr = max - base;
                long minIncr = min - base;
                up = base > max || (bits != 64 && incr > maxIncr) || (base >= 0 && incr > 0 && incr > maxIncr);
                down = !up && (base < min || (bits != 64 && incr < minIncr) || (base < 0 && incr < 0 && incr < minIncr));
            } else {
                max = (1L << bits) - 1; // at most 63 bits; base is read as unsigned
                min = 0;
                up = Long.compareUnsigned(base, max) > 0 || (incr > 0 && incr > max - base);
                down = !up && incr < 0 && incr < -base;
            }
            if (!up && !down) {
                stored = base + incr;
            } else if (mode == FAIL) {
                return false;
            } else if (mode == SAT) {
                stored = up ? max : min;
            } else {
                long wrapped = (base + incr) & mask(bits);
                stored = signed ? signExtend(wrapped, bits) : wrapped;
            }
            return true;
        }
    }

    /**
     * BITFIELD and BITFIELD_RO. Every operation is checked before any runs (a bad one fails the
     * command with nothing done); the string grows once, to the farthest bit written.
     */
    static void bitfield(CommandContext c, boolean readonlyCommand) {
        Request r = c.req;
        FieldOps ops = new FieldOps();
        int n = 0;
        boolean writes = false;
        long highest = 0;
        int status;
        while ((status = ops.next(c)) > 0) {
            n++;
            if (ops.op != BF_GET) {
                writes = true;
                highest = Math.max(highest, ops.offset + ops.bits - 1);
            }
        }
        if (status < 0) {
            return;
        }
        long a;
        boolean grown = false;
        if (!writes) {
            a = Values.readString(c, 1);
            if (a < 0) {
                return;
            }
        } else {
            if (readonlyCommand) {
                c.reply.error("ERR BITFIELD_RO only supports the GET subcommand");
                return;
            }
            a = Values.writeString(c, 1);
            if (a < 0) {
                return;
            }
            long bytes = (highest >> 3) + 1;
            if (a == 0) {
                a = c.db.allocateValue(r.buf(), r.off(1), r.len(1), Entry.TYPE_STRING, bytes, Keyspace.NO_EXPIRE);
                c.db.page(a).asSlice(c.db.valueOffset(a), bytes).fill((byte) 0);
                grown = true;
            } else if (c.db.valueLength(a) < bytes) {
                a = c.db.resizeString(r.buf(), r.off(1), r.len(1), a, bytes);
                grown = true;
            }
        }
        boolean announced = grown; // creating or growing the string announced the change
        c.reply.array(n);
        long changes = 0;
        ops = new FieldOps(); // the second reading: every operation is known to be well formed
        while (ops.next(c) > 0) {
            int bits = ops.bits;
            long raw = a == 0 ? 0 : readBits(c.db.page(a), c.db.valueOffset(a), c.db.valueLength(a), ops.offset, bits);
            long old = ops.signed ? signExtend(raw, bits) : raw;
            if (ops.op == BF_GET) {
                c.reply.integer(old);
                continue;
            }
            if (!ops.store(old)) {
                c.reply.nullBulk(); // FAIL on overflow: nothing written
                continue;
            }
            long fresh = ops.stored;
            c.reply.integer(ops.op == BF_INCRBY ? fresh : old);
            if (fresh != old) {
                if (!announced) {
                    // the first change in place: a snapshot takes the bucket first, watchers learn of it
                    a = c.db.resizeString(r.buf(), r.off(1), r.len(1), a, c.db.valueLength(a));
                    announced = true;
                }
                writeBits(c.db.page(a), c.db.valueOffset(a), ops.offset, bits, fresh);
            }
            if (grown || fresh != old) {
                changes++;
            }
        }
        // Redis counts a change per operation that changed the string (every one when it grew)
        c.shard.addDirty(changes - (announced ? 1 : 0));
        if (changes > 0 || grown) {
            c.journalVerbatim(); // it runs the same on a replica, overflow modes included
        }
        if (changes > 0) {
            c.notify(Events.STRING, Events.SETBIT, 1);
        }
    }

    private static long mask(int bits) {
        return bits == 64 ? -1L : (1L << bits) - 1;
    }

    private static long signExtend(long raw, int bits) {
        return bits == 64 ? raw : (raw << (64 - bits)) >> (64 - bits);
    }

    /** {@code bits} bits from bit {@code at}, most significant first; bits past the string's end read 0. */
    private static long readBits(MemorySegment page, long base, long len, long at, int bits) {
        long v = 0;
        for (int i = 0; i < bits; i++) {
            long bit = at + i;
            long byteIndex = bit >> 3;
            int b = byteIndex < len ? page.get(ValueLayout.JAVA_BYTE, base + byteIndex) & 0xFF : 0;
            v = (v << 1) | ((b >> (7 - (int) (bit & 7))) & 1);
        }
        return v;
    }

    private static void writeBits(MemorySegment page, long base, long at, int bits, long value) {
        for (int i = 0; i < bits; i++) {
            long bit = at + i;
            long where = base + (bit >> 3);
            int b = page.get(ValueLayout.JAVA_BYTE, where) & 0xFF;
            int m = 1 << (7 - (int) (bit & 7));
            boolean on = ((value >>> (bits - 1 - i)) & 1) != 0;
            page.set(ValueLayout.JAVA_BYTE, where, (byte) (on ? b | m : b & ~m));
        }
    }
}
