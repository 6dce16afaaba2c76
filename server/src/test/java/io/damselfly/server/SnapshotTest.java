package io.damselfly.server;

import io.damselfly.repl.RdbPersistence;
import io.damselfly.repl.rdb.RdbIn;
import io.damselfly.repl.rdb.RdbReader;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.Transaction;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Snapshots taken while writes of every type hammer the server equal the dataset at one point
 * in time. Each writer applies a known sequence of operations, so the image must show every
 * writer at exactly one step of its sequence: a bucket written too late or twice, a missed
 * hook, or a cross-shard transaction cut in half would show a mixture of steps.
 */
class SnapshotTest {
    static final int KEYS_PER_WRITER = 10;

    /** Key m of writer w; its type cycles through string, list, hash, set, sorted set. */
    static String key(int w, int m) {
        return "w" + w + ":k" + m;
    }

    /** Step j of writer w: one write to key j % K. */
    static void step(Jedis j, int w, long step) {
        int m = (int) (step % KEYS_PER_WRITER);
        String k = key(w, m);
        String v = Long.toString(step);
        switch (m % 5) {
            case 0 -> j.set(k, v);
            case 1 -> j.rpush(k, v);
            case 2 -> j.hset(k, "f" + v, v);
            case 3 -> j.sadd(k, v);
            default -> j.zadd(k, step, v);
        }
    }

    /** What key m of writer w holds after step J: the steps ≤ J that wrote it. */
    static TreeSet<Long> stepsOf(int m, long last) {
        TreeSet<Long> s = new TreeSet<>();
        for (long j = m == 0 ? KEYS_PER_WRITER : m; j <= last; j += KEYS_PER_WRITER) {
            s.add(j);
        }
        return s;
    }

    /** The image shows writer w at one step J (and returns it). */
    static long checkWriter(Map<String, TreeSet<Long>> image, int w) {
        long last = 0;
        for (int m = 0; m < KEYS_PER_WRITER; m++) {
            TreeSet<Long> s = image.get("0 " + key(w, m));
            if (s != null && !s.isEmpty()) {
                last = Math.max(last, s.last());
            }
        }
        for (int m = 0; m < KEYS_PER_WRITER; m++) {
            TreeSet<Long> expected = stepsOf(m, last);
            TreeSet<Long> s = image.getOrDefault("0 " + key(w, m), new TreeSet<>());
            if (m % 5 == 0 && !expected.isEmpty()) {
                expected = new TreeSet<>(List.of(expected.last())); // a string keeps its last value
            }
            assertEquals(expected, s, "writer " + w + " key " + m + " at step " + last);
        }
        return last;
    }

