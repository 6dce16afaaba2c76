package io.damselfly.repl.rdb;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;

/**
 * Writes RDB primitives into a growing byte array: lengths, strings, binary doubles, opcodes.
 * A subclass that streams (a snapshot's chunks) sets a {@link #spillAt} size and overrides
 * {@link #spill}, which is called between the pieces of a large value: then no buffer ever
 * holds a whole 200 MB string or 10M-field hash. Owned by one thread.
 */
public class RdbOut {
    protected byte[] buf;
    protected int pos;
    /** Size past which {@link #spill} is called inside a value; MAX_VALUE for none. */
    protected int spillAt = Integer.MAX_VALUE;

    public RdbOut(int capacity) {
        buf = new byte[Math.max(16, capacity)];
    }

    public byte[] array() {
        return buf;
    }

    public int size() {
        return pos;
    }

    public void clear() {
        pos = 0;
    }

    public byte[] toByteArray() {
        return Arrays.copyOf(buf, pos);
    }

    /** Hands off the bytes so far (a streaming subclass); by default the buffer just grows. */
    protected void spill() {
    }

    /** Calls {@link #spill} when the buffer passed {@link #spillAt}: between elements of a value. */
    public final void maybeSpill() {
        if (pos >= spillAt) {
            spill();
        }
    }

    protected final void ensure(int n) {
        if (pos + n > buf.length) {
            buf = Arrays.copyOf(buf, Math.max(buf.length * 2, pos + n));
        }
    }

    public void writeByte(int b) {
        ensure(1);
        buf[pos++] = (byte) b;
    }

    public void writeBytes(byte[] b, int off, int len) {
        ensure(len);
        System.arraycopy(b, off, buf, pos, len);
        pos += len;
    }

    public void writeLongLE(long v) {
        ensure(8);
        for (int i = 0; i < 8; i++) {
            buf[pos++] = (byte) (v >>> (8 * i));
        }
    }

    /**
     * Redis's length encoding (docs/rdb.md):
     * <pre>
     * 00xxxxxx                   below 64
     * 01xxxxxx xxxxxxxx          below 16384, big-endian
     * 10000000 + 4 bytes         32 bits, big-endian
     * 10000001 + 8 bytes         64 bits, big-endian
     * 11xxxxxx                   not a length: a special string encoding follows (read side only)
     * </pre>
     */
    public void writeLength(long len) {
        ensure(9);
        if (len < (1 << 6)) {
            buf[pos++] = (byte) len;
        } else if (len < (1 << 14)) {
            buf[pos++] = (byte) ((Rdb.LEN_14BIT << 6) | (len >>> 8));
            buf[pos++] = (byte) len;
        } else if (len <= 0xFFFFFFFFL) {
            buf[pos++] = (byte) Rdb.LEN_32BIT;
            for (int i = 3; i >= 0; i--) {
                buf[pos++] = (byte) (len >>> (8 * i));
            }
        } else {
            buf[pos++] = (byte) Rdb.LEN_64BIT;
            for (int i = 7; i >= 0; i--) {
                buf[pos++] = (byte) (len >>> (8 * i));
            }
        }
    }

    public void writeString(byte[] b, int off, int len) {
        writeLength(len);
        if (len <= 4096 || spillAt == Integer.MAX_VALUE) {
            writeBytes(b, off, len);
            return;
        }
        int done = 0;
        while (done < len) {
            int n = Math.min(len - done, Math.max(4096, spillAt - pos));
            writeBytes(b, off + done, n);
            done += n;
            maybeSpill();
        }
    }

    public void writeString(byte[] b) {
        writeString(b, 0, b.length);
    }

    public void writeString(String s) {
        writeString(s.getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }

    private static final java.lang.invoke.VarHandle LONGS =
            java.lang.invoke.MethodHandles.byteArrayViewVarHandle(long[].class, java.nio.ByteOrder.nativeOrder());

    /** A string stored off the heap (a key's value in the slab), copied in spill-sized pieces. */
    public void writeString(MemorySegment seg, long off, int len) {
        writeLength(len);
        if (len <= 64) {
            // Small strings (most keys and values): eight bytes at a time, no bulk-copy call,
            // whose fixed cost is larger than the copy itself at these sizes.
            ensure(len + 8);
            int i = 0;
            for (; i + 8 <= len; i += 8) {
                LONGS.set(buf, pos + i, seg.get(ValueLayout.JAVA_LONG_UNALIGNED, off + i));
            }
            for (; i < len; i++) {
                buf[pos + i] = seg.get(ValueLayout.JAVA_BYTE, off + i);
            }
            pos += len;
            return;
        }
        int done = 0;
        while (done < len) {
            int n = spillAt == Integer.MAX_VALUE ? len - done : Math.min(len - done, Math.max(4096, spillAt - pos));
            ensure(n);
            MemorySegment.copy(seg, ValueLayout.JAVA_BYTE, off + done, buf, pos, n);
            pos += n;
            done += n;
            maybeSpill();
        }
    }

    /** A sorted-set score as RDB_TYPE_ZSET_2 stores it: the IEEE 754 double, little-endian. */
    public void writeBinaryDouble(double d) {
        writeLongLE(Double.doubleToRawLongBits(d));
    }

    public void writeAux(String key, String value) {
        writeByte(Rdb.OPCODE_AUX);
        writeString(key);
        writeString(value);
    }
}
