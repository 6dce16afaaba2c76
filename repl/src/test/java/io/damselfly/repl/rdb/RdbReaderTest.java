package io.damselfly.repl.rdb;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The encodings older Redis versions wrote and 7.0 still loads (ziplist, zipmap, quicklist of
 * ziplists, text scores, expiry in seconds), built byte by byte from the format, and the CRC-64
 * check value.
 */
class RdbReaderTest {
    @Test
    void crc64MatchesRedisCheckValue() {
        byte[] b = "123456789".getBytes(StandardCharsets.US_ASCII);
        assertEquals(0xe9c6d914c4b8d9caL, Crc64.update(0, b, 0, b.length));
        // slicing by 8 and byte by byte agree on every length and alignment
        byte[] data = new byte[100];
        new java.util.Random(1).nextBytes(data);
        for (int len = 0; len < 100; len++) {
            long whole = Crc64.update(0, data, 0, len);
            long split = Crc64.update(Crc64.update(0, data, 0, len / 3), data, len / 3, len - len / 3);
            assertEquals(whole, split);
        }
    }

    /** A ziplist of the given entries (strings below 64 bytes, or small ints as 16-bit). */
    static byte[] ziplist(Object... entries) {
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        int prev = 0;
        for (Object e : entries) {
            ByteArrayOutputStream entry = new ByteArrayOutputStream();
            entry.write(prev);
            if (e instanceof String s) {
                entry.write(s.length());
                entry.writeBytes(s.getBytes(StandardCharsets.US_ASCII));
            } else {
                int v = (Integer) e;
                if (v >= 0 && v <= 12) {
                    entry.write(0xF1 + v);
                } else {
                    entry.write(0xC0);
                    entry.write(v & 0xff);
                    entry.write((v >>> 8) & 0xff);
                }
            }
            byte[] x = entry.toByteArray();
            prev = x.length;
            body.writeBytes(x);
        }
        int total = 10 + body.size() + 1;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        writeLE(out, total, 4);
        writeLE(out, 0, 4);
        writeLE(out, entries.length, 2);
        out.writeBytes(body.toByteArray());
        out.write(0xFF);
        return out.toByteArray();
    }

    static void writeLE(ByteArrayOutputStream out, long v, int n) {
        for (int i = 0; i < n; i++) {
            out.write((int) (v >>> (8 * i)));
        }
    }

    static void string(ByteArrayOutputStream out, byte[] s) {
        if (s.length < 64) {
            out.write(s.length);
        } else {
            out.write(0x40 | (s.length >>> 8));
            out.write(s.length & 0xff);
        }
        out.writeBytes(s);
    }

    static void string(ByteArrayOutputStream out, String s) {
        string(out, s.getBytes(StandardCharsets.US_ASCII));
    }

    /** Reads a file and renders each key as "db key type [elements] ttl". */
    static List<String> read(byte[] file) throws IOException {
        List<String> keys = new ArrayList<>();
        RdbReader.read(new RdbIn(new ByteArrayInputStream(file), 16), (db, key, kind, expireAt) -> {
            List<String> items = new ArrayList<>();
            keys.add(db + " " + new String(key, StandardCharsets.US_ASCII) + " " + kind + " " + items + " " + expireAt);
            int index = keys.size() - 1;
            return new RdbReader.Elements() {
                void add(String s) {
                    items.add(s);
                    keys.set(index, db + " " + new String(key, StandardCharsets.US_ASCII) + " " + kind + " " + items + " "
                            + expireAt);
                }

                public void string(byte[] v) {
                    add(new String(v, StandardCharsets.US_ASCII));
                }

                public void element(byte[] e) {
                    add(new String(e, StandardCharsets.US_ASCII));
                }

                public void pair(byte[] f, byte[] v) {
                    add(new String(f, StandardCharsets.US_ASCII) + "=" + new String(v, StandardCharsets.US_ASCII));
                }

                public void member(byte[] m, double s) {
                    add(new String(m, StandardCharsets.US_ASCII) + "=" + s);
                }
            };
        });
        return keys;
    }

    static byte[] file(int version, ByteArrayOutputStream body) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(String.format("REDIS%04d", version).getBytes(StandardCharsets.US_ASCII));
        out.writeBytes(body.toByteArray());
        out.write(0xFF);
        byte[] sofar = out.toByteArray();
        if (version >= 5) {
            writeLE(out, Crc64.update(0, sofar, 0, sofar.length), 8);
        }
        return out.toByteArray();
    }

    @Test
    void oldEncodingsLoad() throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        b.write(Rdb.OPCODE_SELECTDB);
        b.write(2);
        b.write(Rdb.OPCODE_RESIZEDB);
        b.write(9);
        b.write(1);
        b.write(Rdb.TYPE_LIST_ZIPLIST);
        string(b, "zl");
        string(b, ziplist("a", 7, -300, "bc"));
        b.write(Rdb.OPCODE_EXPIRETIME);
        writeLE(b, 2_000_000_000L, 4);
        b.write(Rdb.TYPE_HASH_ZIPMAP);
        string(b, "zm");
        string(b, new byte[] {2, 1, 'f', 1, 0, 'v', 2, 'g', 'g', 3, 1, 'w', 'x', 'y', 'z', (byte) 0xFF}); // "z" is free space after the value
        b.write(Rdb.TYPE_ZSET);
        string(b, "z1");
        b.write(2);
        string(b, "m");
        b.write(3);
        b.writeBytes("1.5".getBytes(StandardCharsets.US_ASCII));
        string(b, "n");
        b.write(254);
        b.write(Rdb.TYPE_LIST_QUICKLIST);
        string(b, "ql");
        b.write(2);
        string(b, ziplist("x", 1));
        string(b, ziplist("y"));
        b.write(Rdb.TYPE_ZSET_ZIPLIST);
        string(b, "zz");
        string(b, ziplist("a", "2.5", "b", 3));
        b.write(Rdb.TYPE_HASH_ZIPLIST);
        string(b, "hz");
        string(b, ziplist("f", "v", "n", 12));
        b.write(Rdb.TYPE_SET_INTSET);
        string(b, "is");
        ByteArrayOutputStream is = new ByteArrayOutputStream();
        writeLE(is, 2, 4);
        writeLE(is, 3, 4);
        writeLE(is, -5 & 0xffff, 2);
        writeLE(is, 1, 2);
        writeLE(is, 300, 2);
        string(b, is.toByteArray());
        b.write(Rdb.TYPE_STRING);
        string(b, "int");
        b.write(0xC0 | Rdb.ENC_INT16);
        writeLE(b, -1234 & 0xffff, 2);
        List<String> keys = read(file(9, b));
        assertEquals(List.of(
                "2 zl 1 [a, 7, -300, bc] -1",
                "2 zm 4 [f=v, gg=wxy] 2000000000000",
                "2 z1 3 [m=1.5, n=Infinity] -1",
                "2 ql 1 [x, 1, y] -1",
                "2 zz 3 [a=2.5, b=3.0] -1",
                "2 hz 4 [f=v, n=12] -1",
                "2 is 2 [-5, 1, 300] -1",
                "2 int 0 [-1234] -1"), keys);
    }

    @Test
    void corruptionIsReportedWithItsOffset() throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        b.write(Rdb.TYPE_LIST_ZIPLIST);
        string(b, "zl");
        byte[] zl = ziplist("a", "b");
        zl[zl.length - 1] = 0x01; // no terminator
        string(b, zl);
        RdbException e = assertThrows(RdbException.class, () -> read(file(10, b)));
        assertEquals(13, e.offset());
        assertTrue(e.getMessage().contains("ziplist"), e.getMessage());
    }
}
