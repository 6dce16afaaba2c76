package io.damselfly.server;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.HashSet;
import java.util.List;

import static io.damselfly.server.Calls.of;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Sorted-set commands over TCP, listpack and skiplist encodings, algebra across shards. */
class ZSetCommandsTest extends ServerTestBase {
    @BeforeEach
    void settle() {
        c.call("CONFIG", "SET", "zset-max-listpack-entries", "128");
    }

    @Test
    void zaddOptions() {
        assertEquals(3, c.num("ZADD", "z", "1", "a", "2", "b", "3", "c"));
        assertEquals("listpack", c.str("OBJECT", "ENCODING", "z"));
        assertEquals(0, c.num("ZADD", "z", "NX", "10", "a"));
        assertEquals("1", c.str("ZSCORE", "z", "a"));
        assertEquals(0, c.num("ZADD", "z", "XX", "10", "new"));
        assertNull(c.call("ZSCORE", "z", "new"));
        assertEquals(1, c.num("ZADD", "z", "XX", "CH", "5", "a"));
        assertEquals(0, c.num("ZADD", "z", "GT", "CH", "4", "a"), "GT refuses a lower score");
        assertEquals(1, c.num("ZADD", "z", "LT", "CH", "4", "a"));
        assertEquals("6", c.str("ZADD", "z", "INCR", "2", "a"));
        assertNull(c.call("ZADD", "z", "NX", "INCR", "1", "a"));
        assertEquals("7.5", c.str("ZINCRBY", "z", "1.5", "a"));
        c.error("ERR XX and NX options at the same time are not compatible", "ZADD", "z", "NX", "XX", "1", "a");
        c.error("ERR GT, LT, and/or NX options at the same time are not compatible", "ZADD", "z", "GT", "LT", "1", "a");
        c.error("ERR GT, LT, and/or NX options at the same time are not compatible", "ZADD", "z", "NX", "GT", "1", "a");
        c.error("ERR INCR option supports a single increment-element pair", "ZADD", "z", "INCR", "1", "a", "2", "b");
        c.error("ERR value is not a valid float", "ZADD", "z", "x", "a");
        c.error("ERR syntax error", "ZADD", "z", "1", "a", "2");
        c.call("ZADD", "inf", "+inf", "m");
        c.error("ERR resulting score is not a number (NaN)", "ZINCRBY", "inf", "-inf", "m");
        c.call("SET", "str", "v");
        c.error("WRONGTYPE Operation against a key holding the wrong kind of value", "ZADD", "str", "1", "a");
    }

    @Test
    void pointReadsRanksAndCounts() {
        for (int size : new int[] {10, 1000}) {
            String key = "z" + size;
            for (int i = 0; i < size; i++) {
                c.call("ZADD", key, String.valueOf(i), "m" + String.format("%04d", i));
            }
            assertEquals(size > 128 ? "skiplist" : "listpack", c.str("OBJECT", "ENCODING", key));
            assertEquals(size, c.num("ZCARD", key));
            assertEquals(3, c.num("ZRANK", key, "m0003"));
            assertEquals(size - 4, c.num("ZREVRANK", key, "m0003"));
            assertNull(c.call("ZRANK", key, "nope"));
            assertEquals(of("2", null), c.list("ZMSCORE", key, "m0002", "nope"));
            assertEquals(4, c.num("ZCOUNT", key, "2", "5"));
            assertEquals(3, c.num("ZCOUNT", key, "(2", "5"));
            assertEquals(size, c.num("ZCOUNT", key, "-inf", "+inf"));
            assertEquals(3, c.num("ZLEXCOUNT", key, "[m0001", "(m0004"));
            assertEquals(of("m0001", "m0002"), c.list("ZRANGE", key, "1", "2"));
            assertEquals(of("m0001", "1"), c.list("ZRANGE", key, "1", "1", "WITHSCORES"));
            assertEquals(of("m0005", "m0004"), c.list("ZRANGE", key, "5", "4", "BYSCORE", "REV"));
            assertEquals(of("m0003", "m0004"), c.list("ZRANGE", key, "(2", "+inf", "BYSCORE", "LIMIT", "0", "2"));
            assertEquals(of("m0001", "m0002"), c.list("ZRANGE", key, "[m0001", "[m0002", "BYLEX"));
            assertEquals(of("m0002", "m0001"), c.list("ZREVRANGEBYLEX", key, "[m0002", "[m0001"));
            assertEquals(of("m0002", "m0003"), c.list("ZRANGEBYSCORE", key, "2", "3"));
            assertEquals(of("m0003", "3", "m0002", "2"), c.list("ZREVRANGEBYSCORE", key, "3", "2", "WITHSCORES"));
        }
        c.error("ERR min or max is not a float", "ZCOUNT", "z10", "x", "1");
        c.error("ERR min or max not valid string range item", "ZLEXCOUNT", "z10", "a", "b");
        c.error("ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX",
                "ZRANGE", "z10", "0", "1", "LIMIT", "0", "1");
        c.error("ERR syntax error, WITHSCORES not supported in combination with BYLEX",
                "ZRANGE", "z10", "[a", "[b", "BYLEX", "WITHSCORES");
    }

