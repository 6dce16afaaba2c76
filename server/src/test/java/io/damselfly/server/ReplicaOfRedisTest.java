package io.damselfly.server;

import org.junit.jupiter.api.Test;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.exceptions.JedisDataException;

import java.nio.file.Files;
import java.time.Duration;
import java.util.List;
import java.util.TreeMap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A Damselfly replica of a real redis-server master: full sync of every type (an EOF-marked
 * diskless RDB loaded as a stream), then the command stream applied in order, offsets equal
 * to the master's, read-only until REPLICAOF NO ONE.
 */
class ReplicaOfRedisTest {
    @Test
    void followsARedisMasterThroughFullSyncAndItsStream() throws Exception {
        try (RealRedis master = new RealRedis(Files.createTempDirectory("redis-master"), "--repl-diskless-sync-delay", "0");
             Jedis m = master.jedis();
             TestServer replica = new TestServer();
             Jedis r = replica.jedis()) {
            Dataset.fill(m);
            try (ReplicationTest.Writer w = new ReplicationTest.Writer(master.port, "during:")) {
                assertEquals("OK", r.replicaof("127.0.0.1", master.port));
                TestServer.await("the link to come up", Duration.ofSeconds(60),
                        () -> r.info("replication").contains("master_link_status:up"));
                int at = w.done();
                TestServer.await("writes after the sync", Duration.ofSeconds(60), () -> w.done() > at + 500);
            }
            for (int i = 0; i < 2000; i++) {
                m.set("after:" + i, Integer.toString(i));
                if (i % 100 == 0) {
                    m.rpush("after-list", Integer.toString(i));
                    m.select(5);
                    m.incr("db5-counter");
                    m.select(0);
                }
            }
            m.del("db0:int");
            m.expire("db0:neg", 1000);
            TreeMap<String, String> expected = Dataset.read(m);
            TestServer.await("the replica to catch up", Duration.ofSeconds(60),
                    () -> offset(r, "slave_repl_offset") == offset(m, "master_repl_offset"));
            Dataset.assertSame(expected, Dataset.read(r), "the replica");
            assertEquals(List.of("slave", "127.0.0.1", (long) master.port, "connected",
                    offset(m, "master_repl_offset")), r.role());
            JedisDataException e = assertThrows(JedisDataException.class, () -> r.set("x", "1"));
            assertEquals("READONLY You can't write against a read only replica.", e.getMessage());
            TestServer.await("the master to see the replica's ACK", Duration.ofSeconds(60),
                    () -> m.info("replication").contains("state=online,offset=" + offset(m, "master_repl_offset")));
            assertEquals("OK", r.replicaofNoOne());
            assertEquals("OK", r.set("x", "1"));
            assertTrue(r.info("replication").contains("role:master"));
        }
    }

    @Test
    void startsAsAReplicaFromItsOptions() throws Exception {
        try (RealRedis master = new RealRedis(Files.createTempDirectory("redis-master"), "--repl-diskless-sync-delay", "0");
             Jedis m = master.jedis()) {
            m.set("from-master", "yes");
            try (TestServer replica = new TestServer("--replicaof", "127.0.0.1", Integer.toString(master.port));
                 Jedis r = replica.jedis()) {
                TestServer.await("the full sync", Duration.ofSeconds(60), () -> "yes".equals(TestServer.getUnlessLoading(r, "from-master")));
                assertTrue(r.info("replication").contains("role:slave"));
            }
        }
    }

    @Test
    void aReplicaWithoutItsMasterServesStaleDataOnlyWhenAllowed() throws Exception {
        int nobody = LauncherTest.freePort();
        try (TestServer stale = new TestServer("--replicaof", "127.0.0.1", Integer.toString(nobody));
             Jedis r = stale.jedis()) {
            assertEquals(null, r.get("x")); // replica-serve-stale-data yes: served
            assertTrue(r.info("replication").contains("master_link_status:down"));
            r.configSet("replica-serve-stale-data", "no");
            JedisDataException e = assertThrows(JedisDataException.class, () -> r.get("x"));
            assertEquals("MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to 'no'.", e.getMessage());
            assertTrue(r.info("replication").contains("role:slave")); // INFO is allowed while stale
        }
    }

