package io.damselfly.engine.keyspace;

import java.nio.charset.StandardCharsets;

/**
 * Redis's glob-style matching (KEYS, SCAN MATCH, CONFIG GET, PUBSUB): '*', '?', '[set]' with
 * '^' negation and 'a-z' ranges, and '\' escapes, over raw bytes.
 */
public final class Glob {
    private Glob() {
    }

    public static boolean match(String pattern, String s) {
        byte[] p = pattern.getBytes(StandardCharsets.UTF_8);
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        return match(p, 0, p.length, b, 0, b.length, false);
    }

    public static boolean match(byte[] p, int po, int pl, byte[] s, int so, int sl, boolean nocase) {
        boolean[] giveUp = new boolean[1];
        return match(p, po, po + pl, s, so, so + sl, nocase, giveUp);
    }

    private static int fold(int c, boolean nocase) {
        c &= 0xFF;
        return nocase && c >= 'A' && c <= 'Z' ? c + 32 : c;
    }

    /** giveUp[0] set: the rest of the pattern cannot match at any later point either. */
    private static boolean match(byte[] p, int pi, int pe, byte[] s, int si, int se, boolean nocase,
                                 boolean[] giveUp) {
        while (pi < pe && si < se) {
            byte c = p[pi];
            if (c == '*') {
                while (pi + 1 < pe && p[pi + 1] == '*') {
                    pi++;
                }
                if (pi + 1 == pe) {
                    return true;
                }
                for (; si < se; si++) {
                    if (match(p, pi + 1, pe, s, si, se, nocase, giveUp)) {
                        return true;
                    }
                    if (giveUp[0]) {
                        return false;
                    }
                }
                giveUp[0] = true;
                return false;
            } else if (c == '?') {
                si++;
            } else if (c == '[') {
                pi++;
                boolean not = pi < pe && p[pi] == '^';
                if (not) {
                    pi++;
                }
                boolean matched = false;
                int sc = s[si] & 0xFF;
                for (;;) {
                    if (pi < pe && p[pi] == '\\' && pe - pi >= 2) {
                        pi++;
                        if (p[pi] == s[si]) {
                            matched = true;
                        }
                    } else if (pi < pe && p[pi] == ']') {
                        break;
                    } else if (pi >= pe) {
                        pi--; // unterminated set: the outer loop steps past the last byte
                        break;
                    } else if (pe - pi >= 3 && p[pi + 1] == '-') {
                        int start = fold(p[pi], nocase);
                        int end = fold(p[pi + 2], nocase);
                        if (start > end) {
                            int t = start;
                            start = end;
                            end = t;
                        }
                        int x = fold(sc, nocase);
                        pi += 2;
                        if (x >= start && x <= end) {
                            matched = true;
                        }
                    } else if (fold(p[pi], nocase) == fold(sc, nocase)) {
                        matched = true;
                    }
                    pi++;
                }
                if (not) {
                    matched = !matched;
                }
                if (!matched) {
                    return false;
                }
                si++;
            } else {
                if (c == '\\' && pe - pi >= 2) {
                    pi++;
                }
                if (fold(p[pi], nocase) != fold(s[si], nocase)) {
                    return false;
                }
                si++;
            }
            pi++;
            if (si == se) {
                while (pi < pe && p[pi] == '*') {
                    pi++;
                }
                break;
            }
        }
        return pi == pe && si == se;
    }
}
