package io.damselfly.repl;

import io.damselfly.engine.exec.Engine;
import io.damselfly.engine.exec.InternalClient;
import io.damselfly.engine.exec.Replication;
import io.damselfly.engine.resp.Reply;
import io.damselfly.repl.rdb.RdbIn;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.locks.LockSupport;

/**
 * A replica's link to a master over the Redis protocol, as a Redis 7.0 replica does it: the
 * handshake (PING, AUTH, REPLCONF listening-port and capa, PSYNC), a full sync whose RDB (sized
 * or EOF-marked) is loaded as a stream, then the master's command stream applied in order
 * through a client of the server's own, with REPLCONF ACK every second. The link runs on a
 * virtual thread and reconnects with back-off. First steps of the replication issue: no
 * backlog and no partial resync yet (every connection asks PSYNC ? -1).
 */
public final class RedisReplication implements Replication {
    private static final Logger LOG = LoggerFactory.getLogger(RedisReplication.class);
    /** Stream bytes fed to the applying client and not yet applied, at most. */
    private static final long IN_FLIGHT = 1 << 20;

    private final Engine engine;
    private final RdbPersistence persistence;
    private final int listeningPort;
    private volatile Link link;
    private volatile String masterReplId = "0000000000000000000000000000000000000000";

    public RedisReplication(Engine engine, RdbPersistence persistence, int listeningPort) {
        this.engine = engine;
        this.persistence = persistence;
        this.listeningPort = listeningPort;
    }

    @Override
    public synchronized String replicaOf(String host, int port) {
        Link old = link;
        if (host == null) {
            if (old != null) {
                old.stop();
                link = null;
                replicaMode(false);
                LOG.info("MASTER MODE enabled (user request)");
            }
            return null;
        }
        if (old != null && old.host.equals(host) && old.port == port) {
            return null; // already following it, as Redis says +OK Already connected
        }
        if (old != null) {
            old.stop();
        }
        replicaMode(true);
        Link l = new Link(host, port);
        link = l;
        LOG.info("REPLICAOF {}:{} enabled (user request)", host, port);
        l.thread = Thread.ofVirtual().name("damselfly-replica-link").start(l::run);
        return null;
    }

    /**
     * Shards of a replica do not expire keys themselves: they wait for the master's DEL. Posted,
     * not awaited: REPLICAOF runs on a shard thread, and each shard takes its task before any
     * write of the link's (those are posted later, from the link's thread).
     */
    private void replicaMode(boolean on) {
        for (int s = 0; s < engine.shards(); s++) {
            engine.post(s, w -> w.shard().replicaMode(on));
        }
    }

    @Override
    public boolean isReplica() {
        return link != null;
    }

    @Override
    public boolean linkUp() {
        Link l = link;
        return l != null && l.state.equals("connected");
    }

    /** A replica's INFO replication fields (a master's come from the engine). */
    @Override
    public String info() {
        Link l = link;
        if (l == null) {
            return engine.replicationInfo(); // a master's fields
        }
        long offset = l.offset();
        boolean up = l.state.equals("connected");
        long now = System.currentTimeMillis();
        return "role:slave\r\n"
                + "master_host:" + l.host + "\r\n"
                + "master_port:" + l.port + "\r\n"
                + "master_link_status:" + (up ? "up" : "down") + "\r\n"
                + "master_last_io_seconds_ago:" + (up ? (now - l.lastIoMs) / 1000 : -1) + "\r\n"
                + "master_sync_in_progress:" + (l.state.equals("sync") ? 1 : 0) + "\r\n"
                + "slave_read_repl_offset:" + l.readOffset() + "\r\n"
                + "slave_repl_offset:" + offset + "\r\n"
                + (up ? "" : "master_link_down_since_seconds:" + (now - l.downSinceMs) / 1000 + "\r\n")
                + "slave_priority:100\r\n"
                + "slave_read_only:" + (engine.settings().get("replica-read-only").value().equals("yes") ? 1 : 0) + "\r\n"
                + "replica_announced:1\r\n"
                + "connected_slaves:0\r\n"
                + "master_failover_state:no-failover\r\n"
                + "master_replid:" + masterReplId + "\r\n"
                + "master_replid2:0000000000000000000000000000000000000000\r\n"
                + "master_repl_offset:" + offset + "\r\n"
                + "second_repl_offset:-1\r\n"
                + "repl_backlog_active:0\r\n"
                + "repl_backlog_size:1048576\r\n"
                + "repl_backlog_first_byte_offset:0\r\n"
                + "repl_backlog_histlen:0\r\n";
    }

