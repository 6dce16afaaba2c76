package io.damselfly.repl;

import io.damselfly.engine.command.CommandContext;
import io.damselfly.engine.exec.Client;
import io.damselfly.engine.exec.Engine;
import io.damselfly.engine.exec.Worker;
import io.damselfly.engine.resp.Reply;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

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
 * stream from the cut. Then the connection joins a proactor's loop, which writes the stream and
 * takes the replica's {@code REPLCONF ACK}s ({@link FeedPump}).
 */
final class ReplicaFeeds {
    private static final Logger LOG = LoggerFactory.getLogger(ReplicaFeeds.class);

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
                    stream(client, feed, out, false);
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
            fullSync(client, feed, psync, eof, out);
        });
        if (!taken) {
            c.reply.error("ERR this server cannot hand a connection over");
        }
    }

    private void fullSync(Client client, SocketFeed feed, boolean psync, boolean eof, OutputStream out) throws IOException {
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
        stream(client, feed, out, eof);
    }

    /** The cut of a full sync: starts the journal on each shard, and the feed at the cut's offset. */
    private final class SyncHook implements RdbPersistence.CutHook {
        final String mark = eofMark();
        private final SocketFeed feed;
        private final boolean psync;
        private final boolean eof;
        private final OutputStream out;
        private boolean first = true;
        private final CutOffset cutAt = new CutOffset();
        /** On a replica: the stream is held back from the start of the cut until after it. */
        private boolean heldUpstream;
        /**
         * The database the stream has selected at the cut: a master's stream selects one before
         * its first command after a cut; a replica forwards its master's as it is, so the
         * replica that starts there learns it from the RDB's repl-stream-db, as in Redis.
         */
        private int streamDb;

        /** Before the cut: a replica's snapshot stands for the offset it applied, with its stream held. */
        void beforeCut() {
            if (log.upstream()) {
                heldUpstream = true;
                long at = replication.pauseUpstream();
                cutAt.set(at);
                streamDb = replication.upstreamDb();
                log.attach(feed, at);
            }
        }

        @Override
        public void aux(java.util.Map<String, String> aux) {
            aux.put("repl-stream-db", Integer.toString(streamDb));
            aux.put("repl-id", log.replid());
            aux.put("repl-offset", Long.toString(cutAt.get()));
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
                log.attach(feed, at);
                cutAt.set(at);
            } : null);
        }

        @Override
        public void afterCut() throws IOException {
            if (heldUpstream) {
                heldUpstream = false;
                replication.resumeUpstream();
            }
            // the merge may name the offset a little after the cut (a replica told -1 would never match an ACK)
            long at = cutAt.await(60);
            if (at < 0) {
                throw new IOException("the stream did not reach the sync's cut within 60 s");
            }
            if (psync) {
                out.write(("+FULLRESYNC " + log.replid() + " " + at + "\r\n").getBytes(StandardCharsets.US_ASCII));
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
     * Hands the replica's connection, its RDB sent, to a proactor's loop, which streams from the
     * feed's position until the replica goes and reads its ACKs ({@link FeedPump}). With
     * {@code onAck}, nothing is streamed before the replica's first ACK (up to repl-timeout).
     */
    private void stream(Client client, SocketFeed feed, OutputStream out, boolean onAck) throws IOException {
        out.flush();
        feed.ackMs = System.currentTimeMillis();
        if (!onAck) {
            feed.state = "online";
            feed.online = true;
        }
        int proactor = (int) (feed.clientId % engine.shards());
        FeedPump pump = new FeedPump(feed, proactor, onAck);
        feed.in = null; // from here its loop closes it (FeedPump.finished)
        if (!engine.host().pumpAfterTakeover(client, proactor, pump)) {
            log.detach(feed);
            feed.drop();
            throw new IOException("the replica's connection could not join an event loop");
        }
    }

    /**
     * A replica's stream on a proactor's loop ({@link io.damselfly.engine.exec.Host.Pump}): the loop
     * writes the stream into the socket once a batch is ready or when it is about to idle, and
     * parses the replica's {@code REPLCONF ACK}s, so no thread waits on the stream and none is woken
     * per write. Shards append from their own threads; while the loop may be asleep, the first
     * append after the loop last read posts it one (empty) message, which wakes it ({@link #signal}).
     */
    private final class FeedPump implements io.damselfly.engine.exec.Host.Pump {
        private static final int MAX_INPUT = 64 * 1024;
        private final SocketFeed feed;
        private final int proactor;
        /** While the replica is to load its RDB first: the time its first ACK is due by; else 0. */
        private long ackDue;
        private final java.nio.ByteBuffer out = java.nio.ByteBuffer.allocate(ReplicationLog.BLOCK).flip();
        private final io.damselfly.engine.resp.RespParser parser = new io.damselfly.engine.resp.RespParser();
        private byte[] in = new byte[256];
        private int inLength;
        private volatile String failed;
        /**
         * Whether a wake-up is on its way, or the loop has yet to read what came since it last
         * read. The loop clears it before it reads under the log's monitor; an appender, under
         * that monitor, posts only when it finds it clear. So an append either comes before the
         * read in the monitor's order (the read takes it) or after the clearing (it posts).
         */
        private final java.util.concurrent.atomic.AtomicBoolean signalled = new java.util.concurrent.atomic.AtomicBoolean();

        FeedPump(SocketFeed feed, int proactor, boolean onAck) {
            this.feed = feed;
            this.proactor = proactor;
            this.ackDue = onAck ? System.currentTimeMillis() + engine.settings().get("repl-timeout").number() * 1000 : 0;
        }

        private void signal() {
            if (!signalled.get() && signalled.compareAndSet(false, true)) {
                engine.post(proactor, w -> {
                    // nothing to do: the loop's next idle turn pumps
                });
            }
        }

        @Override
        public void attached(Runnable drainNow) {
            feed.signal = this::signal;
        }

        @Override
        public long pending() {
            if (failed != null || feed.dropped) {
                return 1; // pump() is called and finished() says so
            }
            if (out.hasRemaining()) {
                return out.remaining();
            }
            if (ackDue != 0) {
                if (System.currentTimeMillis() > ackDue) {
                    failed = "no ACK from the replica after its RDB";
                    return 1;
                }
                return 0;
            }
            return Math.max(0, log.publishedOffset() - feed.position);
        }

        @Override
        public boolean pump(java.nio.channels.WritableByteChannel channel) throws IOException {
            if (failed != null || feed.dropped || ackDue != 0 && !out.hasRemaining()) {
                return false;
            }
            if (!out.hasRemaining()) {
                signalled.set(false);
                int n = log.read(feed, out.array(), 0);
                if (n <= 0) {
                    return false; // nothing, or the feed was dropped (finished() says so)
                }
                out.clear().limit(n);
            }
            channel.write(out);
            return out.hasRemaining();
        }

        @Override
        public void received(java.nio.ByteBuffer bytes) {
            int n = bytes.remaining();
            if (inLength + n > MAX_INPUT) {
                failed = "too much input from the replica";
                return;
            }
            if (inLength + n > in.length) {
                in = java.util.Arrays.copyOf(in, Math.max(inLength + n, in.length * 2));
            }
            bytes.get(in, inLength, n);
            inLength += n;
            for (;;) {
                int st = parser.parse(in, inLength, MAX_INPUT, false);
                if (st == io.damselfly.engine.resp.RespParser.INCOMPLETE) {
                    break;
                }
                if (st == io.damselfly.engine.resp.RespParser.ERROR) {
                    failed = "bad input from the replica: " + parser.error();
                    return;
                }
                command();
            }
            int used = parser.position();
            System.arraycopy(in, used, in, 0, inLength - used);
            inLength -= used;
            parser.shift(used);
        }

        /** REPLCONF ACK offset [FACK offset]; anything else is ignored. */
        private void command() {
            int[] off = parser.argOffsets();
            int[] len = parser.argLengths();
            if (parser.argc() < 3 || !is(off[0], len[0], "replconf") || !is(off[1], len[1], "ack")) {
                return;
            }
            long at;
            try {
                at = Long.parseLong(new String(in, off[2], len[2], StandardCharsets.US_ASCII));
            } catch (NumberFormatException e) {
                return; // ignored, as Redis ignores a malformed ACK
            }
            if (at > feed.ack) {
                feed.ack = at;
            }
            feed.acked = true;
            feed.ackMs = System.currentTimeMillis();
            if (ackDue != 0) {
                ackDue = 0; // loaded: the stream goes on
                feed.state = "online";
                feed.online = true;
            }
            log.acked();
        }

        private boolean is(int off, int len, String word) {
            return len == word.length() && new String(in, off, len, StandardCharsets.US_ASCII).equalsIgnoreCase(word);
        }

        @Override
        public boolean finished() {
            return failed != null || feed.dropped;
        }

        @Override
        public void closed(String why) {
            feed.signal = null;
            log.detach(feed);
            feed.drop();
            log.wakeAll();
            LOG.info("Connection with replica {} lost ({}).", feed.describe(), failed != null ? failed : why);
        }
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
