package io.damselfly.server;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static io.damselfly.server.Calls.of;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Hash commands over TCP, in both encodings, with Redis 7.0's replies and error texts. */
class HashCommandsTest extends ServerTestBase {
    @BeforeEach
    void settle() {
        c.call("CONFIG", "SET", "hash-max-listpack-entries", "128");
        c.call("CONFIG", "SET", "hash-max-listpack-value", "64");
    }

    @Test
    void setGetDeleteInBothEncodings() {
        for (int size : new int[] {5, 300}) {
            String key = "h" + size;
            for (int i = 0; i < size; i++) {
                assertEquals(1, c.num("HSET", key, "f" + i, "v" + i));
            }
            assertEquals(size > 128 ? "hashtable" : "listpack", c.str("OBJECT", "ENCODING", key));
            assertEquals(0, c.num("HSET", key, "f0", "new"));
            assertEquals("new", c.str("HGET", key, "f0"));
            assertNull(c.call("HGET", key, "nope"));
            assertEquals(of("new", null, "v1"), c.list("HMGET", key, "f0", "nope", "f1"));
            assertEquals(size, c.num("HLEN", key));
            assertEquals(3, c.num("HSTRLEN", key, "f0"));
            assertEquals(0, c.num("HSTRLEN", key, "nope"));
            assertEquals(1, c.num("HEXISTS", key, "f1"));
            assertEquals(0, c.num("HEXISTS", key, "nope"));
            assertEquals(2, c.num("HDEL", key, "f0", "f1", "nope"));
            assertEquals(size - 2, c.list("HKEYS", key).size());
            assertEquals(size - 2, c.list("HVALS", key).size());
            List<Object> all = c.list("HGETALL", key);
            Map<Object, Object> m = new HashMap<>();
            for (int i = 0; i < all.size(); i += 2) {
                m.put(all.get(i), all.get(i + 1));
            }
            assertEquals(size - 2, m.size());
            assertEquals("v2", m.get("f2"));
        }
        assertEquals(1, c.num("HSET", "one", "a", "1"));
        assertEquals(1, c.num("HDEL", "one", "a"));
        assertEquals(0, c.num("EXISTS", "one"), "a hash whose last field goes is deleted");
    }

    @Test
    void conversionThresholdsFollowConfig() {
        c.call("HSET", "h", "a", "x".repeat(64));
        assertEquals("listpack", c.str("OBJECT", "ENCODING", "h"));
        c.call("HSET", "h", "b", "x".repeat(65));
        assertEquals("hashtable", c.str("OBJECT", "ENCODING", "h"));
        c.call("CONFIG", "SET", "hash-max-listpack-entries", "2");
        c.call("HSET", "g", "a", "1", "b", "2");
        assertEquals("listpack", c.str("OBJECT", "ENCODING", "g"));
        c.call("HSET", "g", "c", "3");
        assertEquals("hashtable", c.str("OBJECT", "ENCODING", "g"));
    }

    @Test
    void hsetnxHmsetAndArity() {
        assertEquals(1, c.num("HSETNX", "h", "a", "1"));
        assertEquals(0, c.num("HSETNX", "h", "a", "2"));
        assertEquals("1", c.str("HGET", "h", "a"));
        assertEquals("OK", c.str("HMSET", "h", "b", "2", "c", "3"));
        // a value of the same length is overwritten in place; a watcher still sees the change
        c.call("WATCH", "h");
        assertEquals(0, c.num("HSET", "h", "b", "9"));
        assertEquals(of("1", "9", "3"), c.list("HMGET", "h", "a", "b", "c"));
        try (redis.clients.jedis.Jedis other = server.jedis()) {
            new Calls(other).call("HSET", "h", "c", "8");
        }
        c.call("MULTI");
        c.call("PING");
        assertNull(c.call("EXEC"), "an in-place overwrite touches the key for WATCH");
        assertEquals(3, c.num("HLEN", "h"));
        c.error("ERR wrong number of arguments for 'hset' command", "HSET", "h", "a");
        c.error("ERR wrong number of arguments for 'hset' command", "HSET", "h", "a", "1", "b");
        c.error("ERR wrong number of arguments for 'hmset' command", "HMSET", "h", "a", "1", "b");
        c.error("ERR wrong number of arguments for 'hget' command", "HGET", "h");
    }

