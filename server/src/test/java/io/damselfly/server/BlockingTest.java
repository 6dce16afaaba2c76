package io.damselfly.server;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.Jedis;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

import static io.damselfly.server.Calls.of;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Blocking pops: across shards, in the order clients blocked, with timeouts, at no idle cost. */
class BlockingTest extends ServerTestBase {
    /** One thread per waiting client (the common pool may have a single thread on two cores). */
    static final ExecutorService POOL = Executors.newCachedThreadPool();

    @AfterAll
    static void stopPool() {
        POOL.shutdownNow();
    }

    @BeforeEach
    void settle() {
        TestServer.await("no blocked clients left over", Duration.ofSeconds(30), () -> blocked() == 0);
    }

    long blocked() {
        try (Jedis q = server.jedis()) {
            for (String line : q.info("clients").split("\r\n")) {
                if (line.startsWith("blocked_clients:")) {
                    return Long.parseLong(line.substring("blocked_clients:".length()));
                }
            }
        }
        throw new AssertionError("no blocked_clients in INFO");
    }

    /** Sends a command on its own connection; the future completes with the reply. */
    CompletableFuture<Object> async(String... args) {
        Jedis other = server.jedis();
        return CompletableFuture.supplyAsync(() -> {
            try (other) {
                return new Calls(other).call(args);
            }
        }, POOL);
    }

    void awaitBlocked(long n) {
        TestServer.await(n + " blocked clients", Duration.ofSeconds(30), () -> blocked() == n);
    }

    @Test
    void servedFromAKeyOnAnotherShard() throws Exception {
        CompletableFuture<Object> r = async("BLPOP", spread[0], spread[1], spread[2], "0");
        awaitBlocked(1);
        c.call("RPUSH", spread[2], "v");
        assertEquals(of(spread[2], "v"), r.get(30, TimeUnit.SECONDS));
        CompletableFuture<Object> z = async("BZPOPMAX", spread[1], spread[0], "0");
        awaitBlocked(1);
        c.call("ZADD", spread[0], "1", "a", "2", "b");
        assertEquals(of(spread[0], "b", "2"), z.get(30, TimeUnit.SECONDS));
        CompletableFuture<Object> m = async("BLMPOP", "0", "2", spread[1], spread[2], "RIGHT", "COUNT", "2");
        awaitBlocked(1);
        c.call("RPUSH", spread[1], "x", "y", "z");
        assertEquals(of(spread[1], of("z", "y")), m.get(30, TimeUnit.SECONDS));
    }

    /**
     * Nothing runs between a push and the serving of its waiters, as in Redis: once LPUSH has
     * answered, the served BRPOPLPUSH's write to its destination is there for any client, a
     * transaction watching the destination aborts, and a read sees it. The waiting, watching and
     * reading clients are new connections each round, so they land on every proactor.
     */
    @Test
    void aServedMoveIsVisibleToEveryoneOnceThePushAnswered() throws Exception {
        for (int round = 0; round < 60; round++) {
            c.call("DEL", "{w}src", "{w}dst");
            CompletableFuture<Object> moved = async("BRPOPLPUSH", "{w}src", "{w}dst", "0");
            awaitBlocked(1);
            try (Jedis watcher = server.jedis(); Jedis reader = server.jedis()) {
                watcher.watch("{w}dst");
                redis.clients.jedis.Transaction t = watcher.multi();
                t.get("{w}other");
                c.call("LPUSH", "{w}src", "e" + round);
                assertEquals(null, t.exec(), "round " + round + ": EXEC watching the destination");
                List<Object> read = reader.lrange("{w}dst", 0, -1).stream().map(Object.class::cast).toList();
                assertEquals(of("e" + round), read, "round " + round + ": the move, read after the push");
            }
            assertEquals("e" + round, moved.get(30, TimeUnit.SECONDS));
        }
    }

