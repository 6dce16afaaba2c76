package io.damselfly.server;

import io.damselfly.tools.LinkProxy;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.Transaction;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import static io.damselfly.server.ReplicationTest.assertCaughtUp;
import static io.damselfly.server.ReplicationTest.field;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Native replication between Damselfly nodes: one flow per master shard, a full sync whose
 * snapshot entries and journal records share each flow, multi-shard operations applied
 * atomically on replicas of any shard count, one node offset from markers, partial resync by
 * LSN after a cut and after a promotion, and REPLTAKEOVER.
 */
class NativeReplicationTest {
    private static final Duration LONG = Duration.ofSeconds(120);

    /**
     * Writes groups that must never be seen half-applied: an MSET of four keys across shards and
     * a MULTI/EXEC setting two keys, each time to one new value.
     */
    static final class GroupWriter implements AutoCloseable {
        final AtomicBoolean stop = new AtomicBoolean();
        final AtomicInteger done = new AtomicInteger();
        final Thread thread;
        volatile Throwable failure;

        GroupWriter(int port) {
            thread = Thread.ofPlatform().start(() -> {
                try (Jedis j = new Jedis("127.0.0.1", port, 30_000)) {
                    for (int i = 0; !stop.get(); i++) {
                        String v = Integer.toString(i);
                        j.mset("g:a", v, "g:b", v, "g:c", v, "g:d", v);
                        Transaction t = j.multi();
                        t.set("t:x", v);
                        t.set("t:y", v);
                        t.exec();
                        done.incrementAndGet();
                    }
                } catch (Throwable t) {
                    failure = t;
                }
            });
        }

        @Override
        public void close() throws Exception {
            stop.set(true);
            thread.join(60_000);
            if (failure != null) {
                throw new AssertionError("group writer failed", failure);
            }
        }
    }

    /** Reads the groups on a replica until stopped; records the first half-applied group it sees. */
    static final class GroupReader implements AutoCloseable {
        final AtomicBoolean stop = new AtomicBoolean();
        final AtomicReference<String> torn = new AtomicReference<>();
        final AtomicInteger reads = new AtomicInteger();
        final Thread thread;

        GroupReader(int port) {
            thread = Thread.ofPlatform().start(() -> {
                try (Jedis j = new Jedis("127.0.0.1", port, 30_000)) {
                    while (!stop.get()) {
                        List<String> g = j.mget("g:a", "g:b", "g:c", "g:d");
                        if (g.stream().distinct().count() > 1) {
                            torn.compareAndSet(null, "MSET seen half-applied: " + g);
                        }
                        List<String> t = j.mget("t:x", "t:y");
                        if (t.stream().distinct().count() > 1) {
                            torn.compareAndSet(null, "MULTI/EXEC seen half-applied: " + t);
                        }
                        reads.incrementAndGet();
                    }
                } catch (Throwable e) {
                    torn.compareAndSet(null, "reader failed: " + e);
                }
            });
        }

        @Override
        public void close() throws Exception {
            stop.set(true);
            thread.join(60_000);
        }
    }

