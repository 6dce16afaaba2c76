package io.damselfly.server;

import org.junit.jupiter.api.Test;


import static io.damselfly.server.Calls.of;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

/** List commands over TCP (the non-blocking ones; {@link BlockingTest} has the rest). */
class ListCommandsTest extends ServerTestBase {
    @Test
    void pushPopAndRanges() {
        assertEquals(3, c.num("RPUSH", "l", "a", "b", "c"));
        assertEquals(5, c.num("LPUSH", "l", "y", "z"));
        assertEquals(of("z", "y", "a", "b", "c"), c.list("LRANGE", "l", "0", "-1"));
        assertEquals(of("y", "a"), c.list("LRANGE", "l", "1", "2"));
        assertEquals(of(), c.list("LRANGE", "l", "7", "9"));
        assertEquals("quicklist", c.str("OBJECT", "ENCODING", "l"));
        assertEquals(0, c.num("LPUSHX", "none", "a"));
        assertEquals(0, c.num("RPUSHX", "none", "a"));
        assertEquals(0, c.num("EXISTS", "none"));
        assertEquals(6, c.num("RPUSHX", "l", "d"));
        assertEquals("z", c.str("LPOP", "l"));
        assertEquals("d", c.str("RPOP", "l"));
        assertEquals(of("y", "a"), c.list("LPOP", "l", "2"));
        assertEquals(of("c", "b"), c.list("RPOP", "l", "5"));
        assertEquals(0, c.num("EXISTS", "l"));
        assertNull(c.call("LPOP", "l"));
        assertNull(c.call("LPOP", "l", "2"));
        c.error("ERR value is out of range, must be positive", "LPOP", "l", "-1");
        c.error("ERR wrong number of arguments for 'lpop' command", "LPOP", "l", "1", "2");
    }

    @Test
    void indexSetInsertRemoveTrim() {
        c.call("RPUSH", "l", "a", "b", "c", "b", "a");
        assertEquals(5, c.num("LLEN", "l"));
        assertEquals("c", c.str("LINDEX", "l", "2"));
        assertEquals("a", c.str("LINDEX", "l", "-1"));
        assertNull(c.call("LINDEX", "l", "10"));
        assertEquals("OK", c.str("LSET", "l", "1", "B"));
        c.error("ERR index out of range", "LSET", "l", "10", "x");
        c.error("ERR no such key", "LSET", "missing", "0", "x");
        assertEquals(6, c.num("LINSERT", "l", "BEFORE", "c", "x"));
        assertEquals(7, c.num("LINSERT", "l", "AFTER", "c", "y"));
        assertEquals(-1, c.num("LINSERT", "l", "AFTER", "nope", "y"));
        assertEquals(0, c.num("LINSERT", "missing", "AFTER", "a", "y"));
        c.error("ERR syntax error", "LINSERT", "l", "MIDDLE", "a", "y");
        assertEquals(of("a", "B", "x", "c", "y", "b", "a"), c.list("LRANGE", "l", "0", "-1"));
        assertEquals(1, c.num("LREM", "l", "-1", "a"));
        assertEquals(1, c.num("LREM", "l", "0", "a"));
        assertEquals("OK", c.str("LTRIM", "l", "1", "-2"));
        assertEquals(of("x", "c", "y"), c.list("LRANGE", "l", "0", "-1"));
        assertEquals("OK", c.str("LTRIM", "l", "5", "10"));
        assertEquals(0, c.num("EXISTS", "l"));
        assertNull(c.call("LINDEX", "l", "x"), "a missing key answers before the index is parsed, as in Redis");
        c.call("RPUSH", "l", "a");
        c.error("ERR value is not an integer or out of range", "LINDEX", "l", "x");
    }

    @Test
    void lpos() {
        c.call("RPUSH", "l", "a", "b", "c", "1", "2", "3", "c", "c");
        assertEquals(2, c.num("LPOS", "l", "c"));
        assertEquals(6, c.num("LPOS", "l", "c", "RANK", "2"));
        assertEquals(7, c.num("LPOS", "l", "c", "RANK", "-1"));
        assertEquals(of(2L, 6L), c.list("LPOS", "l", "c", "COUNT", "2"));
        assertEquals(of(2L, 6L, 7L), c.list("LPOS", "l", "c", "COUNT", "0"));
        assertEquals(of(2L), c.list("LPOS", "l", "c", "COUNT", "0", "MAXLEN", "5"));
        assertNull(c.call("LPOS", "l", "zz"));
        c.error("ERR RANK can't be zero: use 1 to start from the first match, 2 from the second ... "
                + "or use negative to start from the end of the list", "LPOS", "l", "c", "RANK", "0");
        c.error("ERR COUNT can't be negative", "LPOS", "l", "c", "COUNT", "-1");
        c.error("ERR MAXLEN can't be negative", "LPOS", "l", "c", "MAXLEN", "-1");
        c.error("ERR syntax error", "LPOS", "l", "c", "FOO", "1");
    }

