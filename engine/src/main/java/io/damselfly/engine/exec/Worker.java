package io.damselfly.engine.exec;

import io.damselfly.engine.command.BlockingPop;
import io.damselfly.engine.command.CommandContext;
import io.damselfly.engine.command.Events;
import io.damselfly.engine.config.KeyspaceEvents;
import io.damselfly.engine.command.CommandSpec;
import io.damselfly.engine.command.MultiShardOp;
import io.damselfly.engine.command.Request;
import io.damselfly.engine.resp.ByteOutput;
import io.damselfly.engine.resp.Reply;
import io.damselfly.engine.resp.RespParser;
import io.damselfly.engine.shard.Keyspace;
import io.damselfly.engine.shard.Shard;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The engine side of one shard thread: runs its clients' commands in arrival order, sends
 * commands whose keys live elsewhere to their shard (consecutive ones in one batch), runs the
 * batches and transaction parts other workers send here, and coordinates its clients'
 * multi-shard transactions. Everything here belongs to the owning thread; other threads reach
 * it only through {@link Message}s.
 *
 * <p>Transactions follow DESIGN.md: an operation gets a global id, is scheduled on every shard
 * it touches, where it takes intent locks on its keys and waits in a queue ordered by id, and
 * runs on a shard when it is first in that queue. A shard refuses to schedule an operation
 * whose id is below one it has already started; the coordinator then cancels and retries with
 * a new id. So all shards run conflicting operations in the same order, and no client sees
 * half of one: a single-shard command on a locked key waits for the lock, one on a free key
 * runs at once.
 */
public final class Worker {
    private static final Logger LOG = LoggerFactory.getLogger(Worker.class);
    private static final int ROUTE_HOME = -1;
    private static final int ROUTE_MULTI = -2;
    private static final int ROUTE_ALL = -3;
    private static final int ROUTE_ERROR = -4;
    private static final int ROUTE_LOCAL_WAIT = -5;

    private final Engine engine;
    private final int index;
    private final Shard shard;
    private final Reply reply;
    private final CommandContext ctx;
    private final ArrayDeque<Message> local = new ArrayDeque<>();
    private final ArrayList<Client> flushQueue = new ArrayList<>();
    private int[] keyScratch = new int[64];
    private String routeError;

    // shard side of transactions
    private final ArrayList<TxPart> txQueue = new ArrayList<>();
    private final LockTable locks = new LockTable();
    private long maxStarted;
    private final ArrayList<RemoteBatch> blocked = new ArrayList<>();

    // clients blocked on keys (BLPOP ...): this shard's waiters and this home's deadlines
    final Blocking blocking = new Blocking();
    /** Set by {@link #block} while a handler runs: the command blocked instead of replying. */
    private Waiter justBlocked;
    private final CommandSpec watchSpec;
    private final CommandSpec execSpec;
    /** This shard's WATCHed keys. */
    final Watches watches = new Watches();
    /** Keys that filled while a transaction held them; served once its locks are gone. */
    private final ArrayList<LockTable.Key> deferredReady = new ArrayList<>();
    /**
     * Blocking commands other threads dispatched to this shard that have not run here yet.
     * Serving a key that filled waits until they have: a client that sent BLPOP before another
     * sent the push blocks first, as on a single-threaded Redis, although its command took a
     * hop to get here. Incremented by the sender before it sends, decremented here after the
     * command ran (the queue hand-off orders the two).
     */
    final java.util.concurrent.atomic.AtomicInteger incomingBlocking = new java.util.concurrent.atomic.AtomicInteger();

    // statistics, owned by this thread; INFO gathers them through a message
    private final long[] calls;
    private final long[] nanos;
    private final long[] rejected;
    private final long[] failed;
    /** Per command: the durations timed (ns), for LATENCY HISTOGRAM and INFO latencystats; made at first use. */
    private final org.HdrHistogram.IntCountsHistogram[] latencies;
    private final Map<String, long[]> errorStats = new HashMap<>();
    private long errorReplies;
    private long commandsProcessed;
    private final long[] opsSamples = new long[16];
    private int opsSampleIndex;
    private long lastSampleMs;
    private long lastSampleCount;
    private long nextCronMs;

    Worker(Engine engine, int index) {
        this.engine = engine;
        this.index = index;
        long seed = engine.hashSeed();
        this.shard = new Shard(index, (int) engine.settings().databases.number(), seed);
        this.reply = new Reply(this::countError);
        this.ctx = new CommandContext(engine, this, reply);
        shard.listener(new KeyEvents());
        this.watchSpec = engine.commands().lookup("watch");
        this.execSpec = engine.commands().lookup("exec");
        int ids = engine.commands().idCount();
        calls = new long[ids];
        latencies = new org.HdrHistogram.IntCountsHistogram[ids];
        nanos = new long[ids];
        rejected = new long[ids];
        failed = new long[ids];
    }

    public int index() {
        return index;
    }

    public Shard shard() {
        return shard;
    }

    public Engine engine() {
        return engine;
    }

    private void countError(String code) {
        errorReplies++;
        long[] c = errorStats.computeIfAbsent(code, k -> new long[1]);
        c[0]++;
    }

    // ------------------------------------------------------------------ loop integration

    /** Makes the calling thread this worker's owner: call it first, on that thread. */
    public void start() {
        shard.start();
        shard.clock(System.currentTimeMillis());
    }

    /** Refreshes the clock commands see. Called once per cycle by the owning thread. */
    public void clock(long nowMs) {
        shard.clock(nowMs);
    }

    // ------------------------------------------------------------------ local application (loading, RESTORE)

    private CommandContext applyCtx;
    private final ByteOutput applyOut = new ByteOutput(256);

    /**
     * Runs a write on this shard as if a client had sent it, without journaling it, without
     * keyspace events and without a client: the loader and RESTORE build values through the
     * commands that own their encodings. Returns the error text the command replied, or null.
     * Only on this worker's thread, and not while another such call runs.
     */
    public String applyLocal(int db, Request r) {
        return applyLocal(shard.db(db), r);
    }

    /** {@link #applyLocal(int, Request)} into a given database of this shard (a shadow one, say). */
    public String applyLocal(io.damselfly.engine.shard.Keyspace db, Request r) {
        CommandSpec spec = engine.commands().lookup(r.buf(), r.off(0), r.len(0));
        if (spec == null) {
            return "ERR unknown command";
        }
        if (applyCtx == null) {
            applyCtx = new CommandContext(engine, this, new Reply(null));
        }
        CommandContext x = applyCtx;
        x.req.set(r.buf(), r.offsets(), r.lengths(), r.base(), r.argc());
        x.shard = shard;
        x.db = db;
        x.client = null;
        x.spec = spec;
        x.quiet = true;
        applyOut.clear();
        x.reply.target(applyOut, 2);
        io.damselfly.engine.journal.JournalSink sink = shard.journal().sink();
        shard.journal().attach(null);
        try {
            spec.handler().execute(x);
        } finally {
            shard.journal().attach(sink);
        }
        if (applyOut.size() > 0 && applyOut.array()[0] == '-') {
            return new String(applyOut.array(), 1, applyOut.size() - 3, java.nio.charset.StandardCharsets.ISO_8859_1);
        }
        return null;
    }

    /**
     * Starts an operation over every shard for the internal client (see {@link Engine#allShards});
     * on this worker's thread, which is the client's home.
     */
    void startInternal(InternalClient c, CommandSpec spec) {
        startTx(c, spec, INTERNAL_REQUEST, 0, true);
    }

    private static final Request INTERNAL_REQUEST = Request.of("internal");

    /** Commands this worker has run since it started (a snapshot walk paces itself only while there are some). */
    public long commandsProcessed() {
        return commandsProcessed;
    }

    /** Runs a task on this worker's thread (see {@link Engine#post}). */
    static final class Task extends Message {
        private final java.util.function.Consumer<Worker> body;

        Task(java.util.function.Consumer<Worker> body) {
            this.body = body;
        }

        @Override
        public void deliver(Worker worker) {
            body.accept(worker);
        }
    }

    /** Messages this worker sent to itself, run in order; returns how many ran. */
    public int runLocal() {
        int n = 0;
        Message m;
        while ((m = local.poll()) != null) {
            m.deliver(this);
            n++;
        }
        return n;
    }

    public boolean hasLocalWork() {
        return !local.isEmpty();
    }

    /** Clients with replies to write; the owner drains and clears it at the end of a cycle. */
    public ArrayList<Client> flushQueue() {
        return flushQueue;
    }

    private Object attachment;

    /** The thread host's own state for this worker (the server's proactor). */
    public void attach(Object o) {
        this.attachment = o;
    }

    public Object attachment() {
        return attachment;
    }

    /** Queues a client whose output got bytes from outside a command (MONITOR lines ...). */
    public void markForFlush(Client c) {
        markFlush(c);
    }

    void markFlush(Client c) {
        if (c instanceof InternalClient ic) {
            ic.replied();
            return;
        }
        if (!c.queuedForFlush) {
            c.queuedForFlush = true;
            flushQueue.add(c);
        }
    }

    /** Called by the owner after writing a client's output. */
    public static void flushed(Client c) {
        c.queuedForFlush = false;
    }

    void send(int target, Message m) {
        if (target == index) {
            local.add(m);
        } else {
            engine.router().send(target, m);
        }
    }

    /** Requests this worker sent to other workers whose answers have not come back yet. */
    private int awaiting;

    /**
     * Whether messages from other workers are due soon (worth polling for before sleeping):
     * answers to this worker's requests, or the next phase of a transaction scheduled here.
     */
    public boolean awaitingRemote() {
        return awaiting > 0 || !txQueue.isEmpty();
    }

    private void sendRequest(int target, Message m) {
        if (target != index) {
            awaiting++;
        }
        send(target, m);
    }

    private void answered(int from) {
        if (from != index) {
            awaiting--;
        }
    }

    /**
     * Periodic work (serverCron): active expiry at {@code hz}, and the ops/sec samples.
     * Returns the number of keys it expired.
     */
    public long cron(long nowMs) {
        if (nowMs < nextCronMs) {
            return 0;
        }
        int hz = (int) engine.settings().hz.number();
        nextCronMs = nowMs + Math.max(1, 1000 / hz);
        engine.pause(nowMs); // a CLIENT PAUSE that ran out ends here if no command ended it first
        if (shard.hasTouchedObjects()) {
            shard.reaccountTouched();
        }
        readMemorySettings();
        if (memoryLimit > 0) {
            checkMemory(EVICT_PER_CRON);
        } else if (evictionStuck) {
            EVICTION_STUCK.setRelease(this, false);
        }
        shard.accessPolicy(engine.settings().maxmemoryPolicy.value().endsWith("lfu"),
                (int) engine.settings().lfuLogFactor.number(), (int) engine.settings().lfuDecayTime.number());
        if (nowMs - lastSampleMs >= 100) {
            long dt = Math.max(1, nowMs - lastSampleMs);
            opsSamples[opsSampleIndex++ & 15] = (commandsProcessed - lastSampleCount) * 1000 / dt;
            lastSampleMs = nowMs;
            lastSampleCount = commandsProcessed;
        }
        if (!engine.activeExpire()) {
            return 0;
        }
        int effort = (int) engine.settings().activeExpireEffort.number();
        long t0 = System.nanoTime();
        long expired = shard.activeExpire(200 * effort);
        long ms = (System.nanoTime() - t0) / 1_000_000;
        long threshold = engine.settings().latencyMonitorThreshold.number();
        if (threshold > 0 && ms >= threshold) {
            engine.latency().add("expire-cycle", ms);
        }
        return expired;
    }

    // ------------------------------------------------------------------ client commands

    private boolean authRequired(Client c) {
        return !c.authenticated && !engine.settings().requirepass.value().isEmpty();
    }