    /**
     * A chain with the default settings: b follows a natively, then c (Damselfly) and d
     * (redis-server) follow b. A native replica keeps no Redis stream to forward, so b goes over
     * to the Redis protocol when they ask; all four end identical under writes.
     */
    @Test
    void aChainFormsWithDefaultSettings() throws Exception {
        try (TestServer a = new TestServer("--threads", "2");
             TestServer b = new TestServer("--threads", "3");
             TestServer c = new TestServer("--threads", "1");
             RealRedis d = new RealRedis(java.nio.file.Files.createTempDirectory("chain-redis"));
             Jedis ja = a.jedis(); Jedis jb = b.jedis(); Jedis jc = c.jedis(); Jedis jd = d.jedis()) {
            Dataset.fill(ja);
            jb.replicaof("127.0.0.1", a.port());
            TestServer.await("b's native link", LONG, () -> field(ja, "sync_native_full") == 1
                    && jb.info("replication").contains("master_link_status:up"));
            try (ReplicationTest.Writer w = new ReplicationTest.Writer(a.port(), "chain:")) {
                // c first: b answers its native HELLO that it is a native replica, and c asks by
                // the Redis protocol after a while; then d, which asks by PSYNC from the start
                jc.replicaof("127.0.0.1", b.port());
                TestServer.await("c's link", LONG, () -> jc.info("replication").contains("master_link_status:up"));
                jd.replicaof("127.0.0.1", b.port());
                TestServer.await("d's link", LONG, () -> jd.info("replication").contains("master_link_status:up"));
                int at = w.done();
                TestServer.await("writes through the chain", LONG, () -> w.done() > at + 1000);
            }
            ja.set("last", "1");
            for (Jedis j : List.of(jb, jc, jd)) {
                TestServer.await("the end of the writes down the chain", LONG, () -> "1".equals(j.get("last")));
            }
            java.util.TreeMap<String, String> expected = Dataset.read(ja);
            Dataset.assertSame(expected, Dataset.read(jb), "b, a native replica that went over to the Redis protocol");
            Dataset.assertSame(expected, Dataset.read(jc), "c, a Damselfly replica of b");
            Dataset.assertSame(expected, Dataset.read(jd), "d, a redis-server replica of b");
        }
    }

    @Test
    void threeReplicasOfOtherShardCountsEndIdenticalAndNeverShowHalfATransaction() throws Exception {
        try (TestServer master = new TestServer("--threads", "2");
             TestServer r1 = new TestServer("--threads", "1");
             TestServer r3 = new TestServer("--threads", "3");
             TestServer r4 = new TestServer("--threads", "4");
             Jedis m = master.jedis(); Jedis j1 = r1.jedis(); Jedis j3 = r3.jedis(); Jedis j4 = r4.jedis()) {
            Dataset.fill(m);
            for (int i = 0; i < 3000; i++) {
                ReplicationTest.Writer.step(m, "before:", i);
            }
            try (ReplicationTest.Writer w = new ReplicationTest.Writer(master.port(), "during:");
                 GroupWriter g = new GroupWriter(master.port())) {
                j1.replicaof("127.0.0.1", master.port());
                j3.replicaof("127.0.0.1", master.port());
                j4.replicaof("127.0.0.1", master.port());
                for (Jedis r : List.of(j1, j3, j4)) {
                    TestServer.await("the link to come up", LONG, () -> r.info("replication").contains("master_link_status:up"));
                }
                try (GroupReader reader = new GroupReader(r3.port()); GroupReader reader1 = new GroupReader(r1.port())) {
                    int at = w.done();
                    int gat = g.done.get();
                    TestServer.await("writes in stable sync", LONG, () -> w.done() > at + 1500 && g.done.get() > gat + 500);
                    TestServer.await("reads on the replicas", LONG, () -> reader.reads.get() > 200 && reader1.reads.get() > 200);
                    reader.close();
                    reader1.close();
                    assertNull(reader.torn.get());
                    assertNull(reader1.torn.get());
                }
            }
            for (int i = 0; i < 500; i++) {
                ReplicationTest.Writer.step(m, "after:", i);
            }
            // a database-wide command twice in one block: every shard journals each; both apply
            m.select(5);
            Transaction t = m.multi();
            t.sendCommand(redis.clients.jedis.Protocol.Command.FLUSHDB, new String[0]);
            t.set("written-between", "1");
            t.sendCommand(redis.clients.jedis.Protocol.Command.FLUSHDB, new String[0]);
            t.exec();
            m.select(0);
            for (Jedis r : List.of(j1, j3, j4)) {
                assertCaughtUp(m, r);
            }
            assertEquals(3, field(m, "sync_native_full"));
            assertEquals(3, field(m, "connected_slaves"));
            assertTrue(m.info("replication").contains("damselfly_slave2_flows:shard0=lsn:"));
        }
    }

