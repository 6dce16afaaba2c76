package io.damselfly.engine.exec;

import io.damselfly.engine.command.CommandTable;
import io.damselfly.engine.config.Settings;
import io.damselfly.engine.keyspace.Slots;

import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One Damselfly instance's shared-nothing engine: its workers (one shard each), the slot map,
 * the command table and the settings. Nothing here is static, so several engines can live in
 * one JVM. The server supplies the {@link Router} between workers and the {@link Host}.
 */
public final class Engine {
    public static final String REDIS_VERSION = "7.0.15";
    public static final String VERSION = "0.1.0";

    private final Settings settings;
    private final CommandTable commands;
    private final Worker[] workers;
    private final int[] slotOwner = new int[Slots.COUNT];
    private final AtomicLong txSequence = new AtomicLong();
    private final AtomicLong clientIds = new AtomicLong();
    private final AtomicInteger monitors = new AtomicInteger();
    private final long hashSeed;
    private final String runId;
    private final long startMs;
    private final long startNanos;
    private volatile CommandGate gate;
    private volatile Router router;
    private volatile Host host;

    public Engine(Settings settings, CommandTable commands, int shards) {
        this.settings = settings;
        this.commands = commands;
        SecureRandom random = new SecureRandom();
        this.hashSeed = random.nextLong();
        byte[] id = new byte[20];
        random.nextBytes(id);
        this.runId = HexFormat.of().formatHex(id);
        this.startMs = System.currentTimeMillis();
        this.startNanos = System.nanoTime();
        // Contiguous slot ranges per shard, as a cluster node owns ranges.
        for (int slot = 0; slot < Slots.COUNT; slot++) {
            slotOwner[slot] = (int) ((long) slot * shards / Slots.COUNT);
        }
        this.workers = new Worker[shards];
        for (int i = 0; i < shards; i++) {
            workers[i] = new Worker(this, i);
        }
    }

    public Settings settings() {
        return settings;
    }

    public CommandTable commands() {
        return commands;
    }

    public int shards() {
        return workers.length;
    }

    public Worker worker(int i) {
        return workers[i];
    }

    public long hashSeed() {
        return hashSeed;
    }

    public String runId() {
        return runId;
    }

    public long startMs() {
        return startMs;
    }

    public long uptimeNanos() {
        return System.nanoTime() - startNanos;
    }

    /** LASTSAVE: the last successful save, or the start when there is no persistence. */
    public long lastSaveMs() {
        Persistence p = persistence;
        return p != null ? p.lastSaveMs() : startMs;
    }

    public int shardOf(byte[] key, int off, int len) {
        return slotOwner[Slots.slot(key, off, len)];
    }

    public int shardOfSlot(int slot) {
        return slotOwner[slot];
    }

    /** Checks a command before it runs (MULTI queueing, read-only replica, loading ...). */
    public interface CommandGate {
        /** Returns an error reply for the command, or null to let it run. */
        String check(Client client, io.damselfly.engine.command.CommandSpec spec,
                     io.damselfly.engine.command.Request request);
    }

    public void gate(CommandGate gate) {
        this.gate = gate;
    }

    String commandGate(Client c, io.damselfly.engine.command.CommandSpec spec,
                       io.damselfly.engine.command.Request r) {
        Replication rep = replication;
        if (rep != null && spec.has(io.damselfly.engine.command.CommandSpec.WRITE) && !c.hasFlag(Client.FLAG_INTERNAL)
                && rep.isReplica() && settings.get("replica-read-only").value().equals("yes")) {
            return "READONLY You can't write against a read only replica.";
        }
        if (rep != null && !spec.has(io.damselfly.engine.command.CommandSpec.STALE) && !c.hasFlag(Client.FLAG_INTERNAL)
                && rep.isReplica() && !rep.linkUp() && settings.get("replica-serve-stale-data").value().equals("no")) {
            return "MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to 'no'.";
        }
        if (rep != null && spec.has(io.damselfly.engine.command.CommandSpec.WRITE) && !c.hasFlag(Client.FLAG_INTERNAL)) {
            String refusal = rep.writeRefusal();
            if (refusal != null) {
                return refusal;
            }
        }
        if (spec.has(io.damselfly.engine.command.CommandSpec.DENYOOM) && !c.hasFlag(Client.FLAG_INTERNAL) && outOfMemory()) {
            return "OOM command not allowed when used memory > 'maxmemory'.";
        }
        CommandGate g = gate;
        return g == null ? null : g.check(c, spec, r);
    }

