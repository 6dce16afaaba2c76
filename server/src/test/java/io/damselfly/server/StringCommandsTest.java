package io.damselfly.server;

import org.junit.jupiter.api.Test;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.exceptions.JedisDataException;
import redis.clients.jedis.params.GetExParams;
import redis.clients.jedis.params.LCSParams;
import redis.clients.jedis.params.SetParams;
import redis.clients.jedis.resps.LCSMatchResult;

import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class StringCommandsTest extends ServerTestBase {
    private void error(String expected, Runnable r) {
        JedisDataException e = assertThrows(JedisDataException.class, r::run);
        assertEquals(expected, e.getMessage());
    }

    @Test
    void setAndGetWithOptions() {
        assertEquals("OK", j.set("k", "v"));
        assertEquals("v", j.get("k"));
        assertNull(j.get("missing"));
        assertNull(j.set("k", "w", SetParams.setParams().nx()));
        assertEquals("OK", j.set("k", "w", SetParams.setParams().xx()));
        assertNull(j.set("nope", "w", SetParams.setParams().xx()));
        assertEquals("w", j.setGet("k", "x"));
        assertEquals("OK", j.set("k", "y", SetParams.setParams().ex(100)));
        assertTrue(j.ttl("k") > 90);
        assertEquals("OK", j.set("k", "z", SetParams.setParams().keepTtl()));
        assertTrue(j.ttl("k") > 90);
        assertEquals("OK", j.set("k", "z"));
        assertEquals(-1, j.ttl("k"));
        assertEquals("OK", j.set("k", "p", SetParams.setParams().px(100_000)));
        assertTrue(j.pttl("k") > 90_000);
        long at = System.currentTimeMillis() / 1000 + 1000;
        j.set("k", "e", SetParams.setParams().exAt(at));
        assertEquals(at, j.expireTime("k"));
        j.set("k", "e", SetParams.setParams().pxAt(at * 1000 + 5));
        assertEquals(at * 1000 + 5, j.pexpireTime("k"));
        error("ERR syntax error", () -> j.sendCommand(redis.clients.jedis.Protocol.Command.SET, "k", "v", "NX", "XX"));
        error("ERR syntax error", () -> j.sendCommand(redis.clients.jedis.Protocol.Command.SET, "k", "v", "EX", "10", "PX", "5"));
        error("ERR invalid expire time in 'set' command", () -> j.set("k", "v", SetParams.setParams().ex(0)));
        error("ERR invalid expire time in 'set' command", () -> j.set("k", "v", SetParams.setParams().ex(-3)));
        error("ERR value is not an integer or out of range",
                () -> j.sendCommand(redis.clients.jedis.Protocol.Command.SET, "k", "v", "EX", "abc"));
        error("ERR invalid expire time in 'set' command",
                () -> j.sendCommand(redis.clients.jedis.Protocol.Command.SET, "k", "v", "EX", "9223372036854775807"));
    }

    @Test
    void setnxSetexGetsetGetdelGetex() {
        assertEquals(1, j.setnx("a", "1"));
        assertEquals(0, j.setnx("a", "2"));
        assertEquals("OK", j.setex("b", 100, "x"));
        assertTrue(j.ttl("b") > 90);
        assertEquals("OK", j.psetex("c", 100_000, "y"));
        error("ERR invalid expire time in 'setex' command", () -> j.setex("d", -10, "x"));
        error("ERR invalid expire time in 'psetex' command", () -> j.psetex("d", 0, "x"));
        assertEquals("1", j.getSet("a", "3"));
        assertEquals("3", j.getDel("a"));
        assertNull(j.getDel("a"));
        assertEquals("x", j.getEx("b", GetExParams.getExParams().persist()));
        assertEquals(-1, j.ttl("b"));
        assertEquals("x", j.getEx("b", GetExParams.getExParams().ex(50)));
        assertTrue(j.ttl("b") > 40);
        assertEquals("x", j.getEx("b", GetExParams.getExParams().pxAt(1)));
        assertFalse(j.exists("b"));
        assertNull(j.getEx("b", GetExParams.getExParams().ex(5)));
    }

    @Test
    void msetMgetMsetnxAcrossShards() {
        String[] kv = new String[200];
        for (int i = 0; i < 100; i++) {
            kv[2 * i] = "key" + i;
            kv[2 * i + 1] = "val" + i;
        }
        assertEquals("OK", j.mset(kv));
        String[] keys = new String[101];
        for (int i = 0; i < 100; i++) {
            keys[i] = "key" + i;
        }
        keys[100] = "absent";
        List<String> got = j.mget(keys);
        for (int i = 0; i < 100; i++) {
            assertEquals("val" + i, got.get(i));
        }
        assertNull(got.get(100));
        assertEquals(0, j.msetnx("new1", "a", "key5", "b"));
        assertNull(j.get("new1"));
        assertEquals(1, j.msetnx("new1", "a", "new2", "b", "new3", "c"));
        assertEquals(Arrays.asList("a", "b", "c"), j.mget("new1", "new2", "new3"));
        error("ERR wrong number of arguments for 'mset' command",
                () -> j.sendCommand(redis.clients.jedis.Protocol.Command.MSET, "a", "b", "c"));
        error("ERR wrong number of arguments for 'msetnx' command",
                () -> j.sendCommand(redis.clients.jedis.Protocol.Command.MSETNX, "a", "b", "c"));
    }

    @Test
    void countersAndFloats() {
        assertEquals(1, j.incr("n"));
        assertEquals(11, j.incrBy("n", 10));
        assertEquals(10, j.decr("n"));
        assertEquals(5, j.decrBy("n", 5));
        j.set("big", "17179869184");
        assertEquals(17179869185L, j.incr("big"));
        j.set("max", Long.toString(Long.MAX_VALUE));
        error("ERR increment or decrement would overflow", () -> j.incr("max"));
        error("ERR decrement would overflow", () -> j.decrBy("n", Long.MIN_VALUE));
        j.set("s", " 1");
        error("ERR value is not an integer or out of range", () -> j.incr("s"));
        assertEquals(10.5, j.incrByFloat("f", 10.5));
        assertEquals(11.6, j.incrByFloat("f", 1.1), 1e-9);
        assertEquals("11.6", j.get("f"));
        j.set("e", "1e1");
        assertEquals(11.0, j.incrByFloat("e", 1));
        error("ERR value is not a valid float", () -> j.incrByFloat("s", 1.0));
        error("ERR increment would produce NaN or Infinity",
                () -> j.sendCommand(redis.clients.jedis.Protocol.Command.INCRBYFLOAT, "f", "+inf"));
        j.setex("ttl", 100, "5");
        j.incr("ttl");
        assertTrue(j.ttl("ttl") > 90, "INCR keeps the TTL");
    }

    @Test
    void rangesAndAppend() {
        assertEquals(5, j.append("s", "Hello"));
        assertEquals(11, j.append("s", " World"));
        assertEquals(11, j.strlen("s"));
        assertEquals(0, j.strlen("none"));
        assertEquals("Hello", j.getrange("s", 0, 4));
        assertEquals("World", j.getrange("s", -5, -1));
        assertEquals("", j.getrange("s", 5, 3));
        assertEquals("", j.getrange("s", -1, -5));
        assertEquals("Hello World", j.getrange("s", 0, 100));
        assertEquals("", j.getrange("none", 0, 5));
        assertEquals("Hell", j.substr("s", 0, 3));
        assertEquals(11, j.setrange("s", 6, "Redis"));
        assertEquals("Hello Redis", j.get("s"));
        assertEquals(13, j.setrange("z", 10, "abc"));
        assertArrayEquals(new byte[] {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 'a', 'b', 'c'}, j.get("z".getBytes()));
        assertEquals(0, j.setrange("empty", 5, ""));
        assertFalse(j.exists("empty"));
        error("ERR offset is out of range", () -> j.setrange("z", -1, "x"));
        error("ERR string exceeds maximum allowed size (proto-max-bulk-len)", () -> j.setrange("z", 536870911, "xx"));
        error("ERR string exceeds maximum allowed size (proto-max-bulk-len)", () -> j.setrange("newkey", Long.MAX_VALUE, "A"));
        error("ERR string exceeds maximum allowed size (proto-max-bulk-len)", () -> j.setrange("z", Long.MAX_VALUE, "A"));
        StringBuilder expected = new StringBuilder();
        for (int i = 0; i < 2000; i++) {
            j.append("grow", "0123456789");
            expected.append("0123456789");
        }
        assertEquals(expected.toString(), j.get("grow"));
    }

    @Test
    void bits() {
        assertEquals(false, j.setbit("b", 7, true));
        assertEquals(true, j.setbit("b", 7, true));
        assertEquals(true, j.getbit("b", 7));
        assertEquals(false, j.getbit("b", 100));
        assertEquals("\u0001", j.get("b"));
        j.set("bc", "foobar");
        assertEquals(26, j.bitcount("bc"));
        assertEquals(4, j.bitcount("bc", 0, 0));
        assertEquals(6, j.bitcount("bc", 1, 1));
        assertEquals(17, (long) j.bitcount("bc", 5, 30, redis.clients.jedis.args.BitCountOption.BIT));
        j.set("bp".getBytes(), new byte[] {(byte) 0xff, (byte) 0xf0, 0});
        assertEquals(12, j.bitpos("bp".getBytes(), false));
        j.set("bp2", new String(new byte[] {0, (byte) 0xff, (byte) 0xf0}, java.nio.charset.StandardCharsets.ISO_8859_1));
        assertEquals(8, j.bitpos("bp2".getBytes(), true));
        assertEquals(-1, j.bitpos("nokey", true));
        assertEquals(0, j.bitpos("nokey", false));
        error("ERR bit offset is not an integer or out of range", () -> j.sendCommand(redis.clients.jedis.Protocol.Command.SETBIT, "b", "-1", "1"));
        error("ERR bit is not an integer or out of range", () -> j.sendCommand(redis.clients.jedis.Protocol.Command.SETBIT, "b", "1", "2"));
        error("ERR The bit argument must be 1 or 0.", () -> j.sendCommand(redis.clients.jedis.Protocol.Command.BITPOS, "b", "3"));
        j.set("x1", "abc");
        j.set("x2", "ab");
        assertEquals(3, j.bitop(redis.clients.jedis.args.BitOP.AND, "dest", "x1", "x2"));
        assertArrayEquals(new byte[] {'a', 'b', 0}, j.get("dest".getBytes()));
        assertEquals(3, j.bitop(redis.clients.jedis.args.BitOP.NOT, "dest2", "x1"));
        error("ERR BITOP NOT must be called with a single source key.",
                () -> j.bitop(redis.clients.jedis.args.BitOP.NOT, "dest3", "x1", "x2"));
        assertEquals(0, j.bitop(redis.clients.jedis.args.BitOP.OR, "dest", "nope1", "nope2"));
        assertFalse(j.exists("dest"));
    }

    @Test
    void lcs() {
        j.mset("key1", "ohmytext", "key2", "mynewtext");
        assertEquals("mytext", j.lcs("key1", "key2", LCSParams.LCSParams()).getMatchString());
        assertEquals(6, j.lcs("key1", "key2", LCSParams.LCSParams().len()).getLen());
        LCSMatchResult idx = j.lcs("key1", "key2", LCSParams.LCSParams().idx().withMatchLen());
        assertEquals(6, idx.getLen());
        assertEquals(2, idx.getMatches().size());
        assertEquals(4, idx.getMatches().get(0).getMatchLen());
        error("ERR If you want both the length and indexes, please just use IDX.",
                () -> j.sendCommand(redis.clients.jedis.Protocol.Command.LCS, "key1", "key2", "LEN", "IDX"));
    }
}