    @Test
    void flowsCutAtRandomPointsResumeByLsnAndALongOutageFallsBackToAFullSync() throws Exception {
        try (TestServer master = new TestServer("--threads", "2");
             Jedis m = master.jedis();
             LinkProxy proxy = new LinkProxy(0, "127.0.0.1", master.port());
             TestServer replica = new TestServer("--threads", "2");
             Jedis r = replica.jedis()) {
            Dataset.fill(m);
            r.replicaof("127.0.0.1", proxy.port());
            TestServer.await("the link to come up", LONG, () -> r.info("replication").contains("master_link_status:up"));
            assertCaughtUp(m, r);
            for (int round = 0; round < 3; round++) {
                try (ReplicationTest.Writer w = new ReplicationTest.Writer(master.port(), "cut" + round + ":")) {
                    int at = w.done();
                    TestServer.await("some writes", LONG, () -> w.done() > at + 100 + ThreadLocalRandom.current().nextInt(400));
                    proxy.cut();
                    int after = w.done();
                    TestServer.await("writes after the cut", LONG, () -> w.done() > after + 200);
                }
                TestServer.await("the link to come back", LONG, () -> r.info("replication").contains("master_link_status:up"));
                assertCaughtUp(m, r);
            }
            assertEquals(1, field(m, "sync_native_full"));
            assertEquals(3, field(m, "sync_native_partial_ok"));

            // big values travel in 64 KiB pieces, in stable sync and across a cut (resumed: the
            // backlog holds them)
            m.configSet("shard-backlog-size", "64mb");
            String big = "b".repeat(3 * 1024 * 1024 + 17);
            m.set("big:1", big);
            m.mset("big:2", big, "big:3", big.substring(5)); // across shards: one operation
            proxy.cut();
            m.append("big:1", big);
            TestServer.await("the link to come back", LONG, () -> r.info("replication").contains("master_link_status:up"));
            assertCaughtUp(m, r);
            assertEquals(2 * big.length(), r.strlen("big:1"));
            assertEquals(1, field(m, "sync_native_full"));
            assertEquals(4, field(m, "sync_native_partial_ok"));

            // an outage longer than the shard backlogs hold: a full sync, and still identical
            m.configSet("shard-backlog-size", "16384");
            proxy.refuse(true);
            proxy.cut();
            TestServer.await("the link to go down", LONG, () -> r.info("replication").contains("master_link_status:down"));
            for (int i = 0; i < 5000; i++) {
                ReplicationTest.Writer.step(m, "outage:", i);
            }
            proxy.refuse(false);
            TestServer.await("the link to come back", LONG, () -> r.info("replication").contains("master_link_status:up"));
            assertCaughtUp(m, r);
            assertEquals(2, field(m, "sync_native_full"));
        }
    }

    @Test
    void aPromotedReplicaTakesItsSiblingByLsnAndManySwitchesEndIdentical() throws Exception {
        try (TestServer a = new TestServer("--threads", "2");
             TestServer b = new TestServer("--threads", "2");
             TestServer c = new TestServer("--threads", "2");
             Jedis ja = a.jedis(); Jedis jb = b.jedis(); Jedis jc = c.jedis()) {
            Dataset.fill(ja);
            jb.replicaof("127.0.0.1", a.port());
            jc.replicaof("127.0.0.1", a.port());
            for (int i = 0; i < 2000; i++) {
                ReplicationTest.Writer.step(ja, "x:", i);
            }
            assertCaughtUp(ja, jb);
            assertCaughtUp(ja, jc);

            assertEquals("OK", jb.replicaofNoOne());
            jc.replicaof("127.0.0.1", b.port());
            TestServer.await("c to follow b", LONG, () -> jc.info("replication").contains("master_link_status:up")
                    && field(jc, "master_port") == b.port());
            for (int i = 0; i < 2000; i++) {
                ReplicationTest.Writer.step(jb, "y:", i);
            }
            assertCaughtUp(jb, jc);
            assertEquals(0, field(jb, "sync_native_full"));
            assertEquals(1, field(jb, "sync_native_partial_ok"));

            // REPLICAOF back and forth, writes between: always the same data in the end
            for (int round = 0; round < 4; round++) {
                TestServer target = round % 2 == 0 ? a : b;
                Jedis jt = round % 2 == 0 ? ja : jb;
                if (round == 0) {
                    ja.replicaofNoOne();
                }
                jc.replicaof("127.0.0.1", target.port());
                for (int i = 0; i < 300; i++) {
                    ReplicationTest.Writer.step(jt, "sw" + round + ":", i);
                }
            }
            jc.replicaof("127.0.0.1", b.port());
            assertCaughtUp(jb, jc);

            // a promoted replica that wrote on its own does not resume against its old master:
            // its history forked, so it gets a full sync and loses the local write
            jc.replicaofNoOne();
            jc.set("local-only", "1");
            long fullBefore = field(jb, "sync_native_full");
            jc.replicaof("127.0.0.1", b.port());
            assertCaughtUp(jb, jc);
            assertEquals(fullBefore + 1, field(jb, "sync_native_full"));
            assertEquals(null, jc.get("local-only"));
        }
    }

