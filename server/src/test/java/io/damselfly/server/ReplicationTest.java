package io.damselfly.server;

import io.damselfly.tools.LinkProxy;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.Transaction;
import redis.clients.jedis.params.SetParams;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Damselfly as a master on the Redis protocol: redis-server and Damselfly replicas get the full
 * sync and then the merged stream of every shard's journal (cross-shard MSET and MULTI/EXEC as
 * one operation); a broken link resumes with +CONTINUE from the backlog; a promoted replica keeps
 * the old id as replid2 so its sibling resumes against it (PSYNC2); a chain forwards the stream it
 * applied at the same offsets.
 */
class ReplicationTest {
    private static final Duration LONG = Duration.ofSeconds(90);

    /** Writes every kind of operation until stopped, on one connection. */
    static final class Writer implements AutoCloseable {
        private final AtomicBoolean stop = new AtomicBoolean();
        private final AtomicInteger done = new AtomicInteger();
        private final Thread thread;
        private volatile Throwable failure;

        Writer(int port, String prefix) {
            thread = Thread.ofPlatform().name("writer-" + prefix).start(() -> {
                try (Jedis j = new Jedis("127.0.0.1", port, 30_000)) {
                    int i = 0;
                    while (!stop.get()) {
                        step(j, prefix, i++);
                        done.incrementAndGet();
                    }
                } catch (Throwable t) {
                    failure = t;
                }
            });
        }

        static void step(Jedis j, String p, int i) {
            switch (i % 12) {
                case 0 -> j.set(p + "s" + i, "v" + i);
                case 1 -> j.mset(p + "a" + i, "x", p + "b" + i, "y", p + "c" + i, "z"); // spans shards
                case 2 -> j.incr(p + "counter" + (i % 7));
                case 3 -> j.hset(p + "h" + (i % 5), "f" + i, "v" + i);
                case 4 -> j.rpush(p + "l" + (i % 3), Integer.toString(i));
                case 5 -> j.sadd(p + "set", Integer.toString(i % 50));
                case 6 -> j.zadd(p + "z", i, "m" + (i % 40));
                case 7 -> j.set(p + "ttl" + i, "t", SetParams.setParams().ex(10_000));
                case 8 -> j.del(p + "s" + (i - 8), p + "a" + (i - 7)); // spans shards
                case 9 -> {
                    Transaction t = j.multi();
                    t.incrBy(p + "from", -1);
                    t.incrBy(p + "to", 1);
                    t.lpop(p + "l" + (i % 3));
                    t.exec();
                }
                case 10 -> {
                    j.select(3);
                    j.set(p + "db3:" + (i % 20), Integer.toString(i));
                    j.select(0);
                }
                default -> j.expire(p + "h" + (i % 5), 100_000);
            }
        }

        int done() {
            return done.get();
        }

        @Override
        public void close() throws Exception {
            stop.set(true);
            thread.join(60_000);
            if (failure != null) {
                throw new AssertionError("writer failed", failure);
            }
        }
    }

    static long field(Jedis j, String name) {
        for (String line : j.info("replication").split("\r\n")) {
            if (line.startsWith(name + ":")) {
                return Long.parseLong(line.substring(name.length() + 1));
            }
        }
        return -1;
    }

    static long stat(Jedis j, String name) {
        for (String line : j.info("stats").split("\r\n")) {
            if (line.startsWith(name + ":")) {
                return Long.parseLong(line.substring(name.length() + 1));
            }
        }
        return -1;
    }

    /**
     * Waits until the replica applied everything the master has written, then compares key by
     * key. A native master's offset moves only at its markers (periodic, and one per WAIT), so a
     * WAIT first puts one behind every write made so far: without it the offsets could agree at
     * an older marker while the last writes were still on their way.
     */
    static void assertCaughtUp(Jedis master, Jedis replica) {
        master.waitReplicas(1, 1000);
        TestServer.await("the replica to reach the master's offset", LONG,
                () -> replica.info("replication").contains("master_link_status:up")
                        && field(replica, "slave_repl_offset") == field(master, "master_repl_offset"));
        TreeMap<String, String> expected = Dataset.read(master);
        TreeMap<String, String> actual = Dataset.read(replica);
        if (!expected.equals(actual)) {
            TreeMap<String, String> diff = new TreeMap<>();
            for (Map.Entry<String, String> e : expected.entrySet()) {
                if (!e.getValue().equals(actual.get(e.getKey()))) {
                    diff.put(e.getKey(), e.getValue() + " / " + actual.get(e.getKey()));
                }
            }
            for (String k : actual.keySet()) {
                if (!expected.containsKey(k)) {
                    diff.put(k, "(none) / " + actual.get(k));
                }
            }
            throw new AssertionError(diff.size() + " keys differ; master: " + master.info("replication") + " first: "
                    + diff.entrySet().stream().limit(5).toList());
        }
    }