    @Test
    void existingDataIsTakenInArgumentOrder() {
        c.call("RPUSH", spread[1], "b1");
        c.call("RPUSH", spread[2], "c1");
        assertEquals(of(spread[1], "b1"), c.list("BLPOP", spread[0], spread[1], spread[2], "1"));
        assertEquals(of(spread[2], "c1"), c.list("BRPOP", spread[0], spread[1], spread[2], "1"));
    }

    @Test
    void clientsAreServedInTheOrderTheyBlocked() throws Exception {
        List<CompletableFuture<Object>> waiting = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            waiting.add(async("BRPOP", "q", "0"));
            awaitBlocked(i + 1);
        }
        for (int i = 0; i < 5; i++) {
            c.call("LPUSH", "q", "job" + i);
            assertEquals(of("q", "job" + i), waiting.get(i).get(30, TimeUnit.SECONDS));
        }
        // one push of three elements serves the first three waiters, one element each
        for (int i = 0; i < 3; i++) {
            waiting.set(i, async("BLPOP", "q", "0"));
            awaitBlocked(i + 1);
        }
        c.call("RPUSH", "q", "a", "b", "c");
        assertEquals(of("q", "a"), waiting.get(0).get(30, TimeUnit.SECONDS));
        assertEquals(of("q", "b"), waiting.get(1).get(30, TimeUnit.SECONDS));
        assertEquals(of("q", "c"), waiting.get(2).get(30, TimeUnit.SECONDS));
    }

    @Test
    void blmoveAcrossShardsAndWrongDestination() throws Exception {
        CompletableFuture<Object> r = async("BLMOVE", spread[0], spread[1], "LEFT", "RIGHT", "0");
        awaitBlocked(1);
        c.call("RPUSH", spread[0], "v");
        assertEquals("v", r.get(30, TimeUnit.SECONDS));
        assertEquals(of("v"), c.list("LRANGE", spread[1], "0", "-1"));
        assertEquals(0, c.num("EXISTS", spread[0]));
        c.call("SET", "{t}dst", "string");
        CompletableFuture<Object> bad = async("BRPOPLPUSH", "{t}src", "{t}dst", "0");
        CompletableFuture<Object> good = async("BRPOPLPUSH", "{t}src", "{t}ok", "0");
        awaitBlocked(2);
        c.call("RPUSH", "{t}src", "e");
        Object first = bad.handle((v, e) -> e == null ? v : e.getCause().getMessage()).get(30, TimeUnit.SECONDS);
        assertEquals("WRONGTYPE Operation against a key holding the wrong kind of value", first);
        assertEquals("e", good.get(30, TimeUnit.SECONDS), "the element waits for the next client");
    }

    @Test
    void timeoutsAndErrors() {
        long t0 = System.nanoTime();
        assertNull(c.call("BLPOP", "none", "0.2"));
        assertTrue(System.nanoTime() - t0 >= 150_000_000L, "waited about the timeout");
        assertNull(c.call("BZPOPMIN", "none", "0.05"));
        assertNull(c.call("BLMOVE", "none", "x", "LEFT", "LEFT", "0.05"));
        c.error("ERR timeout is not a float or out of range", "BLPOP", "k", "x");
        c.error("ERR timeout is negative", "BLPOP", "k", "-1");
        c.error("ERR numkeys should be greater than 0", "BLMPOP", "0", "0", "k", "LEFT");
        c.call("SET", "str", "v");
        c.error("WRONGTYPE Operation against a key holding the wrong kind of value", "BLPOP", "str", "0");
        // inside MULTI a blocking pop never blocks
        c.call("MULTI");
        c.call("BLPOP", "none", "0");
        assertEquals(of((Object) null), c.list("EXEC"));
    }

    @Test
    void clientUnblockAndDisconnect() throws Exception {
        Jedis other = server.jedis();
        long id = other.clientId();
        CompletableFuture<Object> r = CompletableFuture.supplyAsync(() -> new Calls(other).call("BLPOP", "k", "0"), POOL);
        awaitBlocked(1);
        assertEquals(1, c.num("CLIENT", "UNBLOCK", String.valueOf(id)));
        assertNull(r.get(30, TimeUnit.SECONDS));
        CompletableFuture<Object> e = CompletableFuture.supplyAsync(() -> new Calls(other).call("BLPOP", "k", "0"), POOL)
                .handle((v, ex) -> ex == null ? v : ex.getCause().getMessage());
        awaitBlocked(1);
        assertEquals(1, c.num("CLIENT", "UNBLOCK", String.valueOf(id), "ERROR"));
        assertEquals("UNBLOCKED client unblocked via CLIENT UNBLOCK", e.get(30, TimeUnit.SECONDS));
        assertEquals(0, c.num("CLIENT", "UNBLOCK", String.valueOf(id)), "not blocked any more");
        other.close();
        Jedis gone = server.jedis();
        CompletableFuture.runAsync(() -> {
            try {
                new Calls(gone).call("BLPOP", "k", "0");
            } catch (RuntimeException ignored) {
                // closed under it
            }
        }, POOL);
        awaitBlocked(1);
        gone.close();
        awaitBlocked(0);
        c.call("RPUSH", "k", "kept");
        assertEquals(of("kept"), c.list("LRANGE", "k", "0", "-1"), "a closed waiter takes nothing");
    }

    /**
     * A thousand clients blocked at once leave the server idle: its shard threads use a small
     * fraction of one core while they wait (a thread polling for them would use all of one).
     */
    @Test
    void thousandBlockedClientsCostNoCpu() throws Exception {
        int n = 1000;
        List<TestServer.Raw> clients = new ArrayList<>();
        try {
            for (int i = 0; i < n; i++) {
                TestServer.Raw r = server.raw();
                String key = "w" + (i % 50);
                r.send("*3\r\n$5\r\nBLPOP\r\n$" + key.length() + "\r\n" + key + "\r\n$1\r\n0\r\n");
                clients.add(r);
            }
            awaitBlocked(n);
            ThreadMXBean mx = ManagementFactory.getThreadMXBean();
            long before = shardCpu(mx);
            long wallStart = System.nanoTime();
            Thread.sleep(3000);
            long used = shardCpu(mx) - before;
            long wall = System.nanoTime() - wallStart;
            assertTrue(used < wall / 10, "shard threads used " + used / 1_000_000 + " ms of CPU in "
                    + wall / 1_000_000 + " ms with " + n + " clients blocked");
            for (int i = 0; i < 50; i++) {
                String[] args = new String[2 + n / 50];
                args[0] = "RPUSH";
                args[1] = "w" + i;
                for (int e = 2; e < args.length; e++) {
                    args[e] = "e";
                }
                c.call(args);
            }
            awaitBlocked(0);
            for (int i = 0; i < 50; i++) {
                assertEquals(0, c.num("EXISTS", "w" + i), "every element went to a waiter");
            }
        } finally {
            for (TestServer.Raw r : clients) {
                r.close();
            }
        }
    }

    private static long shardCpu(ThreadMXBean mx) {
        long total = 0;
        for (Thread t : Thread.getAllStackTraces().keySet()) {
            if (t.getName().startsWith("damselfly-shard-")) {
                long cpu = mx.getThreadCpuTime(t.threadId());
                if (cpu > 0) {
                    total += cpu;
                }
            }
        }
        return total;
    }

    /**
     * Blocking pops (on one key, and across shards) race pushes and cross-shard MSETs. A shard
     * holds a key that filled until the blocking commands on their way to it have arrived; one
     * that arrives behind a waiting push, or a transaction part the shard refuses (a later
     * transaction already started there), must still let the shard serve, or pushes onto
     * that key are never answered.
     */
    @Test
    void blockingPopsRacingPushesNeverStallAShard() throws Exception {
        java.util.concurrent.atomic.AtomicBoolean running = new java.util.concurrent.atomic.AtomicBoolean(true);
        // MSETs first (refusals), then pushes alone: other traffic on a shard would serve its
        // held keys by the way and hide a shard that stopped serving them
        java.util.concurrent.atomic.AtomicBoolean msets = new java.util.concurrent.atomic.AtomicBoolean(true);
        List<java.util.concurrent.Future<?>> work = new ArrayList<>();
        for (int k = 0; k < 8; k++) {
            String own = spread[k % 3];
            boolean single = k < 4;
            work.add(POOL.submit(() -> {
                try (Jedis q = server.jedis()) {
                    Calls x = new Calls(q);
                    while (running.get()) {
                        if (single) {
                            x.call("BLPOP", own, "0.01");
                        } else {
                            x.call("BLMPOP", "0.01", "3", spread[0], spread[1], spread[2], "LEFT");
                        }
                    }
                }
                return null;
            }));
        }
        for (int k = 0; k < 3; k++) {
            int writer = k;
            work.add(POOL.submit(() -> {
                try (Jedis q = server.jedis()) {
                    Calls x = new Calls(q);
                    for (int i = 0; running.get(); i++) {
                        if (msets.get()) {
                            x.call("MSET", "{" + spread[0] + "}m" + writer, "1", "{" + spread[1] + "}m" + writer, "2",
                                    "{" + spread[2] + "}m" + writer, "3");
                        }
                        x.call("RPUSH", spread[i % 3], "e" + i);
                    }
                }
                return null;
            }));
        }
        Thread.sleep(2000);
        msets.set(false);
        Thread.sleep(3000);
        running.set(false);
        for (java.util.concurrent.Future<?> f : work) {
            f.get(120, TimeUnit.SECONDS);
        }
        for (String key : spread) {
            c.call("DEL", key);
        }
        for (String key : spread) {
            CompletableFuture<Object> r = async("BLPOP", key, "0");
            awaitBlocked(1);
            c.call("RPUSH", key, "last");
            assertEquals(of(key, "last"), r.get(30, TimeUnit.SECONDS), "served on " + key);
        }
    }

    /**
     * A job queue: consumers wait on one key in a known order, producers on other connections
     * push concurrently. Pushes that arrive while earlier ones wait for their barrier queue
     * behind them and are served later, each covered by a barrier that started after it
     * arrived; Redis's order must hold all the same: each push goes to the first consumer in
     * line, so a producer's successive jobs reach consumers further and further down the line,
     * and once a push is answered its job is no longer in the list.
     */
    @Test
    void aJobQueueServesPushesInOrderWhileTheyQueueBehindTheBarrier() throws Exception {
        int consumers = 96;
        int producers = 4;
        String queue = spread[1];
        List<CompletableFuture<Object>> line = new ArrayList<>();
        for (int i = 0; i < consumers; i++) {
            line.add(async("BLPOP", queue, "0"));
            awaitBlocked(i + 1); // blocked in this order: served in this order
        }
        List<java.util.concurrent.Future<?>> pushers = new ArrayList<>();
        for (int p = 0; p < producers; p++) {
            int producer = p;
            pushers.add(POOL.submit(() -> {
                try (Jedis q = server.jedis()) {
                    Calls x = new Calls(q);
                    for (int i = 0; i < consumers / producers; i++) {
                        x.call("LPUSH", queue, producer + ":" + i);
                        assertEquals(0L, x.call("LLEN", queue), "a waiter took the job before the push answered");
                    }
                }
                return null;
            }));
        }
        for (java.util.concurrent.Future<?> f : pushers) {
            f.get(120, TimeUnit.SECONDS);
        }
        // each job once, and each producer's jobs in its order down the line
        java.util.Set<String> jobs = new java.util.HashSet<>();
        java.util.Map<Integer, List<Integer>> seqs = new java.util.TreeMap<>();
        for (int place = 0; place < consumers; place++) {
            String job = (String) ((List<?>) line.get(place).get(30, TimeUnit.SECONDS)).get(1);
            assertTrue(jobs.add(job), "served twice: " + job);
            seqs.computeIfAbsent(Integer.parseInt(job.substring(0, job.indexOf(':'))), k -> new ArrayList<>())
                    .add(Integer.parseInt(job.substring(job.indexOf(':') + 1)));
        }
        for (var e : seqs.entrySet()) {
            List<Integer> sorted = new ArrayList<>(e.getValue());
            java.util.Collections.sort(sorted);
            assertEquals(sorted, e.getValue(), "producer " + e.getKey() + "'s jobs down the line");
        }
        assertEquals(0L, c.call("LLEN", queue));
    }

    /**
     * Producers push unique elements onto three lists on three shards while consumers wait on
     * all three with BLPOP, BRPOP and BLMPOP: every element is received exactly once (a waiter
     * registered on several shards is served by one of them only).
     */
    @Test
    void everyPushedElementIsPoppedExactlyOnce() throws Exception {
        int producers = 3;
        int perProducer = 3000;
        int consumers = 12;
        java.util.concurrent.ConcurrentHashMap<String, Integer> seen = new java.util.concurrent.ConcurrentHashMap<>();
        java.util.concurrent.atomic.AtomicInteger received = new java.util.concurrent.atomic.AtomicInteger();
        java.util.concurrent.atomic.AtomicBoolean producing = new java.util.concurrent.atomic.AtomicBoolean(true);
        List<java.util.concurrent.Future<?>> work = new ArrayList<>();
        for (int k = 0; k < consumers; k++) {
            int kind = k % 3;
            work.add(POOL.submit(() -> {
                try (Jedis q = server.jedis()) {
                    Calls x = new Calls(q);
                    while (producing.get() || received.get() < producers * perProducer) {
                        Object r = switch (kind) {
                            case 0 -> x.call("BLPOP", spread[0], spread[1], spread[2], "0.2");
                            case 1 -> x.call("BRPOP", spread[2], spread[0], spread[1], "0.2");
                            default -> x.call("BLMPOP", "0.2", "3", spread[1], spread[2], spread[0], "LEFT", "COUNT", "3");
                        };
                        if (r == null) {
                            continue;
                        }
                        List<?> pair = (List<?>) r;
                        List<?> elements = pair.get(1) instanceof List<?> l ? l : List.of(pair.get(1));
                        for (Object e : elements) {
                            Integer before = seen.put((String) e, 1);
                            assertNull(before, "popped twice: " + e);
                            received.incrementAndGet();
                        }
                    }
                }
                return null;
            }));
        }
        List<java.util.concurrent.Future<?>> pushers = new ArrayList<>();
        for (int p = 0; p < producers; p++) {
            int producer = p;
            pushers.add(POOL.submit(() -> {
                try (Jedis q = server.jedis()) {
                    java.util.SplittableRandom rnd = new java.util.SplittableRandom(producer);
                    for (int i = 0; i < perProducer; i++) {
                        String key = spread[rnd.nextInt(spread.length)];
                        if (rnd.nextBoolean()) {
                            q.lpush(key, producer + ":" + i);
                        } else {
                            q.rpush(key, producer + ":" + i);
                        }
                    }
                }
                return null;
            }));
        }
        for (java.util.concurrent.Future<?> f : pushers) {
            f.get(120, TimeUnit.SECONDS);
        }
        producing.set(false);
        for (java.util.concurrent.Future<?> f : work) {
            f.get(120, TimeUnit.SECONDS);
        }
        assertEquals(producers * perProducer, seen.size());
        for (String key : spread) {
            assertEquals(0, c.num("EXISTS", key), "nothing left behind in " + key);
        }
    }
}
