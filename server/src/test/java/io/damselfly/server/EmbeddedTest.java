package io.damselfly.server;

import org.junit.jupiter.api.Test;
import redis.clients.jedis.Jedis;

import java.io.IOException;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** The in-process API: several independent servers in one JVM. */
class EmbeddedTest {
    @Test
    void twoServersInOneJvm() throws IOException {
        io.damselfly.engine.config.Settings s = Damselfly.defaults();
        s.apply("port", java.util.List.of("0"));
        s.apply("save", java.util.List.of(""));
        s.apply("threads", java.util.List.of("2"));
        try (Damselfly a = Damselfly.start(s);
             Damselfly b = Damselfly.start("--port", "0", "--threads", "1", "--save", "");
             Jedis ja = new Jedis("127.0.0.1", a.port());
             Jedis jb = new Jedis("127.0.0.1", b.port())) {
            assertNotEquals(a.port(), b.port());
            ja.set("k", "a");
            jb.set("k", "b");
            assertEquals("a", ja.get("k"));
            assertEquals("b", jb.get("k"));
            b.close();
            assertEquals("a", ja.get("k"));
            assertThrows(Exception.class, jb::ping);
        }
    }

    @Test
    void connectionsCanMoveBetweenProactors() throws Exception {
        try (TestServer ts = new TestServer("--threads", "3"); Jedis j = ts.jedis()) {
            long id = j.clientId();
            Server server = serverOf(ts.server);
            // 150 moves: a connection often comes back to a proactor whose selector still holds
            // its cancelled key from the move before
            for (int i = 0; i < 150; i++) {
                j.set("m" + i, "v" + i);
                assertEquals(true, server.transfer(id, i % 3));
                redis.clients.jedis.Pipeline p = j.pipelined();
                for (int k = 0; k < 50; k++) {
                    p.incr("counter");
                }
                p.get("m" + i);
                java.util.List<Object> replies = p.syncAndReturnAll();
                assertEquals("v" + i, replies.get(replies.size() - 1));
            }
            assertEquals("7500", j.get("counter"));
            assertNull(j.get("nope"));
        }
    }

    private static Server serverOf(Damselfly d) throws ReflectiveOperationException {
        java.lang.reflect.Field f = Damselfly.class.getDeclaredField("server");
        f.setAccessible(true);
        return (Server) f.get(d);
    }
}