    @Override
    public void role(Reply reply) {
        Link l = link;
        if (l == null) {
            reply.array(3);
            reply.bulk("master");
            reply.integer(0);
            reply.array(0);
            return;
        }
        reply.array(5);
        reply.bulk("slave");
        reply.bulk(l.host);
        reply.integer(l.port);
        reply.bulk(l.state);
        reply.integer(l.offset());
    }

    /** One connection to one master, reconnecting until stopped. */
    private final class Link {
        final String host;
        final int port;
        volatile Thread thread;
        volatile boolean stopped;
        volatile String state = "connect";
        volatile long lastIoMs;
        volatile long downSinceMs = System.currentTimeMillis();
        volatile Socket socket;
        /** Master offset where the stream we apply began, and the client that applies it. */
        volatile long baseOffset;
        volatile InternalClient applier;
        volatile long read;

        Link(String host, int port) {
            this.host = host;
            this.port = port;
        }

        long offset() {
            InternalClient a = applier;
            return a == null ? baseOffset : baseOffset + a.consumed();
        }

        long readOffset() {
            return baseOffset + read;
        }

        void stop() {
            stopped = true;
            Socket s = socket;
            if (s != null) {
                try {
                    s.close();
                } catch (IOException e) {
                    // closing
                }
            }
            Thread t = thread;
            if (t != null) {
                t.interrupt();
            }
        }

        void run() {
            long backoff = 100;
            while (!stopped) {
                try (Socket s = new Socket()) {
                    socket = s;
                    state = "connecting";
                    s.connect(new InetSocketAddress(host, port), 5000);
                    s.setSoTimeout((int) Math.min(Integer.MAX_VALUE, engine.settings().get("repl-timeout").number() * 1000));
                    s.setTcpNoDelay(true);
                    session(s);
                } catch (IOException | RuntimeException e) {
                    if (!stopped) {
                        LOG.warn("Replication link to {}:{} lost: {}", host, port, e.getMessage());
                    }
                } finally {
                    if (!state.equals("connect")) {
                        downSinceMs = System.currentTimeMillis();
                    }
                    state = "connect";
                    applier = null;
                }
                if (!stopped) {
                    LockSupport.parkNanos(backoff * 1_000_000L);
                    backoff = Math.min(backoff * 2, 5000);
                }
            }
        }