    /**
     * Whether the data is over maxmemory and cannot be brought under it: with noeviction, or
     * when a shard found nothing its policy may evict (each shard evicts down to its share
     * after its commands). From the bytes the shards publish (acquire reads).
     */
    private boolean outOfMemory() {
        long max = settings.maxmemory.number();
        if (max <= 0) {
            return false;
        }
        long total = 0;
        boolean stuck = false;
        for (Worker w : workers) {
            total += w.publishedBytes();
            stuck |= w.evictionStuck();
        }
        return total > max && (stuck || settings.maxmemoryPolicy.value().equals("noeviction"));
    }

    public void router(Router router) {
        this.router = router;
    }

    Router router() {
        return router;
    }

    public void host(Host host) {
        this.host = host;
    }

    private volatile Persistence persistence;
    private volatile Replication replication;

    private volatile java.util.function.LongConsumer transactionDone;
    /** Pause kinds, in Redis's order: the stricter one of several pauses is the one in force. */
    public static final int PAUSE_OFF = 0;
    public static final int PAUSE_WRITE = 1;
    public static final int PAUSE_ALL = 2;
    /** Who paused: a CLIENT PAUSE, or a handover (FAILOVER, REPLTAKEOVER). Each keeps its own kind and end. */
    private static final int BY_CLIENT = 0;
    private static final int BY_HANDOVER = 1;
    private final int[] pauseKinds = new int[2]; // guarded by this
    private final long[] pauseEnds = new long[2]; // guarded by this
    /** The pause in force: written under this lock, read by every worker per dispatch (volatile). */
    private volatile int pause;
    /** When the pause in force ends (ms since the epoch): read with {@link #pause}, after it. */
    private volatile long pauseEndMs;

    /** The pause in force ({@link #PAUSE_OFF}, {@link #PAUSE_WRITE}, {@link #PAUSE_ALL}), as of {@code nowMs}. */
    int pause(long nowMs) {
        int p = pause;
        if (p != PAUSE_OFF && nowMs > pauseEndMs) {
            p = updatePause(nowMs);
        }
        return p;
    }

    /**
     * Pauses or resumes clients' write commands for a handover, as Redis's FAILOVER pauses them:
     * a write waits, parked, and its client's later commands behind it; on resume each worker
     * dispatches them again (they get -READONLY if the server became a replica meanwhile).
     */
    public void pauseWrites(boolean on) {
        synchronized (this) {
            pauseKinds[BY_HANDOVER] = on ? PAUSE_WRITE : PAUSE_OFF;
            pauseEnds[BY_HANDOVER] = on ? Long.MAX_VALUE : 0;
        }
        updatePause(System.currentTimeMillis());
    }

    /**
     * CLIENT PAUSE: pauses writes ({@link #PAUSE_WRITE}) or every command ({@link #PAUSE_ALL}) of
     * clients until {@code endMs}. A pause already in force keeps the stricter kind and the later end.
     */
    public void pauseClients(int kind, long endMs) {
        synchronized (this) {
            pauseKinds[BY_CLIENT] = Math.max(pauseKinds[BY_CLIENT], kind);
            pauseEnds[BY_CLIENT] = Math.max(pauseEnds[BY_CLIENT], endMs);
        }
        updatePause(System.currentTimeMillis());
    }

    /** CLIENT UNPAUSE: ends the CLIENT PAUSE (a handover's pause stays). */
    public void unpauseClients() {
        synchronized (this) {
            pauseKinds[BY_CLIENT] = PAUSE_OFF;
            pauseEnds[BY_CLIENT] = 0;
        }
        updatePause(System.currentTimeMillis());
    }

