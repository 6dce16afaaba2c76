package io.damselfly.server;

import redis.clients.jedis.Jedis;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.function.BooleanSupplier;

/** Starts an embedded server on an ephemeral port for a test, and talks to it. */
final class TestServer implements AutoCloseable {
    final Damselfly server;

    /** A fresh directory for the server's files (dump), unless the test names its own with --dir. */
    final java.nio.file.Path dir;

    TestServer(String... extra) throws IOException {
        dir = java.nio.file.Files.createTempDirectory("damselfly-test");
        String[] base = {"--port", "0", "--bind", "127.0.0.1", "--threads", "3", "--save", "", "--idle-spin-us", "20",
            "--dir", dir.toString()};
        String[] args = new String[base.length + extra.length];
        System.arraycopy(base, 0, args, 0, base.length);
        System.arraycopy(extra, 0, args, base.length, extra.length);
        server = Damselfly.start(args);
    }

    /** A command Jedis has no constant for. */
    static redis.clients.jedis.commands.ProtocolCommand cmd(String name) {
        byte[] raw = name.getBytes(StandardCharsets.US_ASCII);
        return () -> raw;
    }

    int port() {
        return server.port();
    }

    Jedis jedis() {
        Jedis j = new Jedis("127.0.0.1", port(), 30_000);
        return j;
    }

    Raw raw() throws IOException {
        return new Raw(port());
    }

    @Override
    public void close() {
        server.close();
    }

    /** GET on a replica that may be loading a full sync: null while it answers -LOADING, as Redis does. */
    static String getUnlessLoading(Jedis j, String key) {
        try {
            return j.get(key);
        } catch (redis.clients.jedis.exceptions.JedisDataException e) {
            if (e.getMessage().startsWith("LOADING")) {
                return null;
            }
            throw e;
        }
    }

    /** Waits (generously, for a loaded 2-core machine) until the condition holds. */
    static void await(String what, Duration timeout, BooleanSupplier condition) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting for: " + what);
            }
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError(e);
            }
        }
    }

    /** A raw TCP connection for protocol-level tests. */
    static final class Raw implements AutoCloseable {
        final Socket socket;
        final InputStream in;
        final OutputStream out;

        Raw(int port) throws IOException {
            socket = new Socket("127.0.0.1", port);
            socket.setSoTimeout(30_000);
            socket.setTcpNoDelay(true);
            in = socket.getInputStream();
            out = socket.getOutputStream();
        }

        void send(String s) throws IOException {
            send(s.getBytes(StandardCharsets.ISO_8859_1));
        }

        void send(byte[] b) throws IOException {
            out.write(b);
            out.flush();
        }

        /** Reads one line (without CRLF), or null at end of stream. */
        String line() throws IOException {
            StringBuilder sb = new StringBuilder();
            int c;
            while ((c = in.read()) != -1) {
                if (c == '\r') {
                    int n = in.read();
                    if (n == '\n') {
                        return sb.toString();
                    }
                    sb.append('\r');
                    if (n == -1) {
                        break;
                    }
                    sb.append((char) n);
                    continue;
                }
                sb.append((char) c);
            }
            return sb.length() == 0 ? null : sb.toString();
        }

        /** Sends a command as a RESP array of bulk strings. */
        void command(String... args) throws IOException {
            send(encode(args));
        }

        static String encode(String... args) {
            StringBuilder sb = new StringBuilder("*").append(args.length).append("\r\n");
            for (String a : args) {
                sb.append('$').append(a.getBytes(StandardCharsets.UTF_8).length).append("\r\n").append(a).append("\r\n");
            }
            return sb.toString();
        }

        /** An error reply. */
        record Err(String text) {
        }

        /** A RESP3 push frame. */
        record Push(java.util.List<Object> items) {
        }

        /**
         * Reads one reply: simple and bulk strings as String, integers as Long, null as null,
         * arrays, sets and maps as List, errors as {@link Err}, pushes as {@link Push}.
         */
        Object read() throws IOException {
            String l = line();
            if (l == null) {
                throw new java.io.EOFException("connection closed");
            }
            String rest = l.substring(1);
            switch (l.charAt(0)) {
                case '+':
                    return rest;
                case '-':
                    return new Err(rest);
                case ':':
                    return Long.parseLong(rest);
                case '_':
                    return null;
                case '$': {
                    int n = Integer.parseInt(rest);
                    if (n < 0) {
                        return null;
                    }
                    byte[] b = in.readNBytes(n + 2);
                    return new String(b, 0, n, StandardCharsets.UTF_8);
                }
                case '*':
                case '~':
                case '>':
                case '%': {
                    int n = Integer.parseInt(rest);
                    if (n < 0) {
                        return null;
                    }
                    int items = l.charAt(0) == '%' ? 2 * n : n;
                    java.util.List<Object> out = new java.util.ArrayList<>(items);
                    for (int i = 0; i < items; i++) {
                        out.add(read());
                    }
                    return l.charAt(0) == '>' ? new Push(out) : out;
                }
                default:
                    throw new IOException("unexpected reply line: " + l);
            }
        }

        /** Whether the server closed the connection (reads end of stream). */
        boolean closedByPeer() throws IOException {
            try {
                return in.read() == -1;
            } catch (java.net.SocketException e) {
                return true;
            }
        }

        @Override
        public void close() throws IOException {
            socket.close();
        }
    }
}
