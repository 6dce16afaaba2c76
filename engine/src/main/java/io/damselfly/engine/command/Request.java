package io.damselfly.engine.command;

import io.damselfly.engine.resp.Numbers;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * A command's arguments as offsets into the buffer they arrived in; argument 0 is the command
 * name. A view, reused by its owner: valid while that buffer and those offsets stay put.
 */
public final class Request {
    private byte[] buf;
    private int[] off;
    private int[] len;
    private int base;
    private int argc;
    /** Made on the first number parsed: most requests (a replica's, one per record) never parse one. */
    private Numbers.LongResult number;

    public Request set(byte[] buf, int[] off, int[] len, int base, int argc) {
        this.buf = buf;
        this.off = off;
        this.len = len;
        this.base = base;
        this.argc = argc;
        return this;
    }

    /** Builds a request that owns its arguments (tests, internal commands). */
    public static Request of(byte[]... args) {
        int total = 0;
        for (byte[] a : args) {
            total += a.length;
        }
        byte[] buf = new byte[total];
        int[] off = new int[args.length];
        int[] len = new int[args.length];
        int p = 0;
        for (int i = 0; i < args.length; i++) {
            System.arraycopy(args[i], 0, buf, p, args[i].length);
            off[i] = p;
            len[i] = args[i].length;
            p += args[i].length;
        }
        return new Request().set(buf, off, len, 0, args.length);
    }

    public static Request of(String... args) {
        byte[][] b = new byte[args.length][];
        for (int i = 0; i < args.length; i++) {
            b[i] = args[i].getBytes(StandardCharsets.UTF_8);
        }
        return of(b);
    }

    public int argc() {
        return argc;
    }

    public byte[] buf() {
        return buf;
    }

    public int off(int i) {
        return off[base + i];
    }

    public int len(int i) {
        return len[base + i];
    }

    public int[] offsets() {
        return off;
    }

    public int[] lengths() {
        return len;
    }

    public int base() {
        return base;
    }

    /** Case-insensitive comparison of argument i with a lowercase ASCII token. */
    public boolean is(int i, String lowercase) {
        int l = len(i);
        if (l != lowercase.length()) {
            return false;
        }
        int o = off(i);
        for (int k = 0; k < l; k++) {
            int c = buf[o + k];
            if (c >= 'A' && c <= 'Z') {
                c += 32;
            }
            if (c != lowercase.charAt(k)) {
                return false;
            }
        }
        return true;
    }

    public boolean equalArgs(int i, int j) {
        return Arrays.equals(buf, off(i), off(i) + len(i), buf, off(j), off(j) + len(j));
    }

    public byte[] copy(int i) {
        return Arrays.copyOfRange(buf, off(i), off(i) + len(i));
    }

    public String str(int i) {
        return new String(buf, off(i), len(i), StandardCharsets.UTF_8);
    }

    public String lower(int i) {
        return str(i).toLowerCase(java.util.Locale.ROOT);
    }

    /** Parses argument i as Redis's string2ll; the value is then {@link #longValue()}. */
    public boolean parseLong(int i) {
        if (number == null) {
            number = new Numbers.LongResult();
        }
        return Numbers.parseLong(buf, off(i), len(i), number);
    }

    public long longValue() {
        return number.value;
    }

    public double parseDouble(int i) {
        return Numbers.parseDouble(buf, off(i), len(i));
    }

    /** Arguments from i on, as strings (for messages and logs). */
    public String describe() {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < argc; i++) {
            if (i > 0) {
                sb.append(' ');
            }
            sb.append(str(i));
        }
        return sb.toString();
    }
}