    @Test
    void replTakeoverSwapsTheRolesWithoutLosingAnAcknowledgedWrite() throws Exception {
        try (TestServer a = new TestServer("--threads", "2");
             TestServer b = new TestServer("--threads", "2");
             Jedis ja = a.jedis(); Jedis jb = b.jedis()) {
            Dataset.fill(ja);
            jb.replicaof("127.0.0.1", a.port());
            TestServer.await("the link", LONG, () -> jb.info("replication").contains("master_link_status:up"));
            assertEquals(1, ja.waitReplicas(1, 10_000)); // WAIT counts a native replica by its marker
            AtomicInteger acked = new AtomicInteger();
            AtomicReference<String> refusal = new AtomicReference<>();
            Thread writer = Thread.ofPlatform().start(() -> {
                try (Jedis w = a.jedis()) {
                    while (true) {
                        w.incr("acked");
                        acked.incrementAndGet();
                    }
                } catch (Exception e) {
                    refusal.set(e.getMessage());
                }
            });
            TestServer.await("writes", LONG, () -> acked.get() > 500);
            Object ok = jb.sendCommand(TestServer.cmd("REPLTAKEOVER"), "30");
            assertEquals("OK", new String((byte[]) ok));
            writer.join(60_000);
            assertTrue(refusal.get() != null && refusal.get().startsWith("READONLY"), refusal.get());
            assertEquals(Integer.toString(acked.get()), jb.get("acked"));
            assertTrue(jb.info("replication").contains("role:master"));
            TestServer.await("the old master to follow", LONG, () -> ja.info("replication").contains("master_link_status:up")
                    && field(ja, "master_port") == b.port());
            jb.incr("acked");
            assertCaughtUp(jb, ja);
            // the old master continued its own history against the new one: no full sync
            assertEquals(0, field(jb, "sync_native_full"));
            assertEquals(1, field(jb, "sync_native_partial_ok"));
        }
    }

    @Test
    void killingTheMasterInFullAndInStableSyncOrTheReplicaEndsIdentical() throws Exception {
        int port = LauncherTest.freePort();
        java.nio.file.Path dir = java.nio.file.Files.createTempDirectory("native-kill");
        TestServer master = new TestServer("--threads", "2", "--port", Integer.toString(port), "--dir", dir.toString(),
                "--rdb-key-save-delay", "200");
        try (TestServer replica = new TestServer("--threads", "3"); Jedis r = replica.jedis()) {
            try (Jedis m = master.jedis()) {
                for (int i = 0; i < 20_000; i++) {
                    m.set("k" + i, "v" + i);
                }
                r.replicaof("127.0.0.1", port);
                TestServer.await("the full sync to start", LONG, () -> r.info("replication").contains("master_sync_in_progress:1"));
            }
            master.close(); // killed in the middle of the full sync
            TestServer.await("the link to go down", LONG, () -> r.info("replication").contains("master_link_status:down"));

            // back, with other data: the replica takes it whole
            master = new TestServer("--threads", "2", "--port", Integer.toString(port), "--dir", dir.toString());
            try (Jedis m = master.jedis()) {
                Dataset.fill(m);
                for (int i = 0; i < 2000; i++) {
                    ReplicationTest.Writer.step(m, "back:", i);
                }
                TestServer.await("the link to come back", LONG, () -> r.info("replication").contains("master_link_status:up"));
                assertCaughtUp(m, r);
                m.save();
            }
            master.close(); // killed in stable sync
            TestServer.await("the link to go down", LONG, () -> r.info("replication").contains("master_link_status:down"));
            master = new TestServer("--threads", "2", "--port", Integer.toString(port), "--dir", dir.toString());
            try (Jedis m = master.jedis()) {
                for (int i = 0; i < 500; i++) {
                    ReplicationTest.Writer.step(m, "again:", i);
                }
                TestServer.await("the link to come back", LONG, () -> r.info("replication").contains("master_link_status:up"));
                assertCaughtUp(m, r);

                // the replica killed and started again: a full sync, identical
                replica.close();
                try (TestServer again = new TestServer("--threads", "1"); Jedis r2 = again.jedis()) {
                    r2.replicaof("127.0.0.1", port);
                    for (int i = 0; i < 500; i++) {
                        ReplicationTest.Writer.step(m, "third:", i);
                    }
                    assertCaughtUp(m, r2);
                }
            }
        } finally {
            master.close();
        }
    }

