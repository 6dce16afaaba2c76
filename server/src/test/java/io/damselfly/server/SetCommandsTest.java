package io.damselfly.server;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.HashSet;
import java.util.List;
import java.util.Set;

import static io.damselfly.server.Calls.of;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Set commands over TCP, intset and hashtable encodings, algebra across shards. */
class SetCommandsTest extends ServerTestBase {
    @BeforeEach
    void settle() {
        c.call("CONFIG", "SET", "set-max-intset-entries", "512");
    }

    static Set<Object> set(List<Object> l) {
        return new HashSet<>(l);
    }

    @Test
    void addRemoveAndEncodings() {
        assertEquals(3, c.num("SADD", "s", "1", "2", "3"));
        assertEquals("intset", c.str("OBJECT", "ENCODING", "s"));
        assertEquals(0, c.num("SADD", "s", "2"));
        assertEquals(1, c.num("SADD", "s", "x"));
        assertEquals("hashtable", c.str("OBJECT", "ENCODING", "s"));
        assertEquals(4, c.num("SCARD", "s"));
        assertEquals(1, c.num("SISMEMBER", "s", "x"));
        assertEquals(0, c.num("SISMEMBER", "s", "y"));
        assertEquals(of(1L, 0L, 1L), c.list("SMISMEMBER", "s", "1", "nope", "3"));
        assertEquals(set(of("1", "2", "3", "x")), set(c.list("SMEMBERS", "s")));
        assertEquals(2, c.num("SREM", "s", "1", "x", "nope"));
        assertEquals(2, c.num("SREM", "s", "2", "3"));
        assertEquals(0, c.num("EXISTS", "s"));
        c.call("CONFIG", "SET", "set-max-intset-entries", "4");
        c.call("SADD", "n", "1", "2", "3", "4");
        assertEquals("intset", c.str("OBJECT", "ENCODING", "n"));
        c.call("SADD", "n", "5");
        assertEquals("hashtable", c.str("OBJECT", "ENCODING", "n"));
        c.error("ERR wrong number of arguments for 'sadd' command", "SADD", "n");
        c.error("ERR wrong number of arguments for 'smismember' command", "SMISMEMBER", "n");
    }

    @Test
    void popRandomAndMove() {
        for (String kind : new String[] {"ints", "words"}) {
            String key = "p" + kind;
            for (int i = 0; i < 50; i++) {
                c.call("SADD", key, kind.equals("ints") ? String.valueOf(i) : "m" + i);
            }
            assertEquals(10, set(c.list("SRANDMEMBER", key, "10")).size());
            assertEquals(50, c.list("SRANDMEMBER", key, "100").size());
            assertEquals(100, c.list("SRANDMEMBER", key, "-100").size());
            assertTrue(c.call("SRANDMEMBER", key) instanceof String);
            String popped = c.str("SPOP", key);
            assertEquals(0, c.num("SISMEMBER", key, popped));
            List<Object> more = c.list("SPOP", key, "9");
            assertEquals(9, set(more).size());
            assertEquals(40, c.num("SCARD", key));
            assertEquals(40, c.list("SPOP", key, "1000").size());
            assertEquals(0, c.num("EXISTS", key));
        }
        assertNull(c.call("SPOP", "missing"));
        assertEquals(of(), c.list("SPOP", "missing", "3"));
        c.error("ERR value is out of range, must be positive", "SPOP", "missing", "-1");
        c.call("SADD", "from", "a", "b");
        assertEquals(1, c.num("SMOVE", "from", "to", "a"));
        assertEquals(0, c.num("SMOVE", "from", "to", "zz"));
        assertEquals(set(of("a")), set(c.list("SMEMBERS", "to")));
        c.call("SET", "str", "v");
        c.error("WRONGTYPE Operation against a key holding the wrong kind of value", "SMOVE", "from", "str", "b");
        assertEquals(1, c.num("SISMEMBER", "from", "b"), "a refused move keeps the member");
    }

    @Test
    void algebraOnOneAndSeveralShards() {
        String a = spread[0];
        String b = spread[1];
        String d = spread[2];
        c.call("SADD", a, "1", "2", "3", "x");
        c.call("SADD", b, "2", "3", "4");
        assertEquals(set(of("2", "3")), set(c.list("SINTER", a, b)));
        assertEquals(set(of("1", "2", "3", "4", "x")), set(c.list("SUNION", a, b)));
        assertEquals(set(of("1", "x")), set(c.list("SDIFF", a, b)));
        assertEquals(2, c.num("SINTERCARD", "2", a, b));
        assertEquals(1, c.num("SINTERCARD", "2", a, b, "LIMIT", "1"));
        assertEquals(2, c.num("SINTERSTORE", d, a, b));
        assertEquals(set(of("2", "3")), set(c.list("SMEMBERS", d)));
        assertEquals(5, c.num("SUNIONSTORE", d, a, b));
        assertEquals(2, c.num("SDIFFSTORE", d, a, b));
        assertEquals(set(of("1", "x")), set(c.list("SMEMBERS", d)));
        assertEquals(0, c.num("SINTERSTORE", d, a, "missing"));
        assertEquals(0, c.num("EXISTS", d), "an empty result deletes the destination");
        assertEquals(of(), c.list("SINTER", a, "missing"));
        assertEquals(1, c.num("SMOVE", a, b, "x"), "SMOVE across shards");
        assertEquals(1, c.num("SISMEMBER", b, "x"));
        assertEquals(0, c.num("SISMEMBER", a, "x"));
        c.error("ERR numkeys should be greater than 0", "SINTERCARD", "0", a);
        c.error("ERR Number of keys can't be greater than number of args", "SINTERCARD", "3", a, b);
        c.error("ERR LIMIT can't be negative", "SINTERCARD", "2", a, b, "LIMIT", "-1");
        c.error("ERR syntax error", "SINTERCARD", "2", a, b, "FOO");
        c.call("SET", "str", "v");
        c.error("WRONGTYPE Operation against a key holding the wrong kind of value", "SUNION", a, "str");
        c.error("WRONGTYPE Operation against a key holding the wrong kind of value", "SINTERSTORE", d, a, "str");
    }

    @Test
    void scanWalksEveryMember() {
        for (int i = 0; i < 1000; i++) {
            c.call("SADD", "big", "m" + i);
        }
        Set<Object> seen = new HashSet<>();
        String cursor = "0";
        do {
            List<Object> r = c.list("SSCAN", "big", cursor, "COUNT", "33");
            cursor = (String) r.get(0);
            seen.addAll((List<?>) r.get(1));
        } while (!cursor.equals("0"));
        assertEquals(1000, seen.size());
        List<Object> r = c.list("SSCAN", "big", "0", "MATCH", "m99*", "COUNT", "5000");
        assertEquals(11, ((List<?>) r.get(1)).size());
    }
}