    @Test
    void aCommandOrTypeItCannotApplyStopsReplicationVisibly() throws Exception {
        try (RealRedis master = new RealRedis(Files.createTempDirectory("redis-master"), "--repl-diskless-sync-delay", "0");
             Jedis m = master.jedis();
             TestServer replica = new TestServer();
             Jedis r = replica.jedis()) {
            m.set("k", "1");
            assertEquals("OK", r.replicaof("127.0.0.1", master.port));
            TestServer.await("the link", Duration.ofSeconds(60), () -> {
                try {
                    return "1".equals(r.get("k"));
                } catch (JedisDataException loading) {
                    return false;
                }
            });
            m.sendCommand(TestServer.cmd("XADD"), "s", "*", "f", "v"); // streams: not in Damselfly
            m.set("after", "1");
            TestServer.await("the error state", Duration.ofSeconds(60),
                    () -> r.info("replication").contains("damselfly_replication_error:"));
            String info = r.info("replication");
            assertTrue(info.contains("master_link_status:down"), info);
            assertTrue(info.contains("unknown command"), info);
            assertEquals("1", r.get("k")); // what it applied stays
            String offset = r.info("replication").split("slave_repl_offset:")[1].split("\r\n")[0];
            Thread.sleep(1500);
            m.set("later", "1");
            Thread.sleep(1500); // it stays stopped: nothing more arrives
            assertEquals(null, r.get("later"));
            assertTrue(r.info("replication").contains("slave_repl_offset:" + offset + "\r\n"));

            // a full sync whose RDB holds a type Damselfly lacks stops the same way
            assertEquals("OK", r.replicaofNoOne());
            assertEquals("OK", r.replicaof("127.0.0.1", master.port));
            TestServer.await("the RDB error", Duration.ofSeconds(60),
                    () -> r.info("replication").contains("damselfly_replication_error:the master's RDB cannot be loaded"));
        }
    }

    @Test
    void withSwapdbAReplicaServesItsOldDataUntilTheNewOneIsComplete() throws Exception {
        try (RealRedis oldMaster = new RealRedis(Files.createTempDirectory("redis-old"), "--repl-diskless-sync-delay", "0");
             RealRedis newMaster = new RealRedis(Files.createTempDirectory("redis-new"), "--repl-diskless-sync-delay", "0",
                     "--rdb-key-save-delay", "1000"); // 1 ms per key: the new RDB takes seconds
             Jedis a = oldMaster.jedis(); Jedis b = newMaster.jedis();
             TestServer replica = new TestServer("--repl-diskless-load", "swapdb");
             Jedis r = replica.jedis()) {
            a.set("old", "1");
            for (int i = 0; i < 3000; i++) {
                b.set("new:" + i, Integer.toString(i));
            }
            assertEquals("OK", r.replicaof("127.0.0.1", oldMaster.port));
            TestServer.await("the old data", Duration.ofSeconds(60), () -> {
                try {
                    return "1".equals(r.get("old"));
                } catch (JedisDataException loading) {
                    return false;
                }
            });
            assertEquals("OK", r.replicaof("127.0.0.1", newMaster.port));
            TestServer.await("the load beside the old data", Duration.ofSeconds(60),
                    () -> r.info("persistence").contains("async_loading:1"));
            assertEquals("1", r.get("old")); // served, not -LOADING
            assertEquals(1L, (long) r.dbSize());
            TestServer.await("the new dataset", Duration.ofSeconds(120),
                    () -> r.info("replication").contains("master_link_status:up") && r.dbSize() == 3000);
            assertEquals(null, r.get("old"));
            assertEquals("2999", r.get("new:2999"));
            assertTrue(r.info("persistence").contains("async_loading:0"));
        }
    }

