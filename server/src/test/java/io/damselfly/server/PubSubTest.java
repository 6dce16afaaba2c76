package io.damselfly.server;

import io.damselfly.server.TestServer.Raw;
import io.damselfly.server.TestServer.Raw.Err;
import io.damselfly.server.TestServer.Raw.Push;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.Jedis;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static io.damselfly.server.Calls.of;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Publish/subscribe in RESP2 and RESP3, ordering across proactors, slow subscribers, keyspace events. */
class PubSubTest extends ServerTestBase {
    @BeforeEach
    void settle() {
        c.call("CONFIG", "SET", "notify-keyspace-events", "");
        TestServer.await("no subscribers left over", Duration.ofSeconds(30),
                () -> c.num("PUBSUB", "NUMPAT") == 0 && c.list("PUBSUB", "CHANNELS").isEmpty());
    }

    @Test
    void resp2SubscriberMode() throws Exception {
        try (Raw s = server.raw()) {
            s.command("SUBSCRIBE", "news", "sport");
            assertEquals(of("subscribe", "news", 1L), s.read());
            assertEquals(of("subscribe", "sport", 2L), s.read());
            s.command("PSUBSCRIBE", "n*");
            assertEquals(of("psubscribe", "n*", 3L), s.read());
            assertEquals(2, c.num("PUBLISH", "news", "hello"), "one direct and one pattern receiver");
            assertEquals(of("message", "news", "hello"), s.read());
            assertEquals(of("pmessage", "n*", "news", "hello"), s.read());
            assertEquals(0, c.num("PUBLISH", "other", "x"));
            s.command("GET", "k");
            assertEquals(new Err("ERR Can't execute 'get': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET "
                    + "are allowed in this context"), s.read());
            s.command("PING");
            assertEquals(of("pong", ""), s.read());
            s.command("PING", "hi");
            assertEquals(of("pong", "hi"), s.read());
            assertEquals(of("news", "sport"), sorted(c.list("PUBSUB", "CHANNELS")));
            assertEquals(of("news"), c.list("PUBSUB", "CHANNELS", "n*"));
            assertEquals(of("news", 1L, "none", 0L), c.list("PUBSUB", "NUMSUB", "news", "none"));
            assertEquals(1, c.num("PUBSUB", "NUMPAT"));
            s.command("UNSUBSCRIBE");
            assertEquals(of("unsubscribe", "news", 2L), s.read());
            assertEquals(of("unsubscribe", "sport", 1L), s.read());
            s.command("PUNSUBSCRIBE", "n*", "never");
            assertEquals(of("punsubscribe", "n*", 0L), s.read());
            assertEquals(of("punsubscribe", "never", 0L), s.read());
            s.command("GET", "k");
            assertEquals(null, s.read(), "out of subscriber mode, commands run again");
        }
        c.error("ERR wrong number of arguments for 'subscribe' command", "SUBSCRIBE");
        c.error("ERR unknown subcommand 'FOO'. Try PUBSUB HELP.", "PUBSUB", "FOO");
    }

    @Test
    void resp3PushesOnANormalConnection() throws Exception {
        try (Raw s = server.raw()) {
            s.command("HELLO", "3");
            assertTrue(s.read() instanceof List<?>);
            s.command("SUBSCRIBE", "ch");
            assertEquals(new Push(of("subscribe", "ch", 1L)), s.read());
            s.command("SET", "k", "v");
            assertEquals("OK", s.read(), "a RESP3 subscriber runs any command");
            c.call("PUBLISH", "ch", "m1");
            assertEquals(new Push(of("message", "ch", "m1")), s.read());
            s.command("GET", "k");
            assertEquals("v", s.read());
        }
    }

    private static List<Object> sorted(List<Object> l) {
        List<Object> out = new ArrayList<>(l);
        out.sort((a, b) -> ((String) a).compareTo((String) b));
        return out;
    }

