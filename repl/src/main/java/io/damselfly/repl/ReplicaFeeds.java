package io.damselfly.repl;

import io.damselfly.engine.command.CommandContext;
import io.damselfly.engine.exec.Client;
import io.damselfly.engine.exec.Engine;
import io.damselfly.engine.exec.Worker;
import io.damselfly.engine.resp.Reply;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The master side of the Redis protocol: SYNC and PSYNC take the connection out of the event
 * loop; a partial resync answers {@code +CONTINUE} and streams from the backlog, a full one cuts a
 * snapshot, answers {@code +FULLRESYNC <replid> <offset of the cut>}, sends the RDB (EOF-marked
 * when the replica said {@code capa eof}, else from a file in {@code dir}, sized) and then the
 * stream from the cut. A reader on the same connection takes the replica's {@code REPLCONF ACK}.
 */
final class ReplicaFeeds {
    private static final Logger LOG = LoggerFactory.getLogger(ReplicaFeeds.class);

    /** Below this many bytes the writer waits {@link #COALESCE_NANOS} for more before its syscall. */
    private static final int COALESCE = 16 * 1024;
    private static final long COALESCE_NANOS = 200_000L;

    private final Engine engine;
    private final RdbPersistence persistence;
    private final ReplicationLog log;
    final AtomicLong syncFull = new AtomicLong();
    final AtomicLong syncPartialOk = new AtomicLong();
    final AtomicLong syncPartialErr = new AtomicLong();

    private final RedisReplication replication;

    ReplicaFeeds(Engine engine, RdbPersistence persistence, ReplicationLog log, RedisReplication replication) {
        this.engine = engine;
        this.persistence = persistence;
        this.log = log;
        this.replication = replication;
    }

    /** A replica on a taken-over connection. */
    final class SocketFeed extends ReplicationLog.Feed {
        final String ip;
        final int port;
        final long clientId;
        volatile String state = "wait_bgsave";
        volatile boolean acked;
        volatile InputStream in;

        SocketFeed(Client c) {
            String addr = c.address();
            String peer = addr.contains(":") ? addr.substring(0, addr.lastIndexOf(':')) : addr;
            this.ip = c.replicaIp != null ? c.replicaIp : peer;
            this.port = c.replicaPort;
            this.clientId = c.id();
        }

        @Override
        public String describe() {
            return "id=" + clientId + " addr=" + ip + ":" + port + " (replica)";
        }

        @Override
        protected void close() {
            InputStream i = in;
            if (i != null) {
                try {
                    i.close(); // closes the socket: the writer's next write and the reader's read fail
                } catch (IOException e) {
                    // closing
                }
            }
        }
    }

    /** SYNC or PSYNC, on the client's worker. */
    void sync(CommandContext c, boolean psync) {
        Client client = c.client;
        if (psync && c.req.argc() > 3 && c.req.is(3, "failover")) {
            String error = replication.promoteOnFailover(c.req.str(1));
            if (error != null) {
                c.reply.error(error);
                return;
            }
        }
        if (!replication.failoverState().equals("no-failover")) {
            c.reply.error("NOMASTERLINK Can't SYNC while failing over");
            return;
        }
        if (replication.nativeLink()) {
            // its Redis stream is not kept: the link goes over to the Redis protocol, and the
            // asking replica retries, as it does while any master's link is down
            replication.chainRequested();
            c.reply.error("NOMASTERLINK Can't SYNC while not connected with my master");
            return;
        }
        if (replication.isReplica() && !replication.linkUp()) {
            c.reply.error("NOMASTERLINK Can't SYNC while not connected with my master");
            return;
        }
        if (psync && !client.replicaRdbOnly) {
            String id = c.req.str(1);
            long want;
            try {
                want = Long.parseLong(c.req.str(2));
            } catch (NumberFormatException e) {
                want = -1;
            }
            long pos = log.continuable(id, want);
            if (pos >= 0) {
                SocketFeed feed = new SocketFeed(client);
                log.attach(feed, pos); // pins the backlog from here before the connection leaves
                boolean psync2 = client.replicaCapaPsync2;
                String replid = log.replid();
                client.setFlag(Client.FLAG_REPLICA);
                boolean taken = engine.host().takeOver(client, (in, out) -> {
                    feed.in = in;
                    out.write((psync2 ? "+CONTINUE " + replid + "\r\n" : "+CONTINUE\r\n").getBytes(StandardCharsets.US_ASCII));
                    out.flush();
                    syncPartialOk.incrementAndGet();
                    LOG.info("Partial resynchronization request from {} accepted. Sending {} bytes of backlog starting from offset {}.",
                            feed.describe(), log.offset() - pos, pos + 1);
                    feed.state = "online";
                    feed.online = true;
                    stream(feed, in, out, false);
                });
                if (!taken) {
                    log.detach(feed);
                    c.reply.error("ERR this server cannot hand a connection over");
                }
                return;
            }
            if (!id.equals("?")) {
                syncPartialErr.incrementAndGet();
            }
        }
        boolean eof = client.replicaCapaEof;
        boolean rdbOnly = client.replicaRdbOnly;
        SocketFeed feed = rdbOnly ? null : new SocketFeed(client);
        client.setFlag(Client.FLAG_REPLICA);
        boolean taken = engine.host().takeOver(client, (in, out) -> {
            if (feed != null) {
                feed.in = in;
            }
            fullSync(feed, psync, eof, in, out);
        });
        if (!taken) {
            c.reply.error("ERR this server cannot hand a connection over");
        }
    }

