package io.damselfly.engine.shard;

import java.util.Arrays;

/**
 * A shard's large values (collections past their compact encodings), referred to from their
 * entries by a 4-byte handle. Owned by the shard thread.
 */
final class ObjectTable {
    private Object[] objects = new Object[64];
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
            }
            h = next++;
        }
        objects[h] = o;
        live++;
        return h;
    }

    Object get(int handle) {
        return objects[handle];
    }

    void set(int handle, Object o) {
        objects[handle] = o;
    }

    void remove(int handle) {
        objects[handle] = null;
        if (freeCount == free.length) {
            free = Arrays.copyOf(free, free.length * 2);
        }
        free[freeCount++] = handle;
        live--;
    }

    void clear() {
        Arrays.fill(objects, null);
        freeCount = 0;
        next = 1;
        live = 0;
    }

    int live() {
        return live;
    }
}