    /**
     * Subscribers and publishers spread over the proactors: every subscriber gets every message,
     * and each publisher's messages in the order it published them.
     */
    @Test
    void everyMessageInPublishOrderPerPublisher() throws Exception {
        int subscribers = 6;
        int publishers = 3;
        int perPublisher = 3000;
        List<Raw> subs = new ArrayList<>();
        ExecutorService pool = Executors.newFixedThreadPool(subscribers + publishers);
        try {
            for (int i = 0; i < subscribers; i++) {
                Raw s = server.raw();
                if (i % 2 == 0) {
                    s.command("SUBSCRIBE", "feed");
                    assertEquals(of("subscribe", "feed", 1L), s.read());
                } else {
                    s.command("PSUBSCRIBE", "fe*");
                    assertEquals(of("psubscribe", "fe*", 1L), s.read());
                }
                subs.add(s);
            }
            List<Future<?>> readers = new ArrayList<>();
            for (Raw s : subs) {
                readers.add(pool.submit(() -> {
                    int[] next = new int[publishers];
                    for (int n = 0; n < publishers * perPublisher; n++) {
                        @SuppressWarnings("unchecked")
                        List<Object> m = (List<Object>) s.read();
                        String[] parts = ((String) m.get(m.size() - 1)).split(":");
                        int p = Integer.parseInt(parts[0]);
                        int seq = Integer.parseInt(parts[1]);
                        assertEquals(next[p], seq, "publisher " + p + "'s messages out of order");
                        next[p]++;
                    }
                    return null;
                }));
            }
            List<Future<?>> writers = new ArrayList<>();
            for (int p = 0; p < publishers; p++) {
                int publisher = p;
                writers.add(pool.submit(() -> {
                    try (Jedis pj = server.jedis()) {
                        for (int seq = 0; seq < perPublisher; seq++) {
                            assertEquals(subscribers, pj.publish("feed", publisher + ":" + seq));
                        }
                    }
                    return null;
                }));
            }
            for (Future<?> f : writers) {
                f.get(120, TimeUnit.SECONDS);
            }
            for (Future<?> f : readers) {
                f.get(120, TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdownNow();
            for (Raw s : subs) {
                s.close();
            }
        }
    }

    @Test
    void aSubscriberThatDoesNotReadIsCutOffAndPublishersGoOn() throws Exception {
        c.call("CONFIG", "SET", "client-output-buffer-limit", "pubsub 256kb 0 0");
        try (Raw slow = server.raw(); Raw fast = server.raw()) {
            slow.socket.setReceiveBufferSize(4096);
            slow.command("SUBSCRIBE", "firehose");
            assertEquals(of("subscribe", "firehose", 1L), slow.read());
            fast.command("SUBSCRIBE", "firehose");
            assertEquals(of("subscribe", "firehose", 1L), fast.read());
            String payload = "x".repeat(4096);
            long t0 = System.nanoTime();
            for (int i = 0; i < 2000; i++) { // 8 MB for each subscriber
                c.call("PUBLISH", "firehose", payload);
                assertEquals(of("message", "firehose", payload), fast.read());
            }
            assertTrue(System.nanoTime() - t0 < TimeUnit.SECONDS.toNanos(60), "publishing never waited on the slow reader");
            TestServer.await("the slow subscriber is dropped", Duration.ofSeconds(30),
                    () -> (Long) c.list("PUBSUB", "NUMSUB", "firehose").get(1) == 1L);
            TestServer.await("the slow subscriber's connection is closed", Duration.ofSeconds(30),
                    () -> c.str("CLIENT", "LIST", "TYPE", "pubsub").strip().split("\n").length == 1);
        } finally {
            c.call("CONFIG", "SET", "client-output-buffer-limit", "pubsub 32mb 8mb 60");
        }
    }

    @Test
    void keyspaceNotifications() throws Exception {
        c.call("CONFIG", "SET", "notify-keyspace-events", "KEA");
        assertEquals(of("notify-keyspace-events", "AKE"), c.list("CONFIG", "GET", "notify-keyspace-events"));
        c.error("ERR CONFIG SET failed (possibly related to argument 'notify-keyspace-events') - "
                + "Invalid event class character. Use 'Ag$lshzxeKEtmdn'.", "CONFIG", "SET", "notify-keyspace-events", "Q");
        try (Raw s = server.raw()) {
            s.command("PSUBSCRIBE", "__key*__:*");
            assertEquals(of("psubscribe", "__key*__:*", 1L), s.read());
            c.call("SET", "k", "v");
            assertEquals(of("pmessage", "__key*__:*", "__keyspace@0__:k", "set"), s.read());
            assertEquals(of("pmessage", "__key*__:*", "__keyevent@0__:set", "k"), s.read());
            c.call("LPUSH", "l", "a");
            c.call("RPOP", "l");
            assertEquals(of("pmessage", "__key*__:*", "__keyspace@0__:l", "lpush"), s.read());
            assertEquals(of("pmessage", "__key*__:*", "__keyevent@0__:lpush", "l"), s.read());
            assertEquals(of("pmessage", "__key*__:*", "__keyspace@0__:l", "rpop"), s.read());
            assertEquals(of("pmessage", "__key*__:*", "__keyevent@0__:rpop", "l"), s.read());
            assertEquals(of("pmessage", "__key*__:*", "__keyspace@0__:l", "del"), s.read());
            assertEquals(of("pmessage", "__key*__:*", "__keyevent@0__:del", "l"), s.read());
            c.call("CONFIG", "SET", "notify-keyspace-events", "Ex");
            c.call("SET", "gone", "v", "PX", "50");
            assertEquals(of("pmessage", "__key*__:*", "__keyevent@0__:expired", "gone"), s.read(),
                    "active expiry publishes the event without anyone touching the key");
            c.call("CONFIG", "SET", "notify-keyspace-events", "Kh");
            c.call("SELECT", "3");
            c.call("HSET", "h", "f", "1");
            c.call("HINCRBY", "h", "f", "1");
            c.call("SET", "ignored", "x");
            c.call("HDEL", "h", "f");
            assertEquals(of("pmessage", "__key*__:*", "__keyspace@3__:h", "hset"), s.read());
            assertEquals(of("pmessage", "__key*__:*", "__keyspace@3__:h", "hincrby"), s.read());
            assertEquals(of("pmessage", "__key*__:*", "__keyspace@3__:h", "hdel"), s.read());
        } finally {
            c.call("CONFIG", "SET", "notify-keyspace-events", "");
        }
    }

    @Test
    void clientReplyOffAndSkip() throws Exception {
        try (Raw s = server.raw()) {
            s.command("CLIENT", "REPLY", "OFF");
            s.command("SET", "a", "1");
            s.command("INCR", "a");
            s.command("CLIENT", "REPLY", "ON");
            assertEquals("OK", s.read(), "nothing came back while replies were off");
            s.command("CLIENT", "REPLY", "SKIP");
            s.command("GET", "a");
            s.command("PING");
            assertEquals("PONG", s.read(), "only the skipped command's reply is missing");
            for (String key : spread) { // the skipped command on this proactor's shard and on others
                s.command("CLIENT", "REPLY", "SKIP");
                s.command("SET", key, "x");
                s.command("GET", key);
                assertEquals("x", s.read());
            }
            s.command("CLIENT", "REPLY", "MAYBE");
            assertEquals(new Err("ERR syntax error"), s.read());
            s.command("CLIENT", "REPLY", "OFF");
            s.command("SUBSCRIBE", "c1");
            assertEquals(of("subscribe", "c1", 1L), s.read(), "subscription confirmations still go out");
            c.call("PUBLISH", "c1", "m");
            assertEquals(of("message", "c1", "m"), s.read());
        }
        assertEquals("2", c.str("GET", "a"));
    }

    /** Jedis's own subscriber loop: subscribe, receive, pattern messages, unsubscribe. */
    @Test
    void jedisSubscriberLoop() throws Exception {
        java.util.concurrent.BlockingQueue<String> got = new java.util.concurrent.LinkedBlockingQueue<>();
        redis.clients.jedis.JedisPubSub listener = new redis.clients.jedis.JedisPubSub() {
            @Override
            public void onMessage(String channel, String message) {
                got.add(channel + "=" + message);
                if (message.equals("bye")) {
                    unsubscribe();
                    punsubscribe();
                }
            }

            @Override
            public void onPMessage(String pattern, String channel, String message) {
                got.add(pattern + ":" + channel + "=" + message);
            }

            @Override
            public void onPSubscribe(String pattern, int count) {
                got.add("psubscribed " + count);
            }
        };
        Thread subscriber = new Thread(() -> {
            try (Jedis s = server.jedis()) {
                s.psubscribe(listener, "room.*");
            }
        });
        subscriber.start();
        assertEquals("psubscribed 1", got.poll(30, TimeUnit.SECONDS));
        listener.subscribe("control");
        TestServer.await("the subscription", Duration.ofSeconds(30), () -> c.num("PUBSUB", "NUMPAT") == 1
                && (Long) c.list("PUBSUB", "NUMSUB", "control").get(1) == 1L);
        assertEquals(1, c.num("PUBLISH", "room.1", "hi"));
        assertEquals("room.*:room.1=hi", got.poll(30, TimeUnit.SECONDS));
        assertEquals(1, c.num("PUBLISH", "control", "bye"));
        assertEquals("control=bye", got.poll(30, TimeUnit.SECONDS));
        subscriber.join(30_000);
        assertTrue(!subscriber.isAlive(), "the subscriber loop ended after unsubscribing from everything");
    }
}