    /** A stream client ran every command before its unread input: its positions move there. */
    private static void streamPosition(InternalClient c) {
        c.dispatched = c.fedBytes() - c.inputPending();
        if (c.multi == null) {
            // a block's bytes count as applied at its EXEC, as Redis's master client moves its
            // offset: a replica's forwarded stream and the cuts of its own replicas' syncs never
            // split a block
            c.outsideBlock = c.dispatched;
            c.outsideBlockDb = c.db;
        }
    }

    /**
     * Runs as many of the client's buffered commands as it can: until the input holds no
     * complete command, or a command is away on another shard.
     */
    public void process(Client c) {
        long maxBulk = engine.settings().protoMaxBulkLen.number();
        c.batchStart = c.parser.position();
        if (c.streamPositions && !c.hasPending && !c.parked) {
            streamPosition((InternalClient) c); // a command that went away finished meanwhile
        }
        while (!c.parked && !c.closed() && !c.hasFlag(Client.FLAG_CLOSE_AFTER_REPLY)) {
            if (!c.hasPending) {
                int st = c.parser.parse(c.in, c.inLimit, maxBulk, authRequired(c));
                if (st == RespParser.INCOMPLETE) {
                    break;
                }
                if (st == RespParser.ERROR) {
                    if (c.batch != null && c.batch.collecting()) {
                        sendBatch(c); // its replies come first; the error is found again on return
                        return;
                    }
                    reply.target(c.out, c.protocol).error("ERR " + c.parser.error());
                    c.setFlag(Client.FLAG_CLOSE_AFTER_REPLY);
                    markFlush(c);
                    LOG.debug("protocol error from client {}: {}", c.id(), c.parser.error());
                    return;
                }
                c.hasPending = true;
                if (c.replyMode >= Client.REPLY_SKIP_NEXT) { // a new command: SKIP covers exactly one
                    c.replyMode = c.replyMode == Client.REPLY_SKIP_NEXT ? Client.REPLY_SKIP : Client.REPLY_ON;
                }
            }
            if (c.replyMode == Client.REPLY_ON) {
                dispatch(c);
            } else {
                dispatchSilenced(c);
            }
            if (c.streamPositions && !c.hasPending) {
                streamPosition((InternalClient) c);
            }
        }
        if (c.batch != null && c.batch.collecting()) {
            sendBatch(c);
        }
        c.compactIfDrained();
        if (c instanceof InternalClient ic) {
            ic.processed(this);
        }
    }

    /**
     * Dispatch under CLIENT REPLY OFF/SKIP: whatever the command answers here is cut off again
     * (except subscription confirmations, which Redis sends regardless). Replies that come later
     * (from another shard, EXEC, a served blocked pop) are dropped where they arrive.
     */
    private void dispatchSilenced(Client c) {
        int mark = c.out.size();
        boolean skipping = c.replyMode == Client.REPLY_SKIP;
        dispatch(c);
        if (c.silenced() && !pubsubCommand) {
            c.out.truncate(mark);
        }
        if (skipping && c.batch != null && c.batch.collecting()) {
            sendBatch(c); // the skipped reply travels alone: nothing after it may be dropped with it
        }
    }

    /** Clients whose command waits for the end of a pause (CLIENT PAUSE, FAILOVER), in arrival order. */
    private final ArrayList<Client> paused = new ArrayList<>();

    /**
     * A pause ended or became less strict: the parked clients are dispatched again, in the
     * order they arrived; a command the pause in force still holds parks again.
     */
    void releasePaused() {
        if (paused.isEmpty()) {
            return;
        }
        ArrayList<Client> list = new ArrayList<>(paused);
        paused.clear();
        engine.blockedDelta(-list.size());
        for (Client c : list) {
            c.parked = false;
            if (c instanceof InternalClient ic) {
                ic.held(false);
            }
            if (!c.closed()) {
                process(c);
                markFlush(c);
            }
        }
    }

    /**
     * Whether a pause holds this command, as Redis decides it: every command under
     * {@link Engine#PAUSE_ALL}; under {@link Engine#PAUSE_WRITE}, a command that writes or may
     * be replicated (PUBLISH), and an EXEC whose queue holds one. Replication's own clients
     * never wait.
     */
    private boolean pausedNow(Client c, CommandSpec spec, Request r) {
        int p = engine.pause(shard.now());
        if (p == Engine.PAUSE_OFF || spec == null
                || c.hasFlag(Client.FLAG_INTERNAL) && !(c instanceof InternalClient ic && ic.isPausable())) {
            return false;
        }
        if (p == Engine.PAUSE_ALL || spec.has(CommandSpec.WRITE) || spec.has(CommandSpec.MAY_REPLICATE)) {
            return true;
        }
        return c.multi != null && isExec(r) && c.multi.mayReplicate;
    }

    /** Set by dispatch when the command was one of the (un)subscribe family. */
    private boolean pubsubCommand;

    private void dispatch(Client c) {
        Request r = ctx.req.set(c.in, c.parser.argOffsets(), c.parser.argLengths(), 0, c.parser.argc());
        CommandSpec spec = resolve(c, r);
        if (pausedNow(c, spec, r)) {
            if (c.batch != null && c.batch.collecting()) {
                // the commands before it go first; it is dispatched again when they are back
                // (so a client waits in the paused list only while nothing of it is away)
                sendBatch(c);
                return;
            }
            c.parked = true; // the command stays pending: dispatched again by releasePaused
            paused.add(c);
            if (c instanceof InternalClient ic) {
                ic.held(true);
            }
            engine.blockedDelta(1); // counted as blocked, as Redis counts a postponed client
            return;
        }
        pubsubCommand = spec != null && spec.subscription();
        if (spec != null && c.subs != null && c.protocol == 2 && c.subs.any() && !allowedWhileSubscribed(spec)) {
            reply.target(c.out, c.protocol).error("ERR Can't execute '" + spec.fullName()
                    + "': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context");
            if (c.multi != null) {
                c.multi.dirtyExec = true;
            }
            c.hasPending = false;
            markFlush(c);
            return;
        }
        if (c.streamPositions && isExec(r) && c.multi != null && awaitRunsAway((InternalClient) c)) {
            return; // EXEC takes locks on several shards: not before the runs still away
        }
        if ((c.multi != null || isExec(r)) && !(c.batch != null && c.batch.collecting()) && queueInMulti(c, spec, r)) {
            return;
        }
        if (spec == watchSpec) {
            prepareWatch(c);
        } else if (spec != null && spec.has(CommandSpec.BLOCKING)) {
            c.blockStamp = System.nanoTime(); // its place in line if it blocks
            engine.lastBlockingNanos = c.blockStamp;
        }
        int n = 0;
        int target;
        if (spec == null) {
            target = ROUTE_ERROR;
        } else {
            target = route(c, spec, r);
            n = keyCount;
        }
        RemoteBatch b = c.batch;
        if (b != null && b.collecting()) {
            if (!b.mixed && target >= 0 && target != index && target == b.target) {
                feedMonitors(c, spec, r);
                b.add(spec, r.offsets(), r.lengths(), r.argc());
                commandSeen(c, spec);
                c.hasPending = false;
                if (spec.has(CommandSpec.BLOCKING)) {
                    engine.worker(b.target).incomingBlocking.incrementAndGet();
                    b.countedIncoming = true;
                    sendBatch(c);
                }
            } else if (!joinSquash(c, spec, r, target, b)) {
                sendBatch(c);
            }
            return;
        }
        c.lastInteractionMs = shard.now();
        switch (target) {
            case ROUTE_ERROR -> {
                if (spec != null) {
                    rejected[spec.id()]++;
                }
                reply.target(c.out, c.protocol).error(routeError);
                c.hasPending = false;
                markFlush(c);
            }
            case ROUTE_HOME -> {
                feedMonitors(c, spec, r);
                commandSeen(c, spec);
                runHere(c, spec);
            }
            case ROUTE_MULTI, ROUTE_ALL -> {
                if (c.streamPositions && awaitRunsAway((InternalClient) c)) {
                    return; // its locks must not pass runs of this client still on their way
                }
                feedMonitors(c, spec, r);
                commandSeen(c, spec);
                calls[spec.id()]++;
                startTx(c, spec, r, n, target == ROUTE_ALL);
            }
            default -> {
                feedMonitors(c, spec, r);
                commandSeen(c, spec);
                if (target == index) {
                    if (mustWait(spec, r, c.db, null)) {
                        if (b == null) {
                            b = c.batch = new RemoteBatch(c, index);
                        }
                        b.open(index, c.in, c.db, c.protocol);
                        b.add(spec, r.offsets(), r.lengths(), r.argc());
                        b.sent = true;
                        b.suspended = true;
                        b.cover = nextBarrier();
                        blocked.add(b);
                        parkedWhileServing(b);
                        c.parked = true;
                        c.hasPending = false;
                    } else {
                        runHere(c, spec);
                    }
                } else {
                    if (b == null) {
                        b = c.batch = new RemoteBatch(c, index);
                    }
                    b.open(target, c.in, c.db, c.protocol);
                    if (c.streamPositions) {
                        b.startPos = ((InternalClient) c).dispatched;
                        b.startDb = c.db;
                    }
                    b.add(spec, r.offsets(), r.lengths(), r.argc());
                    c.hasPending = false;
                    if (spec.has(CommandSpec.BLOCKING)) {
                        engine.worker(target).incomingBlocking.incrementAndGet();
                        b.countedIncoming = true;
                        sendBatch(c); // it may wait: nothing of the client runs after it meanwhile
                    }
                }
            }
        }
    }

    private static boolean allowedWhileSubscribed(CommandSpec spec) {
        return spec.subscription() || switch (spec.name()) {
            case "ping", "quit", "reset" -> true;
            default -> false;
        };
    }

    private boolean isExec(Request r) {
        return r.argc() > 0 && r.is(0, "exec");
    }

    /**
     * Inside MULTI: queues the command (answering QUEUED), or refuses it and marks the
     * transaction failed, as Redis does. Returns false for the commands that run at once
     * (EXEC, DISCARD, MULTI, WATCH, QUIT, RESET).
     */
    private boolean queueInMulti(Client c, CommandSpec spec, Request r) {
        if (spec == null) {
            if (isExec(r) && routeError.startsWith("ERR wrong number of arguments")) {
                reply.target(c.out, c.protocol).error("EXECABORT Transaction discarded because of: " + routeError.substring(4));
                c.multi = null;
                unwatch(c);
                c.hasPending = false;
                markFlush(c);
                return true;
            }
            if (c.multi != null) {
                c.multi.dirtyExec = true;
            }
            return false; // the error is replied as usual
        }
        if (c.multi == null) {
            return false;
        }
        String name = spec.parent() != null ? spec.parent().name() : spec.name();
        switch (name) {
            case "exec", "discard", "multi", "quit", "reset" -> {
                return false;
            }
            case "watch" -> {
                reply.target(c.out, c.protocol).error("ERR WATCH inside MULTI is not allowed");
                c.hasPending = false;
                markFlush(c);
                return true;
            }
            default -> {
            }
        }
        if (spec.has(CommandSpec.NO_MULTI)) {
            reply.target(c.out, c.protocol).error("ERR Command not allowed inside a transaction");
            c.multi.dirtyExec = true;
        } else {
            c.multi.queue(spec, r, shard.databases());
            reply.target(c.out, c.protocol).simple("QUEUED");
        }
        commandSeen(c, spec);
        c.hasPending = false;
        markFlush(c);
        return true;
    }

    private void commandSeen(Client c, CommandSpec spec) {
        c.lastCommand = spec.fullName();
    }

    private void feedMonitors(Client c, CommandSpec spec, Request r) {
        if (engine.monitors() > 0 && spec != execSpec && !spec.has(CommandSpec.SKIP_MONITOR) && !spec.has(CommandSpec.ADMIN)) {
            engine.host().feedMonitors(c, r, c.db);
        }
    }

