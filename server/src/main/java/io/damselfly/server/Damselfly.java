package io.damselfly.server;

import io.damselfly.engine.config.Settings;
import io.damselfly.engine.exec.Engine;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.Arrays;
import java.util.List;

/**
 * A Damselfly server in this JVM: start it with settings, read its port, close it. Several can
 * run side by side (nothing is static), which is how tests and replication set-ups use it.
 *
 * <pre>
 * try (Damselfly server = Damselfly.start("--port", "0", "--threads", "2")) {
 *     int port = server.port();
 *     ...
 * }
 * </pre>
 */
public final class Damselfly implements AutoCloseable {
    private final Server server;
    private Damselfly(Settings settings) throws IOException {
        this.server = new Server(settings, code -> { });
    }

    /** Starts a server with the given settings (see {@link Settings}; port 0 picks a free port). */
    public static Damselfly start(Settings settings) throws IOException {
        return new Damselfly(settings);
    }

    /**
     * Starts a server from Redis-style options: {@code "--port", "7000", "--save", ""}, or a
     * config file path followed by options, as the command line takes them.
     */
    public static Damselfly start(String... args) throws IOException {
        return start(Options.parse(Arrays.asList(args)));
    }

    /** Settings with Damselfly's defaults, to adjust before {@link #start(Settings)}. */
    public static Settings defaults() {
        return new Settings();
    }

    public int port() {
        return server.port();
    }

    public InetSocketAddress address() {
        return new InetSocketAddress(server.settings().bind.value().trim().split("\\s+")[0].replace("-", ""), port());
    }

    public Settings settings() {
        return server.settings();
    }

    /** Saving, loading and snapshots (a snapshot to any sink: {@link RdbPersistence#snapshotTo}). */
    public io.damselfly.repl.RdbPersistence persistence() {
        return server.persistence();
    }

    /** The engine, for tools that drive it in-process. */
    public Engine engine() {
        return server.engine();
    }

    /** Blocks until the server stops (SHUTDOWN, or {@link #close()} from another thread). */
    public void awaitTermination() {
        server.awaitTermination();
    }

    /** -1 while running; 0 after SHUTDOWN, 1 after a fatal error. */
    public int exitCode() {
        return server.exitCode();
    }

    /** Stops the server as SIGTERM does: a final save when save points are set, then {@link #close()}. */
    public void terminate() {
        server.terminate();
    }

    /** Stops the server: closes every connection and frees all memory. */
    @Override
    public void close() {
        server.close();
    }

    static List<String> names() {
        return List.of();
    }
}
