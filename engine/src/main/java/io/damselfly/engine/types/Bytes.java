package io.damselfly.engine.types;

import io.damselfly.engine.keyspace.Hashing;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;

/** Comparisons and hashing of byte strings wherever they lie (arrays, the slab). */
public final class Bytes {
    private Bytes() {
    }

    /** Unsigned lexicographic comparison, as Redis's memcmp-based ordering of members. */
    public static int compare(byte[] a, int ao, int al, byte[] b, int bo, int bl) {
        return Arrays.compareUnsigned(a, ao, ao + al, b, bo, bo + bl);
    }

    public static int compare(byte[] a, byte[] b) {
        return Arrays.compareUnsigned(a, b);
    }

    public static int compare(MemorySegment s, long so, int sl, byte[] b, int bo, int bl) {
        int n = Math.min(sl, bl);
        for (int i = 0; i < n; i++) {
            int x = s.get(ValueLayout.JAVA_BYTE, so + i) & 0xFF;
            int y = b[bo + i] & 0xFF;
            if (x != y) {
                return x - y;
            }
        }
        return sl - bl;
    }

    public static boolean equals(byte[] a, byte[] b, int bo, int bl) {
        return a.length == bl && Arrays.equals(a, 0, a.length, b, bo, bo + bl);
    }

    public static int hash(byte[] b, int off, int len, long seed) {
        long h = Hashing.hash(b, off, len, seed);
        return (int) (h ^ (h >>> 32));
    }

    public static byte[] copy(byte[] b, int off, int len) {
        return Arrays.copyOfRange(b, off, off + len);
    }
}
