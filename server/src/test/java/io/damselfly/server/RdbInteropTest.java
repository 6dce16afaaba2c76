package io.damselfly.server;

import org.junit.jupiter.api.Test;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.exceptions.JedisDataException;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Dumps move between Damselfly and a real redis-server 7.0 in both directions, with the same
 * content key by key: every type on both sides of each encoding threshold, binary data,
 * deadlines, several databases; and DUMP payloads RESTORE on the other side.
 */
class RdbInteropTest {
    @Test
    void damselflyDumpLoadsInRedis() throws Exception {
        Path dir = Files.createTempDirectory("damselfly-rdb");
        TreeMap<String, String> expected;
        try (TestServer s = new TestServer("--dir", dir.toString()); Jedis j = s.jedis()) {
            Dataset.fill(j);
            expected = Dataset.read(j);
            assertEquals("OK", j.save());
        }
        assertEquals(expected, Dataset.readRdb(dir.resolve("dump.rdb")));
        try (RealRedis redis = new RealRedis(dir); Jedis r = redis.jedis()) {
            Dataset.assertSame(expected, Dataset.read(r), "r");
            r.select(0);
            assertEquals("intset", r.objectEncoding("db0:set-ints"));
            assertEquals("hashtable", r.objectEncoding("db0:set-ints-large"));
            assertEquals("listpack", r.objectEncoding("db0:hash-small"));
            assertEquals("hashtable", r.objectEncoding("db0:hash-long-value"));
            assertEquals("skiplist", r.objectEncoding("db0:zset-large"));
        }
    }

    @Test
    void redisDumpLoadsInDamselfly() throws Exception {
        Path dir = Files.createTempDirectory("redis-rdb");
        TreeMap<String, String> expected;
        try (RealRedis redis = new RealRedis(dir, "--rdbcompression", "yes"); Jedis r = redis.jedis()) {
            Dataset.fill(r);
            expected = Dataset.read(r);
            assertEquals("OK", r.save());
        }
        assertEquals(expected, Dataset.readRdb(dir.resolve("dump.rdb")));
        try (TestServer s = new TestServer("--dir", dir.toString()); Jedis j = s.jedis()) {
            Dataset.assertSame(expected, Dataset.read(j), "j");
            assertEquals("listpack", j.objectEncoding("db0:zset-small"));
            assertEquals("skiplist", j.objectEncoding("db0:zset-large"));
            assertEquals("intset", j.objectEncoding("db0:set-ints"));
            assertTrue(j.info("persistence").contains("rdb_last_load_keys_loaded:" + expected.size()));
            assertTrue(j.info("persistence").contains("rdb_changes_since_last_save:0"), "a load is not a change");
        }
    }

    @Test
    void dumpAndRestoreRoundTripBothWays() throws Exception {
        Path rdir = Files.createTempDirectory("redis-dump");
        try (RealRedis redis = new RealRedis(rdir); Jedis r = redis.jedis();
             TestServer s = new TestServer(); Jedis j = s.jedis()) {
            Dataset.fill(r);
            TreeMap<String, String> expected = Dataset.read(r);
            copyAll(r, j);
            assertEquals(withoutTtl(expected), withoutTtl(Dataset.read(j)));
            r.flushAll();
            copyAll(j, r);
            assertEquals(withoutTtl(expected), withoutTtl(Dataset.read(r)));

            byte[] payload = j.dump("db0:int");
            payload[payload.length - 1] ^= 1;
            byte[] bad = payload;
            JedisDataException e = assertThrows(JedisDataException.class, () -> j.restore("x", 0, bad));
            assertEquals("ERR DUMP payload version or checksum are wrong", e.getMessage());
            e = assertThrows(JedisDataException.class, () -> j.restore("db0:int", 0, j.dump("db0:int")));
            assertEquals("BUSYKEY Target key name already exists.", e.getMessage());
        }
    }

    @Test
    void redisCliFetchesADumpWithSync() throws Exception {
        try (TestServer s = new TestServer(); Jedis j = s.jedis()) {
            Dataset.fill(j);
            TreeMap<String, String> expected = Dataset.read(j);
            Path file = s.dir.resolve("fetched.rdb");
            Process cli = new ProcessBuilder("redis-cli", "-h", "127.0.0.1", "-p", Integer.toString(s.port()), "--rdb",
                    file.toString()).redirectErrorStream(true).start();
            String out = new String(cli.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
            assertTrue(cli.waitFor(60, java.util.concurrent.TimeUnit.SECONDS));
            assertEquals(0, cli.exitValue(), out);
            assertTrue(out.contains("Transfer finished with success"), out);
            assertEquals(expected, Dataset.readRdb(file));
            assertEquals("PONG", j.ping()); // the server goes on; only that connection left
        }
    }

    private static TreeMap<String, String> withoutTtl(TreeMap<String, String> m) {
        TreeMap<String, String> out = new TreeMap<>();
        for (Map.Entry<String, String> e : m.entrySet()) {
            out.put(e.getKey(), e.getValue().replace(" ttl", ""));
        }
        return out;
    }

    /** Moves every key with DUMP on one side and RESTORE on the other, as migration tools do. */
    private static void copyAll(Jedis from, Jedis to) {
        for (int db : Dataset.DBS) {
            from.select(db);
            to.select(db);
            for (byte[] key : from.keys("*".getBytes())) {
                assertEquals("OK", to.restore(key, 0, from.dump(key)));
            }
        }
        from.select(0);
        to.select(0);
    }
}
