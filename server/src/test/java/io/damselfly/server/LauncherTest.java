package io.damselfly.server;

import org.junit.jupiter.api.Test;
import redis.clients.jedis.Jedis;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The real launcher, bin/damselfly, as a separate process. */
class LauncherTest {
    static final Path LAUNCHER = Path.of("..", "bin", "damselfly").toAbsolutePath().normalize();

    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    static Process launch(Path log, String... args) throws IOException {
        List<String> cmd = new ArrayList<>();
        cmd.add(LAUNCHER.toString());
        cmd.addAll(List.of(args));
        return new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    }

    static void awaitPing(int port) {
        TestServer.await("the server to answer", Duration.ofSeconds(60), () -> {
            try (Jedis j = new Jedis("127.0.0.1", port, 1000)) {
                return j.ping().equals("PONG");
            } catch (Exception e) {
                return false;
            }
        });
    }

    @Test
    void startsWithOptionsAndStopsCleanlyOnSigterm() throws Exception {
        int port = freePort();
        Path dir = Files.createTempDirectory("damselfly-launch");
        Path log = dir.resolve("out.log");
        Process p = launch(log, "--port", Integer.toString(port), "--bind", "127.0.0.1", "--threads", "2",
                "--dir", dir.toString(), "--save", "");
        try {
            awaitPing(port);
            try (Jedis j = new Jedis("127.0.0.1", port)) {
                j.set("a", "1");
                assertEquals("2", j.configGet("threads").get("threads"));
                assertEquals(dir.toString(), j.configGet("dir").get("dir"));
            }
            p.destroy(); // SIGTERM
            assertTrue(p.waitFor(60, TimeUnit.SECONDS), "did not stop on SIGTERM");
            assertEquals(0, p.exitValue(), Files.readString(log));
            assertTrue(Files.readString(log).contains("SIGTERM"));
        } finally {
            p.destroyForcibly();
        }
    }

    @Test
    void readsAConfigFileAndStopsOnShutdown() throws Exception {
        int port = freePort();
        Path dir = Files.createTempDirectory("damselfly-conf");
        Path conf = dir.resolve("damselfly.conf");
        Files.writeString(conf, "# test\nport " + port + "\nbind 127.0.0.1\nthreads 2\nsave \"\"\nhz 15\n");
        Path log = dir.resolve("out.log");
        Process p = launch(log, conf.toString(), "--maxclients", "77");
        try {
            awaitPing(port);
            try (Jedis j = new Jedis("127.0.0.1", port)) {
                assertEquals("15", j.configGet("hz").get("hz"));
                assertEquals("77", j.configGet("maxclients").get("maxclients"));
                assertTrue(j.info("server").contains("config_file:" + conf.toAbsolutePath()));
                try {
                    j.shutdown();
                } catch (Exception closed) {
                    // no reply to SHUTDOWN
                }
            }
            assertTrue(p.waitFor(60, TimeUnit.SECONDS));
            assertEquals(0, p.exitValue());
        } finally {
            p.destroyForcibly();
        }
    }

    private static void failsWithOneLine(String expectedFragment, String... args) throws Exception {
        Path log = Files.createTempFile("damselfly-bad", ".log");
        Process p = launch(log, args);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        assertEquals(1, p.exitValue());
        List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
        assertEquals(1, lines.size(), "expected one line, got " + lines);
        assertTrue(lines.get(0).contains(expectedFragment), lines.get(0));
    }

    @Test
    void badSettingsPrintOneLineAndExitNonZero() throws Exception {
        failsWithOneLine("port", "--port", "99999");
        failsWithOneLine("nosuchoption", "--nosuchoption", "1");
        failsWithOneLine("threads", "--threads", "abc");
        failsWithOneLine("can't open config file", "/nonexistent/damselfly.conf");
        try (ServerSocket busy = new ServerSocket(0, 50, java.net.InetAddress.getByName("127.0.0.1"))) {
            failsWithOneLine("Address already in use", "--port", Integer.toString(busy.getLocalPort()), "--bind", "127.0.0.1");
        }
    }
}
