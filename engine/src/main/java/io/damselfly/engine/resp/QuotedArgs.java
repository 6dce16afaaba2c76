package io.damselfly.engine.resp;

/**
 * Redis's quoting, both ways: {@link #split} reads a line of arguments the way sdssplitargs
 * does (inline commands, config files), {@link #repr} writes bytes the way sdscatrepr does
 * (MONITOR lines, CONFIG REWRITE).
 */
public final class QuotedArgs {
    private QuotedArgs() {
    }

    /** Receives each argument found by {@link #split}, as a range of the line's array. */
    @FunctionalInterface
    public interface Sink {
        void arg(int off, int len);
    }

    private static boolean isSpace(byte c) {
        return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == 0x0b || c == '\f';
    }

    private static int hex(byte c) {
        if (c >= '0' && c <= '9') {
            return c - '0';
        }
        if (c >= 'a' && c <= 'f') {
            return c - 'a' + 10;
        }
        if (c >= 'A' && c <= 'F') {
            return c - 'A' + 10;
        }
        return -1;
    }

    /**
     * Splits {@code b[p, end)} into arguments: spaces separate them; "double quotes" take the
     * escapes \n \r \t \b \a \xHH and \ before any other byte; 'single quotes' take \'. Each
     * argument is unescaped in place (never longer than its source) and handed to the sink.
     *
     * @return false when quotes are unbalanced or a closing quote is not followed by a space
     */
    public static boolean split(byte[] b, int p, int end, Sink sink) {
        for (;;) {
            while (p < end && isSpace(b[p])) {
                p++;
            }
            if (p >= end) {
                return true;
            }
            int start = p;
            int w = p;
            boolean inq = false;
            boolean insq = false;
            boolean done = false;
            while (!done) {
                byte c = p < end ? b[p] : 0;
                if (inq) {
                    if (c == '\\' && p + 3 < end && b[p + 1] == 'x' && hex(b[p + 2]) >= 0 && hex(b[p + 3]) >= 0) {
                        b[w++] = (byte) (hex(b[p + 2]) * 16 + hex(b[p + 3]));
                        p += 3;
                    } else if (c == '\\' && p + 1 < end) {
                        p++;
                        byte e = b[p];
                        b[w++] = switch (e) {
                            case 'n' -> '\n';
                            case 'r' -> '\r';
                            case 't' -> '\t';
                            case 'b' -> '\b';
                            case 'a' -> 7;
                            default -> e;
                        };
                    } else if (c == '"') {
                        if (p + 1 < end && !isSpace(b[p + 1])) {
                            return false;
                        }
                        done = true;
                    } else if (p >= end) {
                        return false;
                    } else {
                        b[w++] = c;
                    }
                } else if (insq) {
                    if (c == '\\' && p + 1 < end && b[p + 1] == '\'') {
                        p++;
                        b[w++] = '\'';
                    } else if (c == '\'') {
                        if (p + 1 < end && !isSpace(b[p + 1])) {
                            return false;
                        }
                        done = true;
                    } else if (p >= end) {
                        return false;
                    } else {
                        b[w++] = c;
                    }
                } else if (p >= end || c == ' ' || c == '\n' || c == '\r' || c == '\t') {
                    done = true;
                } else if (c == '"') {
                    inq = true;
                } else if (c == '\'') {
                    insq = true;
                } else {
                    b[w++] = c;
                }
                if (p < end) {
                    p++;
                }
            }
            sink.arg(start, w - start);
        }
    }

    /** Appends {@code b[off, off+len)} quoted as sdscatrepr does: "…" with \\ \" \n \r \t \a \b \xHH. */
    public static StringBuilder repr(StringBuilder sb, byte[] b, int off, int len) {
        sb.append('"');
        for (int i = off; i < off + len; i++) {
            int c = b[i] & 0xFF;
            switch (c) {
                case '\\' -> sb.append("\\\\");
                case '"' -> sb.append("\\\"");
                case '\n' -> sb.append("\\n");
                case '\r' -> sb.append("\\r");
                case '\t' -> sb.append("\\t");
                case 7 -> sb.append("\\a");
                case '\b' -> sb.append("\\b");
                default -> {
                    if (c >= 32 && c < 127) {
                        sb.append((char) c);
                    } else {
                        sb.append('\\').append('x').append(Character.forDigit(c >> 4, 16)).append(Character.forDigit(c & 15, 16));
                    }
                }
            }
        }
        return sb.append('"');
    }
}
