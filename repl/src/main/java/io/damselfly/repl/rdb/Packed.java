package io.damselfly.repl.rdb;

import java.nio.charset.StandardCharsets;
import java.util.function.Consumer;

/**
 * Readers of the compact blobs Redis stores inside RDB strings: listpack (7.0), ziplist (before
 * 7.0), intset and zipmap (before 2.6). Each hands the elements in order to a consumer;
 * integers come out as their decimal text, as Redis returns them. A blob that does not parse
 * throws {@link IllegalArgumentException}; the reader turns it into an error at its offset.
 */
final class Packed {
    private Packed() {
    }

    private static byte[] num(long v) {
        return Long.toString(v).getBytes(StandardCharsets.US_ASCII);
    }

    private static void check(boolean ok, String what) {
        if (!ok) {
            throw new IllegalArgumentException(what);
        }
    }

    private static long le(byte[] b, int p, int n) {
        check(p + n <= b.length, "truncated");
        long v = 0;
        for (int i = 0; i < n; i++) {
            v |= (long) (b[p + i] & 0xff) << (8 * i);
        }
        return v;
    }

    /** Listpack: total bytes u32, count u16, entries (encoding, data, back length), 0xFF. */
    static void listpack(byte[] b, Consumer<byte[]> out) {
        check(b.length >= 7 && le(b, 0, 4) == b.length, "bad listpack header");
        int p = 6;
        while (true) {
            check(p < b.length, "listpack without terminator");
            int e = b[p] & 0xff;
            if (e == 0xFF) {
                check(p == b.length - 1, "bytes after listpack terminator");
                return;
            }
            int start = p;
            if ((e & 0x80) == 0) {
                out.accept(num(e & 0x7F));
                p += 1;
            } else if ((e & 0xC0) == 0x80) {
                int len = e & 0x3F;
                check(p + 1 + len <= b.length, "truncated listpack string");
                out.accept(java.util.Arrays.copyOfRange(b, p + 1, p + 1 + len));
                p += 1 + len;
            } else if ((e & 0xE0) == 0xC0) {
                long v = ((long) (e & 0x1F) << 8) | (le(b, p + 1, 1));
                if (v >= 1 << 12) {
                    v -= 1 << 13;
                }
                out.accept(num(v));
                p += 2;
            } else if ((e & 0xF0) == 0xE0) {
                int len = ((e & 0x0F) << 8) | (int) le(b, p + 1, 1);
                check(p + 2 + len <= b.length, "truncated listpack string");
                out.accept(java.util.Arrays.copyOfRange(b, p + 2, p + 2 + len));
                p += 2 + len;
            } else if (e == 0xF0) {
                long len = le(b, p + 1, 4);
                check(len >= 0 && p + 5 + len <= b.length, "truncated listpack string");
                out.accept(java.util.Arrays.copyOfRange(b, p + 5, p + 5 + (int) len));
                p += 5 + (int) len;
            } else if (e == 0xF1) {
                out.accept(num((short) le(b, p + 1, 2)));
                p += 3;
            } else if (e == 0xF2) {
                out.accept(num(((int) le(b, p + 1, 3) << 8) >> 8));
                p += 4;
            } else if (e == 0xF3) {
                out.accept(num((int) le(b, p + 1, 4)));
                p += 5;
            } else if (e == 0xF4) {
                out.accept(num(le(b, p + 1, 8)));
                p += 9;
            } else {
                throw new IllegalArgumentException("bad listpack entry encoding " + e);
            }
            int entry = p - start;
            p += entry < 128 ? 1 : entry < 16384 ? 2 : entry < 2097152 ? 3 : entry < 268435456 ? 4 : 5;
        }
    }

