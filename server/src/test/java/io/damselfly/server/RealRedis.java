package io.damselfly.server;

import redis.clients.jedis.Jedis;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** A redis-server from the system's packages, started by a test on its own port and directory. */
final class RealRedis implements AutoCloseable {
    final int port;
    final Path dir;
    private final Process process;

    RealRedis(Path dir, String... extra) throws IOException {
        this.dir = dir;
        this.port = LauncherTest.freePort();
        List<String> cmd = new ArrayList<>(List.of("redis-server", "--port", Integer.toString(port), "--bind", "127.0.0.1",
                "--dir", dir.toString(), "--save", "", "--appendonly", "no", "--daemonize", "no"));
        cmd.addAll(List.of(extra));
        process = new ProcessBuilder(cmd).redirectErrorStream(true)
                .redirectOutput(dir.resolve("redis-" + port + ".log").toFile()).start();
        TestServer.await("redis-server to answer", Duration.ofSeconds(60), () -> {
            try (Jedis j = new Jedis("127.0.0.1", port, 1000)) {
                return j.ping().equals("PONG");
            } catch (Exception e) {
                return !process.isAlive() && fail();
            }
        });
    }

    private boolean fail() {
        throw new IllegalStateException("redis-server exited: see " + dir);
    }

    Jedis jedis() {
        return new Jedis("127.0.0.1", port, 30_000);
    }

    @Override
    public void close() {
        process.destroy();
        try {
            if (!process.waitFor(30, TimeUnit.SECONDS)) {
                process.destroyForcibly();
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }
}
