package io.damselfly.engine.resp;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.math.BigDecimal;
import java.math.MathContext;
import java.math.RoundingMode;
import java.nio.charset.StandardCharsets;

/** Number parsing and formatting with Redis's rules (string2ll, ll2string, long double output). */
public final class Numbers {
    /** Digits a long can print to, with sign. */
    public static final int MAX_LONG_CHARS = 20;
    private static final byte[] MIN_LONG = "-9223372036854775808".getBytes(StandardCharsets.US_ASCII);

    private Numbers() {
    }

    /** Holder for a parsed value, reused by its single owner thread. */
    public static final class LongResult {
        public long value;
    }

    /**
     * Redis's string2ll: optional '-', no leading zeros, no '+', no spaces, at most 20 chars.
     * Returns false when the bytes are not such a number.
     */
    public static boolean parseLong(byte[] b, int off, int len, LongResult out) {
        if (len == 0 || len > 20) {
            return false;
        }
        if (len == 1 && b[off] == '0') {
            out.value = 0;
            return true;
        }
        int p = off;
        int end = off + len;
        boolean negative = false;
        if (b[p] == '-') {
            negative = true;
            p++;
            if (p == end) {
                return false;
            }
        }
        int d = b[p] - '0';
        if (d < 1 || d > 9) {
            return false;
        }
        long v = -d; // accumulate negatively to reach Long.MIN_VALUE
        p++;
        while (p < end) {
            d = b[p] - '0';
            if (d < 0 || d > 9) {
                return false;
            }
            if (v < Long.MIN_VALUE / 10) {
                return false;
            }
            v *= 10;
            if (v < Long.MIN_VALUE + d) {
                return false;
            }
            v -= d;
            p++;
        }
        if (negative) {
            out.value = v;
        } else {
            if (v == Long.MIN_VALUE) {
                return false;
            }
            out.value = -v;
        }
        return true;
    }

    public static boolean parseLong(MemorySegment s, long off, int len, LongResult out) {
        if (len == 0 || len > 20) {
            return false;
        }
        byte[] tmp = new byte[len];
        MemorySegment.copy(s, ValueLayout.JAVA_BYTE, off, tmp, 0, len);
        return parseLong(tmp, 0, len, out);
    }

    /** Number of bytes {@link #writeLong} produces. */
    public static int longLength(long v) {
        if (v == Long.MIN_VALUE) {
            return 20;
        }
        int n = 1;
        if (v < 0) {
            n++;
            v = -v;
        }
        while (v >= 10) {
            v /= 10;
            n++;
        }
        return n;
    }

    /** Writes v in decimal at b[off]; returns the offset after it. */
    public static int writeLong(byte[] b, int off, long v) {
        if (v == Long.MIN_VALUE) {
            System.arraycopy(MIN_LONG, 0, b, off, MIN_LONG.length);
            return off + MIN_LONG.length;
        }
        if (v >= 0 && v < 10) {
            b[off] = (byte) ('0' + v);
            return off + 1;
        }
        int len = longLength(v);
        int end = off + len;
        int p = end;
        boolean negative = v < 0;
        if (negative) {
            v = -v;
        }
        do {
            b[--p] = (byte) ('0' + (v % 10));
            v /= 10;
        } while (v != 0);
        if (negative) {
            b[--p] = '-';
        }
        return end;
    }

    public static byte[] toBytes(long v) {
        byte[] b = new byte[longLength(v)];
        writeLong(b, 0, v);
        return b;
    }

    /**
     * Parses a double as Redis's string2d/string2ld accept it: strtod syntax, no leading or
     * trailing space, not NaN. Returns NaN when the bytes are not a valid number.
     */
    public static double parseDouble(byte[] b, int off, int len) {
        if (len == 0 || len > 5120) {
            return Double.NaN;
        }
        if (isSpace(b[off]) || isSpace(b[off + len - 1])) {
            return Double.NaN;
        }
        String s = new String(b, off, len, StandardCharsets.ISO_8859_1);
        return parseDouble(s);
    }

