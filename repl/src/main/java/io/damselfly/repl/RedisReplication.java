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
    private final ReplicationLog log;
    private final ReplicaFeeds feeds;
    private final io.damselfly.repl.flow.NativeMaster nativeMaster;
    private final io.damselfly.repl.flow.NativeReplica nativeReplica;
    private final Thread cron;
    private volatile boolean closed;
    private final io.damselfly.engine.config.Setting minReplicasToWrite;
    private final io.damselfly.engine.config.Setting minReplicasMaxLag;

    public RedisReplication(Engine engine, RdbPersistence persistence, int listeningPort) {
        this.engine = engine;
        this.persistence = persistence;
        this.listeningPort = listeningPort;
        this.log = new ReplicationLog(engine.shards());
        this.nativeMaster = new io.damselfly.repl.flow.NativeMaster(engine, persistence.snapshots());
        this.nativeReplica = new io.damselfly.repl.flow.NativeReplica(engine, nativeMaster, persistence::emptyDataset);
        nativeMaster.demotion((h, p) -> {
            synchronized (this) {
                replicaOf(h, p);
            }
        });
        this.feeds = new ReplicaFeeds(engine, persistence, log, this);
        engine.settings().get("repl-backlog-size").onChange(x -> applyLimits());
        applyLimits();
        this.minReplicasToWrite = engine.settings().get("min-replicas-to-write");
        this.minReplicasMaxLag = engine.settings().get("min-replicas-max-lag");
        this.cron = Thread.ofVirtual().name("damselfly-replication-cron").start(this::cron);
        persistence.streamPoint(new RdbPersistence.StreamPoint() {
            @Override
            public boolean cut(io.damselfly.engine.exec.Worker worker, long txid, RdbPersistence.At at) {
                if (log.upstream()) {
                    if (worker.index() != 0) {
                        return false;
                    }
                    Link l = link;
                    if (l != null && l.nativeMode) {
                        at.at(l.offset(), 0); // a native replica's full sync restarts it; the offset is a marker's
                        return true;
                    }
                    if (l != null && quietCuts.get() == 0) {
                        // the stream client's runs for other shards may land before or after
                        // their shard's cut: no one offset stands for this image, and a replica
                        // restarted from it would apply some writes twice. It syncs in full.
                        LOG.info("A save's cut while the master's stream was applying: the dump carries no replication offset");
                        return false;
                    }
                    io.damselfly.engine.exec.InternalClient a = l == null ? null : l.applier();
                    at.at(l != null ? l.offset() : log.offset(), a == null ? 0 : a.forwardableDb());
                    return true;
                } else if (log.active()) {
                    // a master's stream selects a database before its first command after a cut;
                    // the merge names the offset once it passes the cut on every shard, maybe later
                    log.cut(worker.index(), txid, offset -> at.at(offset, 0));
                    return true;
                }
                return false;
            }

            @Override
            public String replid() {
                return log.replid();
            }

            /** Whether this node follows a master by the Redis protocol, whose stream a cut must hold. */
            private boolean redisUpstream() {
                Link l = link;
                return log.upstream() && l != null && !l.nativeMode;
            }

            @Override
            public boolean wantsQuiet() {
                return redisUpstream() && quietCuts.get() == 0;
            }

            @Override
            public Runnable quiet() {
                if (!redisUpstream()) {
                    return null;
                }
                pauseUpstream(); // drained: nothing fed is unapplied, no run is away
                quietCuts.incrementAndGet();
                java.util.concurrent.atomic.AtomicBoolean once = new java.util.concurrent.atomic.AtomicBoolean();
                return () -> {
                    if (once.compareAndSet(false, true)) {
                        quietCuts.decrementAndGet(); // before the hold ends: a cut that sees 0 runs with the stream
                        resumeUpstream();
                    }
                };
            }
        });
    }

    /**
     * How many saves hold the master's stream back, drained, for their cuts (read on shard 0).
     * A count, not a flag: of two overlapping saves the first to resume must not leave the
     * second's cut looking unheld.
     */
    private final java.util.concurrent.atomic.AtomicInteger quietCuts = new java.util.concurrent.atomic.AtomicInteger();

    /**
     * A replica restarted from its dump: the database its master's stream had selected at the
     * dump's offset (repl-stream-db), for the client that applies it after a partial resync.
     */
    private volatile String restoredStreamDb;

    /** After the dump loaded at startup: continues the history it carried (see {@link #restore}). */
    public void restoreFromDump() {
        restore(persistence.startupAux());
    }

    /**
     * A dump that carries a replication id and offset (repl-id, repl-offset) continues that
     * history, as Redis 7.0 does: a master keeps it as replid2 with a fresh id and its backlog
     * starting at that offset, so its replicas resume with a partial sync after a clean restart;
     * a server that starts as a replica asks its master to continue from it.
     */
    private void restore(java.util.Map<String, String> aux) {
        String id = aux.get("repl-id");
        String offset = aux.get("repl-offset");
        if (id == null || offset == null || id.length() != 40 || "-1".equals(aux.get("repl-stream-db"))) {
            return;
        }
        long at;
        try {
            at = Long.parseLong(offset);
        } catch (NumberFormatException e) {
            return;
        }
        boolean replica = !engine.settings().get("replicaof").value().isBlank();
        log.restore(id, at, replica);
        restoredStreamDb = replica ? aux.get("repl-stream-db") : null;
        if (!replica) {
            attachSinks(); // the backlog exists from startup: writes go into it
        }
        LOG.info("Replication history restored from the dump: id {} offset {}", id, at);
    }

    /** repl-backlog-size and the replica class's hard output limit, as set now (CONFIG SET applies at once). */
    private void applyLimits() {
        var settings = engine.settings();
        io.damselfly.engine.config.ClientOutputLimits limits = io.damselfly.engine.config.ClientOutputLimits
                .parse(settings.get("client-output-buffer-limit").value());
        log.limits(settings.get("repl-backlog-size").number(),
                limits.hard(io.damselfly.engine.config.ClientOutputLimits.REPLICA));
    }

    /** The stream and its backlog (tests and the native sync read it). */
    public ReplicationLog log() {
        return log;
    }

    /** Whether this node follows its master by native replication (it then serves no Redis-protocol replica). */
    boolean nativeLink() {
        Link l = link;
        return l != null && l.nativeMode;
    }

    /**
     * A replica asked this native replica for a sync: a chain. Native flows keep no Redis stream
     * to forward, so the link goes over to the Redis protocol (a full sync from the master, once)
     * and stays there until the next REPLICAOF; the asking replica retries meanwhile. Any thread.
     */
    void chainRequested() {
        Link l = link;
        if (l == null || !l.nativeMode || l.chained) {
            return;
        }
        l.chained = true;
        LOG.info("A replica asks to chain from this replica: following {}:{} by the Redis protocol from now on",
                l.host, l.port);
        nativeReplica.stop(); // the native session ends; the link reconnects with PSYNC
        Socket s = l.socket;
        if (s != null) {
            try {
                s.close();
            } catch (IOException e) {
                // closing
            }
        }
    }

    /** Shard {@code shard}'s journal sink: the Redis stream's merge and the native log, each while wanted. */
    io.damselfly.engine.journal.JournalSink sinkFor(int shard) {
        return new io.damselfly.repl.flow.TeeSink(log.sink(shard), nativeMaster.sink(shard));
    }

    /** The native replication's master side (its logs, sessions and markers). */
    public io.damselfly.repl.flow.NativeMaster nativeMaster() {
        return nativeMaster;
    }

    /** master_repl_offset: the native offset once native replication journals here, else the Redis stream's. */
    long masterOffset() {
        return nativeMaster.recording() ? nativeMaster.offset() : log.offset();
    }

    @Override
    public void dfly(io.damselfly.engine.command.CommandContext c) {
        if (c.req.is(1, "hello") && link == null) {
            engine.onTransactionDone(log::transactionDone);
            for (int s = 0; s < engine.shards(); s++) {
                int shard = s;
                engine.post(s, w -> {
                    if (w.shard().journal().sink() == null) {
                        w.shard().journal().attach(sinkFor(shard));
                    }
                });
            }
        }
        nativeMaster.dfly(c, link != null, nativeLink());
    }

    /** Stops the link and the cron (server shutdown). */
    public void close() {
        closed = true;
        nativeMaster.close();
        replicaOf(null, 0);
        cron.interrupt();
        for (ReplicationLog.Feed f : log.feeds()) {
            log.detach(f);
            f.drop();
        }
    }

    /**
     * Once a second, as Redis's replicationCron: PING into the stream every
     * repl-ping-replica-period, replicas silent for repl-timeout dropped, the backlog freed after
     * repl-backlog-ttl without replicas, the limits re-read from the settings.
     */
    private void cron() {
        long lastPing = System.currentTimeMillis();
        while (!closed) {
            try {
                Thread.sleep(1000);
            } catch (InterruptedException e) {
                return;
            }
            try {
                var settings = engine.settings();
                applyLimits();
                long now = System.currentTimeMillis();
                var list = log.feeds();
                if (!list.isEmpty() && now - lastPing >= settings.get("repl-ping-replica-period").number() * 1000) {
                    log.appendControl(ReplicationLog.PING);
                    lastPing = now;
                }
                long timeout = settings.get("repl-timeout").number() * 1000;
                for (ReplicationLog.Feed f : list) {
                    if (f.online && now - f.ackMs > timeout) {
                        LOG.warn("Disconnecting timedout replica (streaming sync): {}", f.describe());
                        log.detach(f);
                        f.drop();
                    }
                }
                long ttl = settings.get("repl-backlog-ttl").number() * 1000;
                if (ttl > 0 && list.isEmpty() && link == null && log.active() && now - log.lastReplicaMs() > ttl) {
                    log.release();
                }
                Link l = link;
                if (l != null) {
                    l.forward();
                }
            } catch (RuntimeException e) {
                LOG.warn("Replication cron failed", e);
            }
        }
    }

    @Override
    public synchronized String replicaOf(String host, int port) {
        Link old = link;
        if (host == null) {
            if (old != null) {
                old.stop();
                old.drain();
                boolean wasNative = old.nativeMode;
                boolean clean = nativeReplica.stopAndSettle();
                link = null;
                log.upstream(false);
                log.shiftId(); // PSYNC2: the old master's replicas continue with us under replid2
                if (wasNative) {
                    nativeMaster.promoted(clean);
                }
                nativeReplica.becoming(false, false);
                replicaMode(false);
                attachSinks();
                engine.settings().track("replicaof", "");
                LOG.info("MASTER MODE enabled (user request)");
            }
            return null;
        }
        if (old != null && old.host.equals(host) && old.port == port) {
            return null; // already following it, as Redis says +OK Already connected
        }
        if (old != null) {
            old.stop();
            old.drain();
            nativeReplica.stopAndSettle();
        }
        // a master's logs keep recording until its first session claims them (writes already
        // past the gate are logged); a replica's logs are written by its flows, or not at all
        nativeReplica.becoming(true, old == null);
        nativeMaster.closeSessions("this server became a replica");
        log.upstream(true);
        attachSinks();
        replicaMode(true);
        Link l = new Link(host, port);
        link = l;
        engine.settings().track("replicaof", host + " " + port);
        LOG.info("REPLICAOF {}:{} enabled (user request)", host, port);
        l.thread = startLinkThread(l);
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

    /**
     * Every shard journals into the stream from now on (a replica's records are dropped while it
     * follows a master; after a promotion they are the stream). Posted: each shard takes it
     * before anything the caller sends it later.
     */
    private void attachSinks() {
        engine.onTransactionDone(log::transactionDone);
        for (int s = 0; s < engine.shards(); s++) {
            int shard = s;
            engine.post(s, w -> {
                if (w.shard().journal().sink() == null) {
                    w.shard().journal().attach(sinkFor(shard));
                }
            });
        }
    }

    /**
     * A snapshot on a replica stands for the offset of the stream it applied: the link holds the
     * stream back while the cut is made. Returns the offset; {@link #resumeUpstream} lets it go.
     */
    long pauseUpstream() {
        Link l = link;
        if (l != null) {
            l.pause();
        }
        return log.offset();
    }

    /**
     * The database the master's stream has selected where this replica's forwarded stream ends:
     * read between {@link #pauseUpstream} and {@link #resumeUpstream}, when it is settled.
     */
    int upstreamDb() {
        Link l = link;
        io.damselfly.engine.exec.InternalClient a = l == null ? null : l.applier();
        return a == null ? 0 : a.forwardableDb();
    }

    void resumeUpstream() {
        Link l = link;
        if (l != null) {
            l.resume();
        }
    }

    @Override
    public void sync(io.damselfly.engine.command.CommandContext c, boolean psync) {
        feeds.sync(c, psync);
    }

    @Override
    public void getAck() {
        Link l = link;
        if (l != null) {
            l.ackSoon();
        }
    }

    /** A WAIT in progress: its target offset, how many replicas it wants, and its deadline. */
    private record Waiting(io.damselfly.engine.exec.Tx tx, long target, long replicas, long deadlineMs) {
    }

    private final java.util.List<Waiting> waiting = new java.util.ArrayList<>();
    private Thread waiter;

    @Override
    public boolean await(io.damselfly.engine.exec.Tx tx, long replicas, long timeoutMs) {
        if (nativeMaster.sessionCount() > 0) {
            // a marker behind this client's writes, then the replicas that applied it on every flow
            long deadline = timeoutMs == 0 ? Long.MAX_VALUE : System.currentTimeMillis() + timeoutMs;
            Thread.ofVirtual().name("damselfly-wait-native").start(() -> {
                long target = nativeMaster.marker(true);
                int acked = nativeMaster.acknowledged(target) + log.acknowledged(log.offset());
                while (acked < replicas && System.currentTimeMillis() < deadline && !closed) {
                    nativeMaster.awaitAck(Math.min(100, deadline - System.currentTimeMillis()));
                    acked = nativeMaster.acknowledged(target) + log.acknowledged(log.offset());
                }
                tx.value = acked;
                tx.resume();
            });
            return true;
        }
        long target = log.offset();
        int acked = log.acknowledged(target);
        if (acked >= replicas) {
            tx.value = acked;
            return false;
        }
        long deadline = timeoutMs == 0 ? Long.MAX_VALUE : System.currentTimeMillis() + timeoutMs;
        synchronized (waiting) {
            waiting.add(new Waiting(tx, target, replicas, deadline));
            if (waiter == null) {
                waiter = Thread.ofVirtual().name("damselfly-wait").start(this::serveWaits);
            }
            waiting.notifyAll();
        }
        log.appendControl(ReplicationLog.GETACK); // replicas answer with their offset at once
        return true;
    }

    /** Replies to WAITs as acknowledgements arrive (the log's monitor wakes it) or time runs out. */
    private void serveWaits() {
        while (!closed) {
            java.util.List<Waiting> now;
            synchronized (waiting) {
                now = new java.util.ArrayList<>(waiting);
            }
            long nearest = Long.MAX_VALUE;
            long t = System.currentTimeMillis();
            for (Waiting w : now) {
                int acked = log.acknowledged(w.target);
                if (acked >= w.replicas || t >= w.deadlineMs || closed) {
                    synchronized (waiting) {
                        waiting.remove(w);
                    }
                    w.tx.value = acked;
                    w.tx.resume();
                } else {
                    nearest = Math.min(nearest, w.deadlineMs);
                }
            }
            synchronized (waiting) {
                if (waiting.isEmpty()) {
                    try {
                        waiting.wait(1000);
                    } catch (InterruptedException e) {
                        return;
                    }
                    continue;
                }
            }
            log.awaitAck(Math.max(1, Math.min(100, nearest - System.currentTimeMillis())));
        }
    }

    @Override
    public String writeRefusal() {
        long min = minReplicasToWrite.number();
        if (min == 0 || link != null) {
            return null;
        }
        long maxLag = minReplicasMaxLag.number();
        if (maxLag == 0) {
            return null;
        }
        return log.goodReplicas(maxLag * 1000) + nativeMaster.goodReplicas(maxLag * 1000) < min
                ? "NOREPLICAS Not enough good replicas to write." : null;
    }

    // ------------------------------------------------------------------ REPLTAKEOVER (the replica's side)

    @Override
    public boolean takeover(io.damselfly.engine.exec.Tx tx, long timeoutMs) {
        Link l = link;
        if (l == null) {
            tx.payload = "ERR Replica is not connected to a master";
            return false;
        }
        if (!l.nativeMode || !nativeReplica.stable()) {
            tx.payload = "ERR REPLTAKEOVER needs a native replication link in stable sync";
            return false;
        }
        Thread.ofVirtual().name("damselfly-takeover").start(() -> {
            String error = null;
            try {
                if (!nativeReplica.requestTakeover(timeoutMs)) {
                    error = "ERR Couldn't execute takeover";
                }
            } catch (IOException e) {
                error = "ERR Couldn't execute takeover: " + e.getMessage();
            }
            if (error == null) {
                LOG.info("REPLTAKEOVER: the master caught us up and follows us; this server is the master now");
                replicaOf(null, 0);
            }
            tx.payload = error;
            tx.resume();
        });
        return true;
    }

    // ------------------------------------------------------------------ FAILOVER

    private volatile String failoverState = "no-failover";
    private volatile boolean failoverAbort;

    String failoverState() {
        return failoverState;
    }

    @Override
    public synchronized String failover(String host, int port, boolean force, long timeoutMs) {
        if (!failoverState.equals("no-failover")) {
            return "ERR FAILOVER already in progress.";
        }
        if (link != null) {
            return "ERR FAILOVER is not valid when server is a replica.";
        }
        var feedList = log.feeds();
        if (feedList.isEmpty()) {
            return "ERR FAILOVER requires connected replicas.";
        }
        if (force && (timeoutMs == 0 || host == null)) {
            return "ERR FAILOVER with force option requires both a timeout and target HOST and IP.";
        }
        if (host != null) {
            ReplicaFeeds.SocketFeed target = feeds.find(host, port);
            if (target == null) {
                return "ERR FAILOVER target HOST and PORT is not a replica.";
            }
            if (!target.online) {
                return "ERR FAILOVER target replica is not online.";
            }
            LOG.info("FAILOVER requested to {}:{}.", host, port);
        } else {
            LOG.info("FAILOVER requested to any replica.");
        }
        failoverState = "waiting-for-sync";
        failoverAbort = false;
        engine.pauseWrites(true);
        long deadline = timeoutMs == 0 ? Long.MAX_VALUE : System.currentTimeMillis() + timeoutMs;
        Thread.ofVirtual().name("damselfly-failover").start(() -> runFailover(host, port, force, deadline));
        return null;
    }

    @Override
    public synchronized String abortFailover() {
        if (failoverState.equals("no-failover")) {
            return "ERR No failover in progress.";
        }
        failoverAbort = true;
        return null;
    }

    /**
     * Waits (writes paused) until the target acknowledged everything, asking for ACKs; then
     * follows it with PSYNC ... FAILOVER, which makes it a master that continues our history.
     */
    private void runFailover(String host, int port, boolean force, long deadline) {
        try {
            // the offset read below must come after every write acknowledged before the pause
            engine.settlePausedWrites(Math.max(1, deadline - System.currentTimeMillis()));
        } catch (InterruptedException e) {
            endFailover("Failover interrupted");
            return;
        }
        log.appendControl(ReplicationLog.GETACK);
        long lastAsk = System.currentTimeMillis();
        String targetHost = host;
        int targetPort = port;
        while (true) {
            long now = System.currentTimeMillis();
            if (failoverAbort) {
                endFailover("Failover manually aborted");
                return;
            }
            if (now >= deadline) {
                if (force) {
                    LOG.info("FAILOVER to {}:{} time out exceeded, failing over.", targetHost, targetPort);
                    break;
                }
                endFailover("Replica never caught up before timeout");
                return;
            }
            long offset = log.offset();
            ReplicaFeeds.SocketFeed target = null;
            if (targetHost != null) {
                target = feeds.find(targetHost, targetPort);
            } else {
                for (ReplicationLog.Feed f : log.feeds()) {
                    if (f.online && f.ack == offset) {
                        target = (ReplicaFeeds.SocketFeed) f;
                        break;
                    }
                }
            }
            if (target != null && target.ack == offset) {
                targetHost = target.ip;
                targetPort = target.port;
                LOG.info("Failover target {}:{} is synced, failing over.", targetHost, targetPort);
                break;
            }
            if (now - lastAsk >= 1000) {
                log.appendControl(ReplicationLog.GETACK);
                lastAsk = now;
            }
            log.awaitAck(50);
        }
        failoverState = "failover-in-progress";
        synchronized (this) {
            log.upstream(true);
            attachSinks();
            replicaMode(true);
            Link l = new Link(targetHost, targetPort);
            l.failover = true;
            link = l;
            engine.settings().track("replicaof", targetHost + " " + targetPort);
            l.thread = startLinkThread(l);
        }
    }

    /** The target answered our PSYNC FAILOVER: it is the master now; writes go on (as -READONLY). */
    private void failoverDone() {
        failoverState = "no-failover";
        engine.pauseWrites(false);
        LOG.info("Failover successful: this server is now a replica.");
    }

    /** The handover did not happen: back to a master, writes resume. */
    private void endFailover(String why) {
        LOG.warn("FAILOVER aborted: {}", why);
        synchronized (this) {
            if (link != null) {
                Link l = link;
                l.stop();
                link = null;
                log.upstream(false);
                replicaMode(false);
                engine.settings().track("replicaof", "");
            }
        }
        failoverState = "no-failover";
        engine.pauseWrites(false);
    }

    /** A PSYNC ... FAILOVER from our master: we become the master if it names our history. */
    String promoteOnFailover(String replid) {
        if (link == null) {
            return "ERR PSYNC FAILOVER can't be sent to a master.";
        }
        if (!replid.equals(log.replid())) {
            return "ERR PSYNC FAILOVER replid must match my replid.";
        }
        LOG.warn("Failover request received for replid {}.", replid);
        replicaOf(null, 0);
        return null;
    }

    @Override
    public String stats() {
        // native syncs count too: a full sync is a full sync, whichever protocol carried it
        return "sync_full:" + (feeds.syncFull.get() + nativeMaster.fullSyncs()) + "\r\n"
                + "sync_partial_ok:" + (feeds.syncPartialOk.get() + nativeMaster.partialSyncs()) + "\r\n"
                + "sync_partial_err:" + feeds.syncPartialErr.get() + "\r\n";
    }

    /** The fields both roles end INFO replication with. */
    private String streamFields() {
        long start = log.backlogStart();
        boolean active = log.active();
        return "master_failover_state:" + failoverState + "\r\n"
                + "master_replid:" + log.replid() + "\r\n"
                + "master_replid2:" + log.replid2() + "\r\n"
                + "master_repl_offset:" + (link != null ? link.offset() : masterOffset()) + "\r\n"
                + "second_repl_offset:" + log.secondOffset() + "\r\n"
                + "repl_backlog_active:" + (active ? 1 : 0) + "\r\n"
                + "repl_backlog_size:" + engine.settings().get("repl-backlog-size").number() + "\r\n"
                + "repl_backlog_first_byte_offset:" + (active ? start + 1 : 0) + "\r\n"
                + "repl_backlog_histlen:" + (active ? log.offset() - start : 0) + "\r\n"
                + log.mergeState()
                + nativeMaster.info()
                + (link != null && link.nativeMode ? nativeReplica.info() : "");
    }

    @Override
    public boolean isReplica() {
        return link != null;
    }

    @Override
    public boolean linkUp() {
        Link l = link;
        // a link that stopped on an error is down from the moment the error is known, before
        // its thread has closed it
        return l != null && l.state.equals("connected") && l.error == null && !l.stopped;
    }

    /** INFO replication, for either role. */
    @Override
    public String info() {
        Link l = link;
        if (l == null) {
            return "role:master\r\n" + feeds.replicaLines() + streamFields();
        }
        long offset = l.offset();
        boolean up = l.state.equals("connected") && l.error == null && !l.stopped; // as linkUp()
        long now = System.currentTimeMillis();
        var settings = engine.settings();
        return "role:slave\r\n"
                + "master_host:" + l.host + "\r\n"
                + "master_port:" + l.port + "\r\n"
                + "master_link_status:" + (up ? "up" : "down") + "\r\n"
                + "master_last_io_seconds_ago:" + (up ? (now - l.lastIoMs) / 1000 : -1) + "\r\n"
                + "master_sync_in_progress:" + (l.state.equals("sync") ? 1 : 0) + "\r\n"
                + "slave_read_repl_offset:" + l.readOffset() + "\r\n"
                + "slave_repl_offset:" + offset + "\r\n"
                + (l.state.equals("sync") ? "master_sync_total_bytes:" + l.syncTotal + "\r\n"
                        + "master_sync_read_bytes:" + l.syncRead() + "\r\n"
                        + "master_sync_left_bytes:" + (l.syncTotal < 0 ? -1 : l.syncTotal - l.syncRead()) + "\r\n"
                        + "master_sync_perc:" + (l.syncTotal <= 0 ? "0.00" : String.format("%.2f", 100.0 * l.syncRead() / l.syncTotal)) + "\r\n"
                        + "master_sync_last_io_seconds_ago:" + (now - l.lastIoMs) / 1000 + "\r\n" : "")
                + (up ? "" : "master_link_down_since_seconds:" + (now - l.downSinceMs) / 1000 + "\r\n")
                + (l.refused == null ? "" : "damselfly_sync_refused:" + l.refused + "\r\n")
                + (l.error == null ? "" : "damselfly_replication_error:" + l.error.replace("\r", " ").replace("\n", " ") + "\r\n")
                + "slave_priority:" + settings.get("replica-priority").number() + "\r\n"
                + "slave_read_only:" + (settings.get("replica-read-only").value().equals("yes") ? 1 : 0) + "\r\n"
                + "replica_announced:" + (settings.get("replica-announced").value().equals("yes") ? 1 : 0) + "\r\n"
                + feeds.replicaLines()
                + streamFields();
    }

    @Override
    public void role(Reply reply) {
        Link l = link;
        if (l == null) {
            feeds.role(reply);
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
    /**
     * The link reads the master's stream on a platform thread of its own: it is busy for as long
     * as the master writes, and a virtual thread there paid a poller wake-up and a carrier
     * hand-off per read (the replica took 0.54 cores for 181k writes/s, 0.45 for 207k on a
     * platform thread; bench/RESULTS.md §7.2). A blocked read ends when {@link Link#stop} closes
     * the socket.
     */
    private static Thread startLinkThread(Link l) {
        return Thread.ofPlatform().daemon().name("damselfly-replica-link").start(l::run);
    }

    /** How long a master that answers it is a native replica itself is retried before chaining from it. */
    static final long CHAIN_AFTER_MS = 3000;

    private final class Link {
        final String host;
        final int port;
        volatile Thread thread;
        volatile Thread ackThread;
        volatile boolean stopped;
        volatile String state = "connect";
        volatile long lastIoMs;
        volatile long downSinceMs = System.currentTimeMillis();
        volatile Socket socket;
        volatile long syncTotal = -1;
        /** Why the last full sync was refused (INFO), or null. */
        volatile String refused;
        /** Why replication stopped for good (a command or RDB it could not apply), or null. */
        volatile String error;
        /** The first PSYNC carries FAILOVER (a coordinated handover to this master). */
        volatile boolean failover;
        /** The master is a Damselfly node and this link uses native replication. */
        volatile boolean nativeMode;
        /** Replicas chain from this node: the link uses the Redis protocol (see {@link #chainRequested}). */
        volatile boolean chained;
        /** When the master first answered that it is a native replica itself (0: it did not). */
        long busySinceMs;
        volatile RdbIn syncIn;
        /** The client that applies the stream; it keeps its database across a +CONTINUE. */
        private InternalClient applier;
        /** The stream client could not go back to our offset: the next PSYNC asks for a full sync. */
        private boolean fullSyncNext;
        /** Stream bytes handed to the applier and not yet in our own stream (guarded by this link). */
        private final java.util.ArrayDeque<byte[]> unforwarded = new java.util.ArrayDeque<>();
        private int headUsed;
        private long fed;
        private long forwarded;
        private final Object feedLock = new Object();
        /**
         * Cuts holding the stream back (guarded by feedLock): a save's and sub-replicas' syncs
         * may overlap, and the stream goes on only once the last of them is through its cut.
         */
        private int holds;

        Link(String host, int port) {
            this.host = host;
            this.port = port;
        }

        /** slave_repl_offset: the master's offset of the last command applied. */
        long offset() {
            if (nativeMode) {
                return nativeReplica.offset();
            }
            forward();
            return log.offset();
        }

        synchronized io.damselfly.engine.exec.InternalClient applier() {
            return applier;
        }

        synchronized long readOffset() {
            return log.offset() + (fed - forwarded);
        }

        long syncRead() {
            RdbIn in = syncIn;
            return in == null ? 0 : in.offset();
        }

        /**
         * Moves the bytes the applier has run into our own stream, so our replicas get exactly
         * what we applied, at the master's offsets.
         */
        synchronized void forward() {
            InternalClient a = applier;
            if (a == null) {
                return;
            }
            long consumed = a.forwardable();
            while (forwarded < consumed && !unforwarded.isEmpty()) {
                byte[] b = unforwarded.peek();
                int n = (int) Math.min(b.length - headUsed, consumed - forwarded);
                log.appendRaw(b, headUsed, n);
                headUsed += n;
                forwarded += n;
                if (headUsed == b.length) {
                    unforwarded.poll();
                    headUsed = 0;
                }
            }
        }

        /**
         * Before asking to continue from our offset: the applier drops what it holds beyond it
         * (an incomplete command, an open MULTI block), which the master sends again, and the
         * bytes handed to it but not forwarded go with it. After {@link #drain}.
         */
        private void rewind() throws IOException {
            InternalClient a;
            synchronized (this) {
                a = applier;
            }
            if (a == null) {
                return;
            }
            java.util.concurrent.CompletableFuture<Long> at = new java.util.concurrent.CompletableFuture<>();
            engine.post(a.home(), w -> at.complete(a.rewindToForwardable()));
            long back;
            try {
                back = at.get(30, java.util.concurrent.TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted while the stream client rewound");
            } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
                throw new IOException("the stream client did not rewind: " + e);
            }
            synchronized (this) {
                if (back < 0 || back != forwarded) {
                    // runs still away after the drain's 30 s, or positions that disagree: a full
                    // sync is the safe way on
                    LOG.warn("The master's stream could not be rewound to offset {} ({}): asking for a full sync",
                            log.offset(), back);
                    applier = null;
                    fullSyncNext = true;
                    return;
                }
                fed = forwarded;
                unforwarded.clear();
                headUsed = 0;
            }
        }

        /** Lets the applier finish what it was handed (bounded), and forwards it. */
        void drain() {
            long deadline = System.currentTimeMillis() + 30_000;
            while (System.currentTimeMillis() < deadline) {
                InternalClient a;
                long f;
                synchronized (this) {
                    a = applier;
                    f = fed;
                }
                if (a == null || a.settledAt() == f || a.heldQuiet()) {
                    // held by CLIENT PAUSE with nothing away: what it holds is not applied and
                    // not forwarded (forwardable stops before it), so the stream is as settled
                    forward();
                    return;
                }
                LockSupport.parkNanos(200_000L);
            }
            LOG.warn("The master's stream was not applied within 30 s: {} of {} bytes", applier.consumed(), fed);
            forward();
        }

        /** Holds the stream back (bytes wait in the socket) until {@link #resume}; then drains. */
        void pause() {
            synchronized (feedLock) {
                holds++;
            }
            drain();
        }

        void resume() {
            synchronized (feedLock) {
                if (holds > 0 && --holds > 0) {
                    return; // another cut still holds it
                }
            }
            LockSupport.unpark(thread);
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

        /**
         * Replication stops in a visible error state: the data would diverge otherwise. INFO
         * shows it (damselfly_replication_error) until the next REPLICAOF.
         */
        void fail(String why) {
            error = why;
            LOG.error("Replication from {}:{} stopped: {}. The replica keeps what it has; REPLICAOF again to retry.",
                    host, port, why);
            stopped = true;
            throw new IllegalStateException(why);
        }

        /** Whether a command of the stream failed here; records why (INFO) and closes the link. */
        boolean streamFailed(InternalClient a) {
            String e = a == null ? null : a.streamError();
            if (e == null) {
                return false;
            }
            if (error == null) {
                error = "a command of the master's stream failed here: " + e;
                LOG.error("Replication from {}:{} stopped: {}. The replica keeps what it has; REPLICAOF again to retry.",
                        host, port, error);
            }
            stopped = true;
            Socket s = socket;
            if (s != null) {
                try {
                    s.close();
                } catch (IOException x) {
                    // closing
                }
            }
            return true;
        }

        void ackSoon() {
            Thread t = ackThread;
            if (t != null) {
                LockSupport.unpark(t);
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
                    if (state.equals("connected")) {
                        downSinceMs = System.currentTimeMillis();
                        backoff = 100;
                    }
                    state = "connect";
                    syncIn = null;
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
            var settings = engine.settings();
            long announcedPort = settings.get("replica-announce-port").number();
            expect(in, out, "REPLCONF", "listening-port", Long.toString(announcedPort != 0 ? announcedPort : listeningPort));
            String announcedIp = settings.get("replica-announce-ip").value();
            if (!announcedIp.isEmpty()) {
                expect(in, out, "REPLCONF", "ip-address", announcedIp);
            }
            expect(in, out, "REPLCONF", "capa", "eof", "capa", "psync2");
            nativeMode = false;
            if (!failover && settings.get("replication-protocol").value().equals("auto") && !chained
                    && tryNative(s, in, out)) {
                return;
            }
            if (chained) {
                nativeReplica.becoming(false, false); // the Redis protocol: no native history here
                nativeMaster.recording(false);
            }
            drain(); // what the last session handed over is applied and forwarded: our offset is final
            rewind();
            boolean known = log.active() && !fullSyncNext;
            fullSyncNext = false;
            String askId = known ? log.replid() : "?";
            String askOffset = known ? Long.toString(log.offset() + 1) : "-1";
            boolean handover = failover;
            if (handover) {
                LinkIo.send(out, "PSYNC", askId, askOffset, "FAILOVER");
            } else {
                LinkIo.send(out, "PSYNC", askId, askOffset);
            }
            String reply = LinkIo.line(in);
            if (handover) {
                failover = false;
                if (reply.startsWith("-")) {
                    stopped = true;
                    endFailover("FAILOVER target rejected psync request: " + reply);
                    throw new IOException("failover refused: " + reply);
                }
                failoverDone();
            }
            if (reply.startsWith("+CONTINUE")) {
                String id = reply.length() > "+CONTINUE".length() ? reply.substring("+CONTINUE".length()).trim() : "";
                if (!id.isEmpty()) {
                    log.continueAs(id);
                }
                LOG.info("Successful partial resynchronization with master at offset {}.", log.offset());
                synchronized (this) {
                    if (applier == null) {
                        // our history from the dump, or a demoted master's own (whose new master
                        // selects a database before its first command, as a promoted node does)
                        applier = streamClientAt(restoredStreamDb);
                        restoredStreamDb = null;
                    }
                }
                streamFrom(in, out, new byte[0]);
                return;
            }
            if (!reply.startsWith("+FULLRESYNC ")) {
                throw new IOException("unexpected reply to PSYNC: " + reply);
            }
            String[] parts = reply.split(" ");
            String masterId = parts[1];
            long offset = Long.parseLong(parts[2].trim());
            state = "sync";
            String head = LinkIo.line(in);
            LOG.info("Full resync from master: {}:{} ({})", masterId, offset, head);
            syncTotal = head.startsWith("$EOF:") ? -1 : Long.parseLong(head.substring(1).trim());
            lastIoMs = System.currentTimeMillis();
            if (refusesEmptyMaster(masterId, in)) {
                refused = "empty_master";
                LOG.warn("Refusing a full sync from {}:{}: it came back with a new replication id ({}) and an empty "
                        + "dataset; keeping ours (replica-refuse-empty-master yes)", host, port, masterId);
                throw new IOException("refused a full sync from an empty master");
            }
            refused = null;
            boolean beside = engine.settings().get("repl-diskless-load").value().equals("swapdb");
            if (!beside) {
                persistence.emptyDataset();
            }
            RdbIn rdb = new RdbIn(in, 64 * 1024);
            syncIn = rdb;
            RdbLoader.Result r;
            try {
                r = beside ? persistence.loadFromMasterBeside(rdb) : persistence.loadFromMaster(rdb);
            } catch (io.damselfly.repl.rdb.RdbException e) {
                fail("the master's RDB cannot be loaded: " + e.getMessage());
                return;
            }
            byte[] rest = rdb.takeBuffered();
            syncIn = null;
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
            synchronized (this) {
                log.adopt(masterId, offset);
                applier = streamClientAt(r.aux());
                unforwarded.clear();
                headUsed = 0;
                fed = 0;
                forwarded = 0;
            }
            streamFrom(in, out, java.util.Arrays.copyOfRange(rest, skip, rest.length));
        }

        /**
         * DFLY HELLO: a Damselfly master answers its shard count, a session and its log id, and
         * the session runs native replication; anything else (a redis-server's error) means the
         * Redis protocol. Returns false to go on with PSYNC.
         */
        private boolean tryNative(Socket s, InputStream in, OutputStream out) throws IOException {
            LinkIo.send(out, "DFLY", "HELLO");
            String head = LinkIo.line(in);
            if (head.equals("-" + io.damselfly.repl.flow.NativeMaster.BUSY_REPLICA)) {
                // a moment before its promotion (a takeover), or for good: the middle of a chain.
                // Retry for a while, then ask by the Redis protocol, which makes it chain.
                long now = System.currentTimeMillis();
                if (busySinceMs == 0) {
                    busySinceMs = now;
                }
                if (now - busySinceMs < CHAIN_AFTER_MS) {
                    throw new IOException("the master is a native replica for now: " + head); // retried with back-off
                }
                LOG.info("{}:{} stays a native replica: asking it for a chain by the Redis protocol", host, port);
            }
            busySinceMs = 0;
            if (!head.startsWith("*3")) {
                // a redis-server, or a Damselfly replica that follows its own master by the Redis
                // protocol (a chain's middle node): go on with PSYNC
                nativeReplica.becoming(false, false); // the Redis protocol: no native history here
                nativeMaster.recording(false);
                return false;
            }
            String shards = LinkIo.line(in);
            LinkIo.line(in);
            String session = LinkIo.line(in);
            LinkIo.line(in);
            String id = LinkIo.line(in);
            nativeMode = true;
            try {
                nativeReplica.session(host, port, in, out, Long.parseLong(shards.substring(1)), session, id,
                        new io.damselfly.repl.flow.NativeReplica.Link() {
                            @Override
                            public void state(String st) {
                                state = st;
                                lastIoMs = System.currentTimeMillis();
                            }

                            @Override
                            public void io() {
                                lastIoMs = System.currentTimeMillis();
                            }

                            @Override
                            public boolean stopped() {
                                return stopped;
                            }
                        });
            } catch (io.damselfly.repl.flow.NativeReplica.ApplyFailure e) {
                error = e.getMessage();
                LOG.error("Replication from {}:{} stopped: {}. The replica keeps what it has; REPLICAOF again to retry.",
                        host, port, error);
                stopped = true;
                throw e;
            }
            return true;
        }

        /**
         * replica-refuse-empty-master: a master with a history we do not share whose RDB holds no
         * key (it restarted without its data) must not wipe ours. Reads the RDB's head, then
         * puts it back.
         */
        private boolean refusesEmptyMaster(String masterId, InputStream in) throws IOException {
            if (!engine.settings().get("replica-refuse-empty-master").value().equals("yes")
                    || masterId.equals(log.replid()) || masterId.equals(log.replid2())) {
                return false;
            }
            try {
                // the reply's first line is the bulk length: INFO keyspace lists only databases with
                // keys, so a section of its title alone ("# Keyspace\r\n", 12 bytes) means none
                String header = engine.execute("INFO", "keyspace").get();
                if (header.equals("$12")) {
                    return false; // nothing of ours to lose
                }
            } catch (InterruptedException | java.util.concurrent.ExecutionException e) {
                return false;
            }
            in.mark(1 << 20);
            boolean empty;
            try {
                RdbIn head = new RdbIn(in, 256);
                empty = true;
                try {
                    io.damselfly.repl.rdb.RdbReader.read(head, (db, key, kind, expireAt) -> {
                        throw new NotEmpty();
                    });
                } catch (NotEmpty e) {
                    empty = false;
                }
            } finally {
                in.reset();
            }
            return empty;
        }

        /** Applies the stream (starting with {@code first}) until the link breaks or stops. */
        /**
         * The client that applies the master's stream, in the database an RDB's repl-stream-db
         * says the stream has selected where it starts (a replica's master forwards its own
         * master's stream, which selected it earlier), as Redis creates its master client.
         */
        private io.damselfly.engine.exec.InternalClient streamClientAt(java.util.Map<String, String> aux) {
            return streamClientAt(aux.get("repl-stream-db"));
        }

        private io.damselfly.engine.exec.InternalClient streamClientAt(String db) {
            io.damselfly.engine.exec.InternalClient c = engine.streamClient();
            c.pausable();
            if (db != null) {
                try {
                    int n = Integer.parseInt(db);
                    if (n > 0 && n < engine.settings().databases.number()) {
                        c.select(n);
                    }
                } catch (NumberFormatException e) {
                    LOG.warn("The RDB's repl-stream-db is not a number: {}", db);
                }
            }
            return c;
        }

        private void streamFrom(InputStream in, OutputStream out, byte[] first) throws IOException {
            state = "connected";
            lastIoMs = System.currentTimeMillis();
            Thread acks = Thread.ofVirtual().name("damselfly-replica-ack").start(() -> acks(out));
            ackThread = acks;
            try {
                if (first.length > 0) {
                    feed(first);
                }
                byte[] buf = new byte[64 * 1024];
                while (!stopped) {
                    int n = in.read(buf);
                    if (n < 0) {
                        throw new IOException("master closed the connection");
                    }
                    lastIoMs = System.currentTimeMillis();
                    feed(java.util.Arrays.copyOf(buf, n));
                }
            } finally {
                ackThread = null;
                acks.interrupt();
            }
        }

        /** Hands stream bytes to the applying client, waiting while a megabyte is still unapplied. */
        private void feed(byte[] bytes) {
            InternalClient a;
            while (true) {
                // holds is read under feedLock, where pause() counts it: once pause() counted,
                // nothing more reaches the applier, and its drain waits for all that did
                synchronized (feedLock) {
                    if (holds == 0 || stopped) {
                        synchronized (this) {
                            a = applier;
                            fed += bytes.length;
                            unforwarded.add(bytes);
                        }
                        engine.post(0, w -> a.stream(w, bytes));
                        break;
                    }
                }
                LockSupport.parkNanos(1_000_000L);
            }
            forward();
            while (!stopped && fedNow() - a.consumed() > IN_FLIGHT) {
                LockSupport.parkNanos(1_000_000L);
            }
        }

        private synchronized boolean settled() {
            return applier == null || applier.settledAt() == fed;
        }

        private synchronized long fedNow() {
            return fed;
        }

        private void acks(OutputStream out) {
            try {
                LinkIo.send(out, "REPLCONF", "ACK", Long.toString(offset()));
                while (!stopped && !Thread.currentThread().isInterrupted()) {
                    LockSupport.parkNanos(1_000_000_000L);
                    if (Thread.currentThread().isInterrupted()) {
                        return;
                    }
                    // woken by a GETACK: let the applier finish it, so the offset includes it
                    long until = System.nanoTime() + 20_000_000L;
                    while (System.nanoTime() < until && !settled()) {
                        LockSupport.parkNanos(200_000L);
                    }
                    InternalClient a;
                    synchronized (this) {
                        a = applier;
                    }
                    if (streamFailed(a)) {
                        return;
                    }
                    synchronized (out) {
                        LinkIo.send(out, "REPLCONF", "ACK", Long.toString(offset()));
                    }
                }
            } catch (IOException e) {
                // the link's reader notices
            }
        }

        private void expect(InputStream in, OutputStream out, String... command) throws IOException {
            LinkIo.send(out, command);
            String reply = LinkIo.line(in);
            if (reply.startsWith("-") && !(command[0].equals("REPLCONF") && command[1].equals("capa"))) {
                throw new IOException("master replied to " + command[0] + ": " + reply);
            }
        }
    }

    /** The first key of an RDB, when all we want to know is whether it has one. */
    private static final class NotEmpty extends RuntimeException {
        NotEmpty() {
            super(null, null, false, false);
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
