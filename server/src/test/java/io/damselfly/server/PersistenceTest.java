package io.damselfly.server;

import io.damselfly.repl.RdbPersistence;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.exceptions.JedisDataException;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** SAVE, BGSAVE, save points, shutdown saves, loading at startup and its refusals, a kill mid-save. */
class PersistenceTest {
    static long infoLong(Jedis j, String section, String field) {
        for (String line : j.info(section).split("\r\n")) {
            if (line.startsWith(field + ":")) {
                return Long.parseLong(line.substring(field.length() + 1));
            }
        }
        throw new AssertionError("no " + field + " in INFO " + section);
    }

    static String status(Object reply) {
        return new String((byte[]) reply, StandardCharsets.UTF_8);
    }

    static void seed(Jedis j, String prefix, int n) {
        for (int i = 0; i < n; i += 1000) {
            String[] kv = new String[2 * Math.min(1000, n - i)];
            for (int k = 0; k < kv.length / 2; k++) {
                kv[2 * k] = prefix + (i + k);
                kv[2 * k + 1] = "v" + (i + k);
            }
            j.mset(kv);
        }
    }

    @Test
    void saveBgsaveLastsaveAndInfo() throws Exception {
        try (TestServer s = new TestServer(); Jedis j = s.jedis()) {
            seed(j, "k", 5000);
            assertTrue(infoLong(j, "persistence", "rdb_changes_since_last_save") >= 5000);
            long before = j.lastsave();
            Thread.sleep(1100);
            assertEquals("OK", j.save());
            assertTrue(j.lastsave() > before);
            assertEquals(0, infoLong(j, "persistence", "rdb_changes_since_last_save"));
            assertEquals(1, infoLong(j, "persistence", "rdb_saves"));
            assertTrue(Files.size(s.dir.resolve("dump.rdb")) > 5000 * 8);

            j.configSet("rdb-key-save-delay", "500"); // a BGSAVE of 5000 keys now takes seconds
            assertEquals("Background saving started", j.bgsave());
            JedisDataException e = assertThrows(JedisDataException.class, j::bgsave);
            assertEquals("ERR Background save already in progress", e.getMessage());
            e = assertThrows(JedisDataException.class, j::save);
            assertEquals("ERR Background save already in progress", e.getMessage());
            assertEquals("Background saving scheduled", status(j.sendCommand(TestServer.cmd("BGSAVE"), "SCHEDULE")));
            assertEquals(1, infoLong(j, "persistence", "rdb_bgsave_in_progress"));
            j.set("during", "x"); // writes go on while the snapshot is written
            j.configSet("rdb-key-save-delay", "0");
            TestServer.await("the scheduled save after the first", Duration.ofSeconds(120),
                    () -> infoLong(j, "persistence", "rdb_saves") == 3
                            && infoLong(j, "persistence", "rdb_bgsave_in_progress") == 0);
            assertTrue(j.info("persistence").contains("rdb_last_bgsave_status:ok"));
            e = assertThrows(JedisDataException.class, () -> j.sendCommand(TestServer.cmd("BGSAVE"), "NOW"));
            assertEquals("ERR syntax error", e.getMessage());
        }
    }

    @Test
    void debugReloadKeepsTheDataset() throws Exception {
        try (TestServer s = new TestServer("--enable-debug-command", "yes"); Jedis j = s.jedis()) {
            Dataset.fill(j);
            TreeMap<String, String> before = Dataset.read(j);
            assertEquals("OK", status(j.sendCommand(TestServer.cmd("DEBUG"), "RELOAD")));
            Dataset.assertSame(before, Dataset.read(j), "j");
            assertEquals("PONG", j.ping());
        }
    }

    @Test
    void savePointsSaveInTheBackground() throws Exception {
        try (TestServer s = new TestServer(); Jedis j = s.jedis()) {
            j.configSet("save", "1 3");
            j.set("a", "1");
            j.set("b", "2");
            Thread.sleep(2500);
            assertEquals(0, infoLong(j, "persistence", "rdb_saves"), "2 changes are below the save point");
            j.set("c", "3");
            TestServer.await("a save after 3 changes", Duration.ofSeconds(60),
                    () -> infoLong(j, "persistence", "rdb_saves") >= 1);
            assertTrue(Files.exists(s.dir.resolve("dump.rdb")));
        }
    }

