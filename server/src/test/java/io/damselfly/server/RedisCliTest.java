package io.damselfly.server;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.Jedis;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Debian's redis-cli against Damselfly. */
class RedisCliTest {
    static TestServer server;

    @BeforeAll
    static void start() throws IOException {
        server = new TestServer();
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    static String cli(String stdin, String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("redis-cli", "-h", "127.0.0.1", "-p", Integer.toString(server.port())));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        if (stdin != null) {
            p.getOutputStream().write(stdin.getBytes(StandardCharsets.UTF_8));
        }
        p.getOutputStream().close();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        return out;
    }

    @Test
    void basicCommands() throws Exception {
        assertEquals("PONG\n", cli(null, "PING"));
        assertEquals("OK\n", cli(null, "SET", "cli:k", "hello world"));
        assertEquals("hello world\n", cli(null, "GET", "cli:k"));
        assertEquals("(integer) 2\n", cli(null, "--no-raw", "INCRBY", "cli:n", "2"));
        assertTrue(cli(null, "INFO", "server").contains("redis_version:7.0.15"));
        assertTrue(cli(null, "--no-raw", "GET", "nosuch").contains("(nil)"));
        assertTrue(cli(null, "NOSUCH").startsWith("ERR unknown command"));
    }

    @Test
    void massInsertionWithPipe() throws Exception {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < 5000; i++) {
            String k = "pipe:" + i;
            sb.append("*3\r\n$3\r\nSET\r\n$").append(k.length()).append("\r\n").append(k).append("\r\n$1\r\nv\r\n");
        }
        String out = cli(sb.toString(), "--pipe");
        assertTrue(out.contains("errors: 0, replies: 5000"), out);
        try (Jedis j = server.jedis()) {
            assertEquals(5000, j.keys("pipe:*").size());
        }
        String scan = cli(null, "--scan", "--pattern", "pipe:1*");
        assertEquals(1111, scan.strip().split("\n").length);
    }
}