    /**
     * A key past its deadline stays on a replica until its master deletes it (the master's DEL
     * comes in its stream), but no reader of the replica sees it, as on a Redis replica. The
     * master's active expiry is off, so only an access on the master deletes the key.
     */
    @Test
    void aReplicaKeepsAKeyPastItsDeadlineButReadersDoNotSeeIt() throws Exception {
        try (RealRedis master = new RealRedis(Files.createTempDirectory("redis-master"), "--repl-diskless-sync-delay", "0",
                "--enable-debug-command", "yes");
             Jedis m = master.jedis();
             TestServer replica = new TestServer("--threads", "2");
             Jedis r = replica.jedis()) {
            m.sendCommand(() -> "DEBUG".getBytes(java.nio.charset.StandardCharsets.US_ASCII), "SET-ACTIVE-EXPIRE", "0");
            assertEquals("OK", r.replicaof("127.0.0.1", master.port));
            TestServer.await("the link to come up", Duration.ofSeconds(60),
                    () -> r.info("replication").contains("master_link_status:up"));
            m.set("stays", "1");
            m.psetex("short", 500, "v");
            // stored on the replica (DBSIZE counts a key past its deadline too, so no race with it)
            TestServer.await("the key on the replica", Duration.ofSeconds(60), () -> r.dbSize() == 2);
            TestServer.await("the deadline to pass", Duration.ofSeconds(60), () -> r.get("short") == null);
            assertEquals(-2, r.pttl("short"));
            assertEquals(0, r.exists("short", "short"));
            assertEquals(java.util.Set.of("stays"), r.keys("*"));
            java.util.Set<String> scanned = new java.util.HashSet<>();
            String cursor = "0";
            do {
                var page = r.scan(cursor);
                scanned.addAll(page.getResult());
                cursor = page.getCursor();
            } while (!cursor.equals("0"));
            assertEquals(java.util.Set.of("stays"), scanned);
            assertEquals(2, r.dbSize()); // kept: the master has not deleted it
            assertEquals(null, m.get("short")); // the master expires it on access, and sends DEL
            TestServer.await("the master's DEL", Duration.ofSeconds(60), () -> r.dbSize() == 1);
        }
    }

    private static long offset(Jedis j, String field) {
        for (String line : j.info("replication").split("\r\n")) {
            if (line.startsWith(field + ":")) {
                return Long.parseLong(line.substring(field.length() + 1));
            }
        }
        return -1;
    }

    /**
     * A replica forwards a MULTI block of its master's stream only once its EXEC ran, as Redis
     * moves its master client's offset: a replica of it that syncs while the block is open
     * starts before the block and gets all of it. The proxy holds the master's EXEC back while
     * the two sub-replicas (a Damselfly and a redis-server) sync from the middle node.
     */
    @Test
    void aSubReplicaThatSyncsInTheMiddleOfAForwardedBlockGetsTheWholeBlock() throws Exception {
        Duration wait = Duration.ofSeconds(120);
        try (RealRedis a = new RealRedis(Files.createTempDirectory("block-master"));
             io.damselfly.tools.LinkProxy proxy = new io.damselfly.tools.LinkProxy(0, "127.0.0.1", a.port);
             TestServer b = new TestServer("--replication-protocol", "redis");
             TestServer c = new TestServer("--replication-protocol", "redis");
             RealRedis d = new RealRedis(Files.createTempDirectory("block-sub-replica"));
             Jedis ja = a.jedis(); Jedis jb = b.jedis(); Jedis jc = c.jedis(); Jedis jd = d.jedis()) {
            jb.replicaof("127.0.0.1", proxy.port());
            TestServer.await("b's link", wait, () -> jb.info("replication").contains("master_link_status:up"));
            ja.set("k", "10");
            TestServer.await("the write on b", wait, () -> "10".equals(jb.get("k")));
            byte[] exec = "*1\r\n$4\r\nEXEC\r\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
            proxy.holdAt(exec);
            redis.clients.jedis.Transaction t = ja.multi();
            t.incr("k");
            t.incr("k");
            t.exec();
            long masterOffset = ReplicationTest.field(ja, "master_repl_offset");
            // b has read everything but the EXEC, and holds the block's two INCRs queued
            TestServer.await("b to read up to the EXEC", wait,
                    () -> ReplicationTest.field(jb, "slave_read_repl_offset") == masterOffset - exec.length);
            jc.replicaof("127.0.0.1", b.port());
            jd.replicaof("127.0.0.1", b.port());
            for (Jedis j : List.of(jc, jd)) {
                TestServer.await("the sub-replica's link", wait, () -> j.info("replication").contains("master_link_status:up"));
            }
            proxy.release();
            ja.set("done", "1");
            for (Jedis j : List.of(jb, jc, jd)) {
                TestServer.await("the write after the block", wait, () -> "1".equals(j.get("done")));
                assertEquals("12", j.get("k"));
            }
        }
    }

