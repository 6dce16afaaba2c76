package io.damselfly.repl.flow;

import io.damselfly.engine.command.CommandContext;
import io.damselfly.engine.command.CommandSpec;
import io.damselfly.engine.command.MultiShardOp;
import io.damselfly.engine.exec.Client;
import io.damselfly.engine.exec.Engine;
import io.damselfly.engine.exec.Tx;
import io.damselfly.engine.exec.TxPart;
import io.damselfly.engine.journal.JournalSink;
import io.damselfly.engine.resp.Reply;
import io.damselfly.repl.snapshot.Snapshot;
import io.damselfly.repl.snapshot.Snapshots;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * The master side of native replication (DESIGN.md, "Native parallel sync"): every shard
 * journals into its own {@link FlowLog}; a replica's session has one flow per shard, each
 * streamed by its own virtual thread straight from that shard's log, so the flows use every
 * core and share nothing. A full sync cuts one snapshot across the shards and each flow sends its
 * shard's entries with the shard's records between them (see {@link Snapshot#streamShard}): no
 * buffer of writes grows, whatever the sync's length. A partial sync resumes every flow at the
 * LSN the replica names. A marker, written into every log at one point (an operation over all
 * shards), gives the node one offset: the sum of the logs' positions at that point.
 */
public final class NativeMaster {
    private static final Logger LOG = LoggerFactory.getLogger(NativeMaster.class);
    private static final byte[] RDB_HEAD = "REDIS0010".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] RDB_TAIL = {(byte) 0xFF, 0, 0, 0, 0, 0, 0, 0, 0};

    private final Engine engine;
    private final Snapshots snapshots;
    private final FlowLog[] logs;
    private final List<Session> sessions = new CopyOnWriteArrayList<>();
    /** Sessions between DFLY HELLO and DFLY SYNC: not replicas yet; dropped after a minute. */
    private final List<Session> greeted = new CopyOnWriteArrayList<>();
    private final AtomicLong sessionIds = new AtomicLong();
    private final AtomicLong markerIds = new AtomicLong();
    /** Whether the shards journal into the logs (a master once a native replica came; volatile for the shards). */
    private volatile boolean recording;
    private volatile String logId = newId();
    /** The id this log had before a promotion, valid up to {@link #switchLsn} on every shard. */
    private volatile String logId2 = "0000000000000000000000000000000000000000";
    private volatile long[] switchLsn;
    private volatile long lastSessionMs = System.currentTimeMillis();
    final AtomicLong syncFull = new AtomicLong();
    final AtomicLong syncPartial = new AtomicLong();
    private final Thread cron;
    private volatile boolean closed;

    public NativeMaster(Engine engine, Snapshots snapshots) {
        this.engine = engine;
        this.snapshots = snapshots;
        this.logs = new FlowLog[engine.shards()];
        for (int i = 0; i < logs.length; i++) {
            logs[i] = new FlowLog(i);
            logs[i].backlogSetting = engine.settings().get("shard-backlog-size");
        }
        applySettings();
        this.cron = Thread.ofVirtual().name("damselfly-flow-cron").start(this::cron);
    }

    static String newId() {
        byte[] b = new byte[20];
        new SecureRandom().nextBytes(b);
        return HexFormat.of().formatHex(b);
    }

    public FlowLog log(int shard) {
        return logs[shard];
    }

    public int shards() {
        return logs.length;
    }

    public String logId() {
        return logId;
    }

    public boolean recording() {
        return recording;
    }

    /** Starts or stops journaling into the logs (shards read the flag on each record). */
    public void recording(boolean on) {
        recording = on;
    }

    /** A replica that mirrors its master takes the master's log id (then its logs continue the same history). */
    void adoptId(String id) {
        logId = id;
    }

    /** A promotion: a new id; the old one stays valid up to where the logs are now (as PSYNC2's replid2). */
    public void shiftId() {
        long[] at = new long[logs.length];
        for (int i = 0; i < logs.length; i++) {
            at[i] = logs[i].publishedLsn();
        }
        switchLsn = at;
        logId2 = logId;
        logId = newId();
    }

    /**
     * The LSN of every log, when they stand for this node's data (it recorded every write, or
     * mirrored its master): what this node asks a new master to continue from. Null otherwise.
     */
    public long[] history() {
        if (!recording && !mirroring) {
            return null;
        }
        long[] at = new long[logs.length];
        for (int i = 0; i < logs.length; i++) {
            at[i] = logs[i].publishedLsn();
        }
        return at;
    }

    /** The node's offset: the sum of the logs' positions (any thread). */
    public long offset() {
        long n = 0;
        for (FlowLog l : logs) {
            n += l.publishedEnd();
        }
        return n;
    }

    public void closeSessions(String why) {
        for (Session s : sessions) {
            s.close(why);
        }
    }

    /**
     * This replica became a master. When its logs mirrored the master's and the flows stopped
     * between operations ({@code clean}), it keeps the old id valid up to where the logs are, as
     * PSYNC2 does: its siblings resume by LSN. Its shards journal into the logs from now on.
     */
    public void promoted(boolean clean) {
        boolean wasMirror = mirroring;
        mirroring = false;
        if (wasMirror && clean) {
            shiftId();
        } else {
            logId2 = "0000000000000000000000000000000000000000";
            switchLsn = null;
            logId = newId();
        }
        recording = true;
    }

    public void close() {
        closed = true;
        cron.interrupt();
        for (Session s : sessions) {
            s.close("server shutting down");
        }
    }

    private void applySettings() {
        var st = engine.settings();
        for (FlowLog l : logs) {
            l.ttlMs = st.get("shard-backlog-ttl").number() * 1000;
            l.maxLag = st.get("replica-flow-max-lag").number();
            l.timeoutMs = st.get("replica-flow-timeout").number();
        }
    }

    // ------------------------------------------------------------------ journal sinks (shard threads)

    /** The native part of shard {@code shard}'s journal sink. */
    public JournalSink sink(int shard) {
        FlowLog log = logs[shard];
        return new JournalSink() {
            @Override
            public void append(long lsn, int db, long txid, int parts, int hop, byte[] resp, int off, int len) {
                log.append(Frames.RECORD, txid, db, parts, hop, resp, off, len);
            }

            @Override
            public void endPart(long txid, int parts) {
                log.append(Frames.END, txid, 0, parts, 0, resp0, 0, 0);
            }

            @Override
            public boolean wanted() {
                return recording;
            }
        };
    }

    private static final byte[] resp0 = new byte[0];

    /** DFLY HELLO's answer on a replica that follows its own master natively: ask again later. */
    public static final String BUSY_REPLICA = "ERR this server is a native replica and serves no replica now; retry";

    // ------------------------------------------------------------------ markers

    /**
     * Writes a marker into every log at one point (an operation over all shards) and returns
     * the node offset it stands for. Blocks: call from a virtual thread.
     */
    public long marker(boolean ackNow) {
        synchronized (markerLock) {
            return writeMarker(ackNow);
        }
    }

    /** Markers one at a time; a takeover holds it throughout, so none lands after its last one. */
    private final Object markerLock = new Object();

    private long writeMarker(boolean ackNow) {
        if (!recording) {
            return offset();
        }
        long id = markerIds.incrementAndGet();
        AtomicLong sum = new AtomicLong();
        MultiShardOp op = new MultiShardOp() {
            @Override
            public int lockMode() {
                return LOCK_SHARD;
            }

            @Override
            public void step(CommandContext c, TxPart part, int hop) {
                FlowLog l = logs[c.worker.index()];
                byte[] p = new byte[8];
                // the offset counts the END this operation journals right after its step (same
                // thread, nothing between): an idle replica then stands exactly at the master's offset
                long after = l.publishedEnd() + Frames.HEADER + p.length + Frames.HEADER;
                Frames.putLong(p, 0, after);
                l.append(Frames.MARKER, id, 0, ackNow ? Frames.ACK_NOW : 0, 0, p, 0, p.length);
                sum.addAndGet(after);
            }

            @Override
            public void reply(Tx tx, Reply reply) {
                reply.ok();
            }
        };
        try {
            engine.allShards(CommandSpec.internal("marker", op)).get(30, TimeUnit.SECONDS);
        } catch (Exception e) {
            return offset();
        }
        return sum.get();
    }

    private void cron() {
        long lastMarker = 0;
        while (!closed) {
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                return;
            }
            try {
                applySettings();
                long now = System.currentTimeMillis();
                if (!sessions.isEmpty()) {
                    lastSessionMs = now;
                    if (now - lastMarker >= engine.settings().get("replica-marker-period").number()) {
                        marker(false);
                        lastMarker = System.currentTimeMillis();
                    }
                    long timeout = engine.settings().get("repl-timeout").number() * 1000;
                    for (Session s : sessions) {
                        if (s.online && now - s.ackMs > timeout) {
                            s.close("no acknowledgement for " + timeout / 1000 + " s (repl-timeout)");
                        }
                    }
                }
                for (FlowLog l : logs) {
                    l.trim();
                }
                for (Session s : greeted) {
                    if (now - s.createdMs > 60_000) {
                        greeted.remove(s); // said HELLO and never SYNC
                        s.close("no DFLY SYNC within 60 s");
                    }
                }
                long ttl = engine.settings().get("shard-backlog-ttl").number() * 1000;
                if (recording && sessions.isEmpty() && ttl > 0 && now - lastSessionMs > ttl && !mirroring) {
                    // writes from now on go unlogged: the logs no longer stand for the data, so
                    // no one may resume against this history
                    recording = false;
                    logId = newId();
                    logId2 = "0000000000000000000000000000000000000000";
                    switchLsn = null;
                }
            } catch (RuntimeException e) {
                LOG.warn("Flow cron failed", e);
            }
        }
    }

    /** On a replica that mirrors its master's logs: they are written by the flows, not the shards. */
    volatile boolean mirroring;

    // ------------------------------------------------------------------ sessions

    /** One replica: its flows, its acknowledgements. */
    final class Session {
        final long id = sessionIds.incrementAndGet();
        final String ip;
        final int port;
        final Flow[] flows = new Flow[logs.length];
        final CountDownLatch flowsIn = new CountDownLatch(logs.length);
        final CountDownLatch started = new CountDownLatch(1);
        volatile Snapshot snapshot;
        volatile boolean full;
        volatile String state = "wait_bgsave";
        volatile boolean online;
        volatile long ackOffset;
        volatile long ackMs = System.currentTimeMillis();
        final long createdMs = System.currentTimeMillis();
        volatile String closedWhy;
        volatile InputStream control;
        int flowsSent;

        Session(Client c) {
            String addr = c.address();
            String peer = addr.contains(":") ? addr.substring(0, addr.lastIndexOf(':')) : addr;
            this.ip = c.replicaIp != null ? c.replicaIp : peer;
            this.port = c.replicaPort;
        }

        void close(String why) {
            if (closedWhy != null) {
                return;
            }
            closedWhy = why;
            sessions.remove(this);
            greeted.remove(this);
            LOG.info("Native replica {}:{} session {} closed: {}", ip, port, id, why);
            started.countDown();
            for (Flow f : flows) {
                if (f != null) {
                    f.close();
                }
            }
            closeQuietly(control);
            Snapshot snap = snapshot;
            if (snap != null) {
                snapshots.done(snap); // a sync cut short: no snapshot left counted in progress
            }
        }

        long lagMs() {
            return System.currentTimeMillis() - ackMs;
        }
    }

    /** One shard's flow of a session: its cursor in the shard's log and its connection. */
    final class Flow {
        final Session session;
        final int shard;
        final Client client;
        volatile FlowLog.Cursor cursor;
        volatile InputStream in;
        /** In its shard's proactor loop (stable sync): closed there, through a kill. */
        volatile boolean pumped;
        volatile long ackLsn;
        long startLsn;
        long startPos;

        Flow(Session session, int shard, Client client) {
            this.session = session;
            this.shard = shard;
            this.client = client;
        }

        void close() {
            FlowLog.Cursor c = cursor;
            if (c != null) {
                logs[shard].detach(c);
            }
            if (pumped) {
                engine.host().kill(client);
            } else {
                closeQuietly(in);
            }
        }
    }

    private static void closeQuietly(InputStream in) {
        if (in != null) {
            try {
                in.close();
            } catch (IOException e) {
                // closing
            }
        }
    }

    private Session find(long id) {
        for (Session s : greeted) {
            if (s.id == id) {
                return s;
            }
        }
        return null;
    }

    /** DFLY HELLO | FLOW session shard | SYNC session logid lsn... ; on the client's worker. */
    public void dfly(CommandContext c, boolean isReplica, boolean nativeLink) {
        var r = c.req;
        if (r.is(1, "hello")) {
            if (nativeLink) {
                // a native replica for now (perhaps a moment from its promotion, as in a takeover):
                // the asking link retries rather than settle for the Redis protocol
                c.reply.error(BUSY_REPLICA);
                return;
            }
            if (isReplica) {
                c.reply.error("ERR native replication is served by masters only; use the Redis protocol to chain");
                return;
            }
            recording = true;
            Session s = new Session(c.client);
            greeted.add(s);
            lastSessionMs = System.currentTimeMillis();
            c.reply.array(3);
            c.reply.integer(logs.length);
            c.reply.bulk(Long.toString(s.id));
            c.reply.bulk(logId);
            return;
        }
        if (r.is(1, "flow") && r.argc() == 4) {
            Session s;
            int shard;
            try {
                s = find(Long.parseLong(r.str(2)));
                shard = Integer.parseInt(r.str(3));
            } catch (NumberFormatException e) {
                c.reply.error("ERR invalid session or shard");
                return;
            }
            if (s == null || shard < 0 || shard >= logs.length || s.flows[shard] != null) {
                c.reply.error("ERR no such session or flow");
                return;
            }
            Flow f = new Flow(s, shard, c.client);
            s.flows[shard] = f;
            c.client.setFlag(Client.FLAG_REPLICA);
            boolean taken = engine.host().takeOver(c.client, (in, out) -> runFlow(f, in, out));
            if (!taken) {
                c.reply.error("ERR this server cannot hand a connection over");
            }
            return;
        }
        if (r.is(1, "sync") && r.argc() == 4 + logs.length) {
            Session s;
            try {
                s = find(Long.parseLong(r.str(2)));
            } catch (NumberFormatException e) {
                s = null;
            }
            if (s == null) {
                c.reply.error("ERR no such session");
                return;
            }
            long[] want = new long[logs.length];
            for (int i = 0; i < want.length; i++) {
                try {
                    want[i] = Long.parseLong(r.str(4 + i));
                } catch (NumberFormatException e) {
                    want[i] = -1;
                }
            }
            Session session = s;
            greeted.remove(s);
            sessions.add(s);
            String id = r.str(3);
            c.client.setFlag(Client.FLAG_REPLICA);
            boolean taken = engine.host().takeOver(c.client, (in, out) -> runControl(session, id, want, in, out));
            if (!taken) {
                c.reply.error("ERR this server cannot hand a connection over");
            }
            return;
        }
        c.reply.error("ERR unknown DFLY subcommand or wrong number of arguments for '" + r.str(1) + "'");
    }

    /**
     * The session's control connection: decides partial or full, makes the cut, lets the flows
     * go, then serves TAKEOVER and watches the connection.
     */
    private void runControl(Session s, String id, long[] want, InputStream in, OutputStream out) throws IOException {
        s.control = in;
        try {
            if (!s.flowsIn.await(30, TimeUnit.SECONDS) || s.closedWhy != null) {
                out.write("-ERR not every flow connected\r\n".getBytes(StandardCharsets.US_ASCII));
                out.flush();
                s.close("not every flow connected");
                return;
            }
        } catch (InterruptedException e) {
            s.close("interrupted");
            return;
        }
        boolean partial = tryPartial(s, id, want);
        if (partial) {
            syncPartial.incrementAndGet();
            LOG.info("Native partial resync of {}:{} accepted on every flow", s.ip, s.port);
            out.write(("+CONTINUE " + logId + "\r\n").getBytes(StandardCharsets.US_ASCII));
        } else {
            syncFull.incrementAndGet();
            try {
                cut(s);
            } catch (IOException e) {
                out.write(("-ERR " + e.getMessage() + "\r\n").getBytes(StandardCharsets.US_ASCII));
                out.flush();
                s.close("the cut failed");
                return;
            }
            LOG.info("Native full sync of {}:{} started: {} flows from one cut", s.ip, s.port, logs.length);
            long atCut = 0;
            for (Flow f : s.flows) {
                atCut += f.startPos; // the node offset the snapshot stands for
            }
            out.write(("+FULLRESYNC " + logId + " " + atCut + "\r\n").getBytes(StandardCharsets.US_ASCII));
        }
        out.flush();
        s.started.countDown();
        // the control connection stays open; it carries REPLTAKEOVER's request
        try {
            while (s.closedWhy == null) {
                String line = io.damselfly.repl.LinkIo.line(in); // throws once the replica is gone
                if (line.startsWith("TAKEOVER ")) {
                    takeover(s, Long.parseLong(line.substring(9).trim()), out);
                }
            }
        } finally {
            s.close(s.closedWhy != null ? s.closedWhy : "control connection closed");
        }
    }

    /** Every flow resumes at the LSN after the replica's when every log still holds it, and the id matches. */
    private boolean tryPartial(Session s, String id, long[] want) {
        long[] limit;
        if (id.equals(logId)) {
            limit = null;
        } else if (id.equals(logId2) && switchLsn != null) {
            limit = switchLsn;
        } else {
            if (!id.equals("?")) {
                LOG.info("Native partial resync of {}:{} refused: log id {} is not ours ({}, {})", s.ip, s.port, id,
                        logId, logId2);
            }
            return false;
        }
        FlowLog.Cursor[] cursors = new FlowLog.Cursor[logs.length];
        for (int i = 0; i < logs.length; i++) {
            String why = null;
            if (want[i] < 0) {
                why = "no position";
            } else if (limit != null && want[i] > limit[i]) {
                why = "lsn " + want[i] + " is past our switch at " + limit[i];
            } else if ((cursors[i] = logs[i].cursorAt(want[i] + 1)) == null) {
                why = "lsn " + (want[i] + 1) + " is not in the backlog (" + logs[i].firstLsn() + ".." + logs[i].publishedLsn() + ")";
            }
            if (why != null) {
                LOG.info("Native partial resync of {}:{} refused on shard {}: {}", s.ip, s.port, i, why);
                detachAll(cursors);
                return false;
            }
        }
        for (int i = 0; i < logs.length; i++) {
            s.flows[i].cursor = cursors[i];
            s.flows[i].startLsn = want[i];
            s.flows[i].startPos = cursors[i].position();
        }
        s.full = false;
        return true;
    }

    private void detachAll(FlowLog.Cursor[] cursors) {
        for (int i = 0; i < cursors.length; i++) {
            if (cursors[i] != null) {
                logs[i].detach(cursors[i]);
            }
        }
    }

    /** One cut across the shards: each shard's snapshot part and its log's cursor at the same point. */
    private void cut(Session s) throws IOException {
        Snapshot snap = snapshots.create();
        snap.keyDelay(engine.settings().get("rdb-key-save-delay").number());
        s.snapshot = snap;
        s.full = true;
        MultiShardOp op = new MultiShardOp() {
            @Override
            public int lockMode() {
                return LOCK_SHARD;
            }

            @Override
            public void step(CommandContext c, TxPart part, int hop) {
                int i = c.worker.index();
                FlowLog l = logs[i];
                snap.cut(c.worker, l::lastLsn);
                Flow f = s.flows[i];
                f.cursor = l.cursorAtEnd();
                f.startLsn = l.lastLsn();
                f.startPos = f.cursor.position();
            }

            @Override
            public void reply(Tx tx, Reply reply) {
                reply.ok();
            }
        };
        try {
            String reply = engine.allShards(CommandSpec.internal("flowcut", op)).get(60, TimeUnit.SECONDS);
            if (!reply.startsWith("+")) {
                snapshots.done(snap);
                throw new IOException("the cut failed: " + reply);
            }
        } catch (InterruptedException | java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
            snapshots.done(snap);
            throw new IOException("the cut failed: " + e);
        }
        s.state = "send_bulk";
    }

    /** A flow's thread: waits for the session's start, sends the full sync (if any), then the log forever. */
    private void runFlow(Flow f, InputStream in, OutputStream out) throws IOException {
        Session s = f.session;
        f.in = in;
        out.write("+OK\r\n".getBytes(StandardCharsets.US_ASCII));
        out.flush();
        s.flowsIn.countDown();
        try {
            if (!s.started.await(60, TimeUnit.SECONDS) || s.closedWhy != null) {
                abandon(f);
                return;
            }
        } catch (InterruptedException e) {
            abandon(f);
            return;
        }
        FlowLog log = logs[f.shard];
        byte[] h = new byte[Frames.HEADER];
        try {
            Frames.header(h, (byte) 'B', f.startLsn, f.startPos, 0, s.full ? 1 : 0, 0, 0);
            try {
                out.write(h);
            } catch (IOException e) {
                abandon(f);
                throw e;
            }
            if (s.full) {
                // this virtual thread drives the shard's walk and writes its entries, with the
                // records the shard logged meanwhile between them
                sendSnapshot(f, log, out);
            }
            log.read(f.cursor, Long.MAX_VALUE, out); // what the log has now, before the hand-off
            out.flush();
        } catch (IOException | RuntimeException e) {
            s.close("flow of shard " + f.shard + ": " + e.getMessage());
            return;
        }
        // Stable sync: the flow joins the loop of the proactor that owns its shard, which writes
        // the shard's log into it from the thread that appends to the log: no thread to wake
        // per record, and the acknowledgements are read there too.
        if (s.closedWhy == null && engine.host().pumpAfterTakeover(f.client, f.shard, new FlowPump(f, log))) {
            f.pumped = true;
            if (s.closedWhy != null) {
                s.close(s.closedWhy); // closed meanwhile: the pump finishes at once
            }
        } else {
            s.close(s.closedWhy != null ? s.closedWhy : "flow could not join its shard's loop");
        }
    }

    /** A flow in stable sync, on its shard's proactor: log out, acknowledgements in. */
    private final class FlowPump implements io.damselfly.engine.exec.Host.Pump {
        private final Flow f;
        private final FlowLog log;
        private final byte[] header = new byte[Frames.HEADER];
        private int headerFill;
        private long skip;

        FlowPump(Flow f, FlowLog log) {
            this.f = f;
            this.log = log;
        }

        @Override
        public void attached(Runnable drainNow) {
            f.cursor.drain = drainNow;
        }

        @Override
        public long pending() {
            FlowLog.Cursor cur = f.cursor;
            return cur.dropped() ? 1 : log.publishedEnd() - cur.position(); // dropped: pump says why
        }

        @Override
        public boolean pump(java.nio.channels.WritableByteChannel channel) throws IOException {
            FlowLog.Cursor cur = f.cursor;
            if (cur.dropped()) {
                f.session.close("flow of shard " + f.shard + " fell too far behind");
                return false;
            }
            return log.write(cur, channel);
        }

        @Override
        public void received(java.nio.ByteBuffer bytes) {
            while (bytes.hasRemaining()) {
                if (skip > 0) {
                    int k = (int) Math.min(skip, bytes.remaining());
                    bytes.position(bytes.position() + k);
                    skip -= k;
                    continue;
                }
                int k = Math.min(Frames.HEADER - headerFill, bytes.remaining());
                bytes.get(header, headerFill, k);
                headerFill += k;
                if (headerFill == Frames.HEADER) {
                    headerFill = 0;
                    if (Frames.kind(header, 0) == Frames.ACK) {
                        acknowledged(f, header);
                    }
                    skip = Frames.length(header, 0);
                }
            }
        }

        @Override
        public boolean finished() {
            return f.session.closedWhy != null;
        }

        @Override
        public void closed(String why) {
            f.session.close("flow of shard " + f.shard + ": " + why);
        }
    }

    /** A flow that will not stream its shard's part of the session's snapshot lets the shard go. */
    private void abandon(Flow f) {
        Snapshot snap = f.session.snapshot;
        if (snap != null && f.session.full) {
            snap.abandonShard(f.shard);
        }
    }

    private void sendSnapshot(Flow f, FlowLog log, OutputStream out) throws IOException {
        Session s = f.session;
        byte[] h = new byte[Frames.HEADER];
        FlowLog.Cursor cur = f.cursor;
        Snapshot.FlowSink sink = new Snapshot.FlowSink() {
            @Override
            public long journalEnd() {
                return log.publishedLsn();
            }

            @Override
            public void records(long lsn) throws IOException {
                log.read(cur, lsn, out);
            }

            @Override
            public void entries(byte[] b, int off, int len) throws IOException {
                if (len == 0) {
                    return;
                }
                Frames.header(h, Frames.SNAPSHOT, 0, 0, 0, 0, 0, len);
                out.write(h);
                out.write(b, off, len);
            }
        };
        sink.entries(RDB_HEAD, 0, RDB_HEAD.length);
        // the whole dataset's size per database at the cut: the replica sizes its tables once
        io.damselfly.repl.rdb.RdbOut sizes = new io.damselfly.repl.rdb.RdbOut(256);
        for (int db = 0; db < 16; db++) {
            long n = s.snapshot.keysAtCut(db);
            if (n > 0) {
                sizes.writeByte(io.damselfly.repl.rdb.Rdb.OPCODE_SELECTDB);
                sizes.writeLength(db);
                sizes.writeByte(io.damselfly.repl.rdb.Rdb.OPCODE_RESIZEDB);
                sizes.writeLength(n);
                sizes.writeLength(s.snapshot.expiresAtCut(db));
            }
        }
        sink.entries(sizes.array(), 0, sizes.size());
        try {
            s.snapshot.streamShard(f.shard, sink);
        } finally {
            if (countDone(s)) {
                snapshots.done(s.snapshot);
            }
        }
        sink.entries(RDB_TAIL, 0, RDB_TAIL.length);
        Frames.header(h, Frames.SYNCED, 0, 0, 0, 0, 0, 0);
        out.write(h);
        out.flush();
    }

    private synchronized boolean countDone(Session s) {
        s.flowsSent++;
        return s.flowsSent == logs.length;
    }

    /** An ACK frame of a flow: the replica's LSN on it, and its node offset. */
    private void acknowledged(Flow f, byte[] h) {
        Session s = f.session;
        f.ackLsn = Frames.lsn(h, 0);
        long off = Frames.txid(h, 0);
        synchronized (acked) {
            // flows are acknowledged on their shards' proactors: the monitor keeps the offset rising
            if (off > s.ackOffset) {
                s.ackOffset = off;
            }
            s.ackMs = System.currentTimeMillis();
            if (!s.online && Frames.parts(h, 0) == 1) {
                s.online = true; // the replica says every flow is in stable sync
                s.state = "online";
            }
            acked.notifyAll();
        }
    }

    private final Object acked = new Object();

    // ------------------------------------------------------------------ WAIT, INFO, ROLE

    /** Sessions online whose acknowledged offset reached {@code target}. */
    public int acknowledged(long target) {
        int n = 0;
        for (Session s : sessions) {
            if (s.online && s.ackOffset >= target) {
                n++;
            }
        }
        return n;
    }

    /** Waits up to {@code ms} for any acknowledgement. */
    public void awaitAck(long ms) {
        synchronized (acked) {
            try {
                acked.wait(Math.max(1, ms));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    public long fullSyncs() {
        return syncFull.get();
    }

    public long partialSyncs() {
        return syncPartial.get();
    }

    public int sessionCount() {
        return sessions.size();
    }

    /** Replicas whose last acknowledgement is at most {@code maxLagMs} old (min-replicas-max-lag). */
    public int goodReplicas(long maxLagMs) {
        int n = 0;
        for (Session s : sessions) {
            if (s.online && s.lagMs() <= maxLagMs) {
                n++;
            }
        }
        return n;
    }

    /** INFO replication's slaveN lines for native replicas, numbered from {@code first}, and their flows. */
    public String replicaLines(int first) {
        StringBuilder sb = new StringBuilder();
        int i = first;
        for (Session s : sessions) {
            sb.append("slave").append(i).append(":ip=").append(s.ip).append(",port=").append(s.port)
                    .append(",state=").append(s.state).append(",offset=").append(s.ackOffset)
                    .append(",lag=").append(s.lagMs() / 1000).append("\r\n");
            sb.append("damselfly_slave").append(i).append("_flows:");
            for (int k = 0; k < s.flows.length; k++) {
                Flow f = s.flows[k];
                long behind = f == null ? -1 : Math.max(0, logs[k].publishedLsn() - f.ackLsn);
                sb.append(k == 0 ? "" : ",").append("shard").append(k).append("=lsn:")
                        .append(f == null ? -1 : f.ackLsn).append("/behind:").append(behind);
            }
            sb.append("\r\n");
            i++;
        }
        return sb.toString();
    }

    /** The native backlog's INFO fields (both roles). */
    public String info() {
        StringBuilder sb = new StringBuilder();
        sb.append("damselfly_native_log_id:").append(logId).append("\r\n");
        sb.append("damselfly_native_log_id2:").append(logId2).append("\r\n");
        sb.append("damselfly_native_recording:").append(recording ? 1 : 0).append("\r\n");
        sb.append("damselfly_shard_backlog:");
        for (int i = 0; i < logs.length; i++) {
            FlowLog l = logs[i];
            sb.append(i == 0 ? "" : ",").append("shard").append(i).append("=first_lsn:").append(l.firstLsn())
                    .append("/last_lsn:").append(l.publishedLsn()).append("/bytes:").append(l.heldBytes());
        }
        sb.append("\r\n");
        sb.append("sync_native_full:").append(syncFull.get()).append("\r\n");
        sb.append("sync_native_partial_ok:").append(syncPartial.get()).append("\r\n");
        return sb.toString();
    }

    /** ROLE's replica entries for native replicas: [ip, port, offset]. */
    public void role(Reply reply) {
        for (Session s : sessions) {
            reply.array(3);
            reply.bulk(s.ip);
            reply.bulk(Integer.toString(s.port));
            reply.bulk(Long.toString(s.ackOffset));
        }
    }

    public int onlineCount() {
        int n = 0;
        for (Session s : sessions) {
            if (s.online) {
                n++;
            }
        }
        return n;
    }

    // ------------------------------------------------------------------ takeover (the old master's side)

    /** What to do once a replica took over: follow it (set by the replication module). */
    public interface Demotion {
        void followReplica(String host, int port);
    }

    private volatile Demotion demotion;

    public void demotion(Demotion d) {
        this.demotion = d;
    }

    /**
     * REPLTAKEOVER from replica {@code s}: pause writes, let the commands in flight finish,
     * write a marker behind them and wait until the replica applied it on every flow; then
     * follow the replica (writes paused until then get -READONLY). On a timeout writes resume.
     */
    private void takeover(Session s, long timeoutMs, OutputStream out) throws IOException {
        synchronized (markerLock) { // no other marker meanwhile: the replica must end exactly at our logs' ends
            takeoverLocked(s, timeoutMs, out);
        }
    }

    private void takeoverLocked(Session s, long timeoutMs, OutputStream out) throws IOException {
        long deadline = System.currentTimeMillis() + timeoutMs;
        LOG.info("Takeover requested by replica {}:{}", s.ip, s.port);
        engine.pauseWrites(true);
        try {
            try {
                engine.settlePausedWrites(Math.max(1, deadline - System.currentTimeMillis()));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("takeover interrupted");
            }
            long target = writeMarker(true);
            boolean done = false;
            while (System.currentTimeMillis() < deadline && s.closedWhy == null) {
                if (s.ackOffset >= target && caughtUp(s)) {
                    done = true;
                    break;
                }
                awaitAck(Math.min(50, deadline - System.currentTimeMillis()));
            }
            if (!done) {
                LOG.warn("Takeover by {}:{} timed out: the replica did not catch up", s.ip, s.port);
                out.write("-ERR the replica did not catch up in time\r\n".getBytes(StandardCharsets.US_ASCII));
                out.flush();
                return;
            }
            // the answer first (demoting closes this session), then follow the replica; writes
            // paused until then are answered -READONLY once they resume
            out.write("+OK\r\n".getBytes(StandardCharsets.US_ASCII));
            out.flush();
            Demotion d = demotion;
            if (d != null) {
                d.followReplica(s.ip, s.port);
            }
            LOG.info("Takeover: this server now follows {}:{}", s.ip, s.port);
        } finally {
            engine.pauseWrites(false);
        }
    }

    /** Every flow of the session acknowledged the last frame of its log. */
    private boolean caughtUp(Session s) {
        for (Flow f : s.flows) {
            if (f == null || f.ackLsn < logs[f.shard].publishedLsn()) {
                return false;
            }
        }
        return true;
    }
}