    @Test
    void aRedisReplicaGetsTheSnapshotAndEveryWriteMadeDuringAndAfterIt() throws Exception {
        try (TestServer master = new TestServer("--replication-protocol", "redis", "--rdb-key-save-delay", "2");
             Jedis m = master.jedis()) {
            Dataset.fill(m);
            for (int i = 0; i < 3000; i++) {
                Writer.step(m, "before:", i);
            }
            RealRedis replica;
            try (Writer w = new Writer(master.port(), "during:")) {
                replica = new RealRedis(Files.createTempDirectory("redis-replica"),
                        "--replicaof", "127.0.0.1", Integer.toString(master.port()));
                try (Jedis r = replica.jedis()) {
                    TestServer.await("the link to come up", LONG,
                            () -> r.info("replication").contains("master_link_status:up"));
                }
                int at = w.done();
                TestServer.await("writes after the sync", LONG, () -> w.done() > at + 500);
            }
            try (RealRedis rr = replica; Jedis r = rr.jedis()) {
                for (int i = 0; i < 500; i++) {
                    Writer.step(m, "after:", i);
                }
                m.flushDB(); // db 0 emptied once on the replica too
                for (int i = 0; i < 500; i++) {
                    Writer.step(m, "last:", i);
                }
                assertCaughtUp(m, r);
                assertEquals(1, stat(m, "sync_full"));
                TestServer.await("the replica's ACK", LONG,
                        () -> m.info("replication").contains("state=online,offset=" + field(m, "master_repl_offset")));
                List<Object> role = m.role();
                assertEquals("master", role.get(0));
                assertEquals(field(m, "master_repl_offset"), role.get(1));
            }
        }
    }

    @Test
    void aBrokenLinkResumesFromTheBacklogAndALongOutageFallsBackToAFullSync() throws Exception {
        try (TestServer master = new TestServer("--replication-protocol", "redis");
             Jedis m = master.jedis();
             LinkProxy proxy = new LinkProxy(0, "127.0.0.1", master.port());
             TestServer replica = new TestServer("--replication-protocol", "redis");
             Jedis r = replica.jedis()) {
            Dataset.fill(m);
            r.replicaof("127.0.0.1", proxy.port());
            TestServer.await("the link to come up", LONG, () -> r.info("replication").contains("master_link_status:up"));
            for (int i = 0; i < 1000; i++) {
                Writer.step(m, "one:", i);
            }
            assertCaughtUp(m, r);
            for (int round = 0; round < 3; round++) {
                try (Writer w = new Writer(master.port(), "cut" + round + ":")) {
                    int at = w.done();
                    TestServer.await("some writes", LONG, () -> w.done() > at + 200);
                    proxy.cut();
                    int after = w.done();
                    TestServer.await("writes after the cut", LONG, () -> w.done() > after + 200);
                }
                TestServer.await("the link to come back", LONG,
                        () -> r.info("replication").contains("master_link_status:up"));
                assertCaughtUp(m, r);
            }
            assertEquals(1, stat(m, "sync_full"));
            assertEquals(3, stat(m, "sync_partial_ok"));

            // longer than the backlog: a full sync, and still identical
            m.configSet("repl-backlog-size", "16384");
            proxy.refuse(true);
            proxy.cut();
            TestServer.await("the link to go down", LONG, () -> r.info("replication").contains("master_link_status:down"));
            for (int i = 0; i < 3000; i++) {
                Writer.step(m, "outage:", i);
            }
            proxy.refuse(false);
            TestServer.await("the link to come back", LONG, () -> r.info("replication").contains("master_link_status:up"));
            assertCaughtUp(m, r);
            assertEquals(2, stat(m, "sync_full"));
            assertEquals(1, stat(m, "sync_partial_err"));
        }
    }

    @Test
    void aReplicaThatStopsReadingIsDroppedAtItsOutputLimitNotAtTheMastersMemory() throws Exception {
        try (TestServer master = new TestServer("--replication-protocol", "redis", "--client-output-buffer-limit", "replica 2mb 0 0");
             Jedis m = master.jedis();
             LinkProxy proxy = new LinkProxy(0, "127.0.0.1", master.port());
             TestServer replica = new TestServer("--replication-protocol", "redis");
             Jedis r = replica.jedis()) {
            r.replicaof("127.0.0.1", proxy.port());
            TestServer.await("the link", LONG, () -> m.info("replication").contains("state=online"));
            proxy.stall(true);
            String big = "x".repeat(1000);
            for (int i = 0; i < 20_000 && field(m, "connected_slaves") > 0; i++) {
                m.set("big:" + i, big); // 20 MB of stream, far past the 2 MB limit
            }
            TestServer.await("the replica dropped", LONG, () -> field(m, "connected_slaves") == 0);
            long histlen = field(m, "repl_backlog_histlen");
            assertTrue(histlen <= 1024 * 1024 + 64 * 1024, "backlog kept " + histlen); // repl-backlog-size + a block
            proxy.stall(false);
            proxy.cut();
            TestServer.await("the replica back by a full sync", LONG,
                    () -> r.info("replication").contains("master_link_status:up"));
            assertCaughtUp(m, r);
        }
    }

