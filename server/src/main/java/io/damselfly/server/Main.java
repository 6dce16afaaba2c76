package io.damselfly.server;

import io.damselfly.engine.config.Settings;
import io.damselfly.engine.exec.Engine;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.util.Arrays;

/**
 * The daemon: {@code bin/damselfly [config-file] [--option value ...]}. Runs in the
 * foreground until SHUTDOWN or SIGTERM; a bad setting or a failure to start prints one line and
 * exits with status 1.
 */
public final class Main {
    private Main() {
    }

    public static void main(String[] args) {
        if (args.length == 1 && (args[0].equals("--version") || args[0].equals("-v"))) {
            System.out.println("Damselfly server v=" + Engine.VERSION + " redis_version=" + Engine.REDIS_VERSION);
            return;
        }
        if (args.length == 1 && (args[0].equals("--help") || args[0].equals("-h"))) {
            System.out.println("Usage: damselfly [/path/to/damselfly.conf] [--option value ...]");
            System.out.println("       damselfly --port 7000 --bind 127.0.0.1 --threads 4 --dir /var/lib/damselfly");
            return;
        }
        Settings settings;
        try {
            settings = Options.parse(Arrays.asList(args));
        } catch (IllegalArgumentException | IOException e) {
            System.err.println("*** FATAL CONFIG FILE ERROR *** " + e.getMessage());
            System.exit(1);
            return;
        }
        Logging.configure(settings);
        Logger log = LoggerFactory.getLogger(Main.class);
        Damselfly server;
        try {
            server = Damselfly.start(settings);
        } catch (IOException | RuntimeException e) {
            System.err.println("Damselfly failed to start: " + e.getMessage());
            System.exit(1);
            return;
        }
        // SIGTERM (and SIGINT) run this hook: stop in order, then exit with status 0 as
        // redis-server does (the JVM would otherwise report 143).
        Thread hook = new Thread(() -> {
            if (server.exitCode() < 0) {
                log.info("Received SIGTERM scheduling shutdown...");
            }
            server.terminate();
            Runtime.getRuntime().halt(Math.max(0, server.exitCode()));
        }, "damselfly-sigterm");
        Runtime.getRuntime().addShutdownHook(hook);
        log.info("Damselfly {} (Redis {} compatible) started: port {} threads {} pid {}", Engine.VERSION,
                Engine.REDIS_VERSION, server.port(), settings.threads.number(), ProcessHandle.current().pid());
        log.info("Ready to accept connections tcp");
        server.awaitTermination();
        int code = Math.max(0, server.exitCode());
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException e) {
            // already shutting down through the hook
            return;
        }
        System.exit(code);
    }
}
