package io.damselfly.server;

import org.junit.jupiter.api.Test;
import redis.clients.jedis.Jedis;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Multi-key commands whose keys span shards are atomic and isolated: no reader sees half of an
 * MSET, MSETNX never half-applies, and a single-shard command on a free key is not held up by a
 * queued multi-shard operation (there is no global lock).
 */
class AtomicityTest {
    /** Four keys, each on a different shard of a 4-shard server. */
    static String[] keysOnDistinctShards(Damselfly server, int n) {
        List<String> keys = new ArrayList<>();
        boolean[] used = new boolean[server.engine().shards()];
        for (int i = 0; keys.size() < n; i++) {
            String k = "atom:" + i;
            byte[] b = k.getBytes(StandardCharsets.UTF_8);
            int s = server.engine().shardOf(b, 0, b.length);
            if (!used[s]) {
                used[s] = true;
                keys.add(k);
            }
        }
        return keys.toArray(new String[0]);
    }

    @Test
    void readersNeverSeeHalfAnMset() throws Exception {
        try (TestServer ts = new TestServer("--threads", "4")) {
            String[] keys = keysOnDistinctShards(ts.server, 4);
            try (Jedis init = ts.jedis()) {
                init.mset(keys[0], "0", keys[1], "0", keys[2], "0", keys[3], "0");
            }
            AtomicBoolean stop = new AtomicBoolean();
            AtomicLong checks = new AtomicLong();
            ExecutorService pool = Executors.newFixedThreadPool(8);
            List<Future<?>> futures = new ArrayList<>();
            for (int w = 0; w < 2; w++) {
                int writer = w;
                futures.add(pool.submit(() -> {
                    try (Jedis j = ts.jedis()) {
                        for (long v = 1; !stop.get(); v++) {
                            String val = writer + ":" + v;
                            j.mset(keys[0], val, keys[1], val, keys[2], val, keys[3], val);
                        }
                    }
                    return null;
                }));
            }
            for (int r = 0; r < 4; r++) {
                futures.add(pool.submit(() -> {
                    try (Jedis j = ts.jedis()) {
                        while (!stop.get()) {
                            List<String> got = j.mget(keys);
                            for (String g : got) {
                                assertEquals(got.get(0), g, "MGET saw half of an MSET: " + got);
                            }
                            checks.incrementAndGet();
                        }
                    }
                    return null;
                }));
            }
            // single-key readers: once a key shows an MSET, every later read of another key shows it or a later one
            futures.add(pool.submit(() -> {
                try (Jedis j = ts.jedis()) {
                    while (!stop.get()) {
                        String first = j.get(keys[0]);
                        for (int k = 1; k < keys.length; k++) {
                            String later = j.get(keys[k]);
                            if (first.equals("0") || later.startsWith(first.substring(0, 1))) {
                                long a = first.equals("0") ? 0 : Long.parseLong(first.substring(2));
                                long b = later.equals("0") ? 0 : Long.parseLong(later.substring(2));
                                assertTrue(!first.equals("0") || true);
                                if (first.charAt(0) == later.charAt(0) && !first.equals("0") && !later.equals("0")) {
                                    assertTrue(b >= a, "read " + keys[k] + "=" + later + " after " + keys[0] + "=" + first);
                                }
                            }
                        }
                        checks.incrementAndGet();
                    }
                }
                return null;
            }));
            Thread.sleep(4000);
            stop.set(true);
            for (Future<?> f : futures) {
                f.get(60, TimeUnit.SECONDS);
            }
            pool.shutdown();
            assertTrue(checks.get() > 100, "only " + checks.get() + " checks ran");
        }
    }

    @Test
    void msetnxNeverHalfApplies() throws Exception {
        try (TestServer ts = new TestServer("--threads", "4")) {
            String[] k = keysOnDistinctShards(ts.server, 4);
            String[][] sets = {{k[0], k[1]}, {k[1], k[2]}, {k[2], k[3]}, {k[3], k[0]}, {k[0], k[2]}};
            ExecutorService pool = Executors.newFixedThreadPool(sets.length);
            try (Jedis admin = ts.jedis()) {
                for (int round = 0; round < 100; round++) {
                    admin.flushAll();
                    List<Future<Long>> results = new ArrayList<>();
                    for (int c = 0; c < sets.length; c++) {
                        int client = c;
                        results.add(pool.submit(() -> {
                            try (Jedis j = ts.jedis()) {
                                String v = "c" + client;
                                return j.msetnx(sets[client][0], v, sets[client][1], v);
                            }
                        }));
                    }
                    for (int c = 0; c < sets.length; c++) {
                        long won = results.get(c).get(60, TimeUnit.SECONDS);
                        String v = "c" + c;
                        List<String> got = admin.mget(sets[c]);
                        if (won == 1) {
                            assertEquals(List.of(v, v), got, "a successful MSETNX must own both keys");
                        } else {
                            assertTrue(!v.equals(got.get(0)) && !v.equals(got.get(1)), "a failed MSETNX wrote " + got);
                        }
                    }
                }
            }
            pool.shutdown();
        }
    }

    @Test
    void freeKeysAreServedWhileAMultiShardOperationIsQueued() throws Exception {
        try (TestServer ts = new TestServer("--threads", "2", "--enable-debug-command", "yes")) {
            // Connections are spread round-robin: the first lands on shard 0, the second on shard 1, ...
            Jedis sleeper = ts.jedis();
            sleeper.ping();
            Jedis onOne = ts.jedis();
            onOne.ping();
            Jedis sleeper2 = ts.jedis();
            sleeper2.ping();
            Jedis onOneAgain = ts.jedis();
            onOneAgain.ping();
            String k0 = null;
            String k1 = null;
            String k1free = null;
            for (int i = 0; k0 == null || k1 == null || k1free == null; i++) {
                String k = "q" + i;
                byte[] b = k.getBytes(StandardCharsets.UTF_8);
                int s = ts.server.engine().shardOf(b, 0, b.length);
                if (s == 0 && k0 == null) {
                    k0 = k;
                } else if (s == 1 && k1 == null) {
                    k1 = k;
                } else if (s == 1 && k1free == null) {
                    k1free = k;
                }
            }
            onOne.set(k1, "old");
            onOne.set(k1free, "free");
            ExecutorService pool = Executors.newCachedThreadPool();
            // shard 0's thread sleeps: a multi-shard MSET over shards 0 and 1 stays queued on shard 1
            Future<?> sleep = pool.submit(() -> sleeper.sendCommand(TestServer.cmd("DEBUG"), "SLEEP", "3"));
            Thread.sleep(300);
            String fk0 = k0;
            String fk1 = k1;
            Future<String> mset = pool.submit(() -> onOne.mset(fk0, "new", fk1, "new"));
            Thread.sleep(300);
            long t0 = System.nanoTime();
            assertEquals("free", onOneAgain.get(k1free));
            long freeMs = (System.nanoTime() - t0) / 1_000_000;
            assertTrue(freeMs < 1500, "a free key waited " + freeMs + " ms");
            assertEquals("new", onOneAgain.get(k1), "a locked key waits for the MSET and then sees it");
            assertEquals("OK", mset.get(60, TimeUnit.SECONDS));
            sleep.get(60, TimeUnit.SECONDS);
            pool.shutdown();
            sleeper.close();
            onOne.close();
            sleeper2.close();
            onOneAgain.close();
        }
    }
}
