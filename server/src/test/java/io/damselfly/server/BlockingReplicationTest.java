package io.damselfly.server;

import org.junit.jupiter.api.Test;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.args.ListDirection;

import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Blocking pops and moves served across shards reach the replicas as the pops and moves they
 * performed, in the order they happened beside the pushes that served them: a 3-shard master
 * with a native Damselfly replica of 2 shards and a redis-server replica, six clients passing
 * elements along a chain of lists with BLMOVE and BRPOP + RPUSH while six others push, then
 * every list equal on all three.
 */
class BlockingReplicationTest {
    @Test
    void blockingMovesServedAcrossShardsReachBothKindsOfReplicaInOrder() throws Exception {
        Duration wait = Duration.ofSeconds(120);
        try (TestServer m = new TestServer("--threads", "3");
             TestServer r = new TestServer("--threads", "2");
             RealRedis d = new RealRedis(Files.createTempDirectory("block-redis"));
             Jedis jm = m.jedis(); Jedis jr = r.jedis(); Jedis jd = d.jedis()) {
            jr.replicaof("127.0.0.1", m.port());
            jd.replicaof("127.0.0.1", m.port());
            for (Jedis j : List.of(jr, jd)) {
                TestServer.await("link", wait, () -> j.info("replication").contains("master_link_status:up"));
            }
            AtomicBoolean stop = new AtomicBoolean();
            AtomicInteger moves = new AtomicInteger();
            List<Thread> threads = new ArrayList<>();
            for (int t = 0; t < 6; t++) {
                int id = t;
                threads.add(Thread.ofPlatform().start(() -> {
                    try (Jedis j = m.jedis()) {
                        while (!stop.get()) {
                            // a chain of lists: q0 -> q1 -> ... -> q7 -> done
                            int from = id % 8;
                            String src = "q" + from;
                            String dst = from == 7 ? "done" : "q" + (from + 1);
                            if (id % 2 == 0) {
                                if (j.blmove(src, dst, ListDirection.LEFT, ListDirection.RIGHT, 0.05) != null) {
                                    moves.incrementAndGet();
                                }
                            } else {
                                var got = j.brpop(0.05, src, "q" + ((from + 3) % 8));
                                if (got != null) {
                                    j.rpush(dst, got.getValue());
                                    moves.incrementAndGet();
                                }
                            }
                        }
                    }
                }));
            }
            for (int t = 6; t < 12; t++) {
                int id = t;
                threads.add(Thread.ofPlatform().start(() -> {
                    try (Jedis j = m.jedis()) {
                        int i = 0;
                        while (!stop.get()) {
                            j.lpush("q" + (i % 8), id + ":" + i++);
                            if (i % 50 == 0) {
                                j.incr("pushes");
                            }
                        }
                    }
                }));
            }
            TestServer.await("moves", wait, () -> moves.get() > 20000);
            stop.set(true);
            for (Thread t : threads) {
                t.join(30_000);
            }
            jm.set("end", "1");
            jm.waitReplicas(2, 60_000);
            for (Jedis j : List.of(jr, jd)) {
                TestServer.await("end", wait, () -> "1".equals(j.get("end")));
            }
            Dataset.assertSame(Dataset.read(jm), Dataset.read(jr), "damselfly replica");
            Dataset.assertSame(Dataset.read(jm), Dataset.read(jd), "redis replica");
        }
    }
}