    @Test
    void restartLoadsWhatShutdownSaved() throws Exception {
        Path dir = Files.createTempDirectory("damselfly-restart");
        Damselfly first = Damselfly.start("--port", "0", "--dir", dir.toString(), "--save", "", "--threads", "2");
        try (Jedis j = new Jedis("127.0.0.1", first.port())) {
            j.set("kept", "yes");
            j.rpush("list", "a", "b");
            j.setex("ttl", 1000, "t");
            try {
                j.shutdown(redis.clients.jedis.params.ShutdownParams.shutdownParams().save());
            } catch (Exception closed) {
                // no reply to a successful SHUTDOWN
            }
        }
        first.awaitTermination();
        try (Damselfly second = Damselfly.start("--port", "0", "--dir", dir.toString(), "--save", "", "--threads", "3");
             Jedis j = new Jedis("127.0.0.1", second.port())) {
            assertEquals("yes", j.get("kept"));
            assertEquals(List.of("a", "b"), j.lrange("list", 0, -1));
            assertTrue(j.ttl("ttl") > 900);
            assertEquals(3, infoLong(j, "persistence", "rdb_last_load_keys_loaded"));
            j.set("not-saved", "x");
            try {
                j.shutdown(redis.clients.jedis.params.ShutdownParams.shutdownParams().nosave());
            } catch (Exception closed) {
                // no reply
            }
            second.awaitTermination();
        }
        // a plain SHUTDOWN saves when save points are set, as Redis does, after a BGSAVE under way
        Damselfly third = Damselfly.start("--port", "0", "--dir", dir.toString(), "--save", "3600 1");
        try (Jedis j = new Jedis("127.0.0.1", third.port())) {
            assertFalse(j.exists("not-saved"));
            seed(j, "slow", 2000);
            j.configSet("rdb-key-save-delay", "500");
            assertEquals("Background saving started", j.bgsave());
            j.configSet("rdb-key-save-delay", "0");
            j.set("saved-on-shutdown", "x");
            try {
                j.shutdown();
            } catch (Exception closed) {
                // no reply
            }
        }
        third.awaitTermination();
        try (Damselfly fourth = Damselfly.start("--port", "0", "--dir", dir.toString(), "--save", "");
             Jedis j = new Jedis("127.0.0.1", fourth.port())) {
            assertEquals("x", j.get("saved-on-shutdown"));
        }
    }

    private static IOException refused(Path dir, byte[] file) throws IOException {
        Files.write(dir.resolve("dump.rdb"), file);
        return assertThrows(IOException.class,
                () -> Damselfly.start("--port", "0", "--dir", dir.toString(), "--save", "").close());
    }

