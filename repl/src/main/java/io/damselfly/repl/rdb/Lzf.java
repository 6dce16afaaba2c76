package io.damselfly.repl.rdb;

/**
 * LZF decompression, for strings Redis stored compressed (RDB_ENC_LZF). The format: a control
 * byte below 32 starts a literal run of control+1 bytes; otherwise its top 3 bits are a match
 * length (7 means "add the next byte"), and with the low 5 bits and the next byte it gives a
 * back reference: copy length+2 bytes from (offset+1) bytes back.
 */
public final class Lzf {
    private Lzf() {
    }

    /** Decompresses {@code in} into exactly {@code out.length} bytes; false if the data is corrupt. */
    public static boolean decompress(byte[] in, byte[] out) {
        int ip = 0;
        int op = 0;
        while (ip < in.length) {
            int ctrl = in[ip++] & 0xff;
            if (ctrl < 32) {
                int run = ctrl + 1;
                if (op + run > out.length || ip + run > in.length) {
                    return false;
                }
                System.arraycopy(in, ip, out, op, run);
                ip += run;
                op += run;
            } else {
                int len = ctrl >>> 5;
                if (len == 7) {
                    if (ip >= in.length) {
                        return false;
                    }
                    len += in[ip++] & 0xff;
                }
                if (ip >= in.length) {
                    return false;
                }
                int ref = op - ((ctrl & 0x1f) << 8) - (in[ip++] & 0xff) - 1;
                len += 2;
                if (ref < 0 || op + len > out.length) {
                    return false;
                }
                for (int k = 0; k < len; k++) { // overlapping copies repeat bytes, so byte by byte
                    out[op++] = out[ref++];
                }
            }
        }
        return op == out.length;
    }
}
