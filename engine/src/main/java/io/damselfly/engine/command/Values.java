package io.damselfly.engine.command;

import io.damselfly.engine.keyspace.Entry;
import io.damselfly.engine.shard.Keyspace;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Reading a key's value from a command: type checks with Redis's errors and access to a
 * string's bytes where they lie.
 */
public final class Values {
    private Values() {
    }

    /** Address of the string at key argument {@code i}, 0 if missing, -1 (after a WRONGTYPE reply) if not a string. */
    public static long readString(CommandContext c, int i) {
        Request r = c.req;
        long a = c.db.lookupRead(r.buf(), r.off(i), r.len(i));
        if (a != 0 && c.db.type(a) != Entry.TYPE_STRING) {
            c.wrongType();
            return -1;
        }
        return a;
    }

    /** Like {@link #readString} but for a write: no hit/miss counting. */
    public static long writeString(CommandContext c, int i) {
        Request r = c.req;
        long a = c.db.lookupWrite(r.buf(), r.off(i), r.len(i));
        if (a != 0 && c.db.type(a) != Entry.TYPE_STRING) {
            c.wrongType();
            return -1;
        }
        return a;
    }

    /**
     * Redis's index clamping for GETRANGE, BITCOUNT and BITPOS: negative indexes count from the
     * end, both ends are clamped into [0, total). Returns {start, end}, or null for an empty range.
     */
    static long[] clampRange(long start, long end, long total) {
        if (start < 0) {
            start = total + start;
        }
        if (end < 0) {
            end = total + end;
        }
        if (start < 0) {
            start = 0;
        }
        if (end < 0) {
            end = 0;
        }
        if (end >= total) {
            end = total - 1;
        }
        if (start > end) {
            return null;
        }
        return new long[] {start, end};
    }

    /** Address of the value of {@code type} at key argument i, 0 if missing, -1 (after WRONGTYPE) otherwise. */
    public static long read(CommandContext c, int i, int type) {
        Request r = c.req;
        long a = c.db.lookupRead(r.buf(), r.off(i), r.len(i));
        if (a != 0 && c.db.type(a) != type) {
            c.wrongType();
            return -1;
        }
        return a;
    }

    /** Like {@link #read} for a write: no hit/miss counting. */
    public static long write(CommandContext c, int i, int type) {
        Request r = c.req;
        long a = c.db.lookupWrite(r.buf(), r.off(i), r.len(i));
        if (a != 0 && c.db.type(a) != type) {
            c.wrongType();
            return -1;
        }
        return a;
    }

    public static void replyValue(CommandContext c, long address) {
        Keyspace db = c.db;
        MemorySegment page = db.page(address);
        long o = Keyspace.offset(address);
        c.reply.bulk(page, Entry.valueOffset(page, o), Entry.valueLen(page, o));
    }

    public static int length(Keyspace db, long address) {
        return db.valueLength(address);
    }

    public static byte byteAt(Keyspace db, long address, long index) {
        return db.page(address).get(ValueLayout.JAVA_BYTE, db.valueOffset(address) + index);
    }

    /** Parses a stored string value as a Redis integer; false if it is not one. */
    public static boolean parseLong(Keyspace db, long address, io.damselfly.engine.resp.Numbers.LongResult out,
                                    byte[] scratch) {
        int len = db.valueLength(address);
        if (len > 20 || len == 0) {
            return false;
        }
        MemorySegment.copy(db.page(address), ValueLayout.JAVA_BYTE, db.valueOffset(address), scratch, 0, len);
        return io.damselfly.engine.resp.Numbers.parseLong(scratch, 0, len, out);
    }
}