    private void fullSync(SocketFeed feed, boolean psync, boolean eof, InputStream in, OutputStream out) throws IOException {
        syncFull.incrementAndGet();
        SyncHook hook = feed == null ? null : new SyncHook(feed, psync, eof, out);
        if (feed != null) {
            engine.onTransactionDone(log::transactionDone);
        }
        try {
            if (hook != null) {
                hook.beforeCut();
            }
            LOG.info("Replica {} asks for synchronization; starting a snapshot for it ({})",
                    feed == null ? "redis-cli" : feed.describe(), eof ? "diskless" : "disk");
            if (eof || feed == null) {
                if (feed == null) {
                    String mark = eofMark();
                    if (psync) {
                        out.write(("+FULLRESYNC " + log.replid() + " " + log.offset() + "\r\n").getBytes(StandardCharsets.US_ASCII));
                    }
                    out.write(("$EOF:" + mark + "\r\n").getBytes(StandardCharsets.US_ASCII));
                    long bytes = persistence.snapshotTo(out::write);
                    out.write(mark.getBytes(StandardCharsets.US_ASCII));
                    out.flush();
                    LOG.info("Full copy of {} bytes sent to redis-cli", bytes);
                    return;
                }
                String mark = hook.mark;
                long bytes = persistence.snapshotTo(out::write, hook);
                out.write(mark.getBytes(StandardCharsets.US_ASCII));
                out.flush();
                LOG.info("Synchronization with replica {} succeeded: {} bytes of RDB", feed.describe(), bytes);
            } else {
                Path dir = Path.of(engine.settings().get("dir").value());
                Path tmp = dir.resolve("temp-" + ProcessHandle.current().pid() + "-" + feed.clientId + ".rdb");
                try {
                    long bytes;
                    try (OutputStream file = new java.io.BufferedOutputStream(Files.newOutputStream(tmp), 64 * 1024)) {
                        bytes = persistence.snapshotTo(file::write, hook);
                    }
                    out.write(("$" + bytes + "\r\n").getBytes(StandardCharsets.US_ASCII));
                    try (InputStream file = Files.newInputStream(tmp)) {
                        file.transferTo(out);
                    }
                    out.flush();
                    LOG.info("Synchronization with replica {} succeeded: {} bytes of RDB from disk", feed.describe(), bytes);
                } finally {
                    Files.deleteIfExists(tmp);
                }
            }
        } catch (IOException | RuntimeException e) {
            if (hook != null && hook.heldUpstream) {
                replication.resumeUpstream();
            }
            if (feed != null) {
                log.detach(feed);
            }
            throw e;
        }
        // an EOF-marked RDB ends where the mark is the last thing read: nothing may follow it
        // until the replica says it loaded (its first ACK), as Redis puts a diskless replica online
        stream(feed, in, out, eof);
    }

