package io.damselfly.server;

import org.junit.jupiter.api.Test;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.Protocol;
import redis.clients.jedis.Transaction;
import redis.clients.jedis.exceptions.JedisDataException;
import redis.clients.jedis.resps.Slowlog;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * SLOWLOG with Redis 7.0's replies: what is logged (at or over slowlog-log-slower-than, a command
 * inside EXEC but not EXEC, a command over two shards), how entries are kept (newest first,
 * slowlog-max-len, 32 arguments of 128 bytes at most, secrets redacted), and the errors.
 */
class SlowLogTest {
    private static final redis.clients.jedis.commands.ProtocolCommand DEBUG =
            () -> "DEBUG".getBytes(java.nio.charset.StandardCharsets.US_ASCII);

    private static TestServer server() throws Exception {
        return new TestServer("--threads", "2", "--enable-debug-command", "yes");
    }

    @Test
    void logsCommandsOverTheThresholdWithTheirClient() throws Exception {
        try (TestServer ts = server(); Jedis j = ts.jedis()) {
            j.configSet("slowlog-log-slower-than", "100000");
            j.clientSetname("sleeper");
            j.ping();
            assertEquals(0, j.slowlogLen());
            j.sendCommand(DEBUG, "SLEEP", "0.2");
            assertEquals(1, j.slowlogLen());
            Slowlog e = j.slowlogGet().get(0);
            assertTrue(e.getExecutionTime() >= 200_000, "took " + e.getExecutionTime());
            assertEquals(List.of("DEBUG", "SLEEP", "0.2"), e.getArgs());
            assertEquals("sleeper", e.getClientName());
            assertEquals("127.0.0.1", e.getClientIpPort().getHost());
            long now = System.currentTimeMillis() / 1000;
            assertTrue(Math.abs(now - e.getTimeStamp()) <= 60);

            // inside EXEC: the command is logged, EXEC is not
            j.slowlogReset();
            Transaction t = j.multi();
            t.sendCommand(DEBUG, "SLEEP", "0.2");
            t.exec();
            assertEquals(1, j.slowlogLen());
            assertEquals(List.of("DEBUG", "SLEEP", "0.2"), j.slowlogGet().get(0).getArgs());

            j.configSet("slowlog-log-slower-than", "-1");
            j.slowlogReset();
            j.sendCommand(DEBUG, "SLEEP", "0.2");
            assertEquals(0, j.slowlogLen());
        }
    }

    @Test
    void keepsTheNewestUpToItsLengthWithIncreasingIds() throws Exception {
        try (TestServer ts = server(); Jedis j = ts.jedis()) {
            j.configSet("slowlog-log-slower-than", "0");
            j.configSet("slowlog-max-len", "10");
            for (int i = 0; i < 100; i++) {
                j.set("k" + i, "v"); // keys on both shards
            }
            assertEquals(10, j.slowlogLen());
            List<Slowlog> five = j.slowlogGet(5);
            assertEquals(5, five.size());
            for (int i = 1; i < five.size(); i++) {
                assertTrue(five.get(i - 1).getId() > five.get(i).getId(), "newest first");
            }
            assertEquals(0, j.slowlogGet(0).size());
            assertEquals(10, j.slowlogGet(-1).size());
            j.mget("a", "b", "c", "d"); // over both shards: logged once, from its start to its reply
            List<String> args = j.slowlogGet(1).get(0).getArgs();
            assertEquals(List.of("MGET", "a", "b", "c", "d"), args);
        }
    }

    @Test
    void trimsLongCommandsAndRedactsSecrets() throws Exception {
        try (TestServer ts = server(); Jedis j = ts.jedis()) {
            j.configSet("slowlog-log-slower-than", "0");
            List<String> members = new ArrayList<>();
            for (int i = 3; i <= 33; i++) {
                members.add(Integer.toString(i));
            }
            j.sadd("set", members.toArray(new String[0]));
            List<String> logged = j.slowlogGet(1).get(0).getArgs(); // SLOWLOG GET is logged after it ran
            assertEquals(32, logged.size());
            assertEquals("... (2 more arguments)", logged.get(31));
            assertEquals("31", logged.get(30));

            j.sadd("set", "foo", "A".repeat(129));
            logged = j.slowlogGet(1).get(0).getArgs();
            assertEquals("A".repeat(128) + "... (1 more bytes)", logged.get(3));

            j.slowlogReset();
            assertThrows(JedisDataException.class, () -> j.auth("secret"));
            j.configSet("masterauth", "hidden");
            try {
                j.sendCommand(Protocol.Command.HELLO, "2", "AUTH", "default", "pw", "SETNAME", "n");
            } catch (JedisDataException e) {
                // refused or not: logged either way
            }
            List<Slowlog> all = j.slowlogGet(-1);
            assertEquals(List.of("HELLO", "2", "AUTH", "(redacted)", "(redacted)", "SETNAME", "n"), all.get(0).getArgs());
            assertEquals(List.of("config", "set", "masterauth", "(redacted)"), lower(all.get(1).getArgs()));
            assertEquals(List.of("auth", "(redacted)"), lower(all.get(2).getArgs()));
        }
    }

    @Test
    void aBadCountGetsRedisError() throws Exception {
        try (TestServer ts = server(); Jedis j = ts.jedis()) {
            for (String bad : List.of("-2", "-222", "x")) {
                JedisDataException e = assertThrows(JedisDataException.class,
                        () -> j.sendCommand(Protocol.Command.SLOWLOG, "GET", bad));
                assertEquals("ERR count should be greater than or equal to -1", e.getMessage());
            }
        }
    }

    private static List<String> lower(List<String> args) {
        List<String> out = new ArrayList<>();
        for (int i = 0; i < args.size(); i++) {
            out.add(i < 2 ? args.get(i).toLowerCase(java.util.Locale.ROOT) : args.get(i));
        }
        return out;
    }
}