    /**
     * A replica restarted from its dump resumes its master's stream by partial sync in the
     * database the stream had selected at the dump's offset (its repl-stream-db), as a Redis
     * replica does: the master's next write after the restart comes with no SELECT.
     */
    @Test
    void aReplicaRestartedFromItsDumpResumesInTheDatabaseTheStreamHadSelected() throws Exception {
        Duration wait = Duration.ofSeconds(120);
        java.nio.file.Path dir = Files.createTempDirectory("replica-restart");
        try (RealRedis a = new RealRedis(Files.createTempDirectory("restart-master"), "--repl-backlog-size", "16mb");
             Jedis ja = a.jedis()) {
            String[] args = {"--dir", dir.toString(), "--replicaof", "127.0.0.1", Integer.toString(a.port)};
            try (TestServer b = new TestServer(args); Jedis jb = b.jedis()) {
                TestServer.await("b's link", wait, () -> jb.info("replication").contains("master_link_status:up"));
                ja.select(5);
                ja.set("before", "1"); // the stream: SELECT 5, then the SET
                jb.select(5);
                TestServer.await("the write on b", wait, () -> "1".equals(jb.get("before")));
                jb.shutdown(redis.clients.jedis.params.ShutdownParams.shutdownParams().save());
            } catch (redis.clients.jedis.exceptions.JedisConnectionException e) {
                // SHUTDOWN closes the connection
            }
            ja.set("after", "2"); // no SELECT in front of it: the stream still has 5 selected
            try (TestServer b = new TestServer(args); Jedis jb = b.jedis()) {
                jb.select(5);
                TestServer.await("the write after the restart, in database 5", wait, () -> "2".equals(jb.get("after")));
                assertEquals("1", jb.get("before"));
                jb.select(0);
                assertEquals(0L, jb.dbSize());
                assertEquals(1L, ReplicationTest.stat(ja, "sync_full"));
                assertEquals(1L, ReplicationTest.stat(ja, "sync_partial_ok"));
            }
        }
    }

