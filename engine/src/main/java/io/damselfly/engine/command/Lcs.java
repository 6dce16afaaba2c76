package io.damselfly.engine.command;

import io.damselfly.engine.resp.Reply;

import java.util.ArrayList;
import java.util.List;

/** LCS: the longest common subsequence of two strings, by the textbook dynamic programme. */
final class Lcs {
    private Lcs() {
    }

    /** Parses LCS's options from argument 3 on and writes the reply. */
    static void reply(Request r, byte[] a, byte[] b, Reply reply, long maxBulk) {
        boolean getLen = false;
        boolean getIdx = false;
        boolean withMatchLen = false;
        long minMatchLen = 0;
        for (int j = 3; j < r.argc(); j++) {
            boolean more = j < r.argc() - 1;
            if (r.is(j, "idx")) {
                getIdx = true;
            } else if (r.is(j, "len")) {
                getLen = true;
            } else if (r.is(j, "withmatchlen")) {
                withMatchLen = true;
            } else if (r.is(j, "minmatchlen") && more) {
                if (!r.parseLong(j + 1)) {
                    reply.error(CommandContext.NOT_INTEGER);
                    return;
                }
                minMatchLen = Math.max(0, r.longValue());
                j++;
            } else {
                reply.error(CommandContext.SYNTAX);
                return;
            }
        }
        if (getLen && getIdx) {
            reply.error("ERR If you want both the length and indexes, please just use IDX.");
            return;
        }
        int alen = a.length;
        int blen = b.length;
        long cells = (long) (alen + 1) * (blen + 1);
        if (cells * 4 > maxBulk) {
            reply.error("ERR Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len");
            return;
        }
        if (cells > Integer.MAX_VALUE - 16) {
            reply.error("ERR Insufficient memory, failed allocating transient memory for LCS");
            return;
        }
        int[] t = new int[(int) cells];
        int w = blen + 1;
        for (int i = 1; i <= alen; i++) {
            for (int j = 1; j <= blen; j++) {
                if (a[i - 1] == b[j - 1]) {
                    t[i * w + j] = t[(i - 1) * w + j - 1] + 1;
                } else {
                    t[i * w + j] = Math.max(t[(i - 1) * w + j], t[i * w + j - 1]);
                }
            }
        }
        int length = t[alen * w + blen];
        if (getLen) {
            reply.integer(length);
            return;
        }
        byte[] result = new byte[length];
        List<long[]> ranges = new ArrayList<>();
        int idx = length;
        int i = alen;
        int j = blen;
        int aStart = alen;
        int aEnd = 0;
        int bStart = 0;
        int bEnd = 0;
        while (i > 0 && j > 0) {
            boolean emit = false;
            if (a[i - 1] == b[j - 1]) {
                result[idx - 1] = a[i - 1];
                if (aStart == alen) {
                    aStart = i - 1;
                    aEnd = i - 1;
                    bStart = j - 1;
                    bEnd = j - 1;
                } else if (aStart == i && bStart == j) {
                    aStart--;
                    bStart--;
                } else {
                    emit = true;
                }
                if (aStart == 0 || bStart == 0) {
                    emit = true;
                }
                idx--;
                i--;
                j--;
            } else {
                if (t[(i - 1) * w + j] > t[i * w + j - 1]) {
                    i--;
                } else {
                    j--;
                }
                if (aStart != alen) {
                    emit = true;
                }
            }
            int matchLen = aEnd - aStart + 1;
            if (emit) {
                if (minMatchLen == 0 || matchLen >= minMatchLen) {
                    ranges.add(new long[] {aStart, aEnd, bStart, bEnd, matchLen});
                }
                aStart = alen;
            }
        }
        if (!getIdx) {
            reply.bulk(result);
            return;
        }
        reply.map(2);
        reply.bulk("matches");
        reply.array(ranges.size());
        for (long[] range : ranges) {
            reply.array(withMatchLen ? 3 : 2);
            reply.array(2);
            reply.integer(range[0]);
            reply.integer(range[1]);
            reply.array(2);
            reply.integer(range[2]);
            reply.integer(range[3]);
            if (withMatchLen) {
                reply.integer(range[4]);
            }
        }
        reply.bulk("len");
        reply.integer(length);
    }
}
