package io.damselfly.server;

import org.junit.jupiter.api.Test;
import redis.clients.jedis.Jedis;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A real redis-sentinel watching a Damselfly master (a separate process, killed with SIGKILL)
 * and two Damselfly replicas: it finds the replicas through INFO, promotes one with its
 * MULTI/SLAVEOF NO ONE/CONFIG REWRITE/CLIENT KILL/EXEC transaction, repoints the other, which
 * resumes by partial sync, and every write WAIT acknowledged before the kill is on the new master.
 */
class SentinelTest {
    private static final Duration LONG = Duration.ofSeconds(120);

    @Test
    void sentinelFailsTheGroupOverWhenTheMasterIsKilled() throws Exception {
        int masterPort = LauncherTest.freePort();
        Path dir = Files.createTempDirectory("damselfly-sentinel");
        Process master = LauncherTest.launch(dir.resolve("master.log"), "--port", Integer.toString(masterPort),
                "--bind", "127.0.0.1", "--dir", dir.toString(), "--save", "", "--threads", "2");
        Process sentinel = null;
        try (TestServer r1 = new TestServer("--threads", "2", "--replicaof", "127.0.0.1", Integer.toString(masterPort));
             TestServer r2 = new TestServer("--threads", "2", "--replicaof", "127.0.0.1", Integer.toString(masterPort))) {
            LauncherTest.awaitPing(masterPort);
            List<String> acknowledged = new ArrayList<>();
            try (Jedis m = new Jedis("127.0.0.1", masterPort, 30_000)) {
                TestServer.await("both replicas online", LONG, () -> ReplicationTest.field(m, "connected_slaves") == 2
                        && m.info("replication").split("state=online").length == 3);

                int sentinelPort = LauncherTest.freePort();
                Path conf = dir.resolve("sentinel.conf");
                Files.writeString(conf, "port " + sentinelPort + "\n"
                        + "bind 127.0.0.1\n"
                        + "dir " + dir + "\n"
                        + "sentinel monitor mymaster 127.0.0.1 " + masterPort + " 1\n"
                        + "sentinel down-after-milliseconds mymaster 2000\n"
                        + "sentinel failover-timeout mymaster 60000\n");
                sentinel = new ProcessBuilder("redis-sentinel", conf.toString()).redirectErrorStream(true)
                        .redirectOutput(dir.resolve("sentinel.log").toFile()).start();
                LauncherTest.awaitPing(sentinelPort);
                try (Jedis s = new Jedis("127.0.0.1", sentinelPort, 30_000)) {
                    TestServer.await("sentinel to discover both replicas", LONG, () -> {
                        try {
                            return s.sentinelReplicas("mymaster").size() == 2;
                        } catch (Exception e) {
                            return false;
                        }
                    });
                }
                for (int i = 0; i < 2000; i++) {
                    String key = "acked:" + i;
                    m.set(key, Integer.toString(i));
                    if (i % 100 == 99) {
                        assertTrue(m.waitReplicas(1, 30_000) >= 1);
                        for (int k = i - 99; k <= i; k++) {
                            acknowledged.add("acked:" + k);
                        }
                    }
                }
            }
            master.destroyForcibly();
            assertTrue(master.waitFor(30, TimeUnit.SECONDS));

            int newMasterPort;
            try (Jedis s = new Jedis("127.0.0.1", sentinelPort(dir), 30_000)) {
                TestServer.await("sentinel to promote a replica", LONG, () -> {
                    try {
                        return Integer.parseInt(s.sentinelGetMasterAddrByName("mymaster").get(1)) != masterPort;
                    } catch (Exception e) {
                        return false;
                    }
                });
                newMasterPort = Integer.parseInt(s.sentinelGetMasterAddrByName("mymaster").get(1));
            }
            TestServer promoted = newMasterPort == r1.port() ? r1 : r2;
            TestServer other = promoted == r1 ? r2 : r1;
            // sentinel ends with CLIENT KILL TYPE normal on both: wait for that, then use fresh connections
            TestServer.await("the other replica to follow the new master", LONG, () -> {
                try (Jedis o = other.jedis()) {
                    String info = o.info("replication");
                    return info.contains("master_port:" + newMasterPort) && info.contains("master_link_status:up");
                } catch (Exception e) {
                    return false;
                }
            });
            try (Jedis p = promoted.jedis(); Jedis o = other.jedis()) {
                assertTrue(p.info("replication").contains("role:master"));
                assertEquals(Map.of("replicaof", ""), p.configGet("replicaof"));
                for (String key : acknowledged) {
                    assertEquals(key.substring("acked:".length()), p.get(key), key);
                }
                assertEquals(0, ReplicationTest.stat(p, "sync_full"));
                assertEquals(1, ReplicationTest.stat(p, "sync_partial_ok"));
                for (int i = 0; i < 500; i++) {
                    p.set("after:" + i, Integer.toString(i));
                }
                ReplicationTest.assertCaughtUp(p, o);
            }
        } finally {
            if (sentinel != null) {
                sentinel.destroy();
                sentinel.waitFor(30, TimeUnit.SECONDS);
            }
            master.destroyForcibly();
        }
    }

    private static int sentinelPort(Path dir) throws java.io.IOException {
        for (String line : Files.readAllLines(dir.resolve("sentinel.conf"))) {
            if (line.startsWith("port ")) {
                return Integer.parseInt(line.substring(5).trim());
            }
        }
        throw new IllegalStateException("no port in sentinel.conf");
    }
}