    /**
     * EXEC's lines for monitors, once it is known what ran: the queued commands ({@code ran};
     * null when none did: an abort, a touched watch), then EXEC itself, as Redis feeds each
     * command after running it. Queued commands are not fed when queued.
     */
    void feedExec(Client c, List<MultiState.Queued> ran, Request exec, int db) {
        if (engine.monitors() == 0) {
            return;
        }
        if (ran != null) {
            for (MultiState.Queued q : ran) {
                if (!q.spec().has(CommandSpec.SKIP_MONITOR) && !q.spec().has(CommandSpec.ADMIN)) {
                    engine.host().feedMonitors(c, q.req(), q.db());
                }
            }
        }
        engine.host().feedMonitors(c, exec, db);
    }

    private CommandSpec resolve(Client c, Request r) {
        CommandSpec spec = engine.commands().lookup(r.buf(), r.off(0), r.len(0));
        if (spec == null) {
            StringBuilder args = new StringBuilder();
            for (int i = 1; i < r.argc() && args.length() < 128; i++) {
                String a = r.str(i);
                int room = 128 - args.length();
                args.append('\'').append(a, 0, Math.min(a.length(), room)).append("' ");
            }
            String name = r.str(0);
            routeError = "ERR unknown command '" + (name.length() > 128 ? name.substring(0, 128) : name)
                    + "', with args beginning with: " + args;
            return null;
        }
        if (!spec.subcommands().isEmpty() && r.argc() >= 2) {
            CommandSpec sub = spec.subcommands().get(r.lower(1));
            if (sub == null && spec.openSubcommands()) {
                sub = spec;
            }
            if (sub == null) {
                String a = r.str(1);
                routeError = "ERR unknown subcommand '" + (a.length() > 128 ? a.substring(0, 128) : a) + "'. Try "
                        + spec.name().toUpperCase(Locale.ROOT) + " HELP.";
                rejected[spec.id()]++;
                return null;
            }
            spec = sub;
        }
        if (!spec.checkArity(r.argc())) {
            routeError = "ERR wrong number of arguments for '" + spec.fullName() + "' command";
            rejected[spec.id()]++;
            return null;
        }
        if (authRequired(c) && !spec.has(CommandSpec.NO_AUTH)) {
            routeError = "NOAUTH Authentication required.";
            rejected[spec.id()]++;
            return null;
        }
        String gate = engine.commandGate(c, spec, r);
        if (gate != null) {
            routeError = gate;
            rejected[spec.id()]++;
            return null;
        }
        return spec;
    }

    private int keyCount;

    /** Where the command runs: this or another shard's index, or one of the ROUTE_ values. */
    private int route(Client c, CommandSpec spec, Request r) {
        keyCount = 0;
        switch (spec.route()) {
            case HOME:
                return ROUTE_HOME;
            case ALL:
                return ROUTE_ALL;
            case SELECTED: {
                int s = spec.selector().select(r, engine.shards());
                return s < 0 ? ROUTE_HOME : s;
            }
            default:
                break;
        }
        if (keyScratch.length < r.argc()) {
            keyScratch = new int[Math.max(r.argc(), keyScratch.length * 2)];
        }
        int n = spec.keys(r, keyScratch);
        if (n <= 0) {
            return ROUTE_HOME; // malformed or keyless: the handler reports the error at home
        }
        keyCount = n;
        if (engine.shards() == 1) {
            return 0; // every key is here: no slot to compute (and, as in Redis, no CROSSSLOT)
        }
        byte[] buf = r.buf();
        int first = engine.shardOf(buf, r.off(keyScratch[0]), r.len(keyScratch[0]));
        for (int k = 1; k < n; k++) {
            int s = engine.shardOf(buf, r.off(keyScratch[k]), r.len(keyScratch[k]));
            if (s != first) {
                if (spec.multi() == null) {
                    routeError = "CROSSSLOT Keys in request don't hash to the same slot";
                    return ROUTE_ERROR;
                }
                return ROUTE_MULTI;
            }
        }
        return first;
    }

    private void runHere(Client c, CommandSpec spec) {
        ctx.shard = shard;
        ctx.db = shard.db(c.db);
        ctx.client = c;
        ctx.spec = spec;
        reply.target(c.out, c.protocol);
        c.hasPending = false;
        run(spec);
        Waiter w = justBlocked;
        if (w != null) {
            justBlocked = null;
            c.parked = true;
            waitFor(c, w);
            if (blocking.hasReady()) {
                serveReady();
            }
            return;
        }
        c.commandsProcessed++;
        markFlush(c);
    }

    /**
     * Runs a command's handler with ctx filled in, counting calls and failures. Its duration
     * (INFO commandstats usec) is sampled: every 16th call of a command is timed and counts
     * for 16, which keeps two clock reads off the path of the other 15.
     */
    private void run(CommandSpec spec) {
        long errorsBefore = errorReplies;
        int id = spec.id();
        long n = calls[id]++;
        boolean sampled = (n & 15) == 0;
        boolean timed = sampled || slowlogTimes(spec);
        long t0 = timed ? System.nanoTime() : 0;
        boolean wasReading = shard.reading(spec.has(CommandSpec.READONLY));
        try {
            spec.handler().execute(ctx);
        } catch (RuntimeException | OutOfMemoryError e) {
            LOG.error("command {} failed", spec.fullName(), e);
            reply.error("ERR internal error: " + e);
        } finally {
            shard.reading(wasReading);
        }
        if (timed) {
            long took = System.nanoTime() - t0;
            if (sampled) {
                nanos[id] += took * 16;
                track(id, took);
            }
            if (justBlocked == null) { // a pop that blocked is logged by no one, its wait is not its run
                slowlog(spec, ctx.req, ctx.client, took);
                latencyEvent(spec, took);
            }
        }
        commandsProcessed++;
        if (errorReplies != errorsBefore) {
            failed[id]++;
        }
        if (shard.hasTouchedObjects()) {
            shard.reaccountTouched();
        }
        if (memoryLimit > 0) {
            checkMemory(EVICT_PER_COMMAND);
        }
        if (blocking.hasReady() && justBlocked == null) {
            serveReady();
        }
    }

    // ------------------------------------------------------------------ maxmemory

    /** This shard's share of maxmemory in bytes, 0 without a limit (refreshed by cron). */
    private long memoryLimit;
    private int evictPolicy;
    private boolean evictVolatile;
    private int evictSamples = 5;
    private boolean replicaIgnoresMaxmemory = true;
    /** Keys a command's end may evict; the cron goes on with more. */
    private static final int EVICT_PER_COMMAND = 64;
    private static final int EVICT_PER_CRON = 4096;
    /**
     * This shard's data bytes and whether eviction found nothing to free, for the OOM check other
     * proactors make before a command that may grow the data: written with release by the
     * owner, read with acquire (an estimate a command old at most).
     */
    private long publishedBytes;
    private boolean evictionStuck;
    private static final java.lang.invoke.VarHandle PUBLISHED_BYTES;
    private static final java.lang.invoke.VarHandle EVICTION_STUCK;

