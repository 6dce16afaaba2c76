package io.damselfly.engine.types;

import io.damselfly.engine.resp.Numbers;

import java.nio.charset.StandardCharsets;

/** A score interval as ZRANGEBYSCORE takes it: "1.5", "(1.5" (exclusive), "-inf", "+inf". */
public final class ScoreRange {
    public final double min;
    public final double max;
    public final boolean minExclusive;
    public final boolean maxExclusive;

    public ScoreRange(double min, boolean minExclusive, double max, boolean maxExclusive) {
        this.min = min;
        this.max = max;
        this.minExclusive = minExclusive;
        this.maxExclusive = maxExclusive;
    }

    /** Parses both ends; null when either is not a float (reply "ERR min or max is not a float"). */
    public static ScoreRange parse(byte[] b, int minOff, int minLen, int maxOff, int maxLen) {
        boolean minEx = minLen > 0 && b[minOff] == '(';
        boolean maxEx = maxLen > 0 && b[maxOff] == '(';
        double min = parseBound(b, minOff + (minEx ? 1 : 0), minLen - (minEx ? 1 : 0));
        double max = parseBound(b, maxOff + (maxEx ? 1 : 0), maxLen - (maxEx ? 1 : 0));
        if (Double.isNaN(min) || Double.isNaN(max)) {
            return null;
        }
        return new ScoreRange(min, minEx, max, maxEx);
    }

    private static double parseBound(byte[] b, int off, int len) {
        String s = new String(b, off, len, StandardCharsets.ISO_8859_1);
        if (s.equalsIgnoreCase("-inf")) {
            return Double.NEGATIVE_INFINITY;
        }
        if (s.equalsIgnoreCase("+inf") || s.equalsIgnoreCase("inf")) {
            return Double.POSITIVE_INFINITY;
        }
        return Numbers.parseDouble(b, off, len);
    }

    public boolean aboveMin(double v) {
        return minExclusive ? v > min : v >= min;
    }

    public boolean belowMax(double v) {
        return maxExclusive ? v < max : v <= max;
    }

    public boolean contains(double v) {
        return aboveMin(v) && belowMax(v);
    }

    /** Whether no score can be in the range. */
    public boolean isEmpty() {
        return min > max || (min == max && (minExclusive || maxExclusive));
    }
}
