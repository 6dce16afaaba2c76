package io.damselfly.repl.rdb;

/**
 * CRC-64 as Redis computes it for RDB files and DUMP payloads: the Jones polynomial
 * (0xad93d23594c935a9), reflected input and output, initial value 0, no final xor. Check value
 * of "123456789": 0xe9c6d914c4b8d9ca. Slicing by eight: eight table lookups per 8 input bytes.
 */
public final class Crc64 {
    private static final long POLY_REFLECTED = 0x95ac9329ac4bc9b5L;
    private static final long[][] TABLE = new long[8][256];

    static {
        for (int n = 0; n < 256; n++) {
            long crc = n;
            for (int k = 0; k < 8; k++) {
                crc = (crc & 1) != 0 ? (crc >>> 1) ^ POLY_REFLECTED : crc >>> 1;
            }
            TABLE[0][n] = crc;
        }
        for (int n = 0; n < 256; n++) {
            long crc = TABLE[0][n];
            for (int k = 1; k < 8; k++) {
                crc = TABLE[0][(int) (crc & 0xff)] ^ (crc >>> 8);
                TABLE[k][n] = crc;
            }
        }
    }

    private Crc64() {
    }

    public static long update(long crc, byte[] b, int off, int len) {
        long[] t0 = TABLE[0], t1 = TABLE[1], t2 = TABLE[2], t3 = TABLE[3];
        long[] t4 = TABLE[4], t5 = TABLE[5], t6 = TABLE[6], t7 = TABLE[7];
        int i = off;
        int end = off + len;
        while (end - i >= 8) {
            long v = crc ^ ((b[i] & 0xffL) | (b[i + 1] & 0xffL) << 8 | (b[i + 2] & 0xffL) << 16
                    | (b[i + 3] & 0xffL) << 24 | (b[i + 4] & 0xffL) << 32 | (b[i + 5] & 0xffL) << 40
                    | (b[i + 6] & 0xffL) << 48 | (b[i + 7] & 0xffL) << 56);
            crc = t7[(int) (v & 0xff)] ^ t6[(int) ((v >>> 8) & 0xff)] ^ t5[(int) ((v >>> 16) & 0xff)]
                    ^ t4[(int) ((v >>> 24) & 0xff)] ^ t3[(int) ((v >>> 32) & 0xff)] ^ t2[(int) ((v >>> 40) & 0xff)]
                    ^ t1[(int) ((v >>> 48) & 0xff)] ^ t0[(int) (v >>> 56)];
            i += 8;
        }
        while (i < end) {
            crc = t0[(int) ((crc ^ b[i++]) & 0xff)] ^ (crc >>> 8);
        }
        return crc;
    }
}
