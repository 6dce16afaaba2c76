package io.damselfly.server;

import org.junit.jupiter.api.Test;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.Pipeline;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A pipelined run whose commands change shard often is squashed into one transaction (see
 * PipelineOp): its answers must be those of Redis, command by command, and other clients must
 * see its writes in the order it sent them.
 */
class PipelineSquashTest {
    private static final String[] NO_ARGS = {};

    /** Two keys per shard, so runs change shard and also repeat a key within a shard. */
    private static String[] keys(Damselfly server, int perShard) {
        int shards = server.engine().shards();
        List<String> keys = new ArrayList<>();
        int[] have = new int[shards];
        for (int i = 0; keys.size() < shards * perShard; i++) {
            String k = "sq:" + i;
            byte[] b = k.getBytes(StandardCharsets.UTF_8);
            int s = server.engine().shardOf(b, 0, b.length);
            if (have[s] < perShard) {
                have[s]++;
                keys.add(k);
            }
        }
        return keys.toArray(new String[0]);
    }

    /** A seeded mix of string, list and key commands over the keys, with errors along the way. */
    private static List<String[]> script(String[] keys, long seed, int n) {
        Random rnd = new Random(seed);
        List<String[]> cmds = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            String k = keys[rnd.nextInt(keys.length)];
            String other = keys[rnd.nextInt(keys.length)];
            String v = Integer.toString(rnd.nextInt(50));
            cmds.add(switch (rnd.nextInt(16)) {
                case 0, 1 -> new String[] {"SET", k, v};
                case 2, 3 -> new String[] {"GET", k};
                case 4 -> new String[] {"INCR", k};
                case 5 -> new String[] {"APPEND", k, "x"};
                case 6 -> new String[] {"DEL", k};
                case 7 -> new String[] {"EXISTS", k};
                case 8 -> new String[] {"LPUSH", k, v};
                case 9 -> new String[] {"LLEN", k};
                case 10 -> new String[] {"STRLEN", k};
                case 11 -> new String[] {"GETDEL", k};
                case 12 -> new String[] {"INCRBY", k, "-" + v};
                case 13 -> new String[] {"SETNX", k, v};
                case 14 -> new String[] {"MGET", k, other}; // often across shards: ends a run
                default -> rnd.nextInt(4) == 0 ? new String[] {"PING"} : new String[] {"TYPE", k};
            });
        }
        return cmds;
    }

    private static List<String> run(Jedis j, List<String[]> cmds) {
        Pipeline p = j.pipelined();
        for (String[] c : cmds) {
            String[] args = c.length > 1 ? java.util.Arrays.copyOfRange(c, 1, c.length) : NO_ARGS;
            p.sendCommand(TestServer.cmd(c[0]), args);
        }
        List<String> out = new ArrayList<>();
        for (Object o : p.syncAndReturnAll()) {
            out.add(render(o));
        }
        return out;
    }

    private static String render(Object o) {
        if (o instanceof byte[] b) {
            return new String(b, StandardCharsets.UTF_8);
        }
        if (o instanceof List<?> l) {
            List<String> parts = new ArrayList<>();
            for (Object e : l) {
                parts.add(render(e));
            }
            return parts.toString();
        }
        if (o instanceof Exception e) {
            return "ERR:" + e.getMessage();
        }
        return String.valueOf(o);
    }

    private static long stat(Jedis j, String field) {
        for (String line : j.info("stats").split("\r\n")) {
            if (line.startsWith(field + ":")) {
                return Long.parseLong(line.substring(field.length() + 1));
            }
        }
        throw new AssertionError("no " + field + " in INFO stats");
    }

    private void compareWithRedis(String squash, boolean expectSquashes) throws Exception {
        try (TestServer ts = new TestServer("--pipeline-squash", squash);
             RealRedis redis = new RealRedis(Files.createTempDirectory("squash-redis"));
             Jedis d = ts.jedis(); Jedis r = redis.jedis()) {
            String[] keys = keys(ts.server, 2);
            for (int round = 0; round < 30; round++) {
                List<String[]> cmds = script(keys, round, 300);
                assertEquals(run(r, cmds), run(d, cmds), "pipeline " + round + " answered differently from redis-server");
            }
            for (String k : keys) {
                assertEquals(r.type(k), d.type(k), k);
                if (r.type(k).equals("string")) {
                    assertEquals(r.get(k), d.get(k), k);
                } else if (r.type(k).equals("list")) {
                    assertEquals(r.lrange(k, 0, -1), d.lrange(k, 0, -1), k);
                }
            }
            long squashes = stat(d, "damselfly_pipeline_squashes");
            assertEquals(expectSquashes, squashes > 0, "squashes: " + squashes);
            assertTrue(stat(d, "damselfly_pipeline_squashed_commands") >= 4 * squashes);
        }
    }

    @Test
    void squashedPipelinesAnswerAsRedisDoes() throws Exception {
        compareWithRedis("3", true);
    }

    /** Runs that would save too few hops go back to hop by hop: the parser rewinds to where they mixed. */
    @Test
    void runsCutBackToHopByHopAnswerAsRedisDoes() throws Exception {
        compareWithRedis("1000", false);
    }

    /** An inline command ends a squashed run (it is unescaped in place, so it is never parsed twice). */
    @Test
    void inlineCommandInsideAPipeline() throws Exception {
        try (TestServer ts = new TestServer(); TestServer.Raw raw = ts.raw()) {
            String[] keys = keys(ts.server, 1);
            StringBuilder sb = new StringBuilder();
            for (int i = 0; i < 12; i++) {
                String k = keys[i % keys.length];
                sb.append("*3\r\n$3\r\nSET\r\n$").append(k.length()).append("\r\n").append(k).append("\r\n$2\r\n").append(10 + i).append("\r\n");
                if (i == 7) {
                    sb.append("GET ").append(keys[0]).append("\r\n");
                }
            }
            sb.append("*2\r\n$3\r\nGET\r\n$").append(keys[1].length()).append("\r\n").append(keys[1]).append("\r\n");
            raw.send(sb.toString());
            for (int i = 0; i < 12; i++) {
                assertEquals("+OK", raw.line(), "SET " + i);
                if (i == 7) {
                    assertEquals("$2", raw.line());
                    assertEquals(Integer.toString(10 + lastSet(0, 7, keys.length)), raw.line());
                }
            }
            assertEquals("$2", raw.line());
            assertEquals(Integer.toString(10 + lastSet(1, 11, keys.length)), raw.line());
        }
    }

    /** The last i <= upTo with i % n == m: the SET that key m saw last. */
    private static int lastSet(int m, int upTo, int n) {
        int i = upTo;
        while (i % n != m) {
            i--;
        }
        return i;
    }

    /**
     * A writer pipelines SET x v, SET y v (x and y on different shards) for rising v; readers
     * read y, then x. Had the shards run their parts of a squashed run at different moments, a
     * reader could find y ahead of x.
     */
    @Test
    void otherClientsSeeAPipelinesWritesInItsOrder() throws Exception {
        try (TestServer ts = new TestServer("--threads", "2")) {
            String[] keys = keys(ts.server, 1);
            orderedPairs(ts.port(), keys[0], keys[1], Duration.ofSeconds(4), ts.port());
            try (Jedis j = ts.jedis()) {
                assertTrue(stat(j, "damselfly_pipeline_squashes") > 0, "the writer's runs were squashed");
            }
        }
    }

    /**
     * The same on a redis-server replica: the Redis-protocol stream carries the runs in the
     * order they ran, so its readers never see y ahead of x either. A Damselfly replica follows
     * natively, where the flows of different shards apply in parallel (docs/replication-native.md)
     * and only a transaction's writes are ordered across them; it must end identical.
     */
    @Test
    void replicasSeeAPipelinesWritesInItsOrder() throws Exception {
        try (TestServer master = new TestServer("--threads", "2");
             TestServer replica = new TestServer("--threads", "3");
             RealRedis redis = new RealRedis(Files.createTempDirectory("squash-replica"));
             Jedis m = master.jedis(); Jedis d = replica.jedis(); Jedis r = redis.jedis()) {
            String[] keys = keys(master.server, 1);
            m.set(keys[0], "0");
            m.set(keys[1], "0");
            d.replicaof("127.0.0.1", master.port());
            r.replicaof("127.0.0.1", master.port());
            for (Jedis j : List.of(d, r)) {
                TestServer.await("the link to come up", Duration.ofSeconds(60),
                        () -> j.info("replication").contains("master_link_status:up") && j.exists(keys[1]));
            }
            orderedPairs(master.port(), keys[0], keys[1], Duration.ofSeconds(4), redis.port);
            assertTrue(stat(m, "damselfly_pipeline_squashes") > 0, "the writer's runs were squashed");
            ReplicationTest.assertCaughtUp(m, d);
            TestServer.await("the redis-server replica to catch up", Duration.ofSeconds(60),
                    () -> m.get(keys[0]).equals(r.get(keys[0])) && m.get(keys[1]).equals(r.get(keys[1])));
        }
    }

    /** Runs the writer against one port and a reader on each of the others for a while. */
    private static void orderedPairs(int writerPort, String x, String y, Duration time, int... readerPorts) throws Exception {
        try (Jedis j = new Jedis("127.0.0.1", writerPort, 30_000)) {
            j.set(x, "0");
            j.set(y, "0");
        }
        AtomicBoolean stop = new AtomicBoolean();
        AtomicLong checks = new AtomicLong();
        AtomicLong written = new AtomicLong();
        ExecutorService pool = Executors.newFixedThreadPool(1 + readerPorts.length);
        List<Future<?>> futures = new ArrayList<>();
        futures.add(pool.submit(() -> {
            try (Jedis j = new Jedis("127.0.0.1", writerPort, 30_000)) {
                long v = 0;
                while (!stop.get()) {
                    Pipeline p = j.pipelined();
                    for (int i = 0; i < 64; i++) {
                        v++;
                        p.set(x, Long.toString(v));
                        p.set(y, Long.toString(v));
                    }
                    p.sync();
                    written.set(v);
                }
            }
            return null;
        }));
        for (int port : readerPorts) {
            futures.add(pool.submit(() -> {
                try (Jedis j = new Jedis("127.0.0.1", port, 30_000)) {
                    while (!stop.get()) {
                        long vy = Long.parseLong(j.get(y));
                        long vx = Long.parseLong(j.get(x));
                        assertTrue(vx >= vy, "on port " + port + " read y=" + vy + " and then x=" + vx
                                + ": the writes were seen out of order");
                        checks.incrementAndGet();
                    }
                }
                return null;
            }));
        }
        long deadline = System.nanoTime() + time.toNanos();
        while (System.nanoTime() < deadline) {
            for (Future<?> f : futures) {
                if (f.isDone()) {
                    f.get(); // a failed assertion surfaces now
                }
            }
            Thread.sleep(20);
        }
        stop.set(true);
        for (Future<?> f : futures) {
            f.get(60, TimeUnit.SECONDS);
        }
        pool.shutdown();
        assertTrue(checks.get() > 100, "checks: " + checks.get());
        assertTrue(written.get() > 1000, "written: " + written.get());
    }
}
