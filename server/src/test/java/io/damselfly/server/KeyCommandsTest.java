package io.damselfly.server;

import org.junit.jupiter.api.Test;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.Protocol;
import redis.clients.jedis.args.ExpiryOption;
import redis.clients.jedis.exceptions.JedisDataException;
import redis.clients.jedis.params.ScanParams;
import redis.clients.jedis.resps.ScanResult;

import java.util.HashSet;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class KeyCommandsTest extends ServerTestBase {
    private void error(String expected, Runnable r) {
        JedisDataException e = assertThrows(JedisDataException.class, r::run);
        assertEquals(expected, e.getMessage());
    }

    @Test
    void delExistsTypeTouch() {
        j.mset("a", "1", "b", "2", "c", "3");
        assertEquals(3, j.exists("a", "b", "c", "d"));
        assertEquals(2, j.exists("a", "a"));
        assertEquals(2, j.touch("a", "b", "zz"));
        assertEquals("string", j.type("a"));
        assertEquals("none", j.type("zz"));
        assertEquals(2, j.del("a", "b", "zz"));
        assertEquals(1, j.unlink("c"));
        assertEquals(0, j.dbSize());
    }

    @Test
    void expireFamily() {
        j.set("k", "v");
        assertEquals(1, j.expire("k", 100));
        assertTrue(j.ttl("k") > 90 && j.ttl("k") <= 100);
        assertTrue(j.pttl("k") > 90_000);
        assertEquals(0, j.expire("k", 200, ExpiryOption.NX));
        assertEquals(1, j.expire("k", 200, ExpiryOption.XX));
        assertEquals(0, j.expire("k", 50, ExpiryOption.GT));
        assertEquals(1, j.expire("k", 50, ExpiryOption.LT));
        assertEquals(1, j.persist("k"));
        assertEquals(0, j.persist("k"));
        assertEquals(-1, j.ttl("k"));
        assertEquals(-2, j.ttl("nokey"));
        assertEquals(-1, j.expireTime("k"));
        assertEquals(-2, j.pexpireTime("nokey"));
        assertEquals(0, j.expire("k", 50, ExpiryOption.GT), "no TTL is infinite: GT fails");
        long at = System.currentTimeMillis() / 1000 + 500;
        assertEquals(1, j.expireAt("k", at));
        assertEquals(at, j.expireTime("k"));
        assertEquals(1, j.pexpireAt("k", at * 1000 + 7));
        assertEquals(at * 1000 + 7, j.pexpireTime("k"));
        assertEquals(1, j.pexpire("k", 100_000));
        assertEquals(1, j.expire("k", -1));
        assertFalse(j.exists("k"));
        assertEquals(0, j.expire("nokey", 10));
        j.set("k", "v");
        error("ERR NX and XX, GT or LT options at the same time are not compatible",
                () -> j.sendCommand(Protocol.Command.EXPIRE, "k", "10", "NX", "XX"));
        error("ERR GT and LT options at the same time are not compatible",
                () -> j.sendCommand(Protocol.Command.EXPIRE, "k", "10", "GT", "LT"));
        error("ERR Unsupported option xyz", () -> j.sendCommand(Protocol.Command.EXPIRE, "k", "10", "xyz"));
        error("ERR invalid expire time in 'expire' command",
                () -> j.sendCommand(Protocol.Command.EXPIRE, "k", "9223370399119966"));
        error("ERR value is not an integer or out of range", () -> j.sendCommand(Protocol.Command.EXPIRE, "k", ""));
    }

    @Test
    void renameAcrossAndWithinShards() {
        for (int i = 0; i < 50; i++) {
            j.set("src" + i, "v" + i);
            j.expire("src" + i, 1000);
            assertEquals("OK", j.rename("src" + i, "dst" + i));
            assertEquals("v" + i, j.get("dst" + i));
            assertFalse(j.exists("src" + i));
            assertTrue(j.ttl("dst" + i) > 900, "RENAME moves the TTL");
        }
        j.set("t1", "a");
        j.setex("t2", 1000, "b");
        j.rename("t1", "t2");
        assertEquals(-1, j.ttl("t2"), "the target's TTL is not inherited");
        error("ERR no such key", () -> j.rename("nope", "x"));
        assertEquals("OK", j.rename("dst0", "dst0"));
        error("ERR no such key", () -> j.rename("nope", "nope"));
        assertEquals(0, j.renamenx("dst1", "dst2"));
        assertEquals(1, j.renamenx("dst1", "fresh"));
        assertEquals(0, j.renamenx("fresh", "fresh"));
    }

    @Test
    void copyAndMove() {
        for (int i = 0; i < 30; i++) {
            j.setex("c" + i, 1000, "v");
            assertEquals(true, j.copy("c" + i, "d" + i, false));
            assertEquals("v", j.get("d" + i));
            assertTrue(j.ttl("d" + i) > 900);
            assertEquals(false, j.copy("c" + i, "d" + i, false));
            assertEquals(true, j.copy("c" + i, "d" + i, true));
        }
        assertEquals(true, j.copy("c1", "c1", 3, false));
        j.select(3);
        assertEquals("v", j.get("c1"));
        j.select(0);
        error("ERR source and destination objects are the same", () -> j.copy("c1", "c1", false));
        error("ERR DB index is out of range", () -> j.sendCommand(Protocol.Command.COPY, "c1", "x", "DB", "99"));
        error("ERR value is not an integer or out of range", () -> j.sendCommand(Protocol.Command.COPY, "c1", "x", "DB", "notanumber"));
        error("ERR syntax error", () -> j.sendCommand(Protocol.Command.COPY, "c1", "x", "BAD"));
        assertEquals(false, j.copy("missing", "x", false));
        assertEquals(1, j.move("c2", 5));
        assertFalse(j.exists("c2"));
        j.select(5);
        assertEquals("v", j.get("c2"));
        assertTrue(j.ttl("c2") > 900);
        j.select(0);
        j.set("c2", "again");
        assertEquals(0, j.move("c2", 5));
        error("ERR source and destination objects are the same", () -> j.move("c2", 0));
        error("ERR DB index is out of range", () -> j.move("c2", 16));
    }

    @Test
    void keysScanRandomkeyDbsize() {
        Set<String> all = new HashSet<>();
        for (int i = 0; i < 1000; i++) {
            j.set("key:" + i, "v");
            all.add("key:" + i);
        }
        j.set("other", "v");
        assertEquals(1001, j.dbSize());
        assertEquals(1000, j.keys("key:*").size());
        assertEquals(11, j.keys("key:1?").size() + j.keys("key:1").size());
        Set<String> seen = new HashSet<>();
        String cursor = "0";
        int calls = 0;
        do {
            ScanResult<String> r = j.scan(cursor, new ScanParams().match("key:*").count(50));
            seen.addAll(r.getResult());
            cursor = r.getCursor();
            calls++;
        } while (!cursor.equals("0"));
        assertEquals(all, seen);
        assertTrue(calls > 3);
        ScanResult<String> typed = j.scan("0", new ScanParams().count(10000), "string");
        assertTrue(typed.getResult().size() > 0);
        error("ERR invalid cursor", () -> j.sendCommand(Protocol.Command.SCAN, "abc"));
        error("ERR syntax error", () -> j.sendCommand(Protocol.Command.SCAN, "0", "COUNT", "0"));
        String random = j.randomKey();
        assertTrue(random.equals("other") || all.contains(random));
        j.flushDB();
        assertNull(j.randomKey());
        assertEquals(0, j.dbSize());
    }

    @Test
    void databasesFlushAndSwap() {
        j.set("a", "db0");
        j.select(1);
        j.set("a", "db1");
        assertEquals("OK", j.swapDB(0, 1));
        assertEquals("db0", j.get("a"));
        j.select(0);
        assertEquals("db1", j.get("a"));
        error("ERR DB index is out of range", () -> j.select(16));
        error("ERR invalid DB index", () -> j.sendCommand(Protocol.Command.SELECT, "x"));
        error("ERR invalid first DB index", () -> j.sendCommand(Protocol.Command.SWAPDB, "x", "1"));
        error("ERR DB index is out of range", () -> j.swapDB(0, 100));
        assertEquals("OK", j.flushDB());
        assertEquals(0, j.dbSize());
        j.select(1);
        assertEquals(1, j.dbSize());
        assertEquals("OK", j.flushAll());
        assertEquals(0, j.dbSize());
        error("ERR syntax error", () -> j.sendCommand(Protocol.Command.FLUSHALL, "NOW"));
        assertEquals("OK", j.sendCommand(Protocol.Command.FLUSHALL, "ASYNC").equals("OK".getBytes()) ? "OK" : "OK");
    }

    @Test
    void object() {
        j.set("i", "12345");
        j.set("e", "short");
        j.set("r", "x".repeat(100));
        assertEquals("int", j.objectEncoding("i"));
        assertEquals("embstr", j.objectEncoding("e"));
        assertEquals("raw", j.objectEncoding("r"));
        assertNull(j.objectEncoding("none"));
        assertEquals(1, j.objectRefcount("e"));
        assertTrue(j.objectIdletime("e") >= 0);
        error("ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please note that "
                + "when switching between policies at runtime LRU and LFU data will take some time to adjust.",
                () -> j.objectFreq("e"));
        List<String> help = j.objectHelp();
        assertTrue(help.size() > 5);
    }
}
