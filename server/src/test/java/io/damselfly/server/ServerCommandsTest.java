package io.damselfly.server;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.JedisClientConfig;
import redis.clients.jedis.DefaultJedisClientConfig;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.Protocol;
import redis.clients.jedis.RedisProtocol;
import redis.clients.jedis.exceptions.JedisDataException;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ServerCommandsTest {
    static TestServer server;

    @BeforeAll
    static void start() throws IOException {
        server = new TestServer();
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    @Test
    void infoSections() {
        try (Jedis j = server.jedis()) {
            j.set("x", "1");
            j.get("x");
            String info = j.info();
            for (String field : new String[] {"redis_version:7.0", "arch_bits:64", "run_id:", "tcp_port:" + server.port(),
                    "used_memory:", "connected_clients:", "expired_keys:", "instantaneous_ops_per_sec:",
                    "damselfly_version:", "# Persistence", "rdb_changes_since_last_save:", "role:master",
                    "used_cpu_user:", "db0:keys=", "keyspace_hits:"}) {
                assertTrue(info.contains(field), "INFO lacks " + field);
            }
            assertFalse(info.contains("rejected_calls"));
            assertTrue(j.info("all").contains("cmdstat_set:calls="));
            assertTrue(j.info("commandstats").contains("rejected_calls"));
            String cpu = j.info("cpu");
            assertTrue(cpu.contains("used_cpu_user") && !cpu.contains("used_memory"));
            assertTrue(j.info("everything").contains("# Modules"));
        }
    }

    @Test
    void configGetSetRewriteResetstat() throws IOException {
        try (Jedis j = server.jedis()) {
            Map<String, String> maxmem = j.configGet("maxmemory");
            assertEquals("0", maxmem.get("maxmemory"));
            Map<String, String> lazy = j.configGet("lazyfree-*");
            assertTrue(lazy.size() >= 4);
            assertEquals("OK", j.configSet("hz", "20", "maxmemory-policy", "allkeys-lru"));
            assertEquals("20", j.configGet("hz").get("hz"));
            JedisDataException bad = assertThrows(JedisDataException.class, () -> j.configSet("hz", "x"));
            assertEquals("ERR CONFIG SET failed (possibly related to argument 'hz') - argument couldn't be parsed into an integer",
                    bad.getMessage());
            bad = assertThrows(JedisDataException.class, () -> j.configSet("nosuchthing", "1"));
            assertEquals("ERR Unknown option or number of arguments for CONFIG SET - 'nosuchthing'", bad.getMessage());
            bad = assertThrows(JedisDataException.class, () -> j.configSet("port", "1"));
            assertTrue(bad.getMessage().contains("can't set immutable config"));
            bad = assertThrows(JedisDataException.class, () -> j.configSet("hz", "30", "maxmemory-policy", "bogus"));
            assertEquals("20", j.configGet("hz").get("hz"), "a failed CONFIG SET changes nothing");
            j.configSet("hz", "10", "maxmemory-policy", "noeviction");
            bad = assertThrows(JedisDataException.class, j::configRewrite);
            assertEquals("ERR The server is running without a config file", bad.getMessage());
            j.get("x");
            assertEquals("OK", j.configResetStat());
            TestServer.await("stats reset", Duration.ofSeconds(10), () -> !j.info("commandstats").contains("cmdstat_get"));
        }
        Path dir = Files.createTempDirectory("damselfly-conf");
        Path conf = dir.resolve("damselfly.conf");
        Files.writeString(conf, "# a comment that must survive\nport 0\nhz 10\nsave \"\"\n");
        try (Damselfly s = Damselfly.start(conf.toString(), "--threads", "2"); Jedis j = new Jedis("127.0.0.1", s.port())) {
            j.configSet("hz", "33", "maxmemory", "100mb");
            assertEquals("OK", j.configRewrite());
            String text = Files.readString(conf);
            assertTrue(text.contains("# a comment that must survive"), text);
            assertTrue(text.contains("hz 33"), text);
            assertTrue(text.contains("maxmemory 104857600"), text);
            assertEquals(conf.toAbsolutePath().toString(), j.configGet("*").isEmpty() ? "" : s.settings().configFile().toString());
        }
    }

    @Test
    void clientCommands() throws Exception {
        try (Jedis a = server.jedis(); Jedis b = server.jedis()) {
            assertEquals("OK", a.clientSetname("alpha"));
            assertEquals("alpha", a.clientGetname());
            long id = a.clientId();
            assertTrue(id > 0);
            String list = b.clientList();
            assertTrue(list.contains("name=alpha"), list);
            assertTrue(list.contains("id=" + id + " "), list);
            String info = a.clientInfo();
            assertTrue(info.startsWith("id=" + id + " addr="), info);
            // the caller's query buffer holds its own command while it runs, as in Redis: *2 $6 client $4 info
            assertTrue(info.contains(" qbuf=26 "), info);
            assertTrue(list.matches("(?s).* qbuf=26 .*cmd=client\\|list .*"), list);
            JedisDataException bad = assertThrows(JedisDataException.class, () -> a.clientSetname("bad name"));
            assertEquals("ERR Client names cannot contain spaces, newlines or special characters.", bad.getMessage());
            assertEquals(1, b.clientKill(new redis.clients.jedis.params.ClientKillParams().id(Long.toString(id))));
            assertThrows(Exception.class, a::ping, "the killed client is disconnected");
            bad = assertThrows(JedisDataException.class, () -> b.clientKill("1.2.3.4:5"));
            assertEquals("ERR No such client", bad.getMessage());
        }
    }

    @Test
    void helloResp3AndReset() {
        JedisClientConfig cfg = DefaultJedisClientConfig.builder().protocol(RedisProtocol.RESP3).build();
        try (Jedis j = new Jedis(new HostAndPort("127.0.0.1", server.port()), cfg)) {
            j.set("r3", "v");
            assertEquals("v", j.get("r3"));
            Map<String, String> cfgs = j.configGet("hz");
            assertEquals("10", cfgs.get("hz"));
            Object hello = j.sendCommand(Protocol.Command.HELLO, "3");
            assertNotNull(hello);
        }
        try (TestServer.Raw r = server.raw()) {
            r.send("HELLO 3\r\n");
            assertEquals("%7", r.line());
            r.send("PING\r\n");
            while (!r.line().equals("+PONG")) {
                // skip the rest of HELLO's map
            }
            r.send("GET nosuchkey\r\n");
            assertEquals("_", r.line(), "RESP3 null");
            r.send("HELLO 4\r\n");
            assertEquals("-NOPROTO unsupported protocol version", r.line());
            r.send("RESET\r\n");
            assertEquals("+RESET", r.line());
            r.send("GET nosuchkey\r\n");
            assertEquals("$-1", r.line());
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void commandIntrospection() {
        try (Jedis j = server.jedis()) {
            long count = j.commandCount();
            assertTrue(count > 60, "only " + count + " commands");
            List<Object> info = (List<Object>) j.sendCommand(Protocol.Command.COMMAND, "INFO", "get", "nosuchcmd");
            assertEquals(2, info.size());
            List<Object> get = (List<Object>) info.get(0);
            assertEquals("get", new String((byte[]) get.get(0)));
            assertEquals(2L, get.get(1));
            assertEquals(1L, get.get(3));
            assertEquals(null, info.get(1));
            assertEquals(List.of("a", "c"), j.commandGetKeys("MSET", "a", "b", "c", "d"));
            assertTrue(j.commandList().contains("client|list"));
            assertTrue(j.commandDocs("get").get("get").getSummary().length() > 5);
            JedisDataException bad = assertThrows(JedisDataException.class, () -> j.commandGetKeys("PING"));
            assertEquals("ERR The command has no key arguments", bad.getMessage());
        }
    }

    @Test
    void timeLastsaveEchoPingSelect() {
        try (Jedis j = server.jedis()) {
            List<String> t = j.time();
            long secs = Long.parseLong(t.get(0));
            assertTrue(Math.abs(secs - System.currentTimeMillis() / 1000) < 5);
            assertTrue(Long.parseLong(t.get(1)) < 1_000_000);
            assertTrue(j.lastsave() > 0);
            assertEquals("hi", j.echo("hi"));
            assertEquals("PONG", j.ping());
            assertEquals("yo", j.ping("yo"));
        }
    }

    @Test
    void monitorSeesCommandsOfEveryThread() throws Exception {
        try (TestServer.Raw mon = server.raw(); Jedis j = server.jedis()) {
            mon.send("MONITOR\r\n");
            assertEquals("+OK", mon.line());
            for (int i = 0; i < 10; i++) {
                j.set("mon" + i, "v" + i);
            }
            int seen = 0;
            while (seen < 10) {
                String line = mon.line();
                if (line.contains("\"SET\" \"mon")) {
                    assertTrue(line.matches("\\+\\d+\\.\\d{6} \\[0 127\\.0\\.0\\.1:\\d+\\] \"SET\" \"mon\\d\" \"v\\d\""), line);
                    seen++;
                }
            }
        }
    }

    /**
     * A transaction's commands reach monitors when EXEC runs them, before EXEC's own line, and
     * not when queued; an aborted EXEC shows alone (Redis 7.0's order).
     */
    @Test
    void monitorSeesATransactionAsItRuns() throws Exception {
        try (TestServer.Raw mon = server.raw(); Jedis j = server.jedis(); Jedis other = server.jedis()) {
            mon.send("MONITOR\r\n");
            assertEquals("+OK", mon.line());
            redis.clients.jedis.Transaction t = j.multi();
            t.set("mon-tx-a", "1");
            t.incr("mon-tx-b");
            t.exec();
            j.set("mon-tx-after", "1");
            j.watch("mon-tx-watched");
            other.set("mon-tx-watched", "changed");
            t = j.multi();
            t.set("mon-tx-not-run", "1");
            assertEquals(null, t.exec());
            j.set("mon-tx-end", "1");
            List<String> lines = new java.util.ArrayList<>();
            while (lines.isEmpty() || !lines.get(lines.size() - 1).contains("mon-tx-end")) {
                String line = mon.line();
                lines.add(line.replaceAll("^\\+[0-9.]+ \\[0 [^]]*\\] ", ""));
            }
            assertEquals(List.of("\"MULTI\"", "\"SET\" \"mon-tx-a\" \"1\"", "\"INCR\" \"mon-tx-b\"", "\"EXEC\"",
                    "\"SET\" \"mon-tx-after\" \"1\"", "\"WATCH\" \"mon-tx-watched\"", "\"SET\" \"mon-tx-watched\" \"changed\"",
                    "\"MULTI\"", "\"EXEC\"", "\"UNWATCH\"", "\"SET\" \"mon-tx-end\" \"1\""), lines); // Jedis unwatches after a null EXEC
        }
    }

    @Test
    void debugIsRefusedUnlessEnabled() {
        try (Jedis j = server.jedis()) {
            JedisDataException e = assertThrows(JedisDataException.class, () -> j.sendCommand(TestServer.cmd("DEBUG"), "SLEEP", "0"));
            assertTrue(e.getMessage().startsWith("ERR DEBUG command not allowed."));
        }
        try (TestServer debug = new TestServer("--enable-debug-command", "yes"); Jedis j = debug.jedis()) {
            long t0 = System.nanoTime();
            assertEquals("OK", new String((byte[]) j.sendCommand(TestServer.cmd("DEBUG"), "SLEEP", "0.2")));
            assertTrue(System.nanoTime() - t0 >= 150_000_000L);
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void shutdownStopsTheServer() throws IOException {
        TestServer s = new TestServer();
        try (Jedis j = s.jedis()) {
            try {
                j.shutdown();
            } catch (Exception expected) {
                // the connection closes without a reply
            }
        }
        s.server.awaitTermination();
        assertEquals(0, s.server.exitCode());
        assertThrows(Exception.class, () -> new Jedis("127.0.0.1", s.port(), 2000).ping());
    }
}