        private void session(Socket s) throws IOException {
            InputStream in = new BufferedInputStream(s.getInputStream(), 64 * 1024);
            OutputStream out = s.getOutputStream();
            state = "handshake";
            expect(in, out, "PING");
            String auth = engine.settings().get("masterauth").value();
            if (!auth.isEmpty()) {
                String user = engine.settings().get("masteruser").value();
                if (user.isEmpty()) {
                    expect(in, out, "AUTH", auth);
                } else {
                    expect(in, out, "AUTH", user, auth);
                }
            }
            expect(in, out, "REPLCONF", "listening-port", Integer.toString(listeningPort));
            expect(in, out, "REPLCONF", "capa", "eof", "capa", "psync2");
            send(out, "PSYNC", "?", "-1");
            String reply = line(in);
            if (!reply.startsWith("+FULLRESYNC ")) {
                throw new IOException("unexpected reply to PSYNC: " + reply);
            }
            String[] parts = reply.split(" ");
            masterReplId = parts[1];
            long offset = Long.parseLong(parts[2].trim());
            state = "sync";
            String head = line(in);
            LOG.info("Full resync from master: {}:{} ({})", parts[1], offset, head);
            persistence.emptyDataset();
            RdbIn rdb = new RdbIn(in, 64 * 1024);
            RdbLoader.Result r = persistence.loadFromMaster(rdb);
            byte[] rest = rdb.takeBuffered();
            int skip = 0;
            if (head.startsWith("$EOF:")) {
                byte[] mark = head.substring(5).getBytes(StandardCharsets.US_ASCII);
                byte[] got = new byte[mark.length];
                int have = Math.min(rest.length, mark.length);
                System.arraycopy(rest, 0, got, 0, have);
                if (have < mark.length) {
                    readFully(in, got, have, mark.length - have);
                }
                if (!java.util.Arrays.equals(got, mark)) {
                    throw new IOException("the RDB did not end with its EOF mark");
                }
                skip = have;
            }
            LOG.info("MASTER <-> REPLICA sync: Finished with success, {} keys", r.keysLoaded());
            baseOffset = offset;
            read = 0;
            InternalClient a = engine.streamClient();
            applier = a;
            state = "connected";
            lastIoMs = System.currentTimeMillis();
            Thread acks = Thread.ofVirtual().name("damselfly-replica-ack").start(() -> acks(out));
            try {
                if (rest.length > skip) {
                    feed(a, java.util.Arrays.copyOfRange(rest, skip, rest.length));
                }
                byte[] buf = new byte[64 * 1024];
                while (!stopped) {
                    int n = in.read(buf);
                    if (n < 0) {
                        throw new IOException("master closed the connection");
                    }
                    lastIoMs = System.currentTimeMillis();
                    feed(a, java.util.Arrays.copyOf(buf, n));
                }
            } finally {
                acks.interrupt();
            }
        }

        /** Hands stream bytes to the applying client, waiting while a megabyte is still unapplied. */
        private void feed(InternalClient a, byte[] bytes) {
            read += bytes.length;
            engine.post(0, w -> a.stream(w, bytes));
            while (!stopped && read - a.consumed() > IN_FLIGHT) {
                LockSupport.parkNanos(1_000_000L);
            }
        }

        private void acks(OutputStream out) {
            while (!stopped && !Thread.currentThread().isInterrupted()) {
                try {
                    Thread.sleep(1000);
                    synchronized (out) {
                        send(out, "REPLCONF", "ACK", Long.toString(offset()));
                    }
                } catch (InterruptedException e) {
                    return;
                } catch (IOException e) {
                    return;
                }
            }
        }

        private void expect(InputStream in, OutputStream out, String... command) throws IOException {
            send(out, command);
            String reply = line(in);
            if (reply.startsWith("-") && !(command[0].equals("REPLCONF") && command[1].equals("capa"))) {
                throw new IOException("master replied to " + command[0] + ": " + reply);
            }
        }
    }

    private static void send(OutputStream out, String... args) throws IOException {
        StringBuilder sb = new StringBuilder("*").append(args.length).append("\r\n");
        for (String a : args) {
            byte[] b = a.getBytes(StandardCharsets.UTF_8);
            sb.append('$').append(b.length).append("\r\n").append(a).append("\r\n");
        }
        out.write(sb.toString().getBytes(StandardCharsets.UTF_8));
        out.flush();
    }

    /** A reply line, skipping the empty lines a master sends to keep the link alive while it prepares. */
    private static String line(InputStream in) throws IOException {
        while (true) {
            StringBuilder sb = new StringBuilder();
            int c;
            while ((c = in.read()) != '\n') {
                if (c < 0) {
                    throw new IOException("connection closed by the master");
                }
                if (c != '\r') {
                    sb.append((char) c);
                }
            }
            if (sb.length() > 0) {
                return sb.toString();
            }
        }
    }

    private static void readFully(InputStream in, byte[] b, int off, int len) throws IOException {
        while (len > 0) {
            int n = in.read(b, off, len);
            if (n < 0) {
                throw new IOException("connection closed by the master");
            }
            off += n;
            len -= n;
        }
    }
}
