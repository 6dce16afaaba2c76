package io.damselfly.engine.config;

import io.damselfly.engine.resp.QuotedArgs;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/** Splits a config line into words the way redis.conf is read (quotes, escapes), and quotes back. */
public final class ConfigWords {
    private ConfigWords() {
    }

    /** The words of a line, or null when its quotes are unbalanced. */
    public static List<String> split(String line) {
        byte[] b = line.getBytes(StandardCharsets.UTF_8);
        List<String> words = new ArrayList<>();
        boolean ok = QuotedArgs.split(b, 0, b.length, (off, len) -> words.add(new String(b, off, len, StandardCharsets.UTF_8)));
        return ok ? words : null;
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
        byte[] b = v.getBytes(StandardCharsets.UTF_8);
        return QuotedArgs.repr(new StringBuilder(), b, 0, b.length).toString();
    }
}