    @Test
    void imageEqualsTheDatasetAtTheCutWhileEveryTypeIsWritten() throws Exception {
        try (TestServer s = new TestServer("--threads", "3"); Jedis j = s.jedis()) {
            // enough keys that the walk takes a while, and the table grows during it
            PersistenceTest.seed(j, "seed:", 30_000);
            j.configSet("rdb-key-save-delay", "30");
            AtomicBoolean stop = new AtomicBoolean();
            AtomicReference<Throwable> failure = new AtomicReference<>();
            List<Thread> threads = new ArrayList<>();
            int writers = 4;
            for (int w = 0; w < writers; w++) {
                int id = w;
                threads.add(Thread.ofPlatform().start(() -> {
                    try (Jedis c = s.jedis()) {
                        for (long step = 1; !stop.get(); step++) {
                            step(c, id, step);
                        }
                    } catch (Throwable t) {
                        failure.compareAndSet(null, t);
                    }
                }));
            }
            // cross-shard transactions: MSET and MULTI/EXEC on keys of every shard
            threads.add(Thread.ofPlatform().start(() -> {
                try (Jedis c = s.jedis()) {
                    for (long step = 1; !stop.get(); step++) {
                        String v = Long.toString(step);
                        if (step % 2 == 0) {
                            c.mset("tx:a", v, "tx:b", v, "tx:c", v, "tx:d", v);
                        } else {
                            Transaction t = c.multi();
                            t.set("tx:a", v);
                            t.set("tx:b", v);
                            t.set("tx:c", v);
                            t.set("tx:d", v);
                            t.exec();
                        }
                    }
                } catch (Throwable t) {
                    failure.compareAndSet(null, t);
                }
            }));
            // growth: new keys in order, so the image holds exactly a prefix of them
            threads.add(Thread.ofPlatform().start(() -> {
                try (Jedis c = s.jedis()) {
                    for (long n = 1; !stop.get(); n++) {
                        c.set("grow:" + n, Long.toString(n));
                    }
                } catch (Throwable t) {
                    failure.compareAndSet(null, t);
                }
            }));
            TestServer.await("writers under way", Duration.ofSeconds(60), () -> j.exists("w3:k9") && j.exists("grow:100"));
            long aheadBefore = bucketsAhead(j);
            List<byte[]> dumps = new ArrayList<>();
            for (int round = 0; round < 4; round++) { // several cuts, each at a different moment of the writes
                assertEquals("OK", j.save());
                dumps.add(Files.readAllBytes(s.dir.resolve("dump.rdb")));
            }
            stop.set(true);
            for (Thread t : threads) {
                t.join();
            }
            assertNull(failure.get());
            for (byte[] dump : dumps) {
                Map<String, TreeSet<Long>> image = parseMixed(new ByteArrayInputStream(dump));
                for (int w = 0; w < writers; w++) {
                    assertTrue(checkWriter(image, w) > 0, "writer " + w + " wrote nothing before the cut");
                }
                TreeSet<Long> tx = new TreeSet<>();
                for (String k : List.of("tx:a", "tx:b", "tx:c", "tx:d")) {
                    tx.addAll(image.getOrDefault("0 " + k, new TreeSet<>()));
                }
                assertEquals(1, tx.size(), "a transaction cut in half: " + tx);
                long grown = 0;
                for (String k : image.keySet()) {
                    if (k.startsWith("0 grow:")) {
                        grown++;
                    }
                }
                for (long n = 1; n <= grown; n++) {
                    assertNotNull(image.get("0 grow:" + n), "grow:" + n + " missing while " + grown + " grew");
                }
                for (int i = 0; i < 30_000; i++) {
                    assertNotNull(image.get("0 seed:" + i));
                }
            }
            assertTrue(bucketsAhead(j) > aheadBefore, "no write met a bucket before the walker did");
        }
    }

    private static long bucketsAhead(Jedis j) {
        for (String line : j.info("stats").split("\r\n")) {
            if (line.startsWith("damselfly_buckets_serialised_ahead:")) {
                return Long.parseLong(line.substring(line.indexOf(':') + 1));
            }
        }
        throw new AssertionError("no damselfly_buckets_serialised_ahead in INFO stats");
    }

    /** The image: each key's steps (the numbers in its content; seed values "v123" count as 123). */
    private static Map<String, TreeSet<Long>> parseMixed(InputStream in) throws IOException {
        Map<String, TreeSet<Long>> out = new HashMap<>();
        RdbReader.read(new RdbIn(in, 65536), (db, key, kind, expireAt) -> {
            TreeSet<Long> steps = new TreeSet<>();
            out.put(db + " " + new String(key, StandardCharsets.UTF_8), steps);
            return new RdbReader.Elements() {
                private void add(byte[] v) {
                    String t = new String(v, StandardCharsets.UTF_8);
                    steps.add(Long.parseLong(t.startsWith("v") ? t.substring(1) : t));
                }

                public void string(byte[] v) {
                    add(v);
                }

                public void element(byte[] e) {
                    add(e);
                }

                public void pair(byte[] f, byte[] v) {
                    add(v);
                }

                public void member(byte[] m, double score) {
                    steps.add((long) score);
                }
            };
        });
        return out;
    }