    /**
     * A link that breaks inside a command or inside a MULTI block resumes by partial sync from
     * the last whole command outside a block, with what came after it dropped (as Redis resets
     * its cached master client): the master sends it again, and it applies once.
     */
    @Test
    void aLinkCutInsideACommandOrABlockResumesAndAppliesItOnce() throws Exception {
        Duration wait = Duration.ofSeconds(120);
        try (RealRedis a = new RealRedis(Files.createTempDirectory("cut-master"));
             io.damselfly.tools.LinkProxy proxy = new io.damselfly.tools.LinkProxy(0, "127.0.0.1", a.port);
             TestServer b = new TestServer("--replication-protocol", "redis");
             Jedis ja = a.jedis(); Jedis jb = b.jedis()) {
            jb.replicaof("127.0.0.1", proxy.port());
            TestServer.await("b's link", wait, () -> jb.info("replication").contains("master_link_status:up"));
            ja.set("k", "10");
            TestServer.await("the write on b", wait, () -> "10".equals(jb.get("k")));
            for (String cutAt : List.of("middle-of-the-value", "*1\r\n$4\r\nEXEC\r\n")) {
                proxy.holdAt(cutAt.getBytes(java.nio.charset.StandardCharsets.US_ASCII));
                redis.clients.jedis.Transaction t = ja.multi();
                t.incr("k");
                t.append("s", "the-" + "middle-of-the-value" + "-and-its-end");
                t.incr("k");
                t.exec();
                long masterOffset = ReplicationTest.field(ja, "master_repl_offset");
                TestServer.await("b to read up to " + cutAt, wait, () -> ReplicationTest.field(jb, "slave_read_repl_offset")
                        > ReplicationTest.field(jb, "slave_repl_offset"));
                assertTrue(ReplicationTest.field(jb, "slave_read_repl_offset") < masterOffset);
                proxy.cut();
                proxy.release();
                TestServer.await("b's link back", wait, () -> jb.info("replication").contains("master_link_status:up")
                        && ReplicationTest.field(jb, "slave_repl_offset") == ReplicationTest.field(ja, "master_repl_offset"));
            }
            ja.set("done", "1");
            TestServer.await("the write after the cuts", wait, () -> "1".equals(jb.get("done")));
            assertEquals("14", jb.get("k"));
            assertEquals("the-middle-of-the-value-and-its-end".repeat(2), jb.get("s"));
            assertEquals(0L, ReplicationTest.stat(ja, "sync_full") - 1);
            assertEquals(2L, ReplicationTest.stat(ja, "sync_partial_ok"));
            assertTrue(!jb.info("replication").contains("damselfly_replication_error"), jb.info("replication"));
        }
    }

    /**
     * Sub-replicas that ask a replica for a full sync at the same moment, under its master's
     * writes: each sync holds the master's stream back for its own cut, and one that ends must
     * not let the stream go while another's cut still waits for it (each sub-replica would get
     * writes twice, in its image and in its stream).
     */
    @Test
    void subReplicasThatSyncAtOnceUnderWritesEachGetTheMastersData() throws Exception {
        Duration wait = Duration.ofSeconds(120);
        try (RealRedis a = new RealRedis(Files.createTempDirectory("at-once-master"));
             TestServer b = new TestServer("--threads", "3", "--repl-diskless-sync-delay", "0");
             Jedis ja = a.jedis(); Jedis jb = b.jedis()) {
            jb.replicaof("127.0.0.1", a.port);
            TestServer.await("b's link", wait, () -> jb.info("replication").contains("master_link_status:up"));
            java.util.concurrent.atomic.AtomicBoolean stop = new java.util.concurrent.atomic.AtomicBoolean();
            java.util.concurrent.atomic.AtomicInteger rounds = new java.util.concurrent.atomic.AtomicInteger();
            Thread writer = Thread.ofPlatform().start(() -> {
                try (Jedis j = a.jedis()) {
                    while (!stop.get()) {
                        redis.clients.jedis.Pipeline p = j.pipelined();
                        for (int i = 0; i < 64; i++) {
                            p.incr("counter:" + i);
                        }
                        p.sync();
                        rounds.incrementAndGet();
                    }
                }
            });
            List<RealRedis> subs = new java.util.ArrayList<>();
            try {
                for (int i = 0; i < 3; i++) {
                    subs.add(new RealRedis(Files.createTempDirectory("at-once-sub")));
                }
                for (int round = 0; round < 6; round++) {
                    int at = rounds.get();
                    TestServer.await("writes streaming to b", wait, () -> rounds.get() > at + 20);
                    List<Thread> starts = new java.util.ArrayList<>();
                    java.util.concurrent.CountDownLatch go = new java.util.concurrent.CountDownLatch(1);
                    for (int i = 0; i < subs.size(); i++) {
                        RealRedis c = subs.get(i);
                        long spread = i * 15L * (round % 3); // together, or a few milliseconds apart
                        starts.add(Thread.ofPlatform().start(() -> {
                            try (Jedis jc = c.jedis()) {
                                jc.replicaofNoOne();
                                jc.set("own", "write"); // its offset leaves b's history: a full sync follows
                                go.await();
                                Thread.sleep(spread);
                                jc.replicaof("127.0.0.1", b.port());
                            } catch (InterruptedException e) {
                                Thread.currentThread().interrupt();
                            }
                        }));
                    }
                    go.countDown();
                    for (Thread t : starts) {
                        t.join(60_000);
                    }
                    for (RealRedis c : subs) {
                        try (Jedis jc = c.jedis()) {
                            TestServer.await("a sub-replica's link", wait,
                                    () -> jc.info("replication").contains("master_link_status:up"));
                        }
                    }
                }
            } finally {
                stop.set(true);
                writer.join(60_000);
            }
            try {
                long end = ReplicationTest.field(ja, "master_repl_offset");
                TestServer.await("b caught up", wait, () -> ReplicationTest.field(jb, "slave_repl_offset") == end);
                TreeMap<String, String> expected = Dataset.read(ja);
                Dataset.assertSame(expected, Dataset.read(jb), "b");
                for (RealRedis c : subs) {
                    try (Jedis jc = c.jedis()) {
                        TestServer.await("a sub-replica caught up", wait,
                                () -> ReplicationTest.field(jc, "slave_repl_offset") == ReplicationTest.field(jb, "master_repl_offset"));
                        Dataset.assertSame(expected, Dataset.read(jc), "a sub-replica");
                    }
                }
                assertTrue(ReplicationTest.stat(jb, "sync_full") >= 12, jb.info("stats"));
            } finally {
                for (RealRedis c : subs) {
                    c.close();
                }
            }
        }
    }

