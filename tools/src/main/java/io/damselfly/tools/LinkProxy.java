package io.damselfly.tools;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A TCP proxy for breaking replication links on purpose: it forwards every connection to a
 * target, and {@link #cut()} drops the connections it carries at whatever byte they are at.
 * While {@link #refuse(boolean) refusing}, new connections are closed at once (a long outage).
 *
 * <p>Usage: {@code java -cp tools.jar io.damselfly.tools.LinkProxy <listen-port> <host> <port>};
 * each line typed on stdin cuts the links.
 */
public final class LinkProxy implements AutoCloseable {
    private final ServerSocket server;
    private final String host;
    private final int port;
    private final List<Socket> open = new CopyOnWriteArrayList<>();
    private volatile boolean refusing;
    private volatile boolean stalled;
    private volatile boolean closed;
    private volatile long connections;
    /** While set: what the target sends from the first occurrence of these bytes on is held back. */
    private volatile byte[] holdAt;
    private volatile boolean released;

    public LinkProxy(int listenPort, String host, int port) throws IOException {
        this.server = new ServerSocket();
        server.setReuseAddress(true);
        server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), listenPort));
        this.host = host;
        this.port = port;
        Thread.ofVirtual().name("link-proxy-accept").start(this::accept);
    }

    /** The port clients connect to. */
    public int port() {
        return server.getLocalPort();
    }

    /** Connections accepted so far. */
    public long connections() {
        return connections;
    }

    /** Drops every connection carried now. */
    public void cut() {
        for (Socket s : open) {
            closeQuietly(s);
        }
        open.clear();
    }

    /**
     * While true, nothing is forwarded from the target to the client (a replica that stops
     * reading): the target's socket buffers fill and its writes block.
     */
    public void stall(boolean on) {
        stalled = on;
    }

    /**
     * Forwards what the target sends up to the first occurrence of {@code pattern} after this
     * call (a command in a master's stream, say) and holds that and everything after it until
     * {@link #release()}: a link stopped at a chosen byte, with the bytes before it delivered.
     */
    public void holdAt(byte[] pattern) {
        released = false;
        holdAt = pattern.clone();
    }

    /** Sends what {@link #holdAt} held back, and forwards as before. */
    public void release() {
        released = true;
        holdAt = null;
    }

    /** While true, new connections are closed as soon as they arrive. */
    public void refuse(boolean on) {
        refusing = on;
    }

    private void accept() {
        while (!closed) {
            Socket client;
            try {
                client = server.accept();
            } catch (IOException e) {
                return;
            }
            connections++;
            if (refusing) {
                closeQuietly(client);
                continue;
            }
            Socket upstream = new Socket();
            try {
                upstream.connect(new InetSocketAddress(host, port), 5000);
                client.setTcpNoDelay(true);
                upstream.setTcpNoDelay(true);
            } catch (IOException e) {
                closeQuietly(client);
                closeQuietly(upstream);
                continue;
            }
            open.add(client);
            open.add(upstream);
            Thread.ofVirtual().start(() -> pump(client, upstream, false));
            Thread.ofVirtual().start(() -> pump(upstream, client, true));
        }
    }

    private void pump(Socket from, Socket to, boolean fromTarget) {
        byte[] buf = new byte[64 * 1024];
        try (InputStream in = from.getInputStream()) {
            OutputStream out = to.getOutputStream();
            int n;
            while (true) {
                while (fromTarget && stalled && !from.isClosed()) {
                    java.util.concurrent.locks.LockSupport.parkNanos(10_000_000L);
                }
                if ((n = in.read(buf)) < 0) {
                    break;
                }
                byte[] pattern = holdAt;
                if (fromTarget && pattern != null) {
                    hold(in, out, pattern, buf, n);
                    continue;
                }
                out.write(buf, 0, n);
            }
        } catch (IOException e) {
            // cut, or closed by a side
        } finally {
            closeQuietly(from);
            closeQuietly(to);
            open.remove(from);
            open.remove(to);
        }
    }

    /**
     * Forwarding while a pattern is armed: bytes are passed on as long as they cannot be the
     * pattern's start (the last pattern.length - 1 wait for the next read); from the pattern on,
     * everything waits for {@link #release()}.
     */
    private void hold(InputStream in, OutputStream out, byte[] pattern, byte[] first, int n) throws IOException {
        java.io.ByteArrayOutputStream seen = new java.io.ByteArrayOutputStream();
        seen.write(first, 0, n);
        byte[] buf = new byte[64 * 1024];
        while (true) {
            byte[] all = seen.toByteArray();
            int at = indexOf(all, pattern);
            if (at >= 0) {
                out.write(all, 0, at);
                out.flush();
                java.io.ByteArrayOutputStream held = new java.io.ByteArrayOutputStream();
                held.write(all, at, all.length - at);
                while (!released) {
                    if (in.available() > 0) {
                        int m = in.read(buf);
                        if (m < 0) {
                            return;
                        }
                        held.write(buf, 0, m);
                    } else {
                        java.util.concurrent.locks.LockSupport.parkNanos(1_000_000L);
                    }
                }
                out.write(held.toByteArray());
                return;
            }
            int keep = Math.min(all.length, pattern.length - 1);
            out.write(all, 0, all.length - keep);
            seen.reset();
            seen.write(all, all.length - keep, keep);
            if (holdAt == null) {
                out.write(seen.toByteArray());
                return;
            }
            int m = in.read(buf);
            if (m < 0) {
                return;
            }
            seen.write(buf, 0, m);
        }
    }

    private static int indexOf(byte[] data, byte[] pattern) {
        outer:
        for (int i = 0; i + pattern.length <= data.length; i++) {
            for (int j = 0; j < pattern.length; j++) {
                if (data[i + j] != pattern[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }

    private static void closeQuietly(Socket s) {
        try {
            s.close();
        } catch (IOException e) {
            // closing
        }
    }

    @Override
    public void close() {
        closed = true;
        closeQuietly(server);
        cut();
    }

    private static void closeQuietly(ServerSocket s) {
        try {
            s.close();
        } catch (IOException e) {
            // closing
        }
    }

    public static void main(String[] args) throws IOException {
        if (args.length != 3) {
            System.err.println("usage: LinkProxy <listen-port> <host> <port>");
            System.exit(2);
        }
        try (LinkProxy p = new LinkProxy(Integer.parseInt(args[0]), args[1], Integer.parseInt(args[2]));
             var stdin = new java.io.BufferedReader(new java.io.InputStreamReader(System.in))) {
            System.out.println("proxy on " + p.port() + "; a line on stdin cuts the links");
            while (stdin.readLine() != null) {
                p.cut();
                System.out.println("cut");
            }
        }
    }
}