    @Test
    void aPromotedReplicaTakesItsSiblingAndTheOldMasterByPartialSync() throws Exception {
        try (TestServer a = new TestServer("--replication-protocol", "redis");
             TestServer b = new TestServer("--replication-protocol", "redis");
             TestServer c = new TestServer("--replication-protocol", "redis");
             Jedis ja = a.jedis(); Jedis jb = b.jedis(); Jedis jc = c.jedis()) {
            Dataset.fill(ja);
            jb.replicaof("127.0.0.1", a.port());
            jc.replicaof("127.0.0.1", a.port());
            for (int i = 0; i < 2000; i++) {
                Writer.step(ja, "x:", i);
            }
            assertCaughtUp(ja, jb);
            assertCaughtUp(ja, jc);
            String oldId = ja.info("replication").split("master_replid:")[1].substring(0, 40);

            assertEquals("OK", jb.replicaofNoOne());
            assertTrue(jb.info("replication").contains("master_replid2:" + oldId));
            jc.replicaof("127.0.0.1", b.port());
            ja.replicaof("127.0.0.1", b.port());
            TestServer.await("both to follow b", LONG, () -> field(jb, "connected_slaves") == 2
                    && jc.info("replication").contains("master_link_status:up")
                    && ja.info("replication").contains("master_link_status:up"));
            for (int i = 0; i < 2000; i++) {
                Writer.step(jb, "y:", i);
            }
            assertCaughtUp(jb, jc);
            assertCaughtUp(jb, ja);
            assertEquals(0, stat(jb, "sync_full"));
            assertEquals(2, stat(jb, "sync_partial_ok"));
        }
    }

    @Test
    void aChainOfThreeStaysIdenticalAtTheSameOffsets() throws Exception {
        try (TestServer a = new TestServer("--replication-protocol", "redis", "--threads", "2");
             TestServer b = new TestServer("--replication-protocol", "redis", "--threads", "3");
             TestServer c = new TestServer("--replication-protocol", "redis", "--threads", "1");
             Jedis ja = a.jedis(); Jedis jb = b.jedis(); Jedis jc = c.jedis()) {
            Dataset.fill(ja);
            jb.replicaof("127.0.0.1", a.port());
            TestServer.await("b's link", LONG, () -> jb.info("replication").contains("master_link_status:up"));
            try (Writer w = new Writer(a.port(), "chain:")) {
                jc.replicaof("127.0.0.1", b.port());
                TestServer.await("c's link", LONG, () -> jc.info("replication").contains("master_link_status:up"));
                int at = w.done();
                TestServer.await("writes through the chain", LONG, () -> w.done() > at + 1000);
            }
            assertCaughtUp(ja, jb);
            TestServer.await("c at a's offset", LONG,
                    () -> field(jc, "slave_repl_offset") == field(ja, "master_repl_offset"));
            Dataset.assertSame(Dataset.read(ja), Dataset.read(jc), "jc");
            assertEquals(field(ja, "master_repl_offset"), field(jc, "master_repl_offset"));
        }
    }

    /**
     * A replica forwards its master's stream as it is, so a replica of it that syncs while that
     * stream has a database other than 0 selected gets no SELECT before the next write: the RDB
     * says which (repl-stream-db), for a redis-server and for a Damselfly sub-replica alike.
     */
    @Test
    void aSubReplicaThatSyncsWhileTheStreamIsInAnotherDatabaseWritesThere() throws Exception {
        try (TestServer a = new TestServer("--replication-protocol", "redis");
             TestServer b = new TestServer("--replication-protocol", "redis");
             TestServer c = new TestServer("--replication-protocol", "redis");
             RealRedis d = new RealRedis(Files.createTempDirectory("sub-replica-db"));
             Jedis ja = a.jedis(); Jedis jb = b.jedis(); Jedis jc = c.jedis(); Jedis jd = d.jedis()) {
            jb.replicaof("127.0.0.1", a.port());
            TestServer.await("b's link", LONG, () -> jb.info("replication").contains("master_link_status:up"));
            ja.select(3);
            ja.set("before", "1"); // a's stream: SELECT 3, then the SET
            jb.select(3);
            TestServer.await("the write on b", LONG, () -> "1".equals(jb.get("before")));
            jc.replicaof("127.0.0.1", b.port());
            jd.replicaof("127.0.0.1", b.port());
            for (Jedis j : List.of(jc, jd)) {
                TestServer.await("the sub-replica's link", LONG, () -> j.info("replication").contains("master_link_status:up"));
            }
            ja.set("after", "2"); // no SELECT in front of it: a's stream still has 3 selected
            for (Jedis j : List.of(jc, jd)) {
                j.select(3);
                TestServer.await("the write after the sync, in database 3", LONG, () -> "2".equals(j.get("after")));
                j.select(0);
                assertEquals(0L, j.dbSize());
            }
        }
    }