    static {
        try {
            var lookup = java.lang.invoke.MethodHandles.lookup();
            PUBLISHED_BYTES = lookup.findVarHandle(Worker.class, "publishedBytes", long.class);
            EVICTION_STUCK = lookup.findVarHandle(Worker.class, "evictionStuck", boolean.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    long publishedBytes() {
        return (long) PUBLISHED_BYTES.getAcquire(this);
    }

    boolean evictionStuck() {
        return (boolean) EVICTION_STUCK.getAcquire(this);
    }

    /** maxmemory, maxmemory-policy, maxmemory-samples and replica-ignore-maxmemory as they are set now. */
    private void readMemorySettings() {
        var settings = engine.settings();
        long max = settings.maxmemory.number();
        memoryLimit = max <= 0 ? 0 : Math.max(1, max / engine.shards());
        String policy = settings.maxmemoryPolicy.value();
        evictVolatile = policy.startsWith("volatile");
        evictPolicy = switch (policy) {
            case "allkeys-lru", "volatile-lru" -> Shard.EVICT_LRU;
            case "allkeys-lfu", "volatile-lfu" -> Shard.EVICT_LFU;
            case "allkeys-random", "volatile-random" -> Shard.EVICT_RANDOM;
            case "volatile-ttl" -> Shard.EVICT_TTL;
            default -> Shard.EVICT_NONE;
        };
        evictSamples = (int) settings.get("maxmemory-samples").number();
        replicaIgnoresMaxmemory = settings.get("replica-ignore-maxmemory").value().equals("yes");
    }

    /**
     * Evicts while this shard's data is over its share of maxmemory, as the policy says; never
     * while a multi-shard operation holds keys here (it may have read a key it will write), nor
     * on a replica that leaves eviction to its master.
     */
    private void checkMemory(int maxKeys) {
        boolean stuck = false;
        if (shard.datasetBytes() > memoryLimit && evictPolicy != Shard.EVICT_NONE && locks.isEmpty()
                && !(shard.isReplica() && replicaIgnoresMaxmemory)) {
            stuck = !shard.evict(memoryLimit, evictPolicy, evictVolatile, evictSamples, maxKeys);
        }
        PUBLISHED_BYTES.setRelease(this, shard.datasetBytes());
        if (stuck != evictionStuck) {
            EVICTION_STUCK.setRelease(this, stuck);
        }
    }

    /**
     * Whether SLOWLOG needs this command's duration: with slowlog-log-slower-than at 0 every
     * command's; otherwise (unless it is off, below 0) that of every command not flagged fast,
     * while a fast one is timed only in the one call of 16 that commandstats samples, which
     * keeps two clock reads off the path of GET and SET.
     */
    private boolean slowlogTimes(CommandSpec spec) {
        long threshold = engine.settings().slowlogLogSlowerThan.number();
        return threshold == 0 || ((threshold > 0 || engine.settings().latencyMonitorThreshold.number() > 0)
                && !spec.has(CommandSpec.FAST));
    }

    /** Records a timed run of command {@code id} for its latency histogram (latency-tracking). */
    private void track(int id, long nanos) {
        if (engine.settings().latencyTracking.number() == 0) {
            return;
        }
        org.HdrHistogram.IntCountsHistogram h = latencies[id];
        if (h == null) {
            h = latencies[id] = new org.HdrHistogram.IntCountsHistogram(LATENCY_MIN_NS, LATENCY_MAX_NS, 2);
        }
        h.recordValue(Math.min(LATENCY_MAX_NS, Math.max(LATENCY_MIN_NS, nanos)));
    }

    /** Redis's range for latency histograms: 1 us to 1 s, 2 significant digits. */
    public static final long LATENCY_MIN_NS = 1_000;
    public static final long LATENCY_MAX_NS = 1_000_000_000;

    /** A latency-monitor event for a command that took at least latency-monitor-threshold ms. */
    private void latencyEvent(CommandSpec spec, long nanos) {
        long threshold = engine.settings().latencyMonitorThreshold.number();
        if (threshold > 0 && nanos / 1_000_000 >= threshold) {
            engine.latency().add(spec.has(CommandSpec.FAST) ? "fast-command" : "command", nanos / 1_000_000);
        }
    }

    /** Logs a command that ran {@code nanos} if that reaches slowlog-log-slower-than. */
    private void slowlog(CommandSpec spec, Request r, Client c, long nanos) {
        long threshold = engine.settings().slowlogLogSlowerThan.number();
        long micros = nanos / 1000;
        if (threshold < 0 || micros < threshold || spec.has(CommandSpec.SKIP_SLOWLOG) || c == null
                || c.hasFlag(Client.FLAG_INTERNAL)) {
            return;
        }
        engine.slowlog().add(r, spec.fullName(), micros, c.address(), c.name(),
                engine.settings().slowlogMaxLen.number());
    }

    /** Parks a stream client until its runs away are back; false when none is. */
    private boolean awaitRunsAway(InternalClient c) {
        if (c.batch != null && c.batch.collecting()) {
            sendBatch(c);
        }
        if (c.away.isEmpty()) {
            return false;
        }
        c.waitingForAway = true;
        c.parked = true;
        return true;
    }

    /**
     * Adds a command to the client's batch as part of a squashed pipeline (see
     * {@link PipelineOp}) when the batch may turn mixed and the command qualifies: a plain
     * single-shard command of a multibulk request from an ordinary client.
     */
    private boolean joinSquash(Client c, CommandSpec spec, Request r, int target, RemoteBatch b) {
        if (target < 0 || engine.settings().pipelineSquash.number() <= 0 || !squashable(c, spec)
                || c.in[c.parser.commandStart()] != '*' || c.parser.commandStart() < c.squashBarrier) {
            return false;
        }
        if (!b.mixed) {
            if (b.countedIncoming) {
                return false;
            }
            for (int i = 0; i < b.count; i++) {
                if (!squashable(c, b.specs[i])) {
                    return false;
                }
            }
            b.mixed = true;
            b.mixFrom = b.count;
            b.mixPos = c.parser.commandStart();
            b.remoteRuns = 1;
            java.util.Arrays.fill(b.shards, 0, b.count, b.target);
        }
        if (target != b.shards[b.count - 1] && target != index) {
            b.remoteRuns++;
        }
        b.add(spec, r.offsets(), r.lengths(), r.argc());
        b.shards[b.count - 1] = target;
        c.hasPending = false;
        return true;
    }

    private boolean squashable(Client c, CommandSpec spec) {
        return spec.route() == CommandSpec.Route.KEYS && !spec.has(CommandSpec.BLOCKING) && !spec.has(CommandSpec.NO_MULTI)
                && spec != watchSpec && !spec.subscription() && c.multi == null && !c.streamPositions
                && c.replyMode == Client.REPLY_ON && (c.subs == null || !c.subs.any()) && !c.hasFlag(Client.FLAG_INTERNAL);
    }

    private final Request pipedReq = new Request();
    /** Pipelined runs this worker's clients sent off as one {@link PipelineOp}, and their commands. */
    private long squashes;
    private long squashedCommands;

    /**
     * Sends a mixed batch off as one {@link PipelineOp}, or, when it saves too few hops for the
     * transaction's two round trips, cuts it back to its first run and parses the rest again
     * after that run's answers.
     */
    private boolean squashOrCut(Client c, RemoteBatch b) {
        if (b.remoteRuns < engine.settings().pipelineSquash.number()) {
            c.squashBarrier = c.parser.position(); // parsed once more, but not collected again
            b.count = b.mixFrom;
            b.argTotal = b.base[b.mixFrom];
            b.mixed = false;
            c.parser.rewind(b.mixPos);
            c.hasPending = false;
            return false;
        }
        b.sent = true;
        Tx tx = freshTx(c);
        PipelineOp op = c.pipeline;
        if (op == null) {
            op = c.pipeline = new PipelineOp(engine.shards());
        }
        tx.spec = b.specs[0];
        tx.op = op;
        tx.db = b.db;
        tx.protocol = b.protocol;
        tx.lockMode = MultiShardOp.LOCK_KEYS;
        tx.canBlock = false;
        tx.req.set(b.buf, b.off, b.len, b.base[0], b.argc[0]);
        op.plan(tx, b);
        squashes++;
        squashedCommands += b.count;
        for (int i = b.mixFrom; i < b.count; i++) { // the first run was fed as it arrived
            feedMonitors(c, b.specs[i], pipedReq.set(b.buf, b.off, b.len, b.base[i], b.argc[i]));
        }
        commandSeen(c, b.specs[b.count - 1]);
        c.parked = true;
        schedule(tx);
        return true;
    }

    /** Runs the i-th command of a squashed pipeline on this shard (see {@link PipelineOp#step}). */
    void runPiped(RemoteBatch b, int i, ByteOutput out) {
        CommandSpec spec = b.specs[i];
        ctx.req.set(b.buf, b.off, b.len, b.base[i], b.argc[i]);
        ctx.shard = shard;
        ctx.db = shard.db(b.db);
        ctx.client = b.client;
        ctx.spec = spec;
        reply.target(out, b.protocol);
        run(spec);
    }

    private void sendBatch(Client c) {
        RemoteBatch b = c.batch;
        if (b.mixed && squashOrCut(c, b)) {
            return;
        }
        b.sent = true;
        if (c.streamPositions && ((InternalClient) c).detaches() && !b.suspended && b.waiter == null
                && !b.countedIncoming) {
            InternalClient ic = (InternalClient) c;
            b.detach();
            ic.away.addLast(b);
            c.batch = null; // the next run gets a batch of its own
            send(b.target, b); // not awaited: the client goes on (no polling for its return)
            return;
        }
        c.parked = true;
        sendRequest(b.target, b);
    }

    // ------------------------------------------------------------------ batches (shard side)

    /** Whether a single-shard command must wait for an intent lock (or a command queued before it). */
    private boolean mustWait(CommandSpec spec, Request r, int db, RemoteBatch self) {
        if (locks.isEmpty() && (blocked.isEmpty() || (blocked.size() == 1 && blocked.get(0) == self))) {
            return false;
        }
        boolean exclusive = !spec.has(CommandSpec.READONLY);
        if (keyScratch.length < r.argc()) {
            keyScratch = new int[Math.max(r.argc(), keyScratch.length * 2)];
        }
        int n = spec.route() == CommandSpec.Route.KEYS ? spec.keys(r, keyScratch) : 0;
        if (n <= 0) {
            return locks.shardBusy(false) && spec.route() == CommandSpec.Route.KEYS;
        }
        byte[] buf = r.buf();
        boolean blockingCommand = spec.has(CommandSpec.BLOCKING);
        if (!blockingCommand && servingPending()) {
            return true; // nothing runs here between a push and the serving of its waiters
        }
        for (int k = 0; k < n; k++) {
            int a = keyScratch[k];
            if (locks.conflicts(db, buf, r.off(a), r.len(a), exclusive)
                    && !(blockingCommand && isHeldForServing(db, buf, r.off(a), r.len(a)))) {
                return true;
            }
        }
        // keep the order of commands already waiting on the same keys
        for (int i = 0, size = blocked.size(); i < size; i++) { // indexed: no iterator per command
            RemoteBatch w = blocked.get(i);
            if (w == self) {
                break;
            }
            if (w.db == db && sharesKey(w, r, n)) {
                return true;
            }
        }
        return false;
    }

    /** A counted blocking command of the batch reached this shard; true if none is on its way any more. */
    private boolean arrived(RemoteBatch b, CommandSpec spec) {
        if (b.countedIncoming && spec.has(CommandSpec.BLOCKING)) {
            b.countedIncoming = false;
            return incomingBlocking.decrementAndGet() == 0;
        }
        return false;
    }

    /** Whether a key filled and is held until its waiters are served (see {@link #serveReady}). */
    public boolean isHeldForServing(int db, byte[] b, int off, int len) {
        return !heldForServing.isEmpty() && heldForServing.contains(new LockTable.Key(db, b, off, len));
    }

    private final Request otherReq = new Request();
    private int[] otherKeys = new int[16];

    private boolean sharesKey(RemoteBatch w, Request r, int n) {
        int i = w.next;
        Request o = otherReq.set(w.buf, w.off, w.len, w.base[i], w.argc[i]);
        if (otherKeys.length < o.argc()) {
            otherKeys = new int[o.argc()];
        }
        int m = w.specs[i].route() == CommandSpec.Route.KEYS ? w.specs[i].keys(o, otherKeys) : 0;
        byte[] buf = r.buf();
        for (int k = 0; k < n; k++) {
            int a = keyScratch[k];
            for (int j = 0; j < m; j++) {
                int b = otherKeys[j];
                if (r.len(a) == o.len(b) && java.util.Arrays.equals(buf, r.off(a), r.off(a) + r.len(a),
                        o.buf(), o.off(b), o.off(b) + o.len(b))) {
                    return true;
                }
            }
        }
        return false;
    }

    void runBatch(RemoteBatch b) {
        while (b.next < b.count) {
            int i = b.next;
            Request r = ctx.req.set(b.buf, b.off, b.len, b.base[i], b.argc[i]);
            CommandSpec spec = b.specs[i];
            if (mustWait(spec, r, b.db, b)) {
                if (!b.suspended) {
                    b.suspended = true;
                    blocked.add(b);
                    parkedWhileServing(b);
                }
                // it waits in line here now (behind a command on its keys): serving need not
                // wait for it, and nothing else may come to serve the keys it waits behind
                if (arrived(b, spec)) {
                    serveIfReady();
                }
                return;
            }
            ctx.req.set(b.buf, b.off, b.len, b.base[i], b.argc[i]);
            ctx.shard = shard;
            ctx.db = shard.db(b.db);
            ctx.client = b.client;
            ctx.spec = spec;
            reply.target(b.out, b.protocol);
            long outer = runningCover;
            runningCover = b.cover;
            try {
                run(spec);
            } finally {
                runningCover = outer;
            }
            b.next++;
            if (arrived(b, spec) && blocking.hasReady() && justBlocked == null) {
                serveReady();
            }
            if (justBlocked != null) {
                b.waiter = justBlocked; // the last command of its batch (see dispatch)
                justBlocked = null;
                break;
            }
        }
        if (b.suspended) {
            blocked.remove(b);
            b.suspended = false;
        }
        boolean blockedHere = b.waiter != null;
        b.returning = true;
        send(b.home, b);
        if (blockedHere && blocking.hasReady()) {
            // after the batch: a serving that needs no barrier may serve the client that just
            // blocked, and its answer must reach home behind the batch that tells it waits
            serveReady();
        }
    }

    void batchReturned(RemoteBatch b) {
        Client c = b.client;
        if (b.detached) {
            c.commandsProcessed += b.count;
            ((InternalClient) c).noteErrors(b.out.array(), b.out.size());
            ((InternalClient) c).runBack(this, b);
            return;
        }
        answered(b.target);
        if (!c.closed() && !c.silenced()) {
            c.out.write(b.out);
            markFlush(c);
        }
        c.commandsProcessed += b.count;
        b.out.clear();
        b.out.shrinkIfEmpty(64 * 1024);
        Waiter w = b.waiter;
        b.waiter = null;
        b.clear();
        if (w != null) {
            c.commandsProcessed--; // counted when it is answered
            waitFor(c, w);
            return;
        }
        c.parked = false;
        if (c.closed()) {
            c.afterAway();
        } else {
            process(c);
        }
    }

    private void retryBlocked() {
        if (!deferredReady.isEmpty() && locks.isEmpty()) {
            for (LockTable.Key k : deferredReady) {
                blocking.signal(k);
            }
            needServing(coverNow());
            deferredReady.clear();
            serveReady();
        } else if (!deferredReady.isEmpty()) {
            for (int i = 0; i < deferredReady.size(); ) {
                LockTable.Key k = deferredReady.get(i);
                if (!locks.conflicts(k.db, k.bytes, 0, k.bytes.length, true)) {
                    blocking.signal(k);
                    needServing(coverNow());
                    deferredReady.remove(i);
                } else {
                    i++;
                }
            }
            if (blocking.hasReady()) {
                serveReady();
            }
        }
        for (int i = 0; i < blocked.size(); ) {
            RemoteBatch b = blocked.get(i);
            int before = blocked.size();
            runBatch(b);
            if (blocked.size() < before) {
                continue;
            }
            i++;
        }
    }

    // ------------------------------------------------------------------ transactions (coordinator)

    /** The client's transaction (one per client, reused), with the parts of its last one cleared. */
    private Tx freshTx(Client c) {
        Tx tx = c.tx;
        if (tx == null) {
            tx = c.tx = new Tx(c, engine);
        }
        for (int s = 0; s < engine.shards(); s++) {
            if (tx.partsByShard[s] != null) {
                tx.partsByShard[s].reset();
            }
        }
        return tx;
    }

    private void startTx(Client c, CommandSpec spec, Request r, int n, boolean all) {
        Tx tx = freshTx(c);
        tx.spec = spec;
        tx.op = spec.multi();
        tx.db = c.db;
        tx.protocol = c.protocol;
        tx.lockMode = tx.op.lockMode();
        tx.req.set(r.buf(), r.offsets(), r.lengths(), r.base(), r.argc());
        tx.startNanos = System.nanoTime(); // a few hops' work: two clock reads are nothing beside them
        if (all) {
            for (int s = 0; s < engine.shards(); s++) {
                tx.part(s); // made if it is not there yet
                tx.addParticipant(s);
            }
        } else {
            byte[] buf = r.buf();
            for (int k = 0; k < n; k++) {
                int a = keyScratch[k];
                int s = engine.shardOf(buf, r.off(a), r.len(a));
                TxPart p = tx.part(s);
                if (p.keyCount == 0) {
                    tx.addParticipant(s);
                }
                p.addKey(a);
            }
        }
        c.hasPending = false;
        String error = tx.op.precheck(tx, shard.databases());
        if (error != null) {
            reply.target(c.out, c.protocol).error(error);
            if (spec.id() >= 0) {
                failed[spec.id()]++;
            }
            tx.reset();
            markFlush(c);
            return;
        }
        c.parked = true;
        if (tx.lockMode == MultiShardOp.LOCK_NONE) {
            startHops(tx);
        } else {
            schedule(tx);
        }
    }

    private void schedule(Tx tx) {
        tx.id = engine.nextTxId();
        tx.phase = Tx.SCHEDULING;
        tx.refused = false;
        tx.pending = tx.participantCount;
        boolean blockingOp = tx.spec.has(CommandSpec.BLOCKING);
        for (int i = 0; i < tx.participantCount; i++) {
            TxPart p = tx.participant(i);
            p.state = TxPart.SCHEDULE;
            if (blockingOp) {
                engine.worker(p.shard).incomingBlocking.incrementAndGet();
            }
            sendRequest(p.shard, p);
        }
    }

    private void executeHop(Tx tx, int hop) {
        tx.phase = Tx.EXECUTING;
        tx.hop = hop;
        tx.lastSent = tx.op.isLast(tx, hop);
        int acting = 0;
        for (int i = 0; i < tx.participantCount; i++) {
            if (tx.op.acts(tx, hop, tx.participant(i).shard)) {
                acting++;
            }
        }
        tx.pending = acting;
        for (int i = 0; i < tx.participantCount; i++) {
            TxPart p = tx.participant(i);
            if (!tx.op.acts(tx, hop, p.shard)) {
                continue;
            }
            p.state = TxPart.EXECUTE;
            p.hop = hop;
            p.last = tx.lastSent;
            sendRequest(p.shard, p);
        }
    }

    /** The locks are held (or none are needed): runs hop 0, or concludes when there is nothing to run. */
    private void startHops(Tx tx) {
        if (tx.op.start(tx) == MultiShardOp.NEXT) {
            executeHop(tx, 0);
        } else {
            conclude(tx);
        }
    }

    private void conclude(Tx tx) {
        tx.phase = Tx.CONCLUDING;
        tx.pending = tx.participantCount;
        for (int i = 0; i < tx.participantCount; i++) {
            TxPart p = tx.participant(i);
            p.state = TxPart.CONCLUDE;
            sendRequest(p.shard, p);
        }
    }

    void txOnCoordinator(TxPart p) {
        answered(p.shard);
        Tx tx = p.tx;
        switch (p.state) {
            case TxPart.SCHEDULED, TxPart.REFUSED -> {
                if (p.state == TxPart.REFUSED) {
                    tx.refused = true;
                }
                if (--tx.pending == 0) {
                    if (!tx.refused) {
                        startHops(tx);
                    } else {
                        cancel(tx);
                    }
                }
            }
            case TxPart.CANCELLED -> {
                if (--tx.pending == 0) {
                    tx.retries++;
                    schedule(tx);
                }
            }
            case TxPart.EXECUTED -> {
                if (--tx.pending == 0) {
                    if (tx.lastSent) {
                        finish(tx);
                    } else if (tx.op.afterHop(tx, tx.hop) == MultiShardOp.NEXT) {
                        executeHop(tx, tx.hop + 1);
                    } else {
                        conclude(tx);
                    }
                }
            }
            case TxPart.CONCLUDED -> {
                if (--tx.pending == 0) {
                    finish(tx);
                }
            }
            default -> throw new IllegalStateException("unexpected part state " + p.state);
        }
    }

    private void cancel(Tx tx) {
        tx.phase = Tx.CANCELLING;
        int n = 0;
        for (int i = 0; i < tx.participantCount; i++) {
            if (tx.participant(i).state == TxPart.SCHEDULED) {
                n++;
            }
        }
        tx.pending = n;
        if (n == 0) {
            tx.retries++;
            schedule(tx);
            return;
        }
        for (int i = 0; i < tx.participantCount; i++) {
            TxPart p = tx.participant(i);
            if (p.state == TxPart.SCHEDULED) {
                p.state = TxPart.CANCEL;
                sendRequest(p.shard, p);
            }
        }
    }

    /** A deferred operation's work is done: reply now. */
    void finishDeferred(Tx tx) {
        finish(tx);
    }

    private void finish(Tx tx) {
        Client c = tx.client;
        engine.transactionDone(tx.id);
        if (!tx.deferred && tx.waiter == null) {
            tx.deferred = true;
            if (tx.op.defer(tx)) {
                return; // the client stays parked until Tx.resume
            }
        }
        Waiter w = tx.waiter;
        if (w != null) {
            tx.reset();
            if (w.arrived) {
                deliverServed(w);
            } else {
                waitFor(c, w);
            }
            return;
        }
        if (!c.closed()) {
            int mark = c.out.size();
            reply.target(c.out, c.protocol);
            long errorsBefore = errorReplies;
            tx.op.reply(tx, reply);
            if (errorReplies != errorsBefore && tx.spec.id() >= 0) {
                failed[tx.spec.id()]++;
            }
            if (c.silenced()) {
                c.out.truncate(mark);
            }
            markFlush(c);
        }
        if (tx.op instanceof PipelineOp p) {
            c.commandsProcessed += p.count(); // the shards counted each command as they ran it
            p.done();
        } else {
            commandsProcessed++;
            c.commandsProcessed++;
            if (tx.startNanos != 0 && tx.spec.id() >= 0) {
                long took = System.nanoTime() - tx.startNanos; // from its start to its reply
                track(tx.spec.id(), took);
                slowlog(tx.spec, tx.req, c, took);
                latencyEvent(tx.spec, took);
            }
        }
        tx.reset();
        c.parked = false;
        if (c.closed()) {
            c.afterAway();
        } else {
            process(c);
        }
    }

    // ------------------------------------------------------------------ transactions (shard side)

    void txOnShard(TxPart p) {
        Tx tx = p.tx;
        int coordinator = tx.client.home();
        switch (p.state) {
            case TxPart.SCHEDULE -> {
                if (tx.id < maxStarted) {
                    p.state = TxPart.REFUSED;
                    if (tx.spec.has(CommandSpec.BLOCKING) && incomingBlocking.decrementAndGet() == 0) {
                        serveIfReady(); // counted when scheduled; a retry counts it again
                    }
                } else {
                    enqueue(p);
                    acquire(p);
                    p.state = TxPart.SCHEDULED;
                }
                send(coordinator, p);
            }
            case TxPart.EXECUTE -> {
                if (tx.lockMode == MultiShardOp.LOCK_NONE) {
                    runStep(p);
                    p.state = TxPart.EXECUTED;
                    send(coordinator, p);
                } else {
                    p.ready = true;
                    runQueue();
                }
            }
            case TxPart.CANCEL, TxPart.CONCLUDE -> {
                txQueue.remove(p);
                release(p);
                if (p.state == TxPart.CONCLUDE) {
                    // a cancelled part ran nothing: only a part that ran ends (once per shard)
                    shard.journal().endPart(tx.id, tx.participantCount);
                }
                p.state = p.state == TxPart.CANCEL ? TxPart.CANCELLED : TxPart.CONCLUDED;
                send(coordinator, p);
                runQueue();
                retryBlocked();
                if (blocking.hasReady()) {
                    serveReady();
                }
            }
            default -> throw new IllegalStateException("unexpected part state " + p.state);
        }
    }

    private void enqueue(TxPart p) {
        int i = txQueue.size();
        while (i > 0 && txQueue.get(i - 1).tx.id > p.tx.id) {
            i--;
        }
        txQueue.add(i, p);
    }

    private void acquire(TxPart p) {
        Tx tx = p.tx;
        if (tx.lockMode == MultiShardOp.LOCK_SHARD) {
            locks.lockShard(true);
            p.shardLock = true;
            return;
        }
        boolean exclusive = exclusive(tx);
        if (p.lockHashes != null) {
            for (int i = 0; i < p.lockHashCount; i++) {
                locks.lockHashed(p.lockHashes[i], exclusive);
            }
            p.hashedHeld = true;
            return;
        }
        if (p.lockKeys != null) {
            for (LockTable.Key key : p.lockKeys) {
                locks.lock(key, exclusive);
                p.held.add(key);
            }
            return;
        }
        Request r = tx.req;
        for (int k = 0; k < p.keyCount; k++) {
            int a = p.keyArgs[k];
            LockTable.Key key = new LockTable.Key(tx.db, r.buf(), r.off(a), r.len(a));
            locks.lock(key, exclusive);
            p.held.add(key);
        }
    }

    private static boolean exclusive(Tx tx) {
        return tx.op.writes(tx);
    }

    private void release(TxPart p) {
        if (p.tx.spec.has(CommandSpec.BLOCKING)) {
            incomingBlocking.decrementAndGet(); // counted when it was scheduled here
        }
        if (p.shardLock) {
            locks.unlockShard(true);
            p.shardLock = false;
        }
        boolean exclusive = exclusive(p.tx);
        if (p.hashedHeld) {
            for (int i = 0; i < p.lockHashCount; i++) {
                locks.unlockHashed(p.lockHashes[i], exclusive);
            }
            p.hashedHeld = false;
        }
        for (LockTable.Key key : p.held) {
            locks.unlock(key, exclusive);
        }
        p.held.clear();
    }

    /**
     * Whether keys filled and their waiters wait only for the barrier to be served: commands that
     * reach this shard meanwhile, and transactions scheduled after the push, wait too, as on Redis
     * no command runs between a push and the serving of its waiters (a transaction watching a
     * served BRPOPLPUSH's destination aborts; a read sees the move once the push answered). Not
     * while blocking commands are on their way here: serving waits for those, and they may queue
     * behind anything.
     */
    private boolean servingPending() {
        return !heldForServing.isEmpty() && incomingBlocking.get() == 0;
    }

    private void runQueue() {
        boolean released = false;
        while (!txQueue.isEmpty()) {
            TxPart head = txQueue.get(0);
            if (!head.ready) {
                break;
            }
            if (head.tx.id > servingTxFloor && head.tx.id > maxStarted && servingPending()
                    && !head.tx.spec.has(CommandSpec.BLOCKING)) {
                serveReady(); // sends the barrier, if nothing else did; the serving resumes the queue
                if (servingPending()) {
                    break;
                }
            }
            head.ready = false;
            if (head.tx.id > maxStarted) {
                maxStarted = head.tx.id;
            }
            runStep(head);
            boolean last = head.last;
            if (last) {
                txQueue.remove(0);
                release(head);
                shard.journal().endPart(head.tx.id, head.tx.participantCount, head.tx.op.journalsLoose());
                released = true;
            }
            head.state = TxPart.EXECUTED;
            send(head.tx.client.home(), head);
            if (!last) {
                break;
            }
        }
        if (released) {
            retryBlocked();
            if (blocking.hasReady()) {
                serveReady();
            }
        }
    }

    private void runStep(TxPart p) {
        Tx tx = p.tx;
        ctx.req.set(tx.req.buf(), tx.req.offsets(), tx.req.lengths(), tx.req.base(), tx.req.argc());
        ctx.shard = shard;
        ctx.db = shard.db(tx.db);
        ctx.client = tx.client;
        ctx.spec = tx.spec;
        reply.target(p.out, tx.protocol);
        // an operation without locks only reads (an expired key it meets is deleted on its own)
        boolean tagged = tx.lockMode != MultiShardOp.LOCK_NONE;
        if (tx.op.journalsLoose()) {
            shard.journalLooseTransaction(tx.id, tx.participantCount, p.hop);
        } else {
            shard.journalTransaction(tagged ? tx.id : 0, tx.participantCount, p.hop);
        }
        boolean wasReading = shard.reading(tx.spec.has(CommandSpec.READONLY));
        try {
            tx.op.step(ctx, p, p.hop);
        } catch (RuntimeException e) {
            LOG.error("step of {} failed", tx.spec.fullName(), e);
            p.payload = e;
        } finally {
            shard.reading(wasReading);
            shard.journalTransaction(0, 1, 0);
        }
        if (blocking.hasReady()) {
            serveReady();
        }
    }

    // ------------------------------------------------------------------ MULTI EXEC DISCARD WATCH UNWATCH

    public void multi(CommandContext c) {
        Client client = c.client;
        if (client.multi != null) {
            c.reply.error("ERR MULTI calls can not be nested");
            return;
        }
        client.multi = new MultiState(client.db);
        c.reply.ok();
    }

    public void discard(CommandContext c) {
        Client client = c.client;
        if (client.multi == null) {
            c.reply.error("ERR DISCARD without MULTI");
            return;
        }
        client.multi = null;
        unwatch(client);
        c.reply.ok();
    }

    public void unwatch(CommandContext c) {
        unwatch(c.client);
        c.reply.ok();
    }

    public void exec(CommandContext c) {
        Client client = c.client;
        MultiState m = client.multi;
        if (m == null) {
            feedExec(client, null, c.req, client.db);
            c.reply.error("ERR EXEC without MULTI");
            return;
        }
        client.multi = null;
        if (m.dirtyExec) {
            feedExec(client, null, c.req, client.db);
            unwatch(client);
            c.reply.error("EXECABORT Transaction discarded because of previous errors.");
            return;
        }
        // the server's state may have changed since the commands were queued (a replica now,
        // too few good replicas, a stale link): the gates apply again, as Redis checks at EXEC
        for (MultiState.Queued q : m.commands) {
            String gate = engine.commandGate(client, q.spec(), q.req());
            if (gate != null) {
                feedExec(client, null, c.req, client.db);
                unwatch(client);
                c.reply.error("EXECABORT Transaction discarded because of: " + gate);
                return;
            }
        }
        Watch w = client.watch;
        client.watch = null; // EXEC unwatches, after its check (the entries go in reply)
        ExecOp op = new ExecOp(this, client, m, w);
        Tx tx = freshTx(client);
        tx.spec = c.spec;
        tx.op = op;
        tx.db = client.db;
        tx.protocol = client.protocol;
        tx.lockMode = op.lockMode();
        tx.canBlock = false;
        tx.req.set(c.req.buf(), c.req.offsets(), c.req.lengths(), c.req.base(), c.req.argc());
        for (var e : op.lockKeys.entrySet()) {
            TxPart p = tx.part(e.getKey());
            tx.addParticipant(e.getKey());
            p.lockKeys = e.getValue();
        }
        if (tx.participantCount == 0) {
            // connection commands only: they run here and now
            op.start(tx);
            op.reply(tx, reply.target(client.out, client.protocol)); // the commands wrote into the op's buffer
            dropWatch(w);
            tx.reset();
            return;
        }
        client.parked = true;
        schedule(tx);
    }

    /** Forgets a watch that EXEC consumed (after its check). */
    void dropWatch(Watch w) {
        if (w == null) {
            return;
        }
        long bits = w.shards;
        while (bits != 0) {
            int s = Long.numberOfTrailingZeros(bits);
            bits &= bits - 1;
            send(s, new Unwatch(w));
        }
    }

    void unwatch(Client c) {
        Watch w = c.watch;
        c.watch = null;
        dropWatch(w);
    }

    /** WATCH on the shard of its keys: registers them. */
    public void watch(CommandContext c) {
        Client client = c.client;
        Watch w = client.watch;
        Request r = c.req;
        for (int i = 1; i < r.argc(); i++) {
            LockTable.Key key = new LockTable.Key(c.db.id(), r.buf(), r.off(i), r.len(i));
            watches.add(key, w, c.db.isLogicallyExpired(r.buf(), r.off(i), r.len(i)));
            w.keys.add(key);
        }
        w.shards |= 1L << index;
        c.reply.ok();
    }

    /** Whether a client about to WATCH has its watch ready (created at home before routing). */
    public void prepareWatch(Client c) {
        if (c.watch == null) {
            c.watch = new Watch();
        }
    }

    /** WATCH with keys on several shards: each registers its own; the coordinator collects them. */
    static final class WatchOp implements MultiShardOp {
        @Override
        public int lockMode() {
            return LOCK_NONE;
        }

        @Override
        public void step(CommandContext c, TxPart part, int hop) {
            Request r = c.req;
            Watch w = part.tx.client.watch;
            ArrayList<LockTable.Key> keys = new ArrayList<>();
            for (int k = 0; k < part.keyCount; k++) {
                int a = part.keyArgs[k];
                LockTable.Key key = new LockTable.Key(c.db.id(), r.buf(), r.off(a), r.len(a));
                c.worker.watches.add(key, w, c.db.isLogicallyExpired(r.buf(), r.off(a), r.len(a)));
                keys.add(key);
            }
            part.payload = keys;
        }

        @Override
        @SuppressWarnings("unchecked")
        public void reply(Tx tx, Reply reply) {
            Watch w = tx.client.watch;
            for (int i = 0; i < tx.participantCount(); i++) {
                TxPart p = tx.participant(i);
                w.keys.addAll((List<LockTable.Key>) p.payload);
                w.shards |= 1L << p.shard;
            }
            reply.ok();
        }
    }

    /** The multi-shard form of WATCH, for the command table. */
    public static MultiShardOp watchOp() {
        return new WatchOp();
    }

    /** Runs one command of an EXEC here, its reply into {@code out}. */
    void runQueued(MultiState.Queued q, ByteOutput out, int protocol, Client client) {
        Request r = q.req();
        ctx.req.set(r.buf(), r.offsets(), r.lengths(), r.base(), r.argc());
        ctx.shard = shard;
        ctx.db = shard.db(q.db());
        ctx.client = client;
        ctx.spec = q.spec();
        reply.target(out, protocol);
        boolean saved = execRunning;
        execRunning = true;
        try {
            run(q.spec());
        } finally {
            execRunning = saved;
        }
    }

    /** Runs a hop of a multi-shard command inside EXEC, on this shard. */
    void runSubStep(Tx sub, TxPart part, int hop) {
        ctx.req.set(sub.req.buf(), sub.req.offsets(), sub.req.lengths(), sub.req.base(), sub.req.argc());
        ctx.shard = shard;
        ctx.db = shard.db(sub.db);
        ctx.client = sub.client;
        ctx.spec = sub.spec;
        reply.target(part.out, sub.protocol);
        boolean saved = execRunning;
        execRunning = true;
        boolean wasReading = shard.reading(sub.spec.has(CommandSpec.READONLY));
        try {
            sub.op.step(ctx, part, hop);
        } catch (RuntimeException e) {
            LOG.error("step of {} in EXEC failed", sub.spec.fullName(), e);
            part.payload = e;
        } finally {
            shard.reading(wasReading);
            execRunning = saved;
        }
    }

    /** The transaction of a command that spans shards inside EXEC (run within EXEC's locks). */
    Tx subTransaction(Client c, MultiState.Queued q, boolean all, int[] keys) {
        Tx tx = new Tx(c, engine);
        tx.spec = q.spec();
        tx.op = q.spec().multi();
        tx.db = q.db();
        tx.protocol = c.protocol;
        tx.lockMode = tx.op == null ? MultiShardOp.LOCK_NONE : tx.op.lockMode();
        tx.canBlock = false;
        Request r = q.req();
        tx.req.set(r.buf(), r.offsets(), r.lengths(), r.base(), r.argc());
        if (all) {
            for (int s = 0; s < engine.shards(); s++) {
                tx.part(s).reset();
                tx.addParticipant(s);
            }
            return tx;
        }
        int n = q.spec().keys(r, keys);
        for (int k = 0; k < n; k++) {
            int a = keys[k];
            int s = engine.shardOf(r.buf(), r.off(a), r.len(a));
            TxPart p = tx.part(s);
            if (p.keyCount == 0) {
                tx.addParticipant(s);
            }
            p.addKey(a);
        }
        return tx;
    }

    /** RESET and disconnect: leaves MULTI, drops the watch and every subscription. */
    public void resetSession(Client c) {
        c.multi = null;
        unwatch(c);
        engine.pubsub().unsubscribeAll(c);
    }

    // ------------------------------------------------------------------ publish/subscribe

    private static final byte[][] SUBSCRIBE_FRAMES = {
        Reply.ascii("subscribe"), Reply.ascii("psubscribe"), Reply.ascii("ssubscribe")};
    private static final byte[][] UNSUBSCRIBE_FRAMES = {
        Reply.ascii("unsubscribe"), Reply.ascii("punsubscribe"), Reply.ascii("sunsubscribe")};

    /** SUBSCRIBE (kind 0), PSUBSCRIBE (1), SSUBSCRIBE (2): one confirmation per argument. */
    public void subscribe(CommandContext c, int kind) {
        Request r = c.req;
        PubSub ps = engine.pubsub();
        for (int i = 1; i < r.argc(); i++) {
            int count = ps.subscribe(c.client, kind, r.copy(i));
            c.reply.push(3);
            c.reply.bulk(SUBSCRIBE_FRAMES[kind]);
            c.reply.bulk(r.buf(), r.off(i), r.len(i));
            c.reply.integer(count);
        }
    }

    /** UNSUBSCRIBE, PUNSUBSCRIBE, SUNSUBSCRIBE: from the given names, or from all. */
    public void unsubscribe(CommandContext c, int kind) {
        Request r = c.req;
        PubSub ps = engine.pubsub();
        Client client = c.client;
        List<byte[]> names = new ArrayList<>();
        if (r.argc() > 1) {
            for (int i = 1; i < r.argc(); i++) {
                names.add(r.copy(i));
            }
        } else {
            names = ps.names(client, kind);
            if (names.isEmpty()) {
                c.reply.push(3);
                c.reply.bulk(UNSUBSCRIBE_FRAMES[kind]);
                c.reply.nullBulk();
                c.reply.integer(client.subs == null ? 0 : kind == PubSub.SHARD ? client.subs.shardChannels.size()
                        : client.subs.count());
                return;
            }
        }
        for (byte[] n : names) {
            int count = ps.unsubscribe(client, kind, n);
            c.reply.push(3);
            c.reply.bulk(UNSUBSCRIBE_FRAMES[kind]);
            c.reply.bulk(n);
            c.reply.integer(count);
        }
        if (client.subs != null && !client.subs.any()) {
            client.subs = null;
        }
    }

    /** PUBLISH and SPUBLISH: the number of clients that receive the message. */
    public void publish(CommandContext c, boolean shard) {
        Request r = c.req;
        c.reply.integer(engine.pubsub().publish(this, r.copy(1), r.copy(2), shard));
    }

    /**
     * Publishes a keyspace event for {@code key} of database {@code db} when its class
     * ({@link KeyspaceEvents}) is enabled: {@code __keyspace@<db>__:<key>} carries the event
     * name, {@code __keyevent@<db>__:<event>} the key. Runs on the shard's thread, right after
     * the change, so a subscriber sees a shard's events in the order of its changes.
     */
    public void notifyKeyspace(int type, byte[] event, int db, byte[] key, int koff, int klen) {
        int flags = (int) engine.settings().notifyKeyspaceEvents.number();
        if ((flags & type) == 0 || (flags & (KeyspaceEvents.KEYSPACE | KeyspaceEvents.KEYEVENT)) == 0) {
            return;
        }
        byte[] dbDigits = Reply.ascii(Integer.toString(db));
        byte[] keyCopy = java.util.Arrays.copyOfRange(key, koff, koff + klen);
        if ((flags & KeyspaceEvents.KEYSPACE) != 0) {
            engine.pubsub().publish(this, eventChannel(KEYSPACE_PREFIX, dbDigits, keyCopy), event, false);
        }
        if ((flags & KeyspaceEvents.KEYEVENT) != 0) {
            engine.pubsub().publish(this, eventChannel(KEYEVENT_PREFIX, dbDigits, event), keyCopy, false);
        }
    }

    private static final byte[] KEYSPACE_PREFIX = Reply.ascii("__keyspace@");
    private static final byte[] KEYEVENT_PREFIX = Reply.ascii("__keyevent@");
    private static final byte[] EVENT_SEPARATOR = Reply.ascii("__:");

    private static byte[] eventChannel(byte[] prefix, byte[] db, byte[] tail) {
        byte[] out = new byte[prefix.length + db.length + EVENT_SEPARATOR.length + tail.length];
        int at = 0;
        for (byte[] part : new byte[][] {prefix, db, EVENT_SEPARATOR, tail}) {
            System.arraycopy(part, 0, out, at, part.length);
            at += part.length;
        }
        return out;
    }

    private boolean notifying(int type) {
        return (engine.settings().notifyKeyspaceEvents.number() & type) != 0;
    }

    /** Writes a published message to its subscribers living here. */
    void deliver(PubSub.Delivery d) {
        for (int i = 0; i < d.clients.size(); i++) {
            Client c = d.clients.get(i);
            PubSub.Name pattern = d.patterns.get(i);
            if (c.closed() || c.subs == null) {
                continue;
            }
            if (c.home() != index) {
                // the connection moved meanwhile: forward
                PubSub.Delivery one = new PubSub.Delivery(d.channelName, d.channel, d.message, d.shard);
                one.clients.add(c);
                one.patterns.add(pattern);
                send(c.home(), one);
                continue;
            }
            boolean still = pattern != null ? c.subs.patterns.contains(pattern)
                    : d.shard ? c.subs.shardChannels.contains(d.channelName) : c.subs.channels.contains(d.channelName);
            if (!still) {
                continue;
            }
            reply.target(c.out, c.protocol);
            if (pattern != null) {
                reply.push(4);
                reply.bulk(PubSub.PMESSAGE);
                reply.bulk(pattern.bytes);
            } else {
                reply.push(3);
                reply.bulk(d.shard ? PubSub.SMESSAGE : PubSub.MESSAGE);
            }
            reply.bulk(d.channel);
            reply.bulk(d.message);
            markFlush(c);
        }
    }

    /** Drops a client's watch from this shard's registry. */
    static final class Unwatch extends Message {
        private final Watch watch;

        Unwatch(Watch watch) {
            this.watch = watch;
        }

        @Override
        public void deliver(Worker worker) {
            worker.watches.remove(watch);
        }
    }

    // ------------------------------------------------------------------ blocked clients

    /** A handler found nothing to pop and may wait: the client blocks on this shard's keys. */
    public void block(CommandContext c, BlockingPop pop) {
        Waiter w = new Waiter(c.client, pop, c.spec, c.req, c.db.id(), reply.protocol(), shard.now(), false);
        w.stamp = c.client.blockStamp;
        w.shards = 1L << index;
        blocking.register(w, w.req, pop.keys, pop.keys.length);
        justBlocked = w;
    }

    /** A multi-shard part registers the transaction's waiter on this shard's keys. */
    public void blockPart(TxPart part) {
        Waiter w = part.tx.waiter;
        blocking.register(w, w.req, part.keyArgs, part.keyCount);
    }

    /** Whether a command run now may block (not inside EXEC). */
    public boolean canBlock() {
        return !execRunning;
    }

    boolean execRunning;

    /** Home side: the client waits on {@code w} until it is served, times out or leaves. */
    private void waitFor(Client c, Waiter w) {
        c.parked = true;
        c.waiter = w;
        if (w.waiting()) {
            blocking.track(w);
            engine.blockedDelta(1);
        }
    }

    /** Serves now if keys filled and no command that just blocked is still being handed home. */
    private void serveIfReady() {
        if (blocking.hasReady() && justBlocked == null) {
            serveReady();
        }
    }

    private void releaseHeld() {
        for (LockTable.Key k : heldForServing) {
            locks.unlock(k, true);
        }
        heldForServing.clear();
    }

    /** Serves the clients blocked on keys that filled, each key's waiters in blocking order. */
    private void serveReady() {
        // Until they are served, keys that filled are held: other commands on them wait, as no
        // command runs between a push and the serving of its waiters on Redis.
        if (heldForServing.isEmpty()) {
            // transactions scheduled from now on come after the push (their EXEC was read after
            // it): they wait for the serving. Those scheduled before go in their place.
            servingTxFloor = engine.lastTxId();
        }
        blocking.forEachReady(k -> {
            if (heldForServing.add(k)) {
                locks.lock(k, true);
            }
        });
        if (incomingBlocking.get() > 0) {
            return; // a blocking command on its way here goes first (see incomingBlocking)
        }
        if (barriersPassed < servingNeed) {
            // Before serving, every proactor (this one too) reads its sockets once more: a
            // client that sent BLPOP before another client sent the push that filled the key
            // has its bytes in its socket by now, and its command reaches this shard ahead of
            // the acknowledgement (same inbox, in order). A barrier that started after the push
            // reached this shard will do, also one started while the push waited in line here.
            if (barriersStarted < servingNeed) {
                startBarrier();
            }
            return;
        }
        releaseHeld();
        if (!resumeSent && !resumesInline && (!blocked.isEmpty() || !txQueue.isEmpty())) {
            // what waited for the held keys or the serving goes on once this turn ends (here we
            // may be inside a command that runs from the very lists that retrying walks)
            resumeSent = true;
            send(index, new ResumeAfterServing());
        }
        while (blocking.hasReady()) {
            LockTable.Key key = blocking.nextReady();
            if (!locks.isEmpty() && locks.conflicts(key.db, key.bytes, 0, key.bytes.length, true)) {
                // a transaction holds the key: serve after it is released, as Redis serves after EXEC
                if (!deferredReady.contains(key)) {
                    deferredReady.add(key);
                }
                continue;
            }
            Keyspace db = shard.db(key.db);
            for (;;) {
                Waiter w = blocking.first(key);
                if (w == null) {
                    break;
                }
                long a = db.lookupWrite(key.bytes, 0, key.bytes.length);
                if (a == 0 || db.type(a) != w.pop.type()) {
                    break;
                }
                if (!w.claim()) {
                    continue; // timed out or left meanwhile; first() drops it
                }
                blocking.unregister(w);
                if (w.multiShard) {
                    unregisterElsewhere(w);
                }
                if (w.multiShard && w.pop.movesToOtherKey()) {
                    w.retry = true; // the destination is on another shard: retried as a transaction
                } else {
                    ctx.req.set(w.req.buf(), w.req.offsets(), w.req.lengths(), w.req.base(), w.req.argc());
                    ctx.shard = shard;
                    ctx.db = db;
                    ctx.client = w.client;
                    ctx.spec = w.spec;
                    reply.target(w.out, w.protocol);
                    int keyArg = w.multiShard ? argOf(w, key) : firstFilled(w, db, key);
                    try {
                        w.pop.serve(ctx, keyArg, true);
                    } catch (RuntimeException e) {
                        LOG.error("serving blocked {} failed", w.spec.fullName(), e);
                        reply.error("ERR internal error: " + e);
                    }
                    commandsProcessed++;
                }
                send(w.home, new Served(w));
            }
        }
    }

    /**
     * The key a waiter whose keys all live here pops from: the first in argument order that
     * holds its type. Several may have filled before it is served (it may have queued behind a
     * held key that already had data), and its command reads them in that order.
     */
    private static int firstFilled(Waiter w, Keyspace db, LockTable.Key key) {
        byte[] b = w.req.buf();
        for (int a : w.pop.keys) {
            long at = db.lookupWrite(b, w.req.off(a), w.req.len(a));
            if (at != 0 && db.type(at) == w.pop.type()) {
                return a;
            }
        }
        return argOf(w, key);
    }

    private static int argOf(Waiter w, LockTable.Key key) {
        for (int a : w.pop.keys) {
            if (key.matches(w.db, w.req.buf(), w.req.off(a), w.req.len(a))) {
                return a;
            }
        }
        return w.pop.keys[0];
    }

    private void unregisterElsewhere(Waiter w) {
        long others = w.shards & ~(1L << index);
        while (others != 0) {
            int s = Long.numberOfTrailingZeros(others);
            others &= others - 1;
            send(s, new Unregister(w));
        }
    }

    /** Home side: a shard served the client (or asks for it to be retried). */
    void served(Waiter w) {
        if (blocking.untrackIfPresent(w)) {
            engine.blockedDelta(-1);
        }
        Client c = w.client;
        if (c.tx != null && c.tx.waiter == w) {
            w.arrived = true; // the transaction that blocked it has not finished yet
            return;
        }
        deliverServed(w);
    }

    private void deliverServed(Waiter w) {
        Client c = w.client;
        c.waiter = null;
        if (c.closed()) {
            c.parked = false;
            c.afterAway();
            return;
        }
        if (w.retry) {
            int n = w.spec.keys(w.req, keyScratch);
            startTx(c, w.spec, w.req, n, false);
            return;
        }
        if (!c.silenced()) {
            c.out.write(w.out);
        }
        c.commandsProcessed++;
        markFlush(c);
        c.parked = false;
        process(c);
    }

    /** Home side: the earliest deadline of a blocked client of this worker, or Long.MAX_VALUE. */
    public long nextDeadline() {
        return blocking.nextDeadline();
    }

    /** Home side: answers the blocked clients whose deadline passed. */
    public void expireWaiters(long nowMs) {
        for (Waiter w : blocking.expired(nowMs)) {
            engine.blockedDelta(-1);
            if (!w.claim()) {
                continue; // served meanwhile: its reply is on the way
            }
            unregisterAll(w);
            Client c = w.client;
            c.waiter = null;
            if (c.closed()) {
                c.parked = false;
                c.afterAway();
                continue;
            }
            int mark = c.out.size();
            w.pop.nothing(reply.target(c.out, c.protocol), true);
            if (c.silenced()) {
                c.out.truncate(mark);
            }
            c.commandsProcessed++;
            markFlush(c);
            c.parked = false;
            process(c);
        }
    }

    private void unregisterAll(Waiter w) {
        long s = w.shards;
        while (s != 0) {
            int t = Long.numberOfTrailingZeros(s);
            s &= s - 1;
            send(t, new Unregister(w));
        }
    }

    /**
     * The server closed the client. Returns whether it can be released at once (nothing of it
     * is away); otherwise {@link Client#afterAway} tells when.
     */
    public boolean clientClosed(Client c) {
        resetSession(c);
        if (c.parked && paused.remove(c)) {
            engine.blockedDelta(-1);
            c.parked = false;
        }
        Waiter w = c.waiter;
        if (w != null && w.claim()) {
            if (blocking.untrackIfPresent(w)) {
                engine.blockedDelta(-1);
            }
            unregisterAll(w);
            c.waiter = null;
            c.parked = false;
        }
        return !c.parked;
    }

    /** CLIENT UNBLOCK: ends a client's wait with the timeout reply or an error; false if it was not blocked. */
    public boolean unblock(Client c, boolean error) {
        Waiter w = c.waiter;
        if (w == null || !w.claim()) {
            return false;
        }
        if (blocking.untrackIfPresent(w)) {
            engine.blockedDelta(-1);
        }
        unregisterAll(w);
        c.waiter = null;
        int mark = c.out.size();
        reply.target(c.out, c.protocol);
        if (error) {
            reply.error("UNBLOCKED client unblocked via CLIENT UNBLOCK");
        } else {
            w.pop.nothing(reply, true);
        }
        if (c.silenced()) {
            c.out.truncate(mark);
        }
        c.commandsProcessed++;
        markFlush(c);
        c.parked = false;
        process(c);
        return true;
    }

    private final java.util.HashSet<LockTable.Key> heldForServing = new java.util.HashSet<>();
    /** The last transaction id given out when the current hold began (see {@link #servingPending}). */
    private long servingTxFloor;
    /** How long after a blocking command a new list or sorted set is held for late blockers. */
    static final long RECENT_BLOCKING_NS = 1_000_000_000L;
    /**
     * Barriers this shard sent, and how many of them every proactor acknowledged. Barriers may
     * overlap; each proactor acknowledges them in the order it got them (one inbox per receiver,
     * FIFO per sender), so the ones passed are the fewest acknowledged by any proactor.
     */
    private long barriersStarted;
    private long barriersPassed;
    private long[] barrierAcks;
    /** The barrier the keys that filled wait for: the first one started after their push reached this shard. */
    private long servingNeed;
    /**
     * While a command that reached this shard in a batch runs: the first barrier started after it
     * arrived (see {@link RemoteBatch#cover}); 0 otherwise, when only a barrier started from now
     * on covers what runs.
     */
    private long runningCover;
    private final ArrayList<Integer> barrierRequests = new ArrayList<>();

    private void startBarrier() {
        if (barrierAcks == null) {
            barrierAcks = new long[engine.shards()];
        }
        barriersStarted++;
        for (int s = 0; s < engine.shards(); s++) {
            send(s, new Barrier(index));
        }
    }

    /** The first barrier that will start from now on. */
    long nextBarrier() {
        return barriersStarted + 1;
    }

    /** The first barrier that covers the command running now (see {@link #runningCover}). */
    long coverNow() {
        return runningCover != 0 ? runningCover : nextBarrier();
    }

    /** A key filled: its waiters are served after a barrier that covers the command that filled it. */
    private void needServing(long cover) {
        if (cover > servingNeed) {
            servingNeed = cover;
        }
    }

    /**
     * A command parks here while a push's waiters wait for their barrier: if it is a push too, a
     * barrier started now covers it, so its own waiters' barrier overlaps the one before instead
     * of starting after it when its turn comes (a job queue's pushes queue up here).
     */
    private void parkedWhileServing(RemoteBatch b) {
        if (servingPending() && barriersStarted < b.cover) {
            startBarrier();
        }
    }

    /**
     * Called by the thread host right after each poll of its sockets: acknowledges the barriers
     * that arrived before it (see {@link #serveReady}).
     */
    public void afterPoll() {
        if (barrierRequests.isEmpty()) {
            return;
        }
        for (int from : barrierRequests) {
            send(from, new BarrierAck(index));
        }
        barrierRequests.clear();
    }

    /** Asks a proactor to poll its sockets once before the sender serves blocked clients. */
    static final class Barrier extends Message {
        private final int from;

        Barrier(int from) {
            this.from = from;
        }

        @Override
        public void deliver(Worker worker) {
            worker.barrierRequests.add(from);
        }
    }

    /** Set while a {@link ResumeAfterServing} is on its way to this worker. */
    private boolean resumeSent;
    /** Set while a {@link BarrierAck} serves: it retries what waited itself, right after. */
    private boolean resumesInline;

    /** To itself, after a serving: retries the commands and transactions that waited for it. */
    static final class ResumeAfterServing extends Message {
        @Override
        public void deliver(Worker worker) {
            worker.resumeSent = false;
            worker.retryBlocked();
            worker.runQueue();
        }
    }

    static final class BarrierAck extends Message {
        private final int from;

        BarrierAck(int from) {
            this.from = from;
        }

        @Override
        public void deliver(Worker worker) {
            long[] acks = worker.barrierAcks;
            acks[from]++;
            long passed = Long.MAX_VALUE;
            for (long a : acks) {
                passed = Math.min(passed, a);
            }
            if (passed == worker.barriersPassed) {
                return;
            }
            worker.barriersPassed = passed;
            if (passed < worker.servingNeed) {
                return; // the keys wait for a later barrier
            }
            if (worker.blocking.hasReady()) {
                worker.resumesInline = true;
                try {
                    worker.serveReady();
                } finally {
                    worker.resumesInline = false;
                }
            } else {
                worker.releaseHeld();
            }
            worker.retryBlocked(); // commands that waited for the held keys, or for the serving
            worker.runQueue(); // and transactions
        }
    }

    /** CLIENT UNBLOCK, delivered to the blocked client's home. */
    static final class UnblockRequest extends Message {
        private final Client client;
        private final boolean error;

        UnblockRequest(Client client, boolean error) {
            this.client = client;
            this.error = error;
        }

        @Override
        public void deliver(Worker worker) {
            worker.unblock(client, error);
        }
    }

    /** Served or retried: back to the blocked client's home. */
    static final class Served extends Message {
        private final Waiter waiter;

        Served(Waiter waiter) {
            this.waiter = waiter;
        }

        @Override
        public void deliver(Worker worker) {
            worker.served(waiter);
        }
    }

    /** Drops a waiter from a shard's queues. */
    static final class Unregister extends Message {
        private final Waiter waiter;

        Unregister(Waiter waiter) {
            this.waiter = waiter;
        }

        @Override
        public void deliver(Worker worker) {
            worker.blocking.unregister(waiter);
        }
    }

    /** The shard's key events: wake-ups of blocked clients, and WATCH. */
    private final class KeyEvents implements Shard.ModificationListener {
        @Override
        public void modified(Keyspace db, long address) {
            if (!watches.isEmpty()) {
                watches.touched(new LockTable.Key(db.id(), db.copyKey(address)));
            }
        }

        @Override
        public void created(Keyspace db, long address) {
            if (notifying(KeyspaceEvents.NEW)) {
                byte[] key = db.copyKey(address);
                notifyKeyspace(KeyspaceEvents.NEW, Events.NEW, db.id(), key, 0, key.length);
            }
        }

        @Override
        public void expired(Keyspace db, long address) {
            if (notifying(KeyspaceEvents.EXPIRED)) {
                byte[] key = db.copyKey(address);
                notifyKeyspace(KeyspaceEvents.EXPIRED, Events.EXPIRED, db.id(), key, 0, key.length);
            }
        }

        @Override
        public void evicted(Keyspace db, long address) {
            if (notifying(KeyspaceEvents.EVICTED)) {
                byte[] key = db.copyKey(address);
                notifyKeyspace(KeyspaceEvents.EVICTED, Events.EVICTED, db.id(), key, 0, key.length);
            }
        }

        @Override
        public void added(Keyspace db, long address) {
            boolean recent = recentBlocking(db, address);
            if (blocking.anyWaiting() || !watches.isEmpty() || recent) {
                LockTable.Key key = new LockTable.Key(db.id(), db.copyKey(address));
                if (recent) {
                    blocking.signalAlways(key); // a BLPOP sent before this push may still be on its way
                    needServing(coverNow());
                } else if (blocking.signal(key)) {
                    needServing(coverNow());
                }
                watches.touched(key);
            }
        }

        /** A list or sorted set appeared while clients have been blocking lately. */
        private boolean recentBlocking(Keyspace db, long address) {
            int type = db.type(address);
            return (type == io.damselfly.engine.keyspace.Entry.TYPE_LIST || type == io.damselfly.engine.keyspace.Entry.TYPE_ZSET)
                    && System.nanoTime() - engine.lastBlockingNanos < RECENT_BLOCKING_NS;
        }

        @Override
        public void flushing(Keyspace db) {
            if (!watches.isEmpty()) {
                watches.flushing(db);
            }
        }

        @Override
        public void swapped(Keyspace a, Keyspace b) {
            if (!watches.isEmpty()) {
                watches.swapped(a, b);
            }
            if (blocking.anyWaiting()) {
                for (Keyspace db : new Keyspace[] {a, b}) {
                    for (LockTable.Key k : blocking.keysOf(db.id())) {
                        if (db.lookup(k.bytes, 0, k.bytes.length) != 0) {
                            blocking.signal(k);
                            needServing(coverNow());
                        }
                    }
                }
            }
        }
    }

    // ------------------------------------------------------------------ statistics for INFO

    /**
     * A copy of this worker's statistics, taken on its own thread; with {@code latencies},
     * copies of its latency histograms too (a few KB each).
     */
    public Stats stats(boolean latencies) {
        Stats s = new Stats();
        s.calls = calls.clone();
        s.nanos = nanos.clone();
        s.rejected = rejected.clone();
        s.failed = failed.clone();
        s.errors = new HashMap<>();
        errorStats.forEach((k, v) -> s.errors.put(k, v[0]));
        s.errorReplies = errorReplies;
        s.commandsProcessed = commandsProcessed;
        long sum = 0;
        for (long v : opsSamples) {
            sum += v;
        }
        s.opsPerSec = sum / opsSamples.length;
        s.expiredKeys = shard.expiredKeys();
        s.evictedKeys = shard.evictedKeys();
        s.hits = shard.keyspaceHits();
        s.misses = shard.keyspaceMisses();
        s.dirty = shard.dirty();
        s.usedMemory = shard.usedMemory();
        s.reservedMemory = shard.reservedMemory();
        s.bucketsAhead = shard.versions().bucketsSerialisedAhead();
        s.bucketsWalked = shard.versions().bucketsWalked();
        int dbs = shard.databases();
        s.keys = new long[dbs];
        s.expires = new long[dbs];
        for (int i = 0; i < dbs; i++) {
            s.keys[i] = shard.db(i).size();
            s.expires[i] = shard.db(i).expiringCount();
        }
        s.blocked = blocked.size();
        s.txQueued = txQueue.size();
        s.squashes = squashes;
        s.squashedCommands = squashedCommands;
        if (latencies) {
            s.latencies = new org.HdrHistogram.IntCountsHistogram[this.latencies.length];
            for (int i = 0; i < this.latencies.length; i++) {
                if (this.latencies[i] != null) {
                    s.latencies[i] = this.latencies[i].copy();
                }
            }
        }
        return s;
    }

    /** Clears the statistics CONFIG RESETSTAT resets. */
    public void resetStats() {
        java.util.Arrays.fill(calls, 0);
        java.util.Arrays.fill(nanos, 0);
        java.util.Arrays.fill(rejected, 0);
        java.util.Arrays.fill(failed, 0);
        java.util.Arrays.fill(latencies, null);
        errorStats.clear();
        errorReplies = 0;
        squashes = 0;
        squashedCommands = 0;
        shard.resetStats();
    }

    /** One worker's statistics at one moment. */
    public static final class Stats {
        public long[] calls;
        public long[] nanos;
        public long[] rejected;
        public long[] failed;
        public Map<String, Long> errors;
        public long errorReplies;
        public long commandsProcessed;
        public long opsPerSec;
        public long expiredKeys;
        public long evictedKeys;
        public long hits;
        public long misses;
        public long dirty;
        public long usedMemory;
        public long reservedMemory;
        public long bucketsAhead;
        public long bucketsWalked;
        public long[] keys;
        public long[] expires;
        public int blocked;
        public int txQueued;
        public long squashes;
        public long squashedCommands;
        /** Per command id: its timed runs (ns), or null. */
        public org.HdrHistogram.IntCountsHistogram[] latencies;
    }

    /** A reply buffer a test or an embedded caller can use to run one command directly. */
    public static ByteOutput newOutput() {
        return new ByteOutput(256);
    }
}