    @Test
    void moveAndMpopAcrossShards() {
        String a = spread[0];
        String b = spread[1];
        c.call("RPUSH", a, "1", "2", "3");
        assertEquals("3", c.str("RPOPLPUSH", a, b));
        assertEquals("1", c.str("LMOVE", a, b, "LEFT", "RIGHT"));
        assertEquals(of("3", "1"), c.list("LRANGE", b, "0", "-1"));
        assertEquals("2", c.str("LMOVE", a, a, "LEFT", "RIGHT"));
        assertNull(c.call("LMOVE", "missing", b, "LEFT", "LEFT"));
        c.error("ERR syntax error", "LMOVE", a, b, "UP", "LEFT");
        c.call("SET", "str", "v");
        c.error("WRONGTYPE Operation against a key holding the wrong kind of value", "LMOVE", a, "str", "LEFT", "LEFT");
        assertEquals(of("2"), c.list("LRANGE", a, "0", "-1"), "a refused move keeps the element");
        assertEquals(of(b, of("3", "1")), c.list("LMPOP", "2", "missing", b, "LEFT", "COUNT", "5"));
        assertNull(c.call("LMPOP", "1", "missing", "LEFT"));
        c.error("ERR numkeys should be greater than 0", "LMPOP", "0", a, "LEFT");
        c.error("ERR count should be greater than 0", "LMPOP", "1", a, "LEFT", "COUNT", "0");
        c.error("ERR syntax error", "LMPOP", "1", a, "MIDDLE");
        c.error("ERR syntax error", "LMPOP", "5", a, "LEFT");
    }

    @Test
    void nodesFollowListMaxListpackSize() {
        c.call("CONFIG", "SET", "list-max-listpack-size", "4");
        for (int i = 0; i < 1000; i++) {
            c.call("RPUSH", "big", String.valueOf(i));
        }
        assertEquals("500", c.str("LINDEX", "big", "500"));
        assertEquals(of("998", "999"), c.list("LRANGE", "big", "-2", "-1"));
        assertEquals(1, c.num("LREM", "big", "0", "500"));
        assertEquals("501", c.str("LINDEX", "big", "500"));
        c.call("CONFIG", "SET", "list-max-listpack-size", "-2");
    }

    /** Setting or clearing a deadline moves the entry; its value, large or compact, stays. */
    @Test
    void deadlinesKeepCollectionValues() {
        c.call("LPUSH", "x", "foo");
        c.call("EXPIRE", "x", "1000");
        c.call("LPUSH", "x", "bar");
        assertEquals(of("bar", "foo"), c.list("LRANGE", "x", "0", "-1"));
        c.call("PERSIST", "x");
        c.call("LPUSH", "x", "baz");
        assertEquals(3, c.num("LLEN", "x"));
        for (int i = 0; i < 300; i++) {
            c.call("HSET", "h", "f" + i, "v");
            c.call("SADD", "s", "m" + i);
            c.call("ZADD", "z", String.valueOf(i), "m" + i);
        }
        for (String k : new String[] {"h", "s", "z"}) {
            c.call("EXPIRE", k, "1000");
            c.call("PERSIST", k);
            c.call("PEXPIRE", k, "100000");
        }
        assertEquals(300, c.num("HLEN", "h"));
        assertEquals(300, c.num("SCARD", "s"));
        assertEquals(300, c.num("ZCARD", "z"));
        assertEquals("v", c.str("HGET", "h", "f7"));
    }

    @Test
    void sort() {
        c.call("RPUSH", "{s}l", "3", "1", "2");
        assertEquals(of("1", "2", "3"), c.list("SORT", "{s}l"));
        assertEquals(of("3", "2"), c.list("SORT", "{s}l", "DESC", "LIMIT", "0", "2"));
        c.call("MSET", "{s}w_1", "30", "{s}w_2", "10", "{s}w_3", "20", "{s}n_1", "one", "{s}n_2", "two");
        assertEquals(of("2", "3", "1"), c.list("SORT", "{s}l", "BY", "{s}w_*"));
        assertEquals(of("two", null, "one"), c.list("SORT", "{s}l", "BY", "{s}w_*", "GET", "{s}n_*"));
        assertEquals(of("3", "1", "2"), c.list("SORT", "{s}l", "BY", "nosort", "GET", "#"), "BY nosort keeps list order");
        assertEquals(3, c.num("SORT", "{s}l", "STORE", "{s}out"));
        assertEquals(of("1", "2", "3"), c.list("LRANGE", "{s}out", "0", "-1"));
        assertEquals(3, c.num("SORT", "{s}l", "STORE", spread[0]), "a destination on another shard");
        assertEquals(of("1", "2", "3"), c.list("LRANGE", spread[0], "0", "-1"));
        c.call("RPUSH", "{s}words", "b", "a");
        assertEquals(of("a", "b"), c.list("SORT_RO", "{s}words", "ALPHA"));
        c.error("ERR One or more scores can't be converted into double", "SORT", "{s}words");
        c.error("ERR syntax error", "SORT", "{s}l", "LIMIT", "0");
        c.error("ERR BY and GET patterns of SORT must name keys on the same shard as the sorted key (use a hash tag)",
                "SORT", "{s}l", "BY", "other_*");
        c.error("ERR syntax error", "SORT_RO", "{s}l", "STORE", "x");
        c.call("SET", "str", "v");
        c.error("WRONGTYPE Operation against a key holding the wrong kind of value", "SORT", "str");
    }
}