    @Test
    void aMasterRestartedFromItsDumpLetsItsReplicaResumeByPartialSync() throws Exception {
        int port = LauncherTest.freePort();
        java.nio.file.Path dir = Files.createTempDirectory("damselfly-restart");
        String[] args = {"--port", Integer.toString(port), "--dir", dir.toString()};
        try (TestServer replica = new TestServer("--replication-protocol", "redis"); Jedis r = replica.jedis()) {
            try (TestServer master = new TestServer(args); Jedis m = master.jedis()) {
                Dataset.fill(m);
                r.replicaof("127.0.0.1", port);
                for (int i = 0; i < 1000; i++) {
                    Writer.step(m, "first:", i);
                }
                assertCaughtUp(m, r);
                assertEquals("OK", m.save());
            }
            String history = r.info("replication").split("master_replid:")[1].substring(0, 40);
            try (TestServer master = new TestServer(args); Jedis m = master.jedis()) {
                String info = m.info("replication");
                assertTrue(info.contains("master_replid2:" + history), info);
                TestServer.await("the replica to come back", LONG,
                        () -> r.info("replication").contains("master_link_status:up"));
                for (int i = 0; i < 1000; i++) {
                    Writer.step(m, "second:", i);
                }
                assertCaughtUp(m, r);
                assertEquals(0, stat(m, "sync_full"));
                assertEquals(1, stat(m, "sync_partial_ok"));
            }
        }
    }

    @Test
    void aReplicaCanRefuseToBeWipedByAMasterThatCameBackEmpty() throws Exception {
        int port = LauncherTest.freePort();
        String[] args = {"--port", Integer.toString(port)};
        try (TestServer replica = new TestServer("--replication-protocol", "redis", "--replica-refuse-empty-master", "yes"); Jedis r = replica.jedis()) {
            try (TestServer master = new TestServer(args); Jedis m = master.jedis()) {
                Dataset.fill(m);
                r.replicaof("127.0.0.1", port);
                assertCaughtUp(m, r);
            }
            TreeMap<String, String> kept = Dataset.read(r);
            try (TestServer master = new TestServer(args); Jedis m = master.jedis()) { // no dump: empty, new id
                TestServer.await("the refusal", LONG,
                        () -> r.info("replication").contains("damselfly_sync_refused:empty_master"));
                Dataset.assertSame(kept, Dataset.read(r), "r");
                assertTrue(r.info("replication").contains("master_link_status:down"));
                m.set("now", "something");
                r.configSet("replica-refuse-empty-master", "no");
                TestServer.await("a full sync once allowed", LONG, () -> "something".equals(TestServer.getUnlessLoading(r, "now")));
                assertEquals(1L, (long) r.dbSize());
            }
        }
    }

    /** Writes SET k<i> until the server refuses; returns the indexes it acknowledged. */
    static List<Integer> writeUntilRefused(int port, AtomicBoolean stop) {
        List<Integer> acked = new java.util.ArrayList<>();
        try (Jedis j = new Jedis("127.0.0.1", port, 60_000)) {
            for (int i = 0; !stop.get(); i++) {
                try {
                    j.set("fo:" + i, Integer.toString(i));
                    acked.add(i);
                } catch (redis.clients.jedis.exceptions.JedisDataException e) {
                    assertTrue(e.getMessage().startsWith("READONLY"), e.getMessage());
                    break;
                }
            }
        }
        return acked;
    }

    private void failoverTo(Jedis m, int masterPort, Jedis target, int targetPort, boolean redisTarget) throws Exception {
        AtomicBoolean stop = new AtomicBoolean();
        var writer = java.util.concurrent.CompletableFuture.supplyAsync(() -> writeUntilRefused(masterPort, stop));
        TestServer.await("some writes", LONG, () -> m.dbSize() > 500);
        assertEquals("OK", m.failover(redis.clients.jedis.params.FailoverParams.failoverParams()
                .to("127.0.0.1", targetPort).timeout(30_000)));
        TestServer.await("the roles to swap", LONG, () -> target.info("replication").contains("role:master")
                && m.info("replication").contains("role:slave")
                && m.info("replication").contains("master_failover_state:no-failover"));
        List<Integer> acked = writer.get(60, java.util.concurrent.TimeUnit.SECONDS);
        stop.set(true);
        assertTrue(acked.size() > 500);
        for (int i : acked) {
            assertEquals(Integer.toString(i), target.get("fo:" + i), "acknowledged write fo:" + i);
        }
        TestServer.await("the old master to follow", LONG, () -> m.info("replication").contains("master_link_status:up"));
        target.set("after-failover", "1");
        if (!redisTarget) {
            assertCaughtUp(target, m);
        } else {
            TestServer.await("the write to reach the old master", LONG, () -> "1".equals(m.get("after-failover")));
        }
    }