    @Test
    void aBadDumpIsRefusedWithItsOffsetAndNothingStarts() throws Exception {
        Path dir = Files.createTempDirectory("damselfly-bad");
        try (TestServer s = new TestServer("--dir", dir.toString()); Jedis j = s.jedis()) {
            seed(j, "k", 2000);
            j.save();
        }
        byte[] good = Files.readAllBytes(dir.resolve("dump.rdb"));
        IOException e = refused(dir, java.util.Arrays.copyOf(good, good.length / 2));
        assertTrue(e.getMessage().contains("offset") && e.getMessage().contains("truncated"), e.getMessage());
        byte[] flipped = good.clone();
        flipped[good.length - 3] ^= 0x40; // in the checksum
        e = refused(dir, flipped);
        assertTrue(e.getMessage().contains("checksum"), e.getMessage());
        byte[] stream = concat("REDIS0010".getBytes(StandardCharsets.US_ASCII), new byte[] {(byte) 254, 0, 15, 1, 'k', 0, 0});
        e = refused(dir, stream);
        assertTrue(e.getMessage().contains("stream") && e.getMessage().contains("offset 11"), e.getMessage());
        e = refused(dir, concat("REDIS0010".getBytes(StandardCharsets.US_ASCII), new byte[] {(byte) 245, 1, 'x'}));
        assertTrue(e.getMessage().contains("functions"), e.getMessage());
        e = refused(dir, concat("REDIS0011".getBytes(StandardCharsets.US_ASCII), new byte[] {(byte) 255}));
        assertTrue(e.getMessage().contains("version 11"), e.getMessage());
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] c = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, c, a.length, b.length);
        return c;
    }

    @Test
    void aSlowSinkThrottlesWritersWithBoundedBuffersAndAStuckOneTimesOut() throws Exception {
        try (TestServer s = new TestServer("--threads", "2"); Jedis j = s.jedis()) {
            String value = "x".repeat(100);
            for (int i = 0; i < 40_000; i += 1000) {
                String[] kv = new String[2000];
                for (int k = 0; k < 1000; k++) {
                    kv[2 * k] = "k" + (i + k);
                    kv[2 * k + 1] = value;
                }
                j.mset(kv);
            }
            RdbPersistence p = s.server.persistence();
            AtomicLong written = new AtomicLong();
            AtomicReference<Throwable> failure = new AtomicReference<>();
            Thread consumer = Thread.ofVirtual().start(() -> {
                try {
                    p.snapshotTo((b, off, len) -> {
                        written.addAndGet(len);
                        java.util.concurrent.locks.LockSupport.parkNanos(40_000_000L); // ~1.6 MB/s at most
                    });
                } catch (Throwable t) {
                    failure.set(t);
                }
            });
            AtomicBoolean stop = new AtomicBoolean();
            AtomicLong writes = new AtomicLong();
            Thread writer = Thread.ofPlatform().start(() -> {
                try (Jedis c = s.jedis()) {
                    for (int i = 0; !stop.get(); i = (i + 7919) % 40_000) {
                        c.set("k" + i, "new");
                        writes.incrementAndGet();
                    }
                }
            });
            long bound = 2L * 16 * 64 * 1024 + 64 * 1024;
            long maxBuffered = 0;
            while (consumer.isAlive()) {
                maxBuffered = Math.max(maxBuffered, infoLong(j, "persistence", "damselfly_snapshot_buffered_bytes"));
                Thread.sleep(20);
            }
            stop.set(true);
            writer.join();
            assertTrue(failure.get() == null, String.valueOf(failure.get()));
            assertTrue(writes.get() > 100, "writes stalled during the snapshot: " + writes.get());
            assertTrue(maxBuffered <= bound, "buffered " + maxBuffered + " > " + bound);
            assertTrue(written.get() > 40_000 * 8);

            // a sink that stops taking data: the snapshot fails after the timeout, writes go on
            p.snapshots().sinkTimeout(300);
            Thread stuck = Thread.ofVirtual().start(() -> {
                try {
                    p.snapshotTo((b, off, len) -> {
                        try {
                            Thread.sleep(Long.MAX_VALUE);
                        } catch (InterruptedException x) {
                            throw new IOException("sink interrupted");
                        }
                    });
                } catch (Throwable t) {
                    failure.set(t);
                }
            });
            TestServer.await("the snapshot to start", Duration.ofSeconds(60),
                    () -> infoLong(j, "persistence", "damselfly_snapshots_in_progress") == 1);
            for (int i = 0; i < 40_000; i++) {
                j.set("k" + i, "after"); // meets unwritten buckets: fills the queues, then times out
            }
            stuck.interrupt();
            stuck.join(TimeUnit.SECONDS.toMillis(60));
            assertNotNull(failure.get());
            TestServer.await("the failed snapshot to be gone", Duration.ofSeconds(60),
                    () -> infoLong(j, "persistence", "damselfly_snapshots_in_progress") == 0);
            assertEquals("after", j.get("k39999"));
        }
    }

    @Test
    void aProcessKilledMidSaveLeavesThePreviousDump() throws Exception {
        int port = LauncherTest.freePort();
        Path dir = Files.createTempDirectory("damselfly-kill");
        Process p = LauncherTest.launch(dir.resolve("out.log"), "--port", Integer.toString(port), "--bind", "127.0.0.1",
                "--threads", "2", "--dir", dir.toString(), "--save", "");
        try {
            LauncherTest.awaitPing(port);
            TreeMap<String, String> saved;
            try (Jedis j = new Jedis("127.0.0.1", port, 30_000)) {
                seed(j, "first", 3000);
                saved = Dataset.read(j);
                assertEquals("OK", j.save());
                seed(j, "second", 20_000);
                j.configSet("rdb-key-save-delay", "1000");
                assertEquals("Background saving started", j.bgsave());
                TestServer.await("the temporary file to grow", Duration.ofSeconds(60), () -> {
                    try (var files = Files.list(dir)) {
                        return files.anyMatch(f -> f.getFileName().toString().startsWith("temp-") && size(f) > 0);
                    } catch (IOException e) {
                        return false;
                    }
                });
            }
            p.destroyForcibly().waitFor(60, TimeUnit.SECONDS);
            assertEquals(saved, Dataset.readRdb(dir.resolve("dump.rdb")));
        } finally {
            p.destroyForcibly();
        }
    }

    private static long size(Path f) {
        try {
            return Files.size(f);
        } catch (IOException e) {
            return 0;
        }
    }
}