    @Test
    void removalsAndPops() {
        for (int i = 0; i < 10; i++) {
            c.call("ZADD", "z", String.valueOf(i), "m" + i);
        }
        assertEquals(2, c.num("ZREM", "z", "m0", "m1", "nope"));
        assertEquals(2, c.num("ZREMRANGEBYRANK", "z", "0", "1"));
        assertEquals(2, c.num("ZREMRANGEBYSCORE", "z", "4", "5"));
        assertEquals(1, c.num("ZREMRANGEBYLEX", "z", "[m6", "[m6"));
        assertEquals(of("m7", "7"), c.list("ZPOPMIN", "z"));
        assertEquals(of("m9", "9", "m8", "8"), c.list("ZPOPMAX", "z", "5"));
        assertEquals(0, c.num("EXISTS", "z"));
        assertEquals(of(), c.list("ZPOPMIN", "z"));
        c.call("ZADD", "a", "1", "x", "2", "y");
        assertEquals(of("a", of(of("y", "2"))), c.list("ZMPOP", "2", "missing", "a", "MAX"));
        assertNull(c.call("ZMPOP", "1", "missing", "MIN"));
        c.error("ERR numkeys should be greater than 0", "ZMPOP", "0", "a", "MIN");
        c.error("ERR count should be greater than 0", "ZMPOP", "1", "a", "MIN", "COUNT", "0");
        c.error("ERR syntax error", "ZMPOP", "1", "a", "MIDDLE");
    }

    @Test
    void randomMembersAndScan() {
        for (int size : new int[] {5, 500}) {
            String key = "r" + size;
            for (int i = 0; i < size; i++) {
                c.call("ZADD", key, String.valueOf(i), "m" + i);
            }
            assertEquals(Math.min(size, 50), new HashSet<>(c.list("ZRANDMEMBER", key, "50")).size());
            assertEquals(60, c.list("ZRANDMEMBER", key, "-60").size());
            assertEquals(6, c.list("ZRANDMEMBER", key, "3", "WITHSCORES").size());
            HashSet<Object> seen = new HashSet<>();
            String cursor = "0";
            do {
                List<Object> r = c.list("ZSCAN", key, cursor);
                cursor = (String) r.get(0);
                List<?> items = (List<?>) r.get(1);
                for (int i = 0; i < items.size(); i += 2) {
                    seen.add(items.get(i));
                }
            } while (!cursor.equals("0"));
            assertEquals(size, seen.size());
        }
        assertNull(c.call("ZRANDMEMBER", "missing"));
    }

    @Test
    void algebraAndStoresAcrossShards() {
        String a = spread[0];
        String b = spread[1];
        String d = spread[2];
        c.call("ZADD", a, "1", "x", "2", "y", "3", "z");
        c.call("ZADD", b, "10", "y", "20", "z", "30", "w");
        assertEquals(of("x", "1", "y", "12", "z", "23", "w", "30"), c.list("ZUNION", "2", a, b, "WITHSCORES"));
        assertEquals(of("y", "10", "z", "20"), c.list("ZINTER", "2", a, b, "AGGREGATE", "MAX", "WITHSCORES"));
        assertEquals(of("x"), c.list("ZDIFF", "2", a, b));
        assertEquals(of("y", "4", "z", "6"), c.list("ZINTER", "2", a, b, "WEIGHTS", "2", "0", "WITHSCORES"));
        assertEquals(2, c.num("ZINTERCARD", "2", a, b));
        assertEquals(1, c.num("ZINTERCARD", "2", a, b, "LIMIT", "1"));
        assertEquals(4, c.num("ZUNIONSTORE", d, "2", a, b));
        assertEquals(of("x", "y", "z", "w"), c.list("ZRANGE", d, "0", "-1"));
        assertEquals(2, c.num("ZINTERSTORE", d, "2", a, b));
        assertEquals(1, c.num("ZDIFFSTORE", d, "2", a, b));
        assertEquals(2, c.num("ZRANGESTORE", d, b, "15", "+inf", "BYSCORE"));
        assertEquals(of("z", "w"), c.list("ZRANGE", d, "0", "-1"));
        assertEquals(0, c.num("ZRANGESTORE", d, b, "100", "+inf", "BYSCORE"));
        assertEquals(0, c.num("EXISTS", d));
        c.call("SADD", "set", "x", "q");
        assertEquals(of("q", "1", "x", "2", "y", "2", "z", "3"), c.list("ZUNION", "2", a, "set", "WITHSCORES"),
                "set members count with score 1");
        c.error("ERR at least 1 input key is needed for 'zunionstore' command", "ZUNIONSTORE", d, "0", a);
        c.error("ERR syntax error", "ZUNION", "3", a, b);
        c.error("ERR syntax error", "ZUNION", "2", a, b, "WEIGHTS", "1");
        c.error("ERR weight value is not a float", "ZUNION", "2", a, b, "WEIGHTS", "1", "x");
        c.call("SET", "str", "v");
        c.error("WRONGTYPE Operation against a key holding the wrong kind of value", "ZUNION", "2", a, "str");
        assertTrue(c.num("EXISTS", a) == 1);
    }
}