    /**
     * Failovers back and forth while four clients write keys on both shards: a write dispatched
     * just before the pause may still be on its way to the other shard when the handover reads
     * the offset to wait for. Every write a client saw acknowledged must be on the new master.
     */
    @Test
    void failoversUnderWritesFromManyClientsLoseNoAcknowledgedWrite() throws Exception {
        try (TestServer a = new TestServer("--replication-protocol", "redis");
             TestServer b = new TestServer("--replication-protocol", "redis");
             Jedis ja = a.jedis(); Jedis jb = b.jedis()) {
            jb.replicaof("127.0.0.1", a.port());
            TestServer.await("the link", LONG, () -> ja.info("replication").contains("state=online"));
            TestServer[] nodes = {a, b};
            Jedis[] js = {ja, jb};
            for (int round = 0; round < 6; round++) {
                int from = round % 2;
                int to = 1 - from;
                String prefix = "r" + round + ":";
                AtomicBoolean stop = new AtomicBoolean();
                AtomicInteger written = new AtomicInteger();
                List<java.util.concurrent.CompletableFuture<List<String>>> writers = new java.util.ArrayList<>();
                for (int w = 0; w < 4; w++) {
                    String p = prefix + w + ":";
                    int port = nodes[from].port();
                    boolean pipelining = w == 0;
                    writers.add(java.util.concurrent.CompletableFuture.supplyAsync(() -> {
                        List<String> acked = new java.util.ArrayList<>();
                        try (Jedis j = new Jedis("127.0.0.1", port, 60_000)) {
                            if (pipelining) {
                                // runs of 32 over every shard: squashed, so the pause meets them in flight
                                for (int i = 0; !stop.get(); i += 32) {
                                    redis.clients.jedis.Pipeline pl = j.pipelined();
                                    for (int k = 0; k < 32; k++) {
                                        pl.set(p + (i + k), "v");
                                    }
                                    List<Object> replies = pl.syncAndReturnAll();
                                    boolean refused = false;
                                    for (int k = 0; k < 32; k++) {
                                        if (replies.get(k) instanceof Exception e) {
                                            assertTrue(e.getMessage().startsWith("READONLY"), e.getMessage());
                                            refused = true;
                                        } else {
                                            acked.add(p + (i + k));
                                            written.incrementAndGet();
                                        }
                                    }
                                    if (refused) {
                                        break;
                                    }
                                }
                                return acked;
                            }
                            for (int i = 0; !stop.get(); i++) {
                                try {
                                    j.set(p + i, "v");
                                    acked.add(p + i);
                                    written.incrementAndGet();
                                } catch (redis.clients.jedis.exceptions.JedisDataException e) {
                                    assertTrue(e.getMessage().startsWith("READONLY"), e.getMessage());
                                    break;
                                }
                            }
                        }
                        return acked;
                    }));
                }
                TestServer.await("some writes", LONG, () -> written.get() > 400);
                assertEquals("OK", js[from].failover(redis.clients.jedis.params.FailoverParams.failoverParams()
                        .to("127.0.0.1", nodes[to].port()).timeout(30_000)));
                TestServer.await("the roles to swap", LONG, () -> js[to].info("replication").contains("role:master")
                        && js[from].info("replication").contains("master_failover_state:no-failover")
                        && js[from].info("replication").contains("role:slave"));
                for (var w : writers) {
                    for (String k : w.get(60, java.util.concurrent.TimeUnit.SECONDS)) {
                        assertEquals("v", js[to].get(k), "round " + round + ": acknowledged write " + k);
                    }
                }
                stop.set(true);
                TestServer.await("the old master to follow", LONG,
                        () -> js[from].info("replication").contains("master_link_status:up"));
            }
        }
    }

    @Test
    void failoverHandsTheMasterRoleToADamselflyReplicaWithoutLosingAnAcknowledgedWrite() throws Exception {
        try (TestServer master = new TestServer("--replication-protocol", "redis"); Jedis m = master.jedis();
             TestServer replica = new TestServer("--replication-protocol", "redis"); Jedis r = replica.jedis()) {
            r.replicaof("127.0.0.1", master.port());
            TestServer.await("the link", LONG, () -> m.info("replication").contains("state=online"));
            redis.clients.jedis.exceptions.JedisDataException e = org.junit.jupiter.api.Assertions.assertThrows(
                    redis.clients.jedis.exceptions.JedisDataException.class,
                    () -> m.failover(redis.clients.jedis.params.FailoverParams.failoverParams().to("127.0.0.1", 1)));
            assertEquals("ERR FAILOVER target HOST and PORT is not a replica.", e.getMessage());
            failoverTo(m, master.port(), r, replica.port(), false);
            assertEquals(0, stat(r, "sync_full"));
        }
    }

    @Test
    void failoverHandsTheMasterRoleToARedisReplica() throws Exception {
        try (TestServer master = new TestServer("--replication-protocol", "redis"); Jedis m = master.jedis();
             RealRedis replica = new RealRedis(Files.createTempDirectory("redis-failover"),
                     "--replicaof", "127.0.0.1", Integer.toString(master.port()));
             Jedis r = replica.jedis()) {
            TestServer.await("the link", LONG, () -> m.info("replication").contains("state=online"));
            failoverTo(m, master.port(), r, replica.port, true);
        }
    }

