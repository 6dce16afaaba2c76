package io.damselfly.server;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.Jedis;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

import static io.damselfly.server.Calls.of;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** MULTI/EXEC/DISCARD/WATCH: Redis's error semantics, and isolation across shards under load. */
class TransactionTest extends ServerTestBase {
    /** Four shards, so that a transaction can span four (hides the base class's start). */
    @BeforeAll
    static void startServer() throws IOException {
        server = new TestServer("--threads", "4");
        spread = AtomicityTest.keysOnDistinctShards(server.server, 4);
    }

    @Test
    void queuedCommandsRunTogether() {
        assertEquals("OK", c.str("MULTI"));
        assertEquals("QUEUED", c.str("SET", spread[0], "1"));
        assertEquals("QUEUED", c.str("INCR", spread[1]));
        assertEquals("QUEUED", c.str("MGET", spread[0], spread[1]));
        assertEquals(of("OK", 1L, of("1", "1")), c.list("EXEC"));
        c.call("MULTI");
        c.call("SET", "x", "1");
        assertEquals("OK", c.str("DISCARD"));
        assertEquals(0, c.num("EXISTS", "x"));
        c.error("ERR EXEC without MULTI", "EXEC");
        c.error("ERR DISCARD without MULTI", "DISCARD");
        c.call("MULTI");
        c.error("ERR MULTI calls can not be nested", "MULTI");
        assertEquals(of(), c.list("EXEC"));
    }

    @Test
    void queuedErrorsAbortRuntimeErrorsDoNot() {
        c.call("MULTI");
        c.call("SET", "a", "1");
        c.error("ERR unknown command 'NOSUCH', with args beginning with: 'x' ", "NOSUCH", "x");
        c.error("ERR wrong number of arguments for 'get' command", "GET");
        c.error("EXECABORT Transaction discarded because of previous errors.", "EXEC");
        assertEquals(0, c.num("EXISTS", "a"), "nothing of an aborted transaction ran");
        c.call("SET", "s", "text");
        c.call("MULTI");
        c.call("INCR", "s");
        c.call("SET", spread[2], "after");
        c.call("LPUSH", "s", "x");
        List<Object> r = c.list("EXEC");
        assertEquals(3, r.size());
        assertTrue(r.get(0) instanceof redis.clients.jedis.exceptions.JedisDataException);
        assertEquals("ERR value is not an integer or out of range",
                ((Exception) r.get(0)).getMessage());
        assertEquals("OK", r.get(1));
        assertEquals("WRONGTYPE Operation against a key holding the wrong kind of value",
                ((Exception) r.get(2)).getMessage());
        assertEquals("after", c.str("GET", spread[2]), "the rest still ran");
        c.call("WATCH", "a");
        c.call("MULTI");
        c.error("ERR WATCH inside MULTI is not allowed", "WATCH", "b");
        c.call("DISCARD");
    }

    private void touchedAbortsExec(String watched, Runnable touch) {
        c.call("WATCH", watched);
        touch.run();
        c.call("MULTI");
        c.call("SET", spread[3], "ran");
        assertNull(c.call("EXEC"), "EXEC after " + watched + " was touched");
        assertEquals(0, c.num("EXISTS", spread[3]));
    }

    @Test
    void watchAbortsWhenAWatchedKeyChanges() {
        try (Jedis other = server.jedis()) {
            Calls o = new Calls(other);
            c.call("SET", spread[0], "1");
            touchedAbortsExec(spread[0], () -> o.call("SET", spread[0], "2"));
            touchedAbortsExec(spread[1], () -> o.call("SET", spread[1], "created"));
            touchedAbortsExec(spread[1], () -> o.call("DEL", spread[1]));
            touchedAbortsExec(spread[0], () -> o.call("FLUSHDB"));
            c.call("SET", spread[0], "1");
            touchedAbortsExec(spread[0], () -> o.call("SWAPDB", "0", "1"));
            o.call("SWAPDB", "0", "1");
            touchedAbortsExec(spread[0], () -> {
                o.call("MULTI");
                o.call("INCR", spread[0]);
                o.call("SET", spread[2], "x");
                o.call("EXEC");
            });
            // several watched keys on different shards: touching any one aborts
            c.call("WATCH", spread[0], spread[1], spread[2]);
            o.call("APPEND", spread[2], "x");
            c.call("MULTI");
            c.call("PING");
            assertNull(c.call("EXEC"));
            // untouched, or touched before WATCH, or unwatched: EXEC runs
            c.call("WATCH", spread[0]);
            c.call("MULTI");
            c.call("PING");
            assertEquals(of("PONG"), c.list("EXEC"));
            c.call("WATCH", spread[0]);
            o.call("SET", spread[0], "3");
            c.call("UNWATCH");
            c.call("MULTI");
            c.call("PING");
            assertEquals(of("PONG"), c.list("EXEC"));
            // reads do not count as touches
            c.call("WATCH", spread[0]);
            o.call("GET", spread[0]);
            c.call("MULTI");
            c.call("PING");
            assertEquals(of("PONG"), c.list("EXEC"));
        }
    }

