package io.damselfly.engine.keyspace;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Layout of one key's entry in the slab. All fields are native-endian.
 *
 * <pre>
 *  0        1        2        3        4                 8                 12                16
 * +--------+--------+--------+--------+-----------------+-----------------+-----------------+
 * | class  | flags  | lfu    | spare  | lru (u32 secs)  | key length u32  | value length u32|
 * +--------+--------+--------+--------+-----------------+-----------------+-----------------+
 * | expire at, unix ms, i64 (only when flags has EXPIRES) |
 * +-------------------------------------------------------+
 * | key bytes ... | value bytes ...                        |
 * +-------------------------------------------------------+
 * flags: bits 0-3 type, bit 4 EXPIRES, bits 5-6 encoding
 * </pre>
 *
 * <p>Byte 0 belongs to the slab (the chunk's size class). A value's meaning depends on its type:
 * a string's bytes; for the other types, the bytes of their compact encoding or a handle.
 */
public final class Entry {
    public static final int CLASS = 0;
    public static final int FLAGS = 1;
    public static final int LFU = 2;
    public static final int LRU = 4;
    public static final int KEY_LEN = 8;
    public static final int VALUE_LEN = 12;
    public static final int HEADER = 16;
    public static final int EXPIRE_AT = 16;

    public static final int TYPE_MASK = 0x0F;
    public static final int EXPIRES = 0x10;
    public static final int ENCODING_SHIFT = 5;
    public static final int ENCODING_MASK = 0x60;

    public static final int TYPE_STRING = 0;
    public static final int TYPE_LIST = 1;
    public static final int TYPE_SET = 2;
    public static final int TYPE_ZSET = 3;
    public static final int TYPE_HASH = 4;
    public static final int TYPE_STREAM = 5;

    static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT_UNALIGNED;
    static final ValueLayout.OfLong LONG = ValueLayout.JAVA_LONG_UNALIGNED;

    private Entry() {
    }

    public static int size(int keyLen, long valueLen, boolean expires) {
        long size = HEADER + (expires ? 8L : 0L) + keyLen + valueLen;
        if (size > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("entry too large");
        }
        return (int) size;
    }

    public static int flags(MemorySegment page, long o) {
        return page.get(ValueLayout.JAVA_BYTE, o + FLAGS) & 0xFF;
    }

    public static int type(MemorySegment page, long o) {
        return flags(page, o) & TYPE_MASK;
    }

    public static boolean expires(MemorySegment page, long o) {
        return (flags(page, o) & EXPIRES) != 0;
    }

    public static long expireAt(MemorySegment page, long o) {
        return expires(page, o) ? page.get(LONG, o + EXPIRE_AT) : -1;
    }

    public static void setExpireAt(MemorySegment page, long o, long at) {
        page.set(LONG, o + EXPIRE_AT, at);
    }

    public static int keyLen(MemorySegment page, long o) {
        return page.get(INT, o + KEY_LEN);
    }

    public static int valueLen(MemorySegment page, long o) {
        return page.get(INT, o + VALUE_LEN);
    }

    public static void setValueLen(MemorySegment page, long o, int len) {
        page.set(INT, o + VALUE_LEN, len);
    }

    public static long keyOffset(MemorySegment page, long o) {
        return o + HEADER + ((flags(page, o) & EXPIRES) != 0 ? 8 : 0);
    }

    public static long valueOffset(MemorySegment page, long o) {
        return keyOffset(page, o) + keyLen(page, o);
    }

    public static int lru(MemorySegment page, long o) {
        return page.get(INT, o + LRU);
    }

    public static void setLru(MemorySegment page, long o, int clock) {
        page.set(INT, o + LRU, clock);
    }

    public static int lfu(MemorySegment page, long o) {
        return page.get(ValueLayout.JAVA_BYTE, o + LFU) & 0xFF;
    }

    public static void setLfu(MemorySegment page, long o, int counter) {
        page.set(ValueLayout.JAVA_BYTE, o + LFU, (byte) counter);
    }

    /** Writes the header of a fresh chunk; returns the offset where the key goes. */
    public static long init(MemorySegment page, long o, int flags, int keyLen, int valueLen, long expireAt,
                            int lru) {
        page.set(ValueLayout.JAVA_BYTE, o + FLAGS, (byte) flags);
        page.set(ValueLayout.JAVA_BYTE, o + LFU, (byte) 5); // LFU_INIT_VAL, as Redis
        page.set(ValueLayout.JAVA_BYTE, o + 3, (byte) 0);
        page.set(INT, o + LRU, lru);
        page.set(INT, o + KEY_LEN, keyLen);
        page.set(INT, o + VALUE_LEN, valueLen);
        if ((flags & EXPIRES) != 0) {
            page.set(LONG, o + EXPIRE_AT, expireAt);
            return o + HEADER + 8;
        }
        return o + HEADER;
    }

    public static byte[] copyKey(MemorySegment page, long o) {
        int len = keyLen(page, o);
        byte[] key = new byte[len];
        MemorySegment.copy(page, ValueLayout.JAVA_BYTE, keyOffset(page, o), key, 0, len);
        return key;
    }

    public static byte[] copyValue(MemorySegment page, long o) {
        int len = valueLen(page, o);
        byte[] value = new byte[len];
        MemorySegment.copy(page, ValueLayout.JAVA_BYTE, valueOffset(page, o), value, 0, len);
        return value;
    }
}
