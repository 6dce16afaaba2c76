package io.damselfly.engine.resp;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;

/**
 * A growable byte buffer owned by one thread at a time: a connection's pending output, or the
 * replies a shard writes for a batch that came from another thread.
 */
public final class ByteOutput {
    private static final int MIN_CAPACITY = 256;

    byte[] buf;
    int pos;

    public ByteOutput(int capacity) {
        buf = new byte[Math.max(MIN_CAPACITY, capacity)];
    }

    public byte[] array() {
        return buf;
    }

    public int size() {
        return pos;
    }

    public boolean isEmpty() {
        return pos == 0;
    }

    public void clear() {
        pos = 0;
    }

    /** Rewinds to an earlier size (to drop a reply written speculatively). */
    public void truncate(int size) {
        pos = size;
    }

    /** Drops the first n bytes (after a partial socket write). */
    public void consume(int n) {
        if (n >= pos) {
            pos = 0;
            return;
        }
        System.arraycopy(buf, n, buf, 0, pos - n);
        pos -= n;
    }

    /** Shrinks a buffer that grew for one large reply back to {@code capacity} once it is empty. */
    public void shrinkIfEmpty(int capacity) {
        if (pos == 0 && buf.length > capacity) {
            buf = new byte[capacity];
        }
    }

    public int capacity() {
        return buf.length;
    }

    public void ensure(int extra) {
        int need = pos + extra;
        if (need > buf.length || need < 0) {
            grow(need);
        }
    }

    private void grow(int need) {
        if (need < 0) {
            throw new OutOfMemoryError("reply larger than 2 GiB");
        }
        long cap = Math.max((long) buf.length * 2, need);
        buf = Arrays.copyOf(buf, (int) Math.min(cap, Integer.MAX_VALUE - 16));
    }

    public void write(byte b) {
        if (pos == buf.length) {
            grow(pos + 1);
        }
        buf[pos++] = b;
    }

    public void write(byte[] b) {
        write(b, 0, b.length);
    }

    public void write(byte[] b, int off, int len) {
        ensure(len);
        System.arraycopy(b, off, buf, pos, len);
        pos += len;
    }

    public void write(MemorySegment s, long off, int len) {
        ensure(len);
        MemorySegment.copy(s, ValueLayout.JAVA_BYTE, off, buf, pos, len);
        pos += len;
    }

    public void write(ByteOutput other) {
        write(other.buf, 0, other.pos);
    }

    public void writeAscii(String s) {
        int n = s.length();
        ensure(n);
        for (int i = 0; i < n; i++) {
            buf[pos + i] = (byte) s.charAt(i);
        }
        pos += n;
    }

    public void writeLong(long v) {
        ensure(Numbers.MAX_LONG_CHARS);
        pos = Numbers.writeLong(buf, pos, v);
    }

    public void writeIntLE(int v) {
        ensure(4);
        buf[pos++] = (byte) v;
        buf[pos++] = (byte) (v >>> 8);
        buf[pos++] = (byte) (v >>> 16);
        buf[pos++] = (byte) (v >>> 24);
    }

    public void setIntLE(int at, int v) {
        buf[at] = (byte) v;
        buf[at + 1] = (byte) (v >>> 8);
        buf[at + 2] = (byte) (v >>> 16);
        buf[at + 3] = (byte) (v >>> 24);
    }

    public void writeLongLE(long v) {
        ensure(8);
        for (int i = 0; i < 8; i++) {
            buf[pos++] = (byte) (v >>> (8 * i));
        }
    }

    public void crlf() {
        ensure(2);
        buf[pos++] = '\r';
        buf[pos++] = '\n';
    }
}