    @Test
    void waitCountsAcknowledgingReplicasAndMinReplicasRefusesWrites() throws Exception {
        try (TestServer master = new TestServer("--replication-protocol", "redis");
             Jedis m = master.jedis();
             TestServer replica = new TestServer("--replication-protocol", "redis");
             Jedis r = replica.jedis()) {
            m.set("k", "0");
            assertEquals(0L, m.waitReplicas(0, 0));
            long t0 = System.nanoTime();
            assertEquals(0L, m.waitReplicas(1, 200)); // nobody: the timeout answers
            assertTrue(System.nanoTime() - t0 >= 150_000_000L);
            m.configSet("min-replicas-to-write", "1");
            redis.clients.jedis.exceptions.JedisDataException e = org.junit.jupiter.api.Assertions.assertThrows(
                    redis.clients.jedis.exceptions.JedisDataException.class, () -> m.set("k", "1"));
            assertEquals("NOREPLICAS Not enough good replicas to write.", e.getMessage());
            assertEquals("0", m.get("k")); // reads go on

            r.replicaof("127.0.0.1", master.port());
            TestServer.await("a good replica", LONG, () -> {
                try {
                    return "OK".equals(m.set("k", "1"));
                } catch (redis.clients.jedis.exceptions.JedisDataException refused) {
                    return false;
                }
            });
            for (int i = 0; i < 200; i++) {
                m.set("w" + i, Integer.toString(i));
            }
            assertEquals(1L, m.waitReplicas(1, 60_000));
            assertEquals("199", r.get("w199")); // acknowledged means applied
            e = org.junit.jupiter.api.Assertions.assertThrows(redis.clients.jedis.exceptions.JedisDataException.class,
                    () -> r.waitReplicas(1, 10));
            assertTrue(e.getMessage().startsWith("ERR WAIT cannot be used with replica instances."), e.getMessage());
        }
    }

    /**
     * A master lists its replicas' connections (a Redis-protocol stream; a native replica's
     * control connection and flows) as CLIENT LIST type replica, flag S, and CLIENT KILL TYPE
     * replica closes them, although they have left the event loop (a feed) or joined another
     * proactor's (a flow in stable sync): both replicas come back by partial sync and catch up.
     */
    @Test
    void clientKillTypeReplicaClosesEveryReplicaConnectionAndTheyResume() throws Exception {
        try (TestServer master = new TestServer();
             Jedis m = master.jedis();
             TestServer redisProtocol = new TestServer("--replication-protocol", "redis");
             Jedis a = redisProtocol.jedis();
             TestServer nativeProtocol = new TestServer();
             Jedis b = nativeProtocol.jedis()) {
            Dataset.fill(m);
            a.replicaof("127.0.0.1", master.port());
            b.replicaof("127.0.0.1", master.port());
            TestServer.await("both links up", LONG, () -> a.info("replication").contains("master_link_status:up")
                    && b.info("replication").contains("master_link_status:up"));
            String replicas = m.clientList(redis.clients.jedis.args.ClientType.REPLICA);
            String[] lines = replicas.split("\n");
            int shards = master.server.engine().shards();
            assertEquals(1 + 1 + shards, lines.length, replicas); // the stream; control + one flow per shard
            for (String l : lines) {
                assertTrue(l.contains(" flags=S "), l);
            }
            assertEquals(0L, m.sendCommand(TestServer.cmd("CLIENT"), "KILL", "TYPE", "normal"), "replicas are not normal clients");
            assertEquals((long) lines.length, m.sendCommand(TestServer.cmd("CLIENT"), "KILL", "TYPE", "replica"));
            TestServer.await("both replicas resumed by partial sync", LONG, () -> stat(m, "sync_partial_ok") == 2
                    && a.info("replication").contains("master_link_status:up")
                    && b.info("replication").contains("master_link_status:up"));
            assertEquals(2, stat(m, "sync_full"));
            for (int i = 0; i < 500; i++) {
                Writer.step(m, "after:", i);
            }
            TestServer.await("the Redis-protocol replica equal to its master", LONG,
                    () -> Dataset.read(m).equals(Dataset.read(a)));
            assertCaughtUp(m, b);
        }
    }

    /**
     * REPLICAOF NO ONE while the master's stream pours in: stopping the link waits until what
     * was read is applied, which needs the shards, so it must not wait on a shard's thread (it
     * stalled for 30 s when the client's proactor was one the stream still needed). Each round
     * asks on a new connection, so the rounds land on every proactor.
     */
    @Test
    void replicaofNoOneUnderAStreamOfWritesDoesNotStallItsShard() throws Exception {
        try (TestServer master = new TestServer();
             TestServer replica = new TestServer("--replication-protocol", "redis");
             Jedis r = replica.jedis()) {
            AtomicBoolean stop = new AtomicBoolean();
            List<Thread> writers = new java.util.ArrayList<>();
            for (int w = 0; w < 4; w++) {
                int writer = w;
                writers.add(Thread.ofPlatform().start(() -> {
                    try (Jedis j = master.jedis()) {
                        for (int i = 0; !stop.get(); i++) {
                            redis.clients.jedis.Pipeline p = j.pipelined();
                            for (int k = 0; k < 200; k++) {
                                p.set("w" + writer + ":" + ((i * 200 + k) % 20_000), "v" + i);
                            }
                            p.sync();
                        }
                    }
                }));
            }
            try {
                for (int round = 0; round < 4; round++) {
                    r.replicaof("127.0.0.1", master.port());
                    TestServer.await("the link up", LONG, () -> r.info("replication").contains("master_link_status:up"));
                    long applied = field(r, "slave_repl_offset");
                    TestServer.await("the stream flowing", LONG, () -> field(r, "slave_repl_offset") > applied + 100_000);
                    try (Jedis other = replica.jedis()) {
                        long t0 = System.nanoTime();
                        assertEquals("OK", other.replicaofNoOne());
                        long ms = (System.nanoTime() - t0) / 1_000_000;
                        assertTrue(ms < 15_000, "REPLICAOF NO ONE took " + ms + " ms");
                        assertEquals("OK", other.set("mine", "yes")); // a master now
                    }
                }
            } finally {
                stop.set(true);
                for (Thread t : writers) {
                    t.join(60_000);
                }
            }
        }
    }

