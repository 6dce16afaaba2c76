package io.damselfly.engine.types;

import io.damselfly.engine.resp.ByteOutput;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * The compact encoding of a small set of integers (Redis's intset): sorted, each value in the
 * narrowest width that holds them all. Lives in the key's entry in the slab.
 *
 * <pre>
 * +-----------+-------------+-------------------------------------------+
 * | width u8  | count u32   | count values, little-endian, width bytes  |
 * | 2, 4, 8   |             | each, ascending                           |
 * +-----------+-------------+-------------------------------------------+
 * </pre>
 */
public final class IntSet {
    public static final int HEADER = 5;

    private IntSet() {
    }

    public static int width(MemorySegment s, long base) {
        return s.get(ValueLayout.JAVA_BYTE, base);
    }

    public static int count(MemorySegment s, long base) {
        return s.get(ValueLayout.JAVA_INT_UNALIGNED, base + 1);
    }

    public static long get(MemorySegment s, long base, int i) {
        int w = width(s, base);
        long at = base + HEADER + (long) i * w;
        return switch (w) {
            case 2 -> s.get(ValueLayout.JAVA_SHORT_UNALIGNED, at);
            case 4 -> s.get(ValueLayout.JAVA_INT_UNALIGNED, at);
            default -> s.get(ValueLayout.JAVA_LONG_UNALIGNED, at);
        };
    }

    /** Index of v, or -(insertion point) - 1. */
    public static int search(MemorySegment s, long base, long v) {
        int lo = 0;
        int hi = count(s, base) - 1;
        while (lo <= hi) {
            int mid = (lo + hi) >>> 1;
            long x = get(s, base, mid);
            if (x < v) {
                lo = mid + 1;
            } else if (x > v) {
                hi = mid - 1;
            } else {
                return mid;
            }
        }
        return -(lo + 1);
    }

    public static int widthFor(long v) {
        if (v >= Short.MIN_VALUE && v <= Short.MAX_VALUE) {
            return 2;
        }
        if (v >= Integer.MIN_VALUE && v <= Integer.MAX_VALUE) {
            return 4;
        }
        return 8;
    }

    /** Writes an intset of the given sorted values into {@code out}. */
    public static void write(ByteOutput out, long[] sorted, int n) {
        int w = 2;
        for (int i = 0; i < n; i++) {
            w = Math.max(w, widthFor(sorted[i]));
        }
        out.clear();
        out.write((byte) w);
        out.writeIntLE(n);
        for (int i = 0; i < n; i++) {
            long v = sorted[i];
            for (int k = 0; k < w; k++) {
                out.write((byte) (v >>> (8 * k)));
            }
        }
    }

    /** All values, ascending. */
    public static long[] values(MemorySegment s, long base) {
        int n = count(s, base);
        long[] v = new long[n];
        for (int i = 0; i < n; i++) {
            v[i] = get(s, base, i);
        }
        return v;
    }
}