    /**
     * A replica's dump taken while its master writes (SHUTDOWN's save, SAVE, BGSAVE) stands for
     * exactly one offset: restarted from it, the replica resumes by partial sync and applies
     * nothing twice (counters and lists on every shard show it) and misses nothing. The cut is
     * made with the master's stream held back and drained.
     */
    @Test
    void aReplicaSavedUnderWritesResumesFromItsDumpWithNothingTwice() throws Exception {
        Duration wait = Duration.ofSeconds(120);
        java.nio.file.Path dir = Files.createTempDirectory("replica-save-under-writes");
        try (RealRedis a = new RealRedis(Files.createTempDirectory("save-master"), "--repl-backlog-size", "64mb");
             Jedis ja = a.jedis()) {
            String[] args = {"--threads", "3", "--dir", dir.toString(), "--replicaof", "127.0.0.1", Integer.toString(a.port)};
            java.util.concurrent.atomic.AtomicBoolean stop = new java.util.concurrent.atomic.AtomicBoolean();
            java.util.concurrent.atomic.AtomicInteger rounds = new java.util.concurrent.atomic.AtomicInteger();
            Thread writer = Thread.ofPlatform().start(() -> {
                try (Jedis j = a.jedis()) {
                    while (!stop.get()) {
                        redis.clients.jedis.Pipeline p = j.pipelined();
                        for (int i = 0; i < 64; i++) {
                            p.incr("counter:" + i);
                        }
                        for (int i = 0; i < 8; i++) {
                            p.rpush("list:" + i, Integer.toString(rounds.get()), "x");
                            p.lpop("list:" + i); // lists grow by one a round
                        }
                        p.sync();
                        rounds.incrementAndGet();
                        java.util.concurrent.locks.LockSupport.parkNanos(500_000L);
                    }
                }
            });
            try {
                for (int restart = 0; restart < 3; restart++) {
                    try (TestServer b = new TestServer(args); Jedis jb = b.jedis()) {
                        TestServer.await("b's link", wait, () -> jb.info("replication").contains("master_link_status:up"));
                        int at = rounds.get();
                        TestServer.await("writes streaming to b", wait, () -> rounds.get() > at + 50);
                        // the three ways a dump is made: SHUTDOWN's own save, a client's SAVE, a BGSAVE
                        if (restart == 0) {
                            jb.shutdown(redis.clients.jedis.params.ShutdownParams.shutdownParams().save());
                        }
                        if (restart == 1) {
                            assertEquals("OK", jb.save());
                        }
                        if (restart == 2) {
                            assertEquals("Background saving started", jb.bgsave());
                            TestServer.await("the background save", wait, () -> jb.info("persistence").contains("rdb_bgsave_in_progress:0"));
                            assertTrue(jb.info("persistence").contains("rdb_last_bgsave_status:ok"));
                        }
                        jb.shutdown(redis.clients.jedis.params.ShutdownParams.shutdownParams().nosave());
                    } catch (redis.clients.jedis.exceptions.JedisConnectionException e) {
                        // SHUTDOWN closes the connection
                    }
                }
            } finally {
                stop.set(true);
                writer.join(60_000);
            }
            try (TestServer b = new TestServer(args); Jedis jb = b.jedis()) {
                TestServer.await("b caught up", wait, () -> jb.info("replication").contains("master_link_status:up")
                        && ReplicationTest.field(jb, "slave_repl_offset") == ReplicationTest.field(ja, "master_repl_offset"));
                Dataset.assertSame(Dataset.read(ja), Dataset.read(jb), "the replica restarted from its dumps");
                assertEquals(1L, ReplicationTest.stat(ja, "sync_full"));
                assertEquals(3L, ReplicationTest.stat(ja, "sync_partial_ok"));
            }
        }
    }

