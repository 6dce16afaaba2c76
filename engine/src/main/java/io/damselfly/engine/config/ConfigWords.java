package io.damselfly.engine.config;

import java.util.ArrayList;
import java.util.List;

/** Splits a config line into words the way redis.conf is read (quotes, escapes), and quotes back. */
public final class ConfigWords {
    private ConfigWords() {
    }

    /** The words of a line, or null when its quotes are unbalanced. */
    public static List<String> split(String line) {
        List<String> words = new ArrayList<>();
        int i = 0;
        int n = line.length();
        while (true) {
            while (i < n && Character.isWhitespace(line.charAt(i))) {
                i++;
            }
            if (i >= n) {
                return words;
            }
            StringBuilder cur = new StringBuilder();
            boolean inq = false;
            boolean insq = false;
            boolean done = false;
            while (!done) {
                char c = i < n ? line.charAt(i) : 0;
                if (inq) {
                    if (c == '\\' && i + 3 < n && line.charAt(i + 1) == 'x'
                            && Character.digit(line.charAt(i + 2), 16) >= 0 && Character.digit(line.charAt(i + 3), 16) >= 0) {
                        cur.append((char) Integer.parseInt(line.substring(i + 2, i + 4), 16));
                        i += 3;
                    } else if (c == '\\' && i + 1 < n) {
                        i++;
                        char e = line.charAt(i);
                        cur.append(switch (e) {
                            case 'n' -> '\n';
                            case 'r' -> '\r';
                            case 't' -> '\t';
                            case 'b' -> '\b';
                            case 'a' -> (char) 7;
                            default -> e;
                        });
                    } else if (c == '"') {
                        if (i + 1 < n && !Character.isWhitespace(line.charAt(i + 1))) {
                            return null;
                        }
                        done = true;
                    } else if (i >= n) {
                        return null;
                    } else {
                        cur.append(c);
                    }
                } else if (insq) {
                    if (c == '\\' && i + 1 < n && line.charAt(i + 1) == '\'') {
                        i++;
                        cur.append('\'');
                    } else if (c == '\'') {
                        if (i + 1 < n && !Character.isWhitespace(line.charAt(i + 1))) {
                            return null;
                        }
                        done = true;
                    } else if (i >= n) {
                        return null;
                    } else {
                        cur.append(c);
                    }
                } else if (i >= n || c == ' ' || c == '\n' || c == '\r' || c == '\t') {
                    done = true;
                } else if (c == '"') {
                    inq = true;
                } else if (c == '\'') {
                    insq = true;
                } else {
                    cur.append(c);
                }
                if (i < n) {
                    i++;
                }
            }
            words.add(cur.toString());
        }
    }

    /** Quotes a value for a config line when it is empty or has spaces, quotes or control bytes. */
    public static String quote(String v) {
        boolean plain = !v.isEmpty();
        for (int i = 0; i < v.length() && plain; i++) {
            char c = v.charAt(i);
            if (c <= ' ' || c == '"' || c == '\'' || c == '\\' || c > '~') {
                plain = false;
            }
        }
        if (plain) {
            return v;
        }
        StringBuilder sb = new StringBuilder("\"");
        for (int i = 0; i < v.length(); i++) {
            char c = v.charAt(i);
            switch (c) {
                case '\\' -> sb.append("\\\\");
                case '"' -> sb.append("\\\"");
                case '\n' -> sb.append("\\n");
                case '\r' -> sb.append("\\r");
                case '\t' -> sb.append("\\t");
                default -> {
                    if (c < ' ' || c == 127) {
                        sb.append(String.format("\\x%02x", (int) c));
                    } else {
                        sb.append(c);
                    }
                }
            }
        }
        return sb.append('"').toString();
    }
}
