package io.damselfly.engine.keyspace;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;

/**
 * The 64-bit hash that places a key in its shard's table. The same bytes give the same hash
 * whether they sit in a request buffer or in the slab, so a table can grow without rehashing.
 */
public final class Hashing {
    private static final VarHandle LONG_LE =
            MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfLong SEG_LONG_LE =
            ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final long M1 = 0x9E3779B97F4A7C15L;
    private static final long M2 = 0xC2B2AE3D27D4EB4FL;

    private Hashing() {
    }

    public static long hash(byte[] b, int off, int len, long seed) {
        long h = seed ^ (len * M1);
        int i = off;
        int end = off + len;
        while (i + 8 <= end) {
            h = round(h, (long) LONG_LE.get(b, i));
            i += 8;
        }
        if (i < end) {
            long w = 0;
            for (int shift = 0; i < end; i++, shift += 8) {
                w |= (b[i] & 0xFFL) << shift;
            }
            h = round(h, w);
        }
        return finish(h);
    }

    public static long hash(MemorySegment s, long off, int len, long seed) {
        long h = seed ^ (len * M1);
        long i = off;
        long end = off + len;
        while (i + 8 <= end) {
            h = round(h, s.get(SEG_LONG_LE, i));
            i += 8;
        }
        if (i < end) {
            long w = 0;
            for (int shift = 0; i < end; i++, shift += 8) {
                w |= (s.get(ValueLayout.JAVA_BYTE, i) & 0xFFL) << shift;
            }
            h = round(h, w);
        }
        return finish(h);
    }

    private static long round(long h, long w) {
        h ^= w * M2;
        return Long.rotateLeft(h, 31) * M1;
    }

    private static long finish(long h) {
        h ^= h >>> 33;
        h *= 0xff51afd7ed558ccdL;
        h ^= h >>> 33;
        h *= 0xc4ceb9fe1a85ec53L;
        h ^= h >>> 33;
        return h;
    }
}