    @Test
    void aReplicaWithoutCapaEofGetsASizedRdbFromDisk() throws Exception {
        try (TestServer master = new TestServer("--replication-protocol", "redis");
             Jedis m = master.jedis();
             Socket s = new Socket("127.0.0.1", master.port())) {
            m.set("k", "v");
            s.setSoTimeout(30_000);
            OutputStream out = s.getOutputStream();
            InputStream in = s.getInputStream();
            out.write("REPLCONF listening-port 1\r\nPSYNC ? -1\r\n".getBytes(StandardCharsets.US_ASCII));
            out.flush();
            assertEquals("+OK", line(in));
            String full = line(in);
            assertTrue(full.startsWith("+FULLRESYNC "), full);
            String size = line(in);
            assertTrue(size.matches("\\$\\d+"), size);
            byte[] rdb = in.readNBytes(Integer.parseInt(size.substring(1)));
            assertEquals("REDIS0010", new String(rdb, 0, 9, StandardCharsets.US_ASCII));
            m.set("after", "1");
            String stream = new String(in.readNBytes(40), StandardCharsets.US_ASCII);
            assertTrue(stream.startsWith("*2\r\n$6\r\nSELECT\r\n$1\r\n0\r\n*3\r\n$3\r\nSET\r\n"), stream);
            try (var files = Files.list(master.dir)) {
                assertTrue(files.noneMatch(p -> p.getFileName().toString().startsWith("temp-")), "temp file removed");
            }
        }
    }

    @Test
    void aDisklessReplicaGetsNoStreamBeforeItsFirstAckAndItsAcksMayComeInPieces() throws Exception {
        try (TestServer master = new TestServer("--repl-diskless-sync-delay", "0");
             Jedis m = master.jedis();
             Socket s = new Socket("127.0.0.1", master.port())) {
            m.set("k", "v");
            s.setSoTimeout(30_000);
            OutputStream out = s.getOutputStream();
            InputStream in = s.getInputStream();
            out.write("REPLCONF capa eof\r\nPSYNC ? -1\r\n".getBytes(StandardCharsets.US_ASCII));
            out.flush();
            assertEquals("+OK", line(in));
            assertTrue(line(in).startsWith("+FULLRESYNC "));
            String eof = line(in);
            assertTrue(eof.startsWith("$EOF:") && eof.length() == 45, eof);
            byte[] mark = eof.substring(5).getBytes(StandardCharsets.US_ASCII);
            byte[] tail = new byte[mark.length];
            int got = 0;
            while (got < mark.length || !java.util.Arrays.equals(tail, mark)) { // the RDB up to its mark
                int c = in.read();
                assertTrue(c >= 0, "the RDB ended early");
                System.arraycopy(tail, 1, tail, 0, mark.length - 1);
                tail[mark.length - 1] = (byte) c;
                got++;
            }
            // writes on every shard: nothing of them may come before the replica says it loaded
            for (int i = 0; i < 20; i++) {
                m.set("after:" + i, "1");
            }
            s.setSoTimeout(500);
            assertThrows(java.net.SocketTimeoutException.class, in::read, "stream sent before the first ACK");
            s.setSoTimeout(30_000);
            out.write("*3\r\n$8\r\nREPLCONF\r\n$3\r\nA".getBytes(StandardCharsets.US_ASCII));
            out.flush();
            out.write("CK\r\n$1\r\n0\r\n".getBytes(StandardCharsets.US_ASCII));
            out.flush();
            String stream = new String(in.readNBytes(40), StandardCharsets.US_ASCII);
            assertTrue(stream.startsWith("*2\r\n$6\r\nSELECT\r\n$1\r\n0\r\n*3\r\n$3\r\nSET\r\n"), stream);
            // an ACK of the whole stream, a byte per write: WAIT counts the replica
            long offset = Long.parseLong(m.info("replication").lines()
                    .filter(l -> l.startsWith("master_repl_offset:")).findFirst().orElseThrow().substring(19).trim());
            for (byte b : ("*3\r\n$8\r\nREPLCONF\r\n$3\r\nACK\r\n$" + Long.toString(offset).length() + "\r\n"
                    + offset + "\r\n").getBytes(StandardCharsets.US_ASCII)) {
                out.write(b);
                out.flush();
            }
            assertEquals(1, m.waitReplicas(1, 30_000));
            TestServer.await("the ACK in INFO", LONG, () -> m.info("replication").contains("state=online,offset=" + offset + ","));
        }
    }