    /**
     * CLIENT PAUSE on a replica holds its master's stream as Redis 7.0 postpones its master
     * client: under WRITE the writes wait (read, not applied) and readers see the data as it
     * was; a save's cut meanwhile does not wait for the stream; UNPAUSE lets them apply in order.
     */
    @Test
    void aPausedReplicaHoldsItsMastersWritesUntilUnpause() throws Exception {
        Duration wait = Duration.ofSeconds(120);
        try (RealRedis a = new RealRedis(Files.createTempDirectory("pause-master"));
             TestServer b = new TestServer("--replication-protocol", "redis");
             Jedis ja = a.jedis(); Jedis jb = b.jedis()) {
            jb.replicaof("127.0.0.1", a.port);
            TestServer.await("b's link", wait, () -> jb.info("replication").contains("master_link_status:up"));
            ja.set("k", "1");
            TestServer.await("the first write", wait, () -> "1".equals(jb.get("k")));
            long applied = ReplicationTest.field(jb, "slave_repl_offset");
            assertEquals("OK", jb.clientPause(100_000, redis.clients.jedis.args.ClientPauseMode.WRITE));
            ja.set("k", "2");
            ja.incr("n");
            long sent = ReplicationTest.field(ja, "master_repl_offset");
            TestServer.await("b to read the writes", wait, () -> ReplicationTest.field(jb, "slave_read_repl_offset") == sent);
            assertEquals("1", jb.get("k"));
            assertEquals(null, jb.get("n"));
            assertEquals(applied, ReplicationTest.field(jb, "slave_repl_offset"));
            long t0 = System.nanoTime();
            assertEquals("OK", jb.save()); // its cut holds the stream, which the pause holds already
            assertTrue(System.nanoTime() - t0 < 20_000_000_000L, "SAVE waited for a paused stream");
            assertEquals("OK", jb.clientUnpause());
            TestServer.await("the writes after UNPAUSE", wait, () -> "2".equals(jb.get("k")) && "1".equals(jb.get("n")));
            TestServer.await("the offset", wait, () -> ReplicationTest.field(jb, "slave_repl_offset") == sent);
        }
    }
}
