package io.damselfly.server;

import org.junit.jupiter.api.Test;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.Protocol;
import redis.clients.jedis.Transaction;
import redis.clients.jedis.args.ClientPauseMode;
import redis.clients.jedis.exceptions.JedisDataException;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * CLIENT PAUSE and CLIENT UNPAUSE with Redis 7.0's semantics: what each mode holds, that held
 * commands run in order once the pause ends (by UNPAUSE or by its timeout), that a held client
 * counts as blocked, and that keys past their deadline are kept, though no reader sees them,
 * until the pause ends. Clients sit on both proactors (two shards).
 */
class PauseTest {
    /** A thread per held call (the common pool has one thread on a 2-core machine). */
    private static final Executor THREADS = command -> Thread.ofPlatform().daemon().start(command);

    private static long stat(Jedis j, String name) {
        for (String line : j.info().split("\r\n")) {
            if (line.startsWith(name + ":")) {
                return Long.parseLong(line.substring(name.length() + 1).trim());
            }
        }
        throw new AssertionError("no " + name + " in INFO");
    }

    @Test
    void aWritePauseHoldsWritesAndPublishButNotReads() throws Exception {
        try (TestServer ts = new TestServer("--threads", "2"); Jedis admin = ts.jedis();
             Jedis writer = ts.jedis(); Jedis publisher = ts.jedis(); Jedis reader = ts.jedis()) {
            admin.set("k", "before");
            assertEquals("OK", admin.clientPause(600_000, ClientPauseMode.WRITE));
            CompletableFuture<String> set = CompletableFuture.supplyAsync(() -> writer.set("k", "after"), THREADS);
            CompletableFuture<Long> publish = CompletableFuture.supplyAsync(() -> publisher.publish("ch", "m"), THREADS);
            TestServer.await("two held clients", Duration.ofSeconds(60), () -> stat(admin, "blocked_clients") == 2);
            assertEquals("before", reader.get("k"));
            assertEquals("PONG", reader.ping());
            Transaction t = reader.multi(); // reads only: its EXEC is not held
            t.get("k");
            assertEquals(List.of("before"), t.exec());
            assertFalse(set.isDone());
            assertEquals("OK", admin.clientUnpause());
            assertEquals("OK", set.get(60, TimeUnit.SECONDS));
            assertEquals(0L, publish.get(60, TimeUnit.SECONDS));
            assertEquals("after", reader.get("k"));
            TestServer.await("no held client", Duration.ofSeconds(60), () -> stat(admin, "blocked_clients") == 0);
        }
    }

    @Test
    void anExecThatWritesIsHeldAndAPauseInsideATransactionStartsAfterIt() throws Exception {
        try (TestServer ts = new TestServer("--threads", "2"); Jedis admin = ts.jedis(); Jedis c = ts.jedis()) {
            Transaction t = c.multi();
            t.set("queued{t}", "1");
            admin.clientPause(600_000, ClientPauseMode.WRITE);
            CompletableFuture<List<Object>> exec = CompletableFuture.supplyAsync(t::exec, THREADS);
            TestServer.await("the EXEC to be held", Duration.ofSeconds(60), () -> stat(admin, "blocked_clients") == 1);
            assertNull(admin.get("queued{t}"));
            admin.clientUnpause();
            assertEquals(List.of("OK"), exec.get(60, TimeUnit.SECONDS));

            // the pause a transaction sets holds nothing of that transaction
            Transaction own = admin.multi();
            own.set("first{t}", "1");
            own.sendCommand(Protocol.Command.CLIENT, "PAUSE", "600000", "WRITE");
            own.set("second{t}", "2");
            List<Object> replies = own.exec();
            assertEquals("OK", replies.get(0));
            assertEquals("OK", new String((byte[]) replies.get(1)));
            assertEquals("OK", replies.get(2));
            CompletableFuture<String> third = CompletableFuture.supplyAsync(() -> c.set("third{t}", "3"), THREADS);
            TestServer.await("the next write to be held", Duration.ofSeconds(60), () -> stat(admin, "blocked_clients") == 1);
            assertEquals("2", admin.get("second{t}"));
            assertNull(admin.get("third{t}"));
            admin.clientUnpause();
            assertEquals("OK", third.get(60, TimeUnit.SECONDS));
        }
    }