    @Test
    void aFlowThatStopsReadingThrottlesWritesThenIsDroppedNotAtTheMastersMemory() throws Exception {
        try (TestServer master = new TestServer("--threads", "2", "--replica-flow-max-lag", "1mb",
                "--replica-flow-timeout", "300", "--shard-backlog-size", "64kb");
             Jedis m = master.jedis();
             LinkProxy proxy = new LinkProxy(0, "127.0.0.1", master.port());
             TestServer replica = new TestServer("--threads", "2", "--repl-timeout", "3"); // notices the drop sooner
             Jedis r = replica.jedis()) {
            r.replicaof("127.0.0.1", proxy.port());
            TestServer.await("the link", LONG, () -> r.info("replication").contains("master_link_status:up"));
            proxy.stall(true);
            String value = "x".repeat(4096);
            for (int i = 0; i < 20_000; i++) { // 80 MB of writes, far past the flows' bound
                m.set("big" + (i % 5000), value);
            }
            TestServer.await("the stalled replica dropped", LONG, () -> field(m, "connected_slaves") == 0);
            // what the logs hold stays near their bound, whatever the replica does
            for (String part : m.info("replication").split("damselfly_shard_backlog:")[1].split("\r\n")[0].split(",")) {
                long bytes = Long.parseLong(part.substring(part.indexOf("/bytes:") + 7));
                assertTrue(bytes < 4L * 1024 * 1024, part);
            }
            proxy.stall(false);
            TestServer.await("the link back", LONG, () -> r.info("replication").contains("master_link_status:up"));
            assertCaughtUp(m, r);
        }
    }

    @Test
    void aReplicaGoneRightAfterTheCutLeavesNoSnapshotBehindAndWritesGoOn() throws Exception {
        try (TestServer master = new TestServer("--threads", "2"); Jedis m = master.jedis()) {
            for (int i = 0; i < 50_000; i++) {
                m.set("k" + i, "v" + i);
            }
            // a raw replica: HELLO, both flows, SYNC, and gone at once
            java.util.List<TestServer.Raw> conns = new java.util.ArrayList<>();
            TestServer.Raw control = master.raw();
            conns.add(control);
            control.command("DFLY", "HELLO");
            String head = control.line();
            assertTrue(head.startsWith("*3"), head);
            assertEquals(":2", control.line()); // the master's shard count
            control.line();
            String session = control.line();
            control.line();
            control.line();
            for (int shard = 0; shard < 2; shard++) {
                TestServer.Raw flow = master.raw();
                flow.command("DFLY", "FLOW", session, Integer.toString(shard));
                assertEquals("+OK", flow.line());
                conns.add(flow);
            }
            control.command("DFLY", "SYNC", session, "?", "-1", "-1");
            assertTrue(control.line().startsWith("+FULLRESYNC"));
            for (TestServer.Raw c : conns) {
                c.close();
            }
            TestServer.await("the sync's snapshot to end", LONG,
                    () -> m.info("persistence").contains("damselfly_snapshots_in_progress:0"));
            long t0 = System.nanoTime();
            for (int i = 0; i < 50_000; i++) { // every bucket of both shards: none waits on a dead cut
                m.set("k" + i, "w" + i);
            }
            assertTrue(System.nanoTime() - t0 < 30_000_000_000L, "writes stalled on an abandoned cut");
            assertEquals(0, field(m, "connected_slaves"));
        }
    }