    /** The cut of a full sync: starts the journal on each shard, and the feed at the cut's offset. */
    private final class SyncHook implements RdbPersistence.CutHook {
        final String mark = eofMark();
        private final SocketFeed feed;
        private final boolean psync;
        private final boolean eof;
        private final OutputStream out;
        private boolean first = true;
        private volatile long cutAt = -1;
        /** On a replica: the stream is held back from the start of the cut until after it. */
        private boolean heldUpstream;

        /** Before the cut: a replica's snapshot stands for the offset it applied, with its stream held. */
        void beforeCut() {
            if (log.upstream()) {
                heldUpstream = true;
                cutAt = replication.pauseUpstream();
                log.attach(feed, cutAt);
            }
        }

        SyncHook(SocketFeed feed, boolean psync, boolean eof, OutputStream out) {
            this.feed = feed;
            this.psync = psync;
            this.eof = eof;
            this.out = out;
        }

        @Override
        public void onShard(Worker w, long txid) {
            if (heldUpstream) {
                return;
            }
            if (w.shard().journal().sink() == null) {
                w.shard().journal().attach(replication.sinkFor(w.index()));
            }
            boolean announce;
            synchronized (this) {
                announce = first;
                first = false;
            }
            log.cut(w.index(), txid, announce ? at -> {
                cutAt = at;
                log.attach(feed, at);
            } : null);
        }

        @Override
        public void afterCut() throws IOException {
            // the coordinator finished the cut before the snapshot's future completed: cutAt is set
            if (heldUpstream) {
                heldUpstream = false;
                replication.resumeUpstream();
            }
            if (psync) {
                out.write(("+FULLRESYNC " + log.replid() + " " + cutAt + "\r\n").getBytes(StandardCharsets.US_ASCII));
            }
            if (eof) {
                out.write(("$EOF:" + mark + "\r\n").getBytes(StandardCharsets.US_ASCII));
            }
            out.flush();
            feed.state = "send_bulk";
        }
    }

    private static String eofMark() {
        String hex = "0123456789abcdef";
        StringBuilder sb = new StringBuilder(40);
        ThreadLocalRandom r = ThreadLocalRandom.current();
        for (int i = 0; i < 40; i++) {
            sb.append(hex.charAt(r.nextInt(16)));
        }
        return sb.toString();
    }