    @Test
    void aPauseOfEveryCommandEndsByItself() throws Exception {
        try (TestServer ts = new TestServer("--threads", "2"); Jedis admin = ts.jedis(); Jedis c = ts.jedis()) {
            long t0 = System.currentTimeMillis();
            assertEquals("OK", admin.clientPause(1500)); // ALL when no mode is given
            assertEquals("PONG", c.ping()); // held until the timeout: nobody unpauses
            assertTrue(System.currentTimeMillis() - t0 >= 1500, "answered while paused");
            assertEquals(0L, stat(admin, "blocked_clients"));
        }
    }

    @Test
    void aHeldClientThatLeavesIsNoLongerCounted() throws Exception {
        try (TestServer ts = new TestServer("--threads", "2"); Jedis admin = ts.jedis()) {
            admin.clientPause(600_000, ClientPauseMode.WRITE);
            Jedis leaver = ts.jedis();
            CompletableFuture.runAsync(() -> {
                try {
                    leaver.set("k", "v");
                } catch (RuntimeException e) {
                    // closed under it
                }
            }, THREADS);
            TestServer.await("the write to be held", Duration.ofSeconds(60), () -> stat(admin, "blocked_clients") == 1);
            leaver.close();
            TestServer.await("the held client to leave", Duration.ofSeconds(60), () -> stat(admin, "blocked_clients") == 0);
            admin.clientUnpause();
            assertNull(admin.get("k"));
        }
    }

    @Test
    void keysPastTheirDeadlineAreKeptButUnseenWhilePaused() throws Exception {
        try (TestServer ts = new TestServer("--threads", "2"); Jedis j = ts.jedis()) {
            long expired = stat(j, "expired_keys");
            Transaction t = j.multi();
            t.psetex("a{t}", 100, "1");
            t.psetex("b{t}", 100, "2");
            t.sendCommand(Protocol.Command.CLIENT, "PAUSE", "600000", "WRITE");
            t.exec();
            TestServer.await("the keys to be past their deadline", Duration.ofSeconds(60),
                    () -> j.get("a{t}") == null && j.get("b{t}") == null);
            assertEquals(-2, j.ttl("a{t}"));
            assertFalse(j.exists("b{t}"));
            assertEquals(0, j.keys("*").size());
            assertEquals(2, j.dbSize()); // still stored: nothing is deleted during a pause
            assertEquals(expired, stat(j, "expired_keys"));
            j.clientUnpause();
            assertNull(j.get("a{t}"));
            assertNull(j.get("b{t}"));
            assertEquals(expired + 2, stat(j, "expired_keys"));
        }
    }

    @Test
    void badArgumentsGetRedisErrors() throws Exception {
        try (TestServer ts = new TestServer(); Jedis j = ts.jedis()) {
            assertEquals("ERR CLIENT PAUSE mode must be WRITE or ALL",
                    assertThrows(JedisDataException.class, () -> j.sendCommand(Protocol.Command.CLIENT, "PAUSE", "10", "READ")).getMessage());
            assertEquals("ERR timeout is not an integer or out of range",
                    assertThrows(JedisDataException.class, () -> j.sendCommand(Protocol.Command.CLIENT, "PAUSE", "soon")).getMessage());
            assertEquals("ERR timeout is negative",
                    assertThrows(JedisDataException.class, () -> j.sendCommand(Protocol.Command.CLIENT, "PAUSE", "-1")).getMessage());
            assertEquals("OK", j.clientPause(0)); // a pause that has ended at once
            assertEquals("OK", j.set("k", "v"));
        }
    }
}