    /**
     * Recomputes the pause in force from the pauses that have not ended: the strictest kind, and
     * the latest end among pauses of that kind (as Redis does). When it changes, every shard
     * hears it in its inbox: expiry deletes (and journals) nothing while any pause is in force,
     * so that nothing is written after a handover's last marker, and clients parked by a
     * stricter pause are dispatched again (they may park again). A shard takes the change
     * before anything its caller sends it later (an all-shard marker, say).
     */
    private int updatePause(long nowMs) {
        int before;
        int now;
        synchronized (this) {
            before = pause;
            now = PAUSE_OFF;
            for (int i = 0; i < pauseKinds.length; i++) {
                if (pauseKinds[i] != PAUSE_OFF && pauseEnds[i] < nowMs) {
                    pauseKinds[i] = PAUSE_OFF; // ended
                }
                now = Math.max(now, pauseKinds[i]);
            }
            long end = 0;
            for (int i = 0; i < pauseKinds.length; i++) {
                if (pauseKinds[i] == now && now != PAUSE_OFF) {
                    end = Math.max(end, pauseEnds[i]);
                }
            }
            pauseEndMs = end; // before pause: a worker that reads the new kind reads this end
            pause = now;
            if (now == before) {
                return now;
            }
            boolean hold = now != PAUSE_OFF;
            boolean release = now < before;
            for (int s = 0; s < shards(); s++) {
                post(s, w -> {
                    w.shard().holdExpiry(hold);
                    if (release) {
                        w.releasePaused();
                    }
                });
            }
        }
        return now;
    }

