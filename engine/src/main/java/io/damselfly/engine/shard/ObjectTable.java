package io.damselfly.engine.shard;

import java.util.Arrays;

/**
 * A shard's large values (collections past their compact encodings), referred to from their
 * entries by a 4-byte handle. Owned by the shard thread.
 *
 * <p>It keeps an estimate of the bytes they hold (for maxmemory and INFO), at O(1) amortised per
 * change: a value is measured ({@link LargeValue#memory}, a walk) when it arrives and again once
 * its element count has moved by an eighth since; in between its bytes are scaled by the count.
 */
final class ObjectTable {
    private Object[] objects = new Object[64];
    private long[] bytes = new long[64];
    private long[] measuredBytes = new long[64];
    private long[] measuredSize = new long[64];
    private long total;
    private int[] free = new int[16];
    private int freeCount;
    private int next = 1; // handle 0 is never used
    private int live;

    int add(Object o) {
        int h;
        if (freeCount > 0) {
            h = free[--freeCount];
        } else {
            if (next == objects.length) {
                objects = Arrays.copyOf(objects, objects.length * 2);
                bytes = Arrays.copyOf(bytes, objects.length);
                measuredBytes = Arrays.copyOf(measuredBytes, objects.length);
                measuredSize = Arrays.copyOf(measuredSize, objects.length);
            }
            h = next++;
        }
        objects[h] = o;
        live++;
        measure(h);
        return h;
    }

    Object get(int handle) {
        return objects[handle];
    }

    void set(int handle, Object o) {
        objects[handle] = o;
        measure(handle);
    }

    void remove(int handle) {
        objects[handle] = null;
        total -= bytes[handle];
        bytes[handle] = 0;
        if (freeCount == free.length) {
            free = Arrays.copyOf(free, free.length * 2);
        }
        free[freeCount++] = handle;
        live--;
    }

    void clear() {
        Arrays.fill(objects, null);
        Arrays.fill(bytes, 0);
        total = 0;
        freeCount = 0;
        next = 1;
        live = 0;
    }

    int live() {
        return live;
    }

    /** The estimated bytes of every large value. */
    long bytes() {
        return total;
    }

    /** The value behind {@code handle} changed in place (or went: then nothing happens). */
    void reaccount(int handle) {
        if (!(objects[handle] instanceof LargeValue lv)) {
            return;
        }
        long size = lv.size();
        long at = measuredSize[handle];
        if (Math.abs(size - at) * 8 > at + 64) {
            measure(handle);
            return;
        }
        long estimate = at == 0 ? measuredBytes[handle] : (long) ((double) measuredBytes[handle] * size / at);
        total += estimate - bytes[handle];
        bytes[handle] = estimate;
    }

    private void measure(int handle) {
        Object o = objects[handle];
        long m;
        long size;
        if (o instanceof LargeValue lv) {
            m = lv.memory();
            size = lv.size();
        } else {
            m = 64;
            size = 0;
        }
        total += m - bytes[handle];
        bytes[handle] = m;
        measuredBytes[handle] = m;
        measuredSize[handle] = size;
    }
}