    private static String line(InputStream in) throws java.io.IOException {
        StringBuilder sb = new StringBuilder();
        int c;
        while ((c = in.read()) != '\n') {
            if (c < 0) {
                throw new java.io.EOFException();
            }
            if (c != '\r') {
                sb.append((char) c);
            }
        }
        return sb.toString();
    }

    /**
     * A full sync's offset is where the stream stands at the cut, also when operations over
     * several shards finish around it: the merge passes the cut only once those before it are
     * complete, which their coordinators report on their own threads, so the offset may be known
     * a moment after the cut (before, a replica could be told -1 and never be acknowledged).
     * A redis-server replica syncs again and again under MULTI/EXEC and MSET over every shard.
     */
    @Test
    void aFullSyncUnderMultiShardWritesTellsTheCutsOffset() throws Exception {
        Duration wait = Duration.ofSeconds(120);
        try (TestServer m = new TestServer("--threads", "3");
             RealRedis d = new RealRedis(java.nio.file.Files.createTempDirectory("cut-offset-redis"));
             Jedis jm = m.jedis(); Jedis jd = d.jedis()) {
            java.util.concurrent.atomic.AtomicBoolean stop = new java.util.concurrent.atomic.AtomicBoolean();
            List<Thread> writers = new java.util.ArrayList<>();
            for (int t = 0; t < 3; t++) {
                int id = t;
                writers.add(Thread.ofPlatform().start(() -> {
                    try (Jedis j = m.jedis()) {
                        for (int i = 0; !stop.get(); i++) {
                            redis.clients.jedis.Transaction tx = j.multi();
                            tx.incr("a" + (i % 7));
                            tx.incr("b" + (i % 5));
                            tx.exec();
                            j.mset("x" + id, Integer.toString(i), "y" + id, Integer.toString(i), "z" + id, Integer.toString(i));
                        }
                    }
                }));
            }
            try {
                for (int round = 0; round < 12; round++) {
                    jd.replicaofNoOne();
                    jd.set("own", "write"); // leaves the master's history: a full sync follows
                    jd.replicaof("127.0.0.1", m.port());
                    TestServer.await("the link", wait, () -> jd.info("replication").contains("master_link_status:up"));
                    jm.set("round", Integer.toString(round));
                    assertEquals(1, jm.waitReplicas(1, 30_000), "round " + round + ": the replica acknowledges the stream");
                }
            } finally {
                stop.set(true);
                for (Thread w : writers) {
                    w.join(30_000);
                }
            }
            jm.set("end", "1");
            assertEquals(1, jm.waitReplicas(1, 30_000));
            Dataset.assertSame(Dataset.read(jm), Dataset.read(jd), "the replica");
        }
    }


    /**
     * A master's SAVE under multi-shard writes: every dump names the replication id and offset it
     * stands for, although the merge may name the offset after the cut's step has run everywhere.
     */
    @Test
    void aMastersSaveUnderMultiShardWritesCarriesItsOffset() throws Exception {
        Duration wait = Duration.ofSeconds(120);
        try (TestServer m = new TestServer("--threads", "3");
             RealRedis d = new RealRedis(java.nio.file.Files.createTempDirectory("save-offset-redis"));
             Jedis jm = m.jedis(); Jedis jd = d.jedis()) {
            jd.replicaof("127.0.0.1", m.port()); // the stream (and its offsets) exists from a replica on
            TestServer.await("the link", wait, () -> jd.info("replication").contains("master_link_status:up"));
            java.util.concurrent.atomic.AtomicBoolean stop = new java.util.concurrent.atomic.AtomicBoolean();
            List<Thread> writers = new java.util.ArrayList<>();
            for (int t = 0; t < 3; t++) {
                int id = t;
                writers.add(Thread.ofPlatform().start(() -> {
                    try (Jedis j = m.jedis()) {
                        for (int i = 0; !stop.get(); i++) {
                            redis.clients.jedis.Transaction tx = j.multi();
                            tx.incr("a" + (i % 7));
                            tx.incr("b" + (i % 5));
                            tx.exec();
                            j.mset("x" + id, Integer.toString(i), "y" + id, Integer.toString(i), "z" + id, Integer.toString(i));
                        }
                    }
                }));
            }
            try {
                String replid = field(jm.info("replication"), "master_replid");
                TestServer.await("the writers' first writes", wait, () -> jm.exists("x0", "x1", "x2") == 3);
                for (int round = 0; round < 12; round++) {
                    assertEquals("OK", jm.save());
                    java.util.Map<String, String> aux = RdbAux.read(m.dir.resolve("dump.rdb"));
                    assertEquals(replid, aux.get("repl-id"), "round " + round + ": the dump's replication id");
                    assertTrue(aux.containsKey("repl-offset") && Long.parseLong(aux.get("repl-offset")) > 0,
                            "round " + round + ": the dump names its offset: " + aux);
                }
            } finally {
                stop.set(true);
                for (Thread w : writers) {
                    w.join(30_000);
                }
            }
        }
    }

    private static String field(String info, String name) {
        for (String line : info.split("\r\n")) {
            if (line.startsWith(name + ":")) {
                return line.substring(name.length() + 1);
            }
        }
        throw new AssertionError(name + " missing from " + info);
    }
}
