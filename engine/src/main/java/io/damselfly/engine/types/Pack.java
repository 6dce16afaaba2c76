package io.damselfly.engine.types;

import io.damselfly.engine.resp.ByteOutput;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;

/**
 * The compact encoding of small collections (Redis's listpack in spirit): a count and the
 * elements one after the other, each with its length. Hashes store field, value pairs; sorted
 * sets member, score pairs (the score as 8 bytes); lists their elements. It lives in the key's
 * entry in the slab and is read there in place; a change writes a new pack.
 *
 * <pre>
 * +-------------+----------------------------+----------------------------+---
 * | count u32   | len (varint) | bytes       | len (varint) | bytes       | ...
 * +-------------+----------------------------+----------------------------+---
 * varint: 7 bits a byte, low bits first, high bit set on all but the last byte
 * </pre>
 */
public final class Pack {
    public static final int HEADER = 4;

    private Pack() {
    }

    // ------------------------------------------------------------------ reading in place

    /** A cursor over a pack in the slab (or in a byte array); reused by its owner thread. */
    public static final class Cursor {
        private MemorySegment seg;
        private long base;
        private long end;
        private long pos;
        private int count;
        private int index;
        /** The current element: where its bytes start and how many. */
        public long elemOff;
        public int elemLen;

        public Cursor of(MemorySegment seg, long base, int len) {
            this.seg = seg;
            this.base = base;
            this.end = base + len;
            this.count = seg.get(ValueLayout.JAVA_INT_UNALIGNED, base);
            rewind();
            return this;
        }

        public Cursor of(byte[] pack, int len) {
            return of(MemorySegment.ofArray(pack), 0, len);
        }

        public void rewind() {
            pos = base + HEADER;
            index = 0;
        }

        public int count() {
            return count;
        }

        public int index() {
            return index;
        }

        /** Offset of the element about to be read (for splicing new packs). */
        public long position() {
            return pos;
        }

        public long base() {
            return base;
        }

        public long end() {
            return end;
        }

        public MemorySegment segment() {
            return seg;
        }

        /** Advances to the next element; false at the end. */
        public boolean next() {
            if (index >= count) {
                return false;
            }
            int len = 0;
            int shift = 0;
            for (;;) {
                int b = seg.get(ValueLayout.JAVA_BYTE, pos++) & 0xFF;
                len |= (b & 0x7F) << shift;
                if ((b & 0x80) == 0) {
                    break;
                }
                shift += 7;
            }
            elemLen = len;
            elemOff = pos;
            pos += len;
            index++;
            return true;
        }

        /** Moves to a position {@link #position()} returned, where element {@code index} starts. */
        public void seek(long position, int index) {
            this.pos = position;
            this.index = index;
        }

        /** Skips the next element without reading it. */
        public boolean skip() {
            return next();
        }

        public boolean equalsElement(byte[] b, int off, int len) {
            if (len != elemLen) {
                return false;
            }
            if (len == 0) {
                return true;
            }
            // Neighbouring fields often share a prefix and differ at the end ("f:0041", "f:0042"):
            // the last byte rejects most of them before a full comparison.
            if (seg.get(ValueLayout.JAVA_BYTE, elemOff + len - 1) != b[off + len - 1]) {
                return false;
            }
            if (len <= 16) {
                for (int i = 0; i < len - 1; i++) {
                    if (seg.get(ValueLayout.JAVA_BYTE, elemOff + i) != b[off + i]) {
                        return false;
                    }
                }
                return true;
            }
            return MemorySegment.mismatch(seg, elemOff, elemOff + len, MemorySegment.ofArray(b), off, off + len) < 0;
        }

        public byte[] element() {
            byte[] out = new byte[elemLen];
            MemorySegment.copy(seg, ValueLayout.JAVA_BYTE, elemOff, out, 0, elemLen);
            return out;
        }

        /** The current element read as an 8-byte score. */
        public double score() {
            return seg.get(ValueLayout.JAVA_DOUBLE_UNALIGNED, elemOff);
        }

        /** Compares the current element with b[off, off+len) as unsigned bytes. */
        public int compareElement(byte[] b, int off, int len) {
            return Bytes.compare(seg, elemOff, elemLen, b, off, len);
        }
    }

    // ------------------------------------------------------------------ writing

    public static int varintSize(int len) {
        int n = 1;
        while ((len >>>= 7) != 0) {
            n++;
        }
        return n;
    }

    /** Bytes an element takes in a pack. */
    public static int entrySize(int len) {
        return varintSize(len) + len;
    }

    /** Starts a pack in {@code out} (count filled in by {@link #finish}). */
    public static void begin(ByteOutput out) {
        out.clear();
        out.writeIntLE(0);
    }

    public static void add(ByteOutput out, byte[] b, int off, int len) {
        writeVarint(out, len);
        out.write(b, off, len);
    }

    public static void add(ByteOutput out, MemorySegment s, long off, int len) {
        writeVarint(out, len);
        out.write(s, off, len);
    }

    public static void addScore(ByteOutput out, double score) {
        writeVarint(out, 8);
        out.writeLongLE(Double.doubleToRawLongBits(score));
    }

    public static void finish(ByteOutput out, int count) {
        out.setIntLE(0, count);
    }

    private static void writeVarint(ByteOutput out, int v) {
        while ((v & ~0x7F) != 0) {
            out.write((byte) ((v & 0x7F) | 0x80));
            v >>>= 7;
        }
        out.write((byte) v);
    }

    /** Copies the cursor's elements [from, to) (by element index) into {@code out}. */
    public static void copyRange(Cursor c, int from, int to, ByteOutput out) {
        c.rewind();
        while (c.index() < from && c.next()) {
            // skip
        }
        long start = c.position();
        while (c.index() < to && c.next()) {
            // walk
        }
        long stop = c.position();
        out.write(c.segment(), start, (int) (stop - start));
    }

    /** A pack of the given elements, as a new array. */
    public static byte[] of(byte[]... elements) {
        ByteOutput out = new ByteOutput(64);
        begin(out);
        for (byte[] e : elements) {
            add(out, e, 0, e.length);
        }
        finish(out, elements.length);
        return Arrays.copyOf(out.array(), out.size());
    }
}