    /**
     * Waits, writes paused, until every write dispatched before the pause has run (and journaled),
     * so that a handover reads an offset no acknowledged write comes after. Two rounds: a no-op
     * on every thread first, since a thread that read the pause flag just before it was set may
     * still be posting that write's hops to other shards (its posts precede its no-op); then an
     * operation holding every shard, which each shard runs after those hops (they are ahead of
     * it in its inbox) and after any multi-shard operation already holding locks. Blocks: for a
     * thread of its own. Returns false on timeout.
     */
    public boolean settlePausedWrites(long timeoutMs) throws InterruptedException {
        long deadline = System.currentTimeMillis() + timeoutMs;
        java.util.concurrent.CountDownLatch round = new java.util.concurrent.CountDownLatch(shards());
        for (int s = 0; s < shards(); s++) {
            post(s, w -> round.countDown());
        }
        if (!round.await(timeoutMs, java.util.concurrent.TimeUnit.MILLISECONDS)) {
            return false;
        }
        io.damselfly.engine.command.MultiShardOp hold = new io.damselfly.engine.command.MultiShardOp() {
            @Override
            public int lockMode() {
                return LOCK_SHARD;
            }

            @Override
            public void step(io.damselfly.engine.command.CommandContext ctx, TxPart part, int hop) {
            }

            @Override
            public void reply(Tx tx, io.damselfly.engine.resp.Reply reply) {
                reply.ok();
            }
        };
        try {
            allShards(io.damselfly.engine.command.CommandSpec.internal("settle", hold))
                    .get(Math.max(1, deadline - System.currentTimeMillis()), java.util.concurrent.TimeUnit.MILLISECONDS);
            return true;
        } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
            return false;
        }
    }

    /**
     * Installs who hears that a multi-shard operation finished on every shard (the replication
     * stream, which merges the operation's journal records then). Called on the coordinator's
     * thread after the last step's records were journaled by every shard.
     */
    public void onTransactionDone(java.util.function.LongConsumer listener) {
        this.transactionDone = listener;
    }

    void transactionDone(long txid) {
        java.util.function.LongConsumer l = transactionDone; // volatile read: null until a replica arrives
        if (l != null) {
            l.accept(txid);
        }
    }

    /** Installs what follows a master (the repl module's replication). */
    public void replication(Replication r) {
        this.replication = r;
    }

    public Replication replication() {
        return replication;
    }

    /** Installs what saves and loads the dataset (the repl module's RDB persistence). */
    public void persistence(Persistence p) {
        this.persistence = p;
    }

    /** The persistence in use, or null when the engine runs without one (tests of the engine alone). */
    public Persistence persistence() {
        return persistence;
    }

    /** Runs {@code task} on worker {@code shard}'s thread, from any thread (a walker, a loader). */
    public void post(int shard, java.util.function.Consumer<Worker> task) {
        router.send(shard, new Worker.Task(task));
    }

    /**
     * Runs an operation over every shard as the server itself, in the transaction order like a
     * client's (exclusive on every shard with {@link io.damselfly.engine.command.MultiShardOp#LOCK_SHARD}):
     * a snapshot's cut for a consumer that is not a command. The future gets the reply's first line.
     */
    public java.util.concurrent.CompletableFuture<String> allShards(io.damselfly.engine.command.CommandSpec spec) {
        java.util.concurrent.CompletableFuture<String> reply = new java.util.concurrent.CompletableFuture<>();
        post(0, w -> {
            InternalClient c = new InternalClient(nextClientId(), 0, System.currentTimeMillis());
            c.expect(reply);
            w.startInternal(c, spec);
        });
        return reply;
    }

    /**
     * A client for a master's command stream (see {@link InternalClient#stream}), homed on worker
     * 0; its replies are dropped.
     */
    public InternalClient streamClient() {
        InternalClient c = new InternalClient(nextClientId(), 0, System.currentTimeMillis());
        c.discardReplies();
        return c;
    }

    /**
     * Runs a command as the server itself (BGSAVE for a save point, SAVE before a shutdown),
     * through an internal client of its own homed on worker 0. The future gets the reply's first line
     * ("+OK", "-ERR ..."). Callable from any thread but the workers', which must not wait on it.
     */
    public java.util.concurrent.CompletableFuture<String> execute(String... args) {
        java.util.concurrent.CompletableFuture<String> reply = new java.util.concurrent.CompletableFuture<>();
        StringBuilder sb = new StringBuilder("*").append(args.length).append("\r\n");
        for (String a : args) {
            byte[] b = a.getBytes(java.nio.charset.StandardCharsets.UTF_8);
            sb.append('$').append(b.length).append("\r\n").append(a).append("\r\n");
        }
        byte[] command = sb.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8);
        post(0, w -> {
            // a client per command: one parked in a long SAVE never holds up the next
            InternalClient c = new InternalClient(nextClientId(), 0, System.currentTimeMillis());
            c.submit(command, reply);
            w.process(c);
        });
        return reply;
    }

    public Host host() {
        return host;
    }

    long nextTxId() {
        return txSequence.incrementAndGet();
    }

    /** The last transaction id given out. */
    long lastTxId() {
        return txSequence.get();
    }

    public long nextClientId() {
        return clientIds.incrementAndGet();
    }

    // ------------------------------------------------------------------ what later subsystems report

    private final java.util.concurrent.atomic.AtomicLong peakMemory = new java.util.concurrent.atomic.AtomicLong();
    private final String replicationId = runId40();

    private static String runId40() {
        byte[] id = new byte[20];
        new SecureRandom().nextBytes(id);
        return HexFormat.of().formatHex(id);
    }


    /** "master" or "slave", as INFO and ROLE name it. */
    public String role() {
        Replication r = replication;
        return r != null && r.isReplica() ? "slave" : "master";
    }

    public long peakMemory(long used) {
        return peakMemory.accumulateAndGet(used, Math::max);
    }

    /** INFO persistence fields. */
    public String persistenceInfo(long dirty) {
        Persistence p = persistence;
        if (p != null) {
            return p.info(dirty);
        }
        return Persistence.fields(false, dirty, false, startMs, true, -1, -1, 0, 0, 0);
    }

    /** INFO replication fields. */
    public String replicationInfo() {
        Replication r = replication;
        if (r != null) {
            return r.info();
        }
        return "role:master\r\n"
                + "connected_slaves:0\r\n"
                + "master_failover_state:no-failover\r\n"
                + "master_replid:" + replicationId + "\r\n"
                + "master_replid2:0000000000000000000000000000000000000000\r\n"
                + "master_repl_offset:0\r\n"
                + "second_repl_offset:-1\r\n"
                + "repl_backlog_active:0\r\n"
                + "repl_backlog_size:1048576\r\n"
                + "repl_backlog_first_byte_offset:0\r\n"
                + "repl_backlog_histlen:0\r\n";
    }

    /** INFO stats fields about replication syncs. */
    public String replicationStats() {
        Replication r = replication;
        if (r != null) {
            return r.stats();
        }
        return "sync_full:0\r\nsync_partial_ok:0\r\nsync_partial_err:0\r\n";
    }

    /** A section INFO does not know itself, or null. */
    public String extraInfo(String section) {
        return null;
    }

    private final AtomicInteger blocked = new AtomicInteger();
    /** When a client last sent a blocking command (nanoTime); written and read by any worker. */
    volatile long lastBlockingNanos = Long.MIN_VALUE / 2;

    /**
     * CLIENT UNBLOCK: asks the client's home to end its wait (with the timeout reply, or the
     * UNBLOCKED error). True if it was blocked when asked (a shard may serve it meanwhile).
     */
    public boolean unblock(Client c, boolean error) {
        if (c.waiter == null) {
            return false;
        }
        router.send(c.home(), new Worker.UnblockRequest(c, error));
        return true;
    }

    /** Clients blocked on keys right now (INFO blocked_clients). */
    public long blockedClients() {
        return blocked.get();
    }

    void blockedDelta(int d) {
        blocked.addAndGet(d);
    }

    private final PubSub pubsub = new PubSub(this);
    private final SlowLog slowlog = new SlowLog();
    private final LatencyMonitor latency = new LatencyMonitor();

    public LatencyMonitor latency() {
        return latency;
    }

    public SlowLog slowlog() {
        return slowlog;
    }

    public PubSub pubsub() {
        return pubsub;
    }

    public long pubsubCount(boolean patterns) {
        return patterns ? pubsub.patternCount() : pubsub.channelCount();
    }

    /** Extra CLIENT LIST flag letters of a client (pub/sub, MULTI ...). */
    public String clientFlags(Client c) {
        PubSub.Subscriptions s = c.subs;
        return (c.hasFlag(Client.FLAG_REPLICA) ? "S" : "") + (s != null && s.any() ? "P" : "")
                + (c.multi != null ? "x" : "") + (c.waiter != null ? "b" : "");
    }

    /** Channel (kind 0) or pattern (kind 1) subscriptions of a client. */
    public int subscriptions(Client c, int kind) {
        PubSub.Subscriptions s = c.subs;
        if (s == null) {
            return 0;
        }
        return kind == 0 ? s.channels.size() : kind == 1 ? s.patterns.size() : s.shardChannels.size();
    }

    /** Commands queued in a client's MULTI, or -1 outside MULTI. */
    public int multiCount(Client c) {
        MultiState m = c.multi;
        return m == null ? -1 : m.commands.size();
    }

    /** "normal", "master", "slave" or "pubsub". */
    public String clientType(Client c) {
        if (c.hasFlag(Client.FLAG_REPLICA)) {
            return "slave";
        }
        PubSub.Subscriptions s = c.subs;
        return s != null && s.any() ? "pubsub" : "normal";
    }

    /** RESET: drop the session state of later subsystems (MULTI, WATCH, subscriptions). */
    public void sessionReset(Client c) {
        worker(c.home()).resetSession(c);
    }

    private volatile boolean activeExpire = true;

    /** DEBUG SET-ACTIVE-EXPIRE: whether workers delete expired keys in the background. */
    public void activeExpire(boolean on) {
        this.activeExpire = on;
    }

    public boolean activeExpire() {
        return activeExpire;
    }

    public void resetNetworkStats() {
        Host h = host;
        if (h != null) {
            h.resetStats();
        }
    }

    public int monitors() {
        return monitors.get();
    }

    public void monitorAdded() {
        monitors.incrementAndGet();
    }

    public void monitorRemoved() {
        monitors.decrementAndGet();
    }
}