    @Test
    void counters() {
        assertEquals(5, c.num("HINCRBY", "h", "n", "5"));
        assertEquals(2, c.num("HINCRBY", "h", "n", "-3"));
        c.call("HSET", "h", "s", "abc", "big", String.valueOf(Long.MAX_VALUE));
        c.error("ERR hash value is not an integer", "HINCRBY", "h", "s", "1");
        c.error("ERR value is not an integer or out of range", "HINCRBY", "h", "n", "x");
        c.error("ERR increment or decrement would overflow", "HINCRBY", "h", "big", "1");
        assertEquals("3.5", c.str("HINCRBYFLOAT", "h", "f", "3.5"));
        assertEquals("3.6", c.str("HINCRBYFLOAT", "h", "f", "0.1"));
        assertEquals("7", c.str("HINCRBYFLOAT", "h", "n", "5"));
        c.error("ERR hash value is not a float", "HINCRBYFLOAT", "h", "s", "1");
        c.error("ERR value is not a valid float", "HINCRBYFLOAT", "h", "f", "x");
        c.error("ERR value is NaN or Infinity", "HINCRBYFLOAT", "h", "f", "inf");
    }

    @Test
    void wrongTypeEverywhere() {
        c.call("SET", "s", "v");
        String wt = "WRONGTYPE Operation against a key holding the wrong kind of value";
        for (String[] cmd : new String[][] {{"HSET", "s", "a", "1"}, {"HGET", "s", "a"}, {"HMGET", "s", "a"},
                {"HDEL", "s", "a"}, {"HLEN", "s"}, {"HGETALL", "s"}, {"HINCRBY", "s", "a", "1"},
                {"HINCRBYFLOAT", "s", "a", "1"}, {"HRANDFIELD", "s"}, {"HSCAN", "s", "0"}, {"HEXISTS", "s", "a"},
                {"HSTRLEN", "s", "a"}, {"HKEYS", "s"}, {"HVALS", "s"}, {"HSETNX", "s", "a", "1"}}) {
            c.error(wt, cmd);
        }
        assertEquals("v", c.str("GET", "s"), "a refused write leaves the value alone");
    }

    @Test
    void randomFieldsAndScan() {
        for (int size : new int[] {10, 400}) {
            String key = "r" + size;
            for (int i = 0; i < size; i++) {
                c.call("HSET", key, "f" + i, "v" + i);
            }
            String f = c.str("HRANDFIELD", key);
            assertTrue(f.startsWith("f"));
            List<Object> five = c.list("HRANDFIELD", key, "5");
            assertEquals(5, new HashSet<>(five).size(), "a positive count gives distinct fields");
            assertEquals(size, c.list("HRANDFIELD", key, String.valueOf(size + 10)).size());
            assertEquals(20, c.list("HRANDFIELD", key, "-20").size(), "a negative count may repeat");
            List<Object> withValues = c.list("HRANDFIELD", key, "3", "WITHVALUES");
            assertEquals(6, withValues.size());
            assertEquals("v" + ((String) withValues.get(0)).substring(1), withValues.get(1));
            Set<Object> seen = new HashSet<>();
            String cursor = "0";
            do {
                List<Object> r = c.list("HSCAN", key, cursor, "COUNT", "7");
                cursor = (String) r.get(0);
                @SuppressWarnings("unchecked")
                List<Object> items = (List<Object>) r.get(1);
                for (int i = 0; i < items.size(); i += 2) {
                    seen.add(items.get(i));
                }
            } while (!cursor.equals("0"));
            assertEquals(size, seen.size(), "HSCAN returns every field");
            List<Object> matched = c.list("HSCAN", key, "0", "MATCH", "f1", "COUNT", "1000");
            assertEquals(of("f1", "v1"), matched.get(1));
        }
        assertNull(c.call("HRANDFIELD", "missing"));
        assertEquals(of(), c.list("HRANDFIELD", "missing", "3"));
        c.error("ERR syntax error", "HRANDFIELD", "r10", "3", "WITHVALUES", "x");
        c.error("ERR value is not an integer or out of range", "HRANDFIELD", "r10", "x");
        c.error("ERR invalid cursor", "HSCAN", "r10", "x");
    }
}