    static double parseDouble(String s) {
        String t = s.toLowerCase();
        int sign = 1;
        String u = t;
        if (u.startsWith("+") || u.startsWith("-")) {
            sign = u.charAt(0) == '-' ? -1 : 1;
            u = u.substring(1);
        }
        if (u.equals("inf") || u.equals("infinity")) {
            return sign * Double.POSITIVE_INFINITY;
        }
        if (u.isEmpty() || u.contains("nan") || u.indexOf('\0') >= 0) {
            return Double.NaN;
        }
        for (int i = 0; i < u.length(); i++) {
            char c = u.charAt(i);
            boolean ok = (c >= '0' && c <= '9') || c == '.' || c == 'e' || c == '+' || c == '-'
                    || c == 'x' || (c >= 'a' && c <= 'f') || c == 'p';
            if (!ok) {
                return Double.NaN;
            }
        }
        try {
            if (u.startsWith("0x")) {
                String hex = u.contains("p") ? u : u + "p0";
                return sign * Double.parseDouble(hex);
            }
            if (u.contains("x") || u.contains("p") || u.matches(".*[a-df].*")) {
                return Double.NaN;
            }
            return sign * Double.parseDouble(u);
        } catch (NumberFormatException e) {
            return Double.NaN;
        }
    }

    /** Exact decimal value of an argument for INCRBYFLOAT (long double precision), or null. */
    public static BigDecimal parseDecimal(byte[] b, int off, int len) {
        double d = parseDouble(b, off, len);
        if (Double.isNaN(d) || Double.isInfinite(d)) {
            return null;
        }
        String s = new String(b, off, len, StandardCharsets.ISO_8859_1).trim();
        try {
            return new BigDecimal(s);
        } catch (NumberFormatException e) {
            return new BigDecimal(d);
        }
    }

    private static final MathContext LONG_DOUBLE = new MathContext(19, RoundingMode.HALF_EVEN);

    /** Redis's human long double output: %.17Lf with trailing zeros (and point) removed. */
    public static String formatHumanLongDouble(BigDecimal v) {
        BigDecimal r = v.round(LONG_DOUBLE).setScale(17, RoundingMode.HALF_EVEN).stripTrailingZeros();
        if (r.signum() == 0) {
            return "0";
        }
        return r.toPlainString();
    }

    /** Formats a double as Redis's %.17g (used for scores in RESP2, INCRBYFLOAT of hashes...). */
    public static String formatDouble(double d) {
        if (Double.isInfinite(d)) {
            return d > 0 ? "inf" : "-inf";
        }
        if (Double.isNaN(d)) {
            return "nan";
        }
        if (d == Math.rint(d) && Math.abs(d) < 1e17) {
            long l = (long) d;
            if (l == 0 && 1 / d < 0) {
                return "-0";
            }
            return Long.toString(l);
        }
        String s = String.format("%.17g", d);
        return trimG(s);
    }

    private static String trimG(String s) {
        int e = s.indexOf('e');
        String mant = e >= 0 ? s.substring(0, e) : s;
        String exp = e >= 0 ? s.substring(e) : "";
        if (mant.indexOf('.') >= 0) {
            int end = mant.length();
            while (end > 0 && mant.charAt(end - 1) == '0') {
                end--;
            }
            if (end > 0 && mant.charAt(end - 1) == '.') {
                end--;
            }
            mant = mant.substring(0, end);
        }
        if (!exp.isEmpty()) {
            // C prints at least two exponent digits: e+05
            char sign = exp.charAt(1);
            String digits = exp.substring(2);
            while (digits.length() > 2 && digits.charAt(0) == '0') {
                digits = digits.substring(1);
            }
            if (digits.length() < 2) {
                digits = "0" + digits;
            }
            exp = "e" + sign + digits;
        }
        return mant + exp;
    }

    private static boolean isSpace(byte c) {
        return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == 0x0b || c == '\f';
    }
}
