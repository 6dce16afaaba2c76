package io.damselfly.server;

import org.junit.jupiter.api.Test;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.Pipeline;
import redis.clients.jedis.exceptions.JedisDataException;

import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** maxmemory and its policies, against the real server on two shards. */
class MaxmemoryTest {
    private static final Duration WAIT = Duration.ofSeconds(60);
    private static final String OOM = "OOM command not allowed when used memory > 'maxmemory'.";

    private static long info(Jedis j, String section, String field) {
        for (String line : j.info(section).split("\r\n")) {
            if (line.startsWith(field + ":")) {
                return Long.parseLong(line.substring(field.length() + 1));
            }
        }
        throw new AssertionError(field + " missing");
    }

    private static void fill(Jedis j, String prefix, int from, int to, int size, long ttlSeconds) {
        String value = "v".repeat(size);
        Pipeline p = j.pipelined();
        for (int i = from; i < to; i++) {
            if (ttlSeconds > 0) {
                p.setex(prefix + i, ttlSeconds, value);
            } else {
                p.set(prefix + i, value);
            }
            if (i % 1000 == 999) {
                p.sync();
            }
        }
        p.sync();
    }

    @Test
    void noevictionRefusesWritesThatMayGrowTheDataButServesTheRest() throws Exception {
        try (TestServer s = new TestServer("--threads", "2"); Jedis j = s.jedis()) {
            fill(j, "k", 0, 20_000, 100, 0);
            long data = info(j, "memory", "used_memory_dataset");
            j.configSet("maxmemory", Long.toString(data / 2));
            TestServer.await("the refusal", WAIT, () -> {
                try {
                    j.set("new", "x");
                    return false;
                } catch (JedisDataException e) {
                    return e.getMessage().equals(OOM);
                }
            });
            assertEquals(100, j.get("k1").length(), "reads go on");
            assertEquals(1, j.del("k1"), "DEL is not refused");
            JedisDataException e = assertThrows(JedisDataException.class, () -> j.lpush("list", "a"));
            assertEquals(OOM, e.getMessage());
            assertEquals(j.exists("new") ? 20_000 : 19_999, j.dbSize(), "nothing evicted");
            assertEquals(0, info(j, "stats", "evicted_keys"));
            j.configSet("maxmemory", "0");
            assertEquals("OK", j.set("new", "x"));
        }
    }

    @Test
    void allkeysLruKeepsTheDataUnderTheLimitAndTheKeysInUse() throws Exception {
        long limit = 8L << 20;
        try (TestServer s = new TestServer("--threads", "2", "--maxmemory-policy", "allkeys-lru",
                "--maxmemory-samples", "10");
             Jedis j = s.jedis()) {
            fill(j, "hot", 0, 50, 100, 0);
            fill(j, "cold", 0, 200_000, 100, 0);
            // the LRU clock counts seconds, as Redis's does: the cold keys are older by two
            Thread.sleep(2_100);
            for (int h = 0; h < 50; h++) {
                j.get("hot" + h);
            }
            assertTrue(info(j, "memory", "used_memory_dataset") > 2 * limit);
            j.configSet("maxmemory", Long.toString(limit));
            TestServer.await("the data under the limit", WAIT,
                    () -> info(j, "memory", "used_memory_dataset") <= limit);
            long evicted = info(j, "stats", "evicted_keys");
            assertTrue(evicted > 50_000, "keys were evicted: " + evicted);
            assertEquals(200_050 - evicted, j.dbSize());
            for (int h = 0; h < 50; h++) {
                assertTrue(j.exists("hot" + h), "a key in use stays: hot" + h);
            }
        }
    }

    @Test
    void volatilePoliciesEvictOnlyKeysWithADeadlineAndRefuseWhenThereAreNone() throws Exception {
        try (TestServer s = new TestServer("--threads", "2", "--maxmemory-policy", "volatile-ttl"); Jedis j = s.jedis()) {
            fill(j, "keep", 0, 10_000, 100, 0);
            fill(j, "short", 0, 10_000, 100, 1_000);
            fill(j, "long", 0, 10_000, 100, 100_000);
            long data = info(j, "memory", "used_memory_dataset");
            j.configSet("maxmemory", Long.toString(data * 3 / 4));
            TestServer.await("eviction down to the limit", WAIT,
                    () -> info(j, "memory", "used_memory_dataset") <= data * 3 / 4);
            for (int i = 0; i < 10_000; i += 97) {
                assertTrue(j.exists("keep" + i), "a key without a deadline stays: keep" + i);
            }
            long shortLeft = j.keys("short*").size();
            long longLeft = j.keys("long*").size();
            assertTrue(shortLeft < longLeft, "the nearest deadlines go first: " + shortLeft + " short, " + longLeft + " long left");
            // nothing volatile left to evict: writes are refused
            j.configSet("maxmemory-policy", "volatile-lru");
            j.configSet("maxmemory", Long.toString(info(j, "memory", "used_memory_dataset") / 4));
            TestServer.await("the refusal", WAIT, () -> {
                try {
                    j.set("new", "x");
                    return false;
                } catch (JedisDataException e) {
                    return e.getMessage().equals(OOM);
                }
            });
            for (int i = 0; i < 10_000; i += 97) {
                assertTrue(j.exists("keep" + i), "a key without a deadline stays: keep" + i);
            }
        }
    }

    /** An eviction is a write: its DEL reaches a redis-server replica, which ends with the same keys. */
    @Test
    void evictionsReachAReplica() throws Exception {
        try (TestServer m = new TestServer("--threads", "2", "--maxmemory", Long.toString(4L << 20),
                "--maxmemory-policy", "allkeys-random");
             RealRedis d = new RealRedis(java.nio.file.Files.createTempDirectory("maxmemory-replica"));
             Jedis jm = m.jedis(); Jedis jd = d.jedis()) {
            jd.replicaof("127.0.0.1", m.port());
            TestServer.await("the link", WAIT, () -> jd.info("replication").contains("master_link_status:up"));
            fill(jm, "k", 0, 100_000, 100, 0);
            assertTrue(info(jm, "stats", "evicted_keys") > 0);
            // the shards' crons evict until the data fits: let them finish, then stop evicting
            TestServer.await("the data under the limit", WAIT,
                    () -> info(jm, "memory", "used_memory_dataset") <= 4L << 20);
            jm.configSet("maxmemory", "0");
            jm.set("end", "1");
            assertEquals(1, jm.waitReplicas(1, 30_000));
            assertEquals(jm.dbSize(), jd.dbSize(), "the replica holds what the master kept");
            assertEquals(new java.util.TreeSet<>(jm.keys("*")), new java.util.TreeSet<>(jd.keys("*")));
        }
    }
}
