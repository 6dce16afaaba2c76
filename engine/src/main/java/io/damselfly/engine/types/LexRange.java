package io.damselfly.engine.types;

import java.util.Arrays;

/** A lexical interval as ZRANGEBYLEX takes it: "[a" (inclusive), "(a" (exclusive), "-", "+". */
public final class LexRange {
    private static final byte[] MINUS = {};
    private static final byte[] PLUS = {};

    final byte[] min;
    final byte[] max;
    final boolean minExclusive;
    final boolean maxExclusive;

    private LexRange(byte[] min, boolean minEx, byte[] max, boolean maxEx) {
        this.min = min;
        this.max = max;
        this.minExclusive = minEx;
        this.maxExclusive = maxEx;
    }

    /** Null when an end is not a valid item ("ERR min or max not valid string range item"). */
    public static LexRange parse(byte[] b, int minOff, int minLen, int maxOff, int maxLen) {
        byte[][] ends = new byte[2][];
        boolean[] ex = new boolean[2];
        int[] offs = {minOff, maxOff};
        int[] lens = {minLen, maxLen};
        for (int i = 0; i < 2; i++) {
            if (lens[i] == 0) {
                return null;
            }
            byte c = b[offs[i]];
            if (c == '+' && lens[i] == 1) {
                ends[i] = PLUS;
            } else if (c == '-' && lens[i] == 1) {
                ends[i] = MINUS;
            } else if (c == '(' || c == '[') {
                ends[i] = Arrays.copyOfRange(b, offs[i] + 1, offs[i] + lens[i]);
                ex[i] = c == '(';
            } else {
                return null;
            }
        }
        return new LexRange(ends[0], ex[0], ends[1], ex[1]);
    }

    private static int cmp(byte[] m, byte[] bound) {
        if (bound == MINUS) {
            return 1;
        }
        if (bound == PLUS) {
            return -1;
        }
        return Bytes.compare(m, bound);
    }

    public boolean aboveMin(byte[] m) {
        if (min == PLUS) {
            return false;
        }
        int c = cmp(m, min);
        return minExclusive ? c > 0 : c >= 0;
    }

    public boolean belowMax(byte[] m) {
        if (max == MINUS) {
            return false;
        }
        int c = cmp(m, max);
        return maxExclusive ? c < 0 : c <= 0;
    }

    public boolean contains(byte[] m) {
        return aboveMin(m) && belowMax(m);
    }

    /** Whether no member can be in the range. */
    public boolean isEmpty() {
        if (min == PLUS || max == MINUS) {
            return true;
        }
        if (min == MINUS || max == PLUS) {
            return false;
        }
        int c = Bytes.compare(min, max);
        return c > 0 || (c == 0 && (minExclusive || maxExclusive));
    }
}