    @Test
    void twoSnapshotsRunTogetherAndBothEqualTheirCut() throws Exception {
        try (TestServer s = new TestServer("--threads", "2"); Jedis j = s.jedis()) {
            PersistenceTest.seed(j, "seed:", 20_000);
            j.configSet("rdb-key-save-delay", "100");
            assertEquals("Background saving started", j.bgsave());
            RdbPersistence p = s.server.persistence();
            ByteArrayOutputStream second = new ByteArrayOutputStream();
            AtomicReference<Throwable> failure = new AtomicReference<>();
            java.util.concurrent.atomic.AtomicBoolean seen = new java.util.concurrent.atomic.AtomicBoolean();
            Thread consumer = Thread.ofVirtual().start(() -> {
                try {
                    p.snapshotTo((b, off, len) -> {
                        synchronized (second) {
                            second.write(b, off, len);
                        }
                        // a slow sink until the test has seen both snapshots at once: without
                        // it this one (no key delay) ends in a few ms and INFO may miss it
                        while (!seen.get()) {
                            java.util.concurrent.locks.LockSupport.parkNanos(5_000_000L);
                        }
                    });
                } catch (Throwable t) {
                    failure.compareAndSet(null, t);
                }
            });
            TestServer.await("two snapshots in progress in INFO, one of them the BGSAVE", Duration.ofSeconds(60), () -> {
                String info = j.info("persistence");
                boolean cutDone;
                synchronized (second) {
                    cutDone = second.size() > 0; // the first bytes come after the cut
                }
                return cutDone && info.contains("damselfly_snapshots_in_progress:2") && info.contains("rdb_bgsave_in_progress:1");
            });
            seen.set(true);
            for (int i = 0; i < 20_000; i += 7) {
                j.set("seed:" + i, "v" + (100_000 + i)); // after both cuts: in neither image
            }
            consumer.join();
            assertNull(failure.get());
            TestServer.await("the background save to finish", Duration.ofSeconds(120),
                    () -> j.info("persistence").contains("rdb_bgsave_in_progress:0"));
            assertTrue(j.info("persistence").contains("rdb_last_bgsave_status:ok"));
            Map<String, TreeSet<Long>> a = parseMixed(Files.newInputStream(s.dir.resolve("dump.rdb")));
            Map<String, TreeSet<Long>> b = parseMixed(new ByteArrayInputStream(second.toByteArray()));
            for (Map<String, TreeSet<Long>> image : List.of(a, b)) {
                assertEquals(20_000, image.size());
                for (int i = 0; i < 20_000; i++) {
                    assertEquals(Long.valueOf(i), image.get("0 seed:" + i).first(), "seed:" + i);
                }
            }
        }
    }

    @Test
    void bigValuesStreamInChunksAndComeBackWhole() throws Exception {
        try (TestServer s = new TestServer("--threads", "2"); Jedis j = s.jedis()) {
            byte[] big = new byte[20 << 20];
            new java.util.Random(7).nextBytes(big);
            j.set("big-string".getBytes(StandardCharsets.UTF_8), big);
            for (int i = 0; i < 200_000; i += 1000) {
                Map<String, String> fields = new HashMap<>();
                String[] elements = new String[1000];
                Map<String, Double> members = new HashMap<>();
                for (int k = 0; k < 1000; k++) {
                    fields.put("f" + (i + k), "v" + (i + k));
                    elements[k] = "e" + (i + k);
                    members.put("m" + (i + k), (double) (i + k));
                }
                j.hset("big-hash", fields);
                j.rpush("big-list", elements);
                j.zadd("big-zset", members);
                j.sadd("big-set", elements);
            }
            TreeMap<String, String> expected = Dataset.read(j);
            long[] largestWrite = new long[1];
            ByteArrayOutputStream image = new ByteArrayOutputStream();
            s.server.persistence().snapshotTo((b, off, len) -> {
                largestWrite[0] = Math.max(largestWrite[0], len);
                image.write(b, off, len);
            });
            // no chunk held a whole value: every hand-off is at most a chunk and one small piece
            assertTrue(largestWrite[0] <= 64 * 1024 + 8 * 1024, "a write of " + largestWrite[0] + " bytes");
            Path file = s.dir.resolve("image.rdb");
            Files.write(file, image.toByteArray());
            assertEquals(expected, Dataset.readRdb(file));
        }
    }
}