    /** Ziplist: bytes u32, tail u32, count u16, entries (previous length, encoding, data), 0xFF. */
    static void ziplist(byte[] b, Consumer<byte[]> out) {
        check(b.length >= 11 && le(b, 0, 4) == b.length, "bad ziplist header");
        int p = 10;
        while (true) {
            check(p < b.length, "ziplist without terminator");
            if ((b[p] & 0xff) == 0xFF) {
                check(p == b.length - 1, "bytes after ziplist terminator");
                return;
            }
            p += (b[p] & 0xff) < 254 ? 1 : 5;
            check(p < b.length, "truncated ziplist entry");
            int e = b[p] & 0xff;
            switch (e >>> 6) {
                case 0 -> {
                    int len = e & 0x3F;
                    check(p + 1 + len <= b.length, "truncated ziplist string");
                    out.accept(java.util.Arrays.copyOfRange(b, p + 1, p + 1 + len));
                    p += 1 + len;
                }
                case 1 -> {
                    check(p + 1 < b.length, "truncated ziplist string");
                    int len = ((e & 0x3F) << 8) | (b[p + 1] & 0xff);
                    check(p + 2 + len <= b.length, "truncated ziplist string");
                    out.accept(java.util.Arrays.copyOfRange(b, p + 2, p + 2 + len));
                    p += 2 + len;
                }
                case 2 -> {
                    check(p + 4 < b.length, "truncated ziplist string");
                    long len = ((long) (b[p + 1] & 0xff) << 24) | ((b[p + 2] & 0xff) << 16) | ((b[p + 3] & 0xff) << 8)
                            | (b[p + 4] & 0xff);
                    check(p + 5 + len <= b.length, "truncated ziplist string");
                    out.accept(java.util.Arrays.copyOfRange(b, p + 5, p + 5 + (int) len));
                    p += 5 + (int) len;
                }
                default -> {
                    if (e == 0xC0) {
                        out.accept(num((short) le(b, p + 1, 2)));
                        p += 3;
                    } else if (e == 0xD0) {
                        out.accept(num((int) le(b, p + 1, 4)));
                        p += 5;
                    } else if (e == 0xE0) {
                        out.accept(num(le(b, p + 1, 8)));
                        p += 9;
                    } else if (e == 0xF0) {
                        out.accept(num(((int) le(b, p + 1, 3) << 8) >> 8));
                        p += 4;
                    } else if (e == 0xFE) {
                        out.accept(num((byte) le(b, p + 1, 1)));
                        p += 2;
                    } else if (e >= 0xF1 && e <= 0xFD) {
                        out.accept(num((e & 0x0F) - 1));
                        p += 1;
                    } else {
                        throw new IllegalArgumentException("bad ziplist entry encoding " + e);
                    }
                }
            }
        }
    }

    /** Intset: width u32 (2, 4 or 8), count u32, then the sorted integers, little-endian. */
    static void intset(byte[] b, Consumer<byte[]> out) {
        check(b.length >= 8, "bad intset header");
        int width = (int) le(b, 0, 4);
        long count = le(b, 4, 4);
        check((width == 2 || width == 4 || width == 8) && 8 + count * width == b.length, "bad intset size");
        for (int i = 0; i < count; i++) {
            long v = le(b, 8 + i * width, width);
            v = width == 2 ? (short) v : width == 4 ? (int) v : v;
            out.accept(num(v));
        }
    }

    /** Zipmap (hashes before Redis 2.6): count byte, then (length, key, length, free, value, padding)*, 0xFF. */
    static void zipmap(byte[] b, Consumer<byte[]> out) {
        check(b.length >= 2, "bad zipmap");
        int p = 1;
        boolean value = false;
        while (true) {
            check(p < b.length, "zipmap without terminator");
            int l = b[p] & 0xff;
            if (l == 0xFF && !value) {
                return;
            }
            long len;
            if (l < 254) {
                len = l;
                p += 1;
            } else {
                check(l == 254, "bad zipmap length");
                len = le(b, p + 1, 4);
                p += 5;
            }
            int free = 0;
            if (value) {
                check(p < b.length, "truncated zipmap");
                free = b[p] & 0xff;
                p += 1;
            }
            check(p + len + free <= b.length, "truncated zipmap");
            out.accept(java.util.Arrays.copyOfRange(b, p, p + (int) len));
            p += (int) len + free;
            value = !value;
        }
    }
}