    /**
     * SWAPDB (and FLUSHDB) while a native full sync walks the shards: a flow carries entries
     * after the journal records made before them, and the replica applies an entry that came
     * after a SWAPDB record before or after its own SWAPDB (which waits for every flow's part),
     * so SWAPDB first hands the snapshot every bucket of both databases not written yet (before,
     * keys of the swapped databases ended in the wrong one on the replica: 18 of 197 differed).
     * A 3-shard master with a 2-shard native replica and a redis-server replica beside it.
     */
    @Test
    void swapdbAndFlushdbDuringAFullSyncUnderWritesEndIdentical() throws Exception {
        Duration wait = Duration.ofSeconds(120);
        try (TestServer m = new TestServer("--threads", "3");
             TestServer r = new TestServer("--threads", "2");
             RealRedis d = new RealRedis(java.nio.file.Files.createTempDirectory("swap-redis"));
             Jedis jm = m.jedis(); Jedis jr = r.jedis(); Jedis jd = d.jedis()) {
            Dataset.fill(jm);
            AtomicBoolean stop = new AtomicBoolean();
            AtomicInteger ops = new AtomicInteger();
            List<Thread> threads = new java.util.ArrayList<>();
            for (int t = 0; t < 4; t++) {
                int id = t;
                threads.add(Thread.ofPlatform().start(() -> {
                    try (Jedis j = m.jedis()) {
                        j.select(id % 2);
                        int i = 0;
                        while (!stop.get()) {
                            j.incr("c" + (i % 13));
                            j.rpush("l" + (i % 5), id + ":" + i);
                            if (i % 7 == 0) {
                                j.mset("a" + (i % 11), "x" + i, "b" + (i % 11), "y" + i, "e" + (i % 11), "z" + i);
                            }
                            if (i % 9 == 0) {
                                var t2 = j.multi();
                                t2.incrBy("from", -1);
                                t2.incrBy("to", 1);
                                t2.exec();
                            }
                            i++;
                            ops.incrementAndGet();
                        }
                    }
                }));
            }
            threads.add(Thread.ofPlatform().start(() -> {
                try (Jedis j = m.jedis()) {
                    int i = 0;
                    while (!stop.get()) {
                        j.swapDB(0, 1);
                        if (++i % 10 == 0) {
                            j.select(2);
                            j.set("x" + i, "1");
                            j.flushDB();
                            j.select(0);
                        }
                        java.util.concurrent.locks.LockSupport.parkNanos(2_000_000L);
                    }
                }
            }));
            TestServer.await("ops", wait, () -> ops.get() > 3000);
            jr.replicaof("127.0.0.1", m.port());
            jd.replicaof("127.0.0.1", m.port());
            for (Jedis j : List.of(jr, jd)) {
                TestServer.await("link", wait, () -> j.info("replication").contains("master_link_status:up"));
            }
            int at = ops.get();
            TestServer.await("ops", wait, () -> ops.get() > at + 20000);
            stop.set(true);
            for (Thread t : threads) {
                t.join(30_000);
            }
            jm.set("end", "1");
            long acked = jm.waitReplicas(2, 20_000);
            assertEquals(2, acked, () -> "master: " + jm.info("replication") + "\nnative replica: " + jr.info("replication"));
            for (Jedis j : List.of(jr, jd)) {
                TestServer.await("end", wait, () -> "1".equals(j.get("end")));
            }
            Dataset.assertSame(Dataset.read(jm), Dataset.read(jr), "damselfly replica");
            Dataset.assertSame(Dataset.read(jm), Dataset.read(jd), "redis replica");
        }
    }
}