    @Test
    void watchAbortsWhenAWatchedKeyExpires() throws Exception {
        c.call("SET", "soon", "v", "PX", "300");
        c.call("WATCH", "soon");
        Thread.sleep(600); // the deadline passes; nothing reads the key meanwhile
        c.call("MULTI");
        c.call("PING");
        assertNull(c.call("EXEC"), "a watched key that expired aborts EXEC");
    }

    /**
     * Concurrent clients move amounts between accounts on four shards inside MULTI/EXEC, and
     * with WATCH; readers take the whole picture in one transaction. No reader ever sees a
     * total other than the starting one.
     */
    @Test
    void transfersAcrossShardsNeverChangeTheTotal() throws Exception {
        long start = 1000;
        for (String k : spread) {
            c.call("SET", k, String.valueOf(start));
        }
        long total = start * spread.length;
        AtomicBoolean stop = new AtomicBoolean();
        AtomicLong reads = new AtomicLong();
        AtomicLong transfers = new AtomicLong();
        ExecutorService pool = Executors.newFixedThreadPool(8);
        List<Future<?>> work = new ArrayList<>();
        for (int w = 0; w < 3; w++) {
            work.add(pool.submit(() -> {
                try (Jedis t = server.jedis()) {
                    Calls x = new Calls(t);
                    ThreadLocalRandom rnd = ThreadLocalRandom.current();
                    while (!stop.get()) {
                        int from = rnd.nextInt(spread.length);
                        int to = (from + 1 + rnd.nextInt(spread.length - 1)) % spread.length;
                        String amount = String.valueOf(rnd.nextInt(1, 50));
                        x.call("MULTI");
                        x.call("DECRBY", spread[from], amount);
                        x.call("INCRBY", spread[to], amount);
                        x.call("EXEC");
                        transfers.incrementAndGet();
                    }
                }
                return null;
            }));
        }
        work.add(pool.submit(() -> {
            try (Jedis t = server.jedis()) {
                Calls x = new Calls(t);
                ThreadLocalRandom rnd = ThreadLocalRandom.current();
                while (!stop.get()) {
                    String from = spread[rnd.nextInt(spread.length)];
                    String to = spread[(java.util.Arrays.asList(spread).indexOf(from) + 1) % spread.length];
                    x.call("WATCH", from, to);
                    long a = Long.parseLong(x.str("GET", from));
                    long b = Long.parseLong(x.str("GET", to));
                    x.call("MULTI");
                    x.call("SET", from, String.valueOf(a - 7));
                    x.call("SET", to, String.valueOf(b + 7));
                    if (x.call("EXEC") != null) {
                        transfers.incrementAndGet();
                    }
                }
            }
            return null;
        }));
        for (int r = 0; r < 2; r++) {
            work.add(pool.submit(() -> {
                try (Jedis t = server.jedis()) {
                    Calls x = new Calls(t);
                    while (!stop.get()) {
                        x.call("MULTI");
                        for (String k : spread) {
                            x.call("GET", k);
                        }
                        List<Object> got = x.list("EXEC");
                        long sum = 0;
                        for (Object v : got) {
                            sum += Long.parseLong((String) v);
                        }
                        assertEquals(total, sum, "a transaction saw a changed total: " + got);
                        List<Object> m = x.list("MGET", spread[0], spread[1], spread[2], spread[3]);
                        long sum2 = 0;
                        for (Object v : m) {
                            sum2 += Long.parseLong((String) v);
                        }
                        assertEquals(total, sum2, "MGET saw a changed total: " + m);
                        reads.incrementAndGet();
                    }
                }
                return null;
            }));
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(4);
        while (System.nanoTime() < deadline && work.stream().noneMatch(Future::isDone)) {
            Thread.sleep(50);
        }
        stop.set(true);
        for (Future<?> f : work) {
            f.get(60, TimeUnit.SECONDS);
        }
        pool.shutdown();
        long sum = 0;
        for (Object v : c.list("MGET", spread[0], spread[1], spread[2], spread[3])) {
            sum += Long.parseLong((String) v);
        }
        assertEquals(total, sum);
        assertTrue(transfers.get() > 100 && reads.get() > 100,
                "the stress ran: " + transfers.get() + " transfers, " + reads.get() + " reads");
    }
}