    /**
     * Streams from the feed's position until the replica goes; a reader takes its ACKs. With
     * {@code onAck}, the stream waits for the replica's first ACK (up to repl-timeout).
     */
    private void stream(SocketFeed feed, InputStream in, OutputStream out, boolean onAck) throws IOException {
        long sentAt = System.currentTimeMillis();
        feed.ackMs = sentAt;
        Thread reader = Thread.ofVirtual().name("damselfly-replica-acks-" + feed.clientId).start(() -> acks(feed, in));
        byte[] buf = new byte[ReplicationLog.BLOCK];
        try {
            if (onAck) {
                long timeout = engine.settings().get("repl-timeout").number() * 1000;
                while (!feed.acked && !feed.dropped) {
                    if (System.currentTimeMillis() - sentAt > timeout) {
                        throw new IOException("no ACK from the replica after its RDB");
                    }
                    log.awaitAck(100);
                }
            }
            feed.state = "online";
            feed.online = true;
            while (true) {
                int n = log.read(feed, buf, 0, 1000);
                if (n < 0) {
                    break;
                }
                if (n > 0 && n < COALESCE) {
                    // a trickle: let a few more writes arrive so one syscall carries them all
                    // (shard threads then append without waking this thread: it is not waiting)
                    java.util.concurrent.locks.LockSupport.parkNanos(COALESCE_NANOS);
                    int more = log.read(feed, buf, n, 0);
                    n += Math.max(0, more);
                }
                if (n > 0) {
                    out.write(buf, 0, n);
                    out.flush();
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            log.detach(feed);
            feed.drop();
            reader.interrupt();
            LOG.info("Connection with replica {} lost.", feed.describe());
        }
    }

    /** Reads the replica's commands: REPLCONF ACK offset [FACK offset]; anything else is ignored. */
    private void acks(SocketFeed feed, InputStream raw) {
        InputStream in = new BufferedInputStream(raw, 4096);
        try {
            while (!feed.dropped) {
                String[] cmd = readCommand(in);
                if (cmd == null) {
                    break;
                }
                if (cmd.length >= 3 && cmd[0].equalsIgnoreCase("replconf") && cmd[1].equalsIgnoreCase("ack")) {
                    try {
                        long at = Long.parseLong(cmd[2]);
                        if (at > feed.ack) {
                            feed.ack = at;
                        }
                        feed.acked = true;
                        feed.ackMs = System.currentTimeMillis();
                        log.acked();
                    } catch (NumberFormatException e) {
                        // ignored, as Redis ignores a malformed ACK
                    }
                }
            }
        } catch (IOException e) {
            // the connection went; the writer notices too
        } finally {
            feed.drop();
            log.wakeAll();
        }
    }

    /** One command in RESP (or inline), or null at the end of the stream. */
    static String[] readCommand(InputStream in) throws IOException {
        String line = readLine(in);
        if (line == null) {
            return null;
        }
        if (line.isEmpty()) {
            return new String[0];
        }
        if (line.charAt(0) != '*') {
            return line.trim().split("\\s+");
        }
        int n = Integer.parseInt(line.substring(1));
        if (n < 0 || n > 1024) {
            throw new IOException("bad array length from replica");
        }
        String[] args = new String[n];
        for (int i = 0; i < n; i++) {
            String h = readLine(in);
            if (h == null || h.isEmpty() || h.charAt(0) != '$') {
                throw new IOException("bad bulk from replica");
            }
            int len = Integer.parseInt(h.substring(1));
            if (len < 0 || len > 1 << 20) {
                throw new IOException("bad bulk length from replica");
            }
            byte[] b = in.readNBytes(len + 2);
            if (b.length < len + 2) {
                return null;
            }
            args[i] = new String(b, 0, len, StandardCharsets.UTF_8);
        }
        return args;
    }

    private static String readLine(InputStream in) throws IOException {
        StringBuilder sb = new StringBuilder();
        int c;
        while ((c = in.read()) != '\n') {
            if (c < 0) {
                return null;
            }
            if (c != '\r') {
                sb.append((char) c);
            }
            if (sb.length() > 64 * 1024) {
                throw new IOException("line too long from replica");
            }
        }
        return sb.toString();
    }

    /** The replica that announced {@code host}:{@code port}, or null. */
    SocketFeed find(String host, int port) {
        for (ReplicationLog.Feed f : log.feeds()) {
            SocketFeed s = (SocketFeed) f;
            if (s.ip.equals(host) && s.port == port) {
                return s;
            }
        }
        return null;
    }

    // ------------------------------------------------------------------ reporting

    /** INFO's slaveN lines and the count. */
    String replicaLines() {
        StringBuilder sb = new StringBuilder();
        var feeds = log.feeds();
        sb.append("connected_slaves:").append(feeds.size() + replication.nativeMaster().sessionCount()).append("\r\n");
        long now = System.currentTimeMillis();
        int i = 0;
        for (ReplicationLog.Feed f : feeds) {
            SocketFeed s = (SocketFeed) f;
            sb.append("slave").append(i++).append(":ip=").append(s.ip).append(",port=").append(s.port)
                    .append(",state=").append(s.state).append(",offset=").append(s.ack)
                    .append(",lag=").append((now - s.ackMs) / 1000).append("\r\n");
        }
        sb.append(replication.nativeMaster().replicaLines(i));
        return sb.toString();
    }

    void role(Reply reply) {
        var feeds = log.feeds();
        reply.array(3);
        reply.bulk("master");
        reply.integer(replication.masterOffset());
        int online = replication.nativeMaster().sessionCount();
        for (ReplicationLog.Feed f : feeds) {
            if (f.online) {
                online++;
            }
        }
        reply.array(online);
        for (ReplicationLog.Feed f : feeds) {
            if (!f.online) {
                continue;
            }
            SocketFeed s = (SocketFeed) f;
            reply.array(3);
            reply.bulk(s.ip);
            reply.bulk(Integer.toString(s.port));
            reply.bulk(Long.toString(s.ack));
        }
        replication.nativeMaster().role(reply);
    }
}
