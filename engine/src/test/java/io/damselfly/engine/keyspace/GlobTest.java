package io.damselfly.engine.keyspace;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class GlobTest {
    @Test
    void redisPatterns() {
        assertTrue(Glob.match("*", "anything"));
        assertTrue(Glob.match("h?llo", "hello"));
        assertTrue(Glob.match("h*llo", "heeeello"));
        assertTrue(Glob.match("h[ae]llo", "hallo"));
        assertFalse(Glob.match("h[ae]llo", "hillo"));
        assertTrue(Glob.match("h[^e]llo", "hallo"));
        assertFalse(Glob.match("h[^e]llo", "hello"));
        assertTrue(Glob.match("h[a-b]llo", "hbllo"));
        assertTrue(Glob.match("h[b-a]llo", "hallo"));
        assertTrue(Glob.match("a\\*b", "a*b"));
        assertFalse(Glob.match("a\\*b", "axb"));
        assertTrue(Glob.match("foo*", "foo"));
        assertFalse(Glob.match("foo?", "foo"));
        assertTrue(Glob.match("*a*a*a*a*a*a*a*a*a*a*a*a*a*b", "a".repeat(50) + "b"));
        assertFalse(Glob.match("*a*a*a*a*a*a*a*a*a*a*a*a*a*b", "a".repeat(60)));
    }
}
