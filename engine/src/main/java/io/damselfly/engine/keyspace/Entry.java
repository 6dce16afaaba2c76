package io.damselfly.engine.keyspace;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Layout of one key's entry in the slab. Multi-byte fields are native-endian. Most keys take
 * the compact form (8-byte header); a key longer than 255 bytes or a value longer than 65535
 * bytes takes the long form (16-byte header).
 *
 * <pre>
 * compact                                               long (flags has LONG)
 *  0        1        2 .. 4     5       6 .. 7           0      1      2 .. 4    5 .. 7   8 .. 11     12 .. 15
 * +--------+--------+----------+-------+---------+      +------+------+---------+-------+-----------+-----------+
 * | class  | flags  | access   | klen  | vlen    |      |class |flags | access  | spare | klen u32  | vlen u32  |
 * |        |        | u24      | u8    | u16     |      |      |      | u24     |       |           |           |
 * +--------+--------+----------+-------+---------+      +------+------+---------+-------+-----------+-----------+
 * then: [expire at, unix ms, i64 — only when flags has EXPIRES] [key bytes] [value bytes]
 *
 * flags: bits 0-3 type, bit 4 EXPIRES, bit 5 LONG, bit 6 RAW (a string edited in place),
 *        bit 7 HANDLE (the value is a 4-byte handle to a large value kept by the shard)
 * access: LRU clock in seconds (24 bits), or with an LFU policy minutes (16 bits) and counter (8 bits)
 * </pre>
 *
 * <p>Byte 0 belongs to the slab (the chunk's size class). For a string the value is its bytes;
 * the other types define their own value encodings.
 */
public final class Entry {
    public static final int CLASS = 0;
    public static final int FLAGS = 1;
    public static final int ACCESS = 2;
    static final int KEY_LEN_COMPACT = 5;
    static final int VALUE_LEN_COMPACT = 6;
    static final int KEY_LEN_LONG = 8;
    static final int VALUE_LEN_LONG = 12;
    public static final int HEADER_COMPACT = 8;
    public static final int HEADER_LONG = 16;
    public static final int MAX_COMPACT_KEY = 255;
    public static final int MAX_COMPACT_VALUE = 65535;

    public static final int TYPE_MASK = 0x0F;
    public static final int EXPIRES = 0x10;
    public static final int LONG = 0x20;
    public static final int RAW = 0x40;
    public static final int HANDLE = 0x80;
    public static final int ENCODING_MASK = RAW | HANDLE;

    public static final int TYPE_STRING = 0;
    public static final int TYPE_LIST = 1;
    public static final int TYPE_SET = 2;
    public static final int TYPE_ZSET = 3;
    public static final int TYPE_HASH = 4;
    public static final int TYPE_STREAM = 5;

    /** LFU counter of a new key, as Redis's LFU_INIT_VAL. */
    public static final int LFU_INIT = 5;

    static final ValueLayout.OfByte BYTE = ValueLayout.JAVA_BYTE;
    static final ValueLayout.OfShort SHORT = ValueLayout.JAVA_SHORT_UNALIGNED;
    static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT_UNALIGNED;
    static final ValueLayout.OfLong LONG_LAYOUT = ValueLayout.JAVA_LONG_UNALIGNED;

    private Entry() {
    }

    public static boolean fitsCompact(long keyLen, long valueLen) {
        return keyLen <= MAX_COMPACT_KEY && valueLen <= MAX_COMPACT_VALUE;
    }

    public static int size(int keyLen, long valueLen, boolean expires) {
        long size = (fitsCompact(keyLen, valueLen) ? HEADER_COMPACT : HEADER_LONG) + (expires ? 8L : 0L) + keyLen
                + valueLen;
        if (size > Integer.MAX_VALUE - 64) {
            throw new IllegalArgumentException("entry too large");
        }
        return (int) size;
    }

    public static int flags(MemorySegment page, long o) {
        return page.get(BYTE, o + FLAGS) & 0xFF;
    }

    public static int type(MemorySegment page, long o) {
        return flags(page, o) & TYPE_MASK;
    }

    public static boolean expires(MemorySegment page, long o) {
        return (flags(page, o) & EXPIRES) != 0;
    }

    public static boolean isLong(MemorySegment page, long o) {
        return (flags(page, o) & LONG) != 0;
    }

    private static int header(int flags) {
        return ((flags & LONG) != 0 ? HEADER_LONG : HEADER_COMPACT);
    }

    public static long expireAt(MemorySegment page, long o) {
        int f = flags(page, o);
        return (f & EXPIRES) != 0 ? page.get(LONG_LAYOUT, o + header(f)) : -1;
    }

    public static void setExpireAt(MemorySegment page, long o, long at) {
        page.set(LONG_LAYOUT, o + header(flags(page, o)), at);
    }

    public static int keyLen(MemorySegment page, long o) {
        return (flags(page, o) & LONG) != 0 ? page.get(INT, o + KEY_LEN_LONG)
                : page.get(BYTE, o + KEY_LEN_COMPACT) & 0xFF;
    }

    public static int valueLen(MemorySegment page, long o) {
        return (flags(page, o) & LONG) != 0 ? page.get(INT, o + VALUE_LEN_LONG)
                : page.get(SHORT, o + VALUE_LEN_COMPACT) & 0xFFFF;
    }

    /** Whether a value of {@code len} bytes fits the entry's header form (for in-place resizing). */
    public static boolean canHoldValue(MemorySegment page, long o, long len) {
        return (flags(page, o) & LONG) != 0 ? len <= Integer.MAX_VALUE - 64 : len <= MAX_COMPACT_VALUE;
    }

    public static void setValueLen(MemorySegment page, long o, int len) {
        if ((flags(page, o) & LONG) != 0) {
            page.set(INT, o + VALUE_LEN_LONG, len);
        } else {
            page.set(SHORT, o + VALUE_LEN_COMPACT, (short) len);
        }
    }

    public static long keyOffset(MemorySegment page, long o) {
        int f = flags(page, o);
        return o + header(f) + ((f & EXPIRES) != 0 ? 8 : 0);
    }

    public static long valueOffset(MemorySegment page, long o) {
        return keyOffset(page, o) + keyLen(page, o);
    }

    /** The 24-bit access field (LRU seconds, or LFU minutes and counter). */
    public static int access(MemorySegment page, long o) {
        return (page.get(BYTE, o + ACCESS) & 0xFF) | (page.get(BYTE, o + ACCESS + 1) & 0xFF) << 8
                | (page.get(BYTE, o + ACCESS + 2) & 0xFF) << 16;
    }

    public static void setAccess(MemorySegment page, long o, int access) {
        page.set(BYTE, o + ACCESS, (byte) access);
        page.set(BYTE, o + ACCESS + 1, (byte) (access >>> 8));
        page.set(BYTE, o + ACCESS + 2, (byte) (access >>> 16));
    }

    public static void markRaw(MemorySegment page, long o) {
        page.set(BYTE, o + FLAGS, (byte) (flags(page, o) | RAW));
    }

    /**
     * Writes the header of a fresh chunk (form chosen by the lengths); returns the offset where
     * the key goes. {@code flags} gives the type, EXPIRES and RAW; LONG is decided here.
     */
    public static long init(MemorySegment page, long o, int flags, int keyLen, int valueLen, long expireAt,
                            int access) {
        boolean compact = fitsCompact(keyLen, valueLen);
        int f = (flags & ~LONG) | (compact ? 0 : LONG);
        page.set(BYTE, o + FLAGS, (byte) f);
        setAccess(page, o, access);
        long at;
        if (compact) {
            page.set(BYTE, o + KEY_LEN_COMPACT, (byte) keyLen);
            page.set(SHORT, o + VALUE_LEN_COMPACT, (short) valueLen);
            at = o + HEADER_COMPACT;
        } else {
            page.set(BYTE, o + 5, (byte) 0);
            page.set(SHORT, o + 6, (short) 0);
            page.set(INT, o + KEY_LEN_LONG, keyLen);
            page.set(INT, o + VALUE_LEN_LONG, valueLen);
            at = o + HEADER_LONG;
        }
        if ((f & EXPIRES) != 0) {
            page.set(LONG_LAYOUT, at, expireAt);
            return at + 8;
        }
        return at;
    }

    public static byte[] copyKey(MemorySegment page, long o) {
        int len = keyLen(page, o);
        byte[] key = new byte[len];
        MemorySegment.copy(page, BYTE, keyOffset(page, o), key, 0, len);
        return key;
    }

    public static byte[] copyValue(MemorySegment page, long o) {
        int len = valueLen(page, o);
        byte[] value = new byte[len];
        MemorySegment.copy(page, BYTE, valueOffset(page, o), value, 0, len);
        return value;
    }
}
