package io.damselfly.repl;

import io.damselfly.engine.command.CommandContext;
import io.damselfly.engine.command.CommandSpec;
import io.damselfly.engine.command.MultiShardOp;
import io.damselfly.engine.exec.TxPart;
import io.damselfly.engine.command.Request;
import io.damselfly.engine.exec.Engine;
import io.damselfly.engine.exec.Persistence;
import io.damselfly.engine.exec.Tx;
import io.damselfly.engine.exec.Worker;
import io.damselfly.engine.resp.Reply;
import io.damselfly.repl.rdb.DumpPayload;
import io.damselfly.repl.snapshot.Snapshot;
import io.damselfly.repl.snapshot.Snapshots;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * RDB persistence of one engine: SAVE, BGSAVE and DEBUG RELOAD on top of fork-less snapshots,
 * the save points ({@code save <seconds> <changes>}), loading at startup, DUMP and RESTORE,
 * and INFO persistence. One save runs at a time, as in Redis; other snapshot consumers
 * (replication) run beside it with cuts of their own.
 */
public final class RdbPersistence implements Persistence {
    private static final Logger LOG = LoggerFactory.getLogger(RdbPersistence.class);
    /** After a failed background save, save points wait this long before trying again (as Redis). */
    private static final long RETRY_DELAY_MS = 5000;

    private final Engine engine;
    private final Snapshots snapshots;
    private final AtomicReference<Job> current = new AtomicReference<>();
    private volatile boolean scheduled;
    private volatile long lastSaveMs;
    private volatile long lastTryMs;
    private volatile boolean lastBgsaveOk = true;
    private volatile long lastBgsaveSeconds = -1;
    private final AtomicLong saves = new AtomicLong();
    private volatile long dirtyAtLastSave;
    private volatile long lastLoadLoaded;
    private volatile long lastLoadExpired;
    private volatile boolean loading;
    private volatile Thread cron;
    private volatile boolean closed;

    /** The AUX fields of the dump loaded at startup (its replication id and offset, if any). */
    private volatile Map<String, String> startupAux = Map.of();

    public Map<String, String> startupAux() {
        return startupAux;
    }

    /**
     * Where a dump stands in the replication stream: a cut tells it, on each shard's thread,
     * and hears the offset the image stands for (Redis writes it as repl-id and repl-offset).
     */
    public interface StreamPoint {
        /**
         * On every shard in the cut's step; {@code at} hears the offset and the database the stream
         * has selected there once, maybe later on another thread, or never without a stream.
         * Returns whether this call arranged for {@code at} to hear it (or already told it).
         */
        boolean cut(Worker worker, long txid, At at);

        /**
         * Before a save's cut on a replica: holds its master's stream back and lets what was
         * handed over apply (blocking, off the shards), so the cut stands for one stream offset;
         * the returned action lets the stream go on (idempotent, non-blocking), or null when
         * nothing was held (a master's stream needs nothing). A cut made while the stream runs
         * gives the dump no offset.
         */
        default Runnable quiet() {
            return null;
        }

        /** Whether a save's cut made now would need {@link #quiet} first (and does not have it). */
        default boolean wantsQuiet() {
            return false;
        }

        String replid();
    }

    /** Where a dump stands in the replication stream. */
    public interface At {
        void at(long offset, int db);
    }

    private volatile StreamPoint streamPoint;

    public void streamPoint(StreamPoint p) {
        this.streamPoint = p;
    }

    /** One SAVE, BGSAVE or DEBUG RELOAD from its cut to its end. */
    private static final class Job {
        final int kind;
        final Snapshot snapshot;
        final long startMs = System.currentTimeMillis();
        volatile String error;
        /** The stream offset the image stands for, when the stream names one (with its id and database). */
        final CutOffset replOffset = new CutOffset();
        volatile String replId;
        volatile int replDb;
        /** Whether the stream will name the offset this image stands for (set in the cut's step). */
        volatile boolean offsetComing;

        Job(int kind, Snapshot snapshot) {
            this.kind = kind;
            this.snapshot = snapshot;
        }

        void offset(long at, String id, int db) {
            replDb = db;
            replId = id;
            replOffset.set(at); // after the id and database: the waiter reads them once it has the offset
        }

        /**
         * The offset once the stream names it (the merge may name it a little after the cut; a dump
         * written without it would cost its replicas a full sync after a restart), or -1.
         */
        long awaitOffset() throws IOException {
            if (!offsetComing) {
                return replOffset.get();
            }
            long at = replOffset.await(60);
            if (at < 0) {
                LOG.warn("The stream did not name the save's offset within 60 s: the dump carries none");
            }
            return at;
        }
    }

    public RdbPersistence(Engine engine) {
        this.engine = engine;
        this.snapshots = new Snapshots(engine);
        this.lastSaveMs = engine.startMs();
        engine.gate((client, spec, request) -> loading && !spec.has(io.damselfly.engine.command.CommandSpec.LOADING)
                ? "LOADING Redis is loading the dataset in memory" : null);
    }

    public Snapshots snapshots() {
        return snapshots;
    }

    private Path dumpPath() {
        return Path.of(engine.settings().dir.value()).resolve(engine.settings().dbfilename.value());
    }

    // ------------------------------------------------------------------ startup and save points

    /**
     * Loads the dump file if there is one; on the caller's thread, with the shards running.
     * A file that does not load leaves the server empty and throws: the caller does not start.
     */
    public void loadAtStartup() throws IOException {
        Path file = dumpPath();
        if (!Files.exists(file)) {
            return;
        }
        long t0 = System.nanoTime();
        RdbLoader.Result r = load(file);
        startupAux = r.aux();
        LOG.info("DB loaded from disk: {} keys ({} expired) in {} ms", r.keysLoaded(), r.keysExpired(),
                TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0));
    }

    private RdbLoader.Result load(Path file) throws IOException {
        loading = true;
        try (InputStream in = new BufferedInputStream(Files.newInputStream(file), 64 * 1024)) {
            RdbLoader.Result r = RdbLoader.load(engine, in, true);
            lastLoadLoaded = r.keysLoaded();
            lastLoadExpired = r.keysExpired();
            dirtyAtLastSave = dirtyNow(); // what was loaded is what is on disk
            lastSaveMs = System.currentTimeMillis();
            return r;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            emptyDataset();
            throw new IOException("interrupted while loading " + file);
        } catch (IOException | RuntimeException e) {
            emptyDataset(); // never half-loaded
            throw new IOException("Error loading " + file + ": " + e.getMessage(), e);
        } finally {
            loading = false;
        }
    }

    /**
     * Empties every shard (before a full sync, after a failed load, in DEBUG RELOAD): each shard
     * flushes on its own thread, telling WATCHes; nothing is journaled. Waits for all of them.
     */
    public void emptyDataset() {
        CountDownLatch done = new CountDownLatch(engine.shards());
        for (int s = 0; s < engine.shards(); s++) {
            engine.post(s, w -> {
                w.shard().flushAll();
                done.countDown();
            });
        }
        try {
            done.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * Loads a master's RDB from a replication link into the (emptied) dataset, answering
     * -LOADING meanwhile; expired keys are kept, as a replica waits for its master's DEL.
     */
    public RdbLoader.Result loadFromMaster(io.damselfly.repl.rdb.RdbIn in) throws IOException {
        loading = true;
        try {
            RdbLoader.Result r = RdbLoader.load(engine, in, false);
            lastLoadLoaded = r.keysLoaded();
            lastLoadExpired = r.keysExpired();
            return r;
        } catch (IOException | RuntimeException e) {
            emptyDataset();
            throw e;
        } finally {
            loading = false;
        }
    }

    private volatile boolean asyncLoading;

    /**
     * repl-diskless-load swapdb: loads a master's RDB into shadow databases while the old
     * dataset keeps serving reads (INFO: async_loading:1), then swaps them in on every shard at
     * once; a failed load drops the shadow and leaves the old dataset as it was.
     */
    public RdbLoader.Result loadFromMasterBeside(io.damselfly.repl.rdb.RdbIn in) throws IOException {
        io.damselfly.engine.shard.Keyspace[][] shadows = new io.damselfly.engine.shard.Keyspace[engine.shards()][];
        onEveryShard(w -> shadows[w.index()] = w.shard().shadowDatabases());
        asyncLoading = true;
        boolean ok = false;
        try {
            RdbLoader.Result r = RdbLoader.load(engine, in, false, (w, db) -> shadows[w.index()][db]);
            lastLoadLoaded = r.keysLoaded();
            lastLoadExpired = r.keysExpired();
            ok = true;
            return r;
        } finally {
            boolean swap = ok;
            onEveryShard(w -> {
                if (swap) {
                    w.shard().adoptShadow(shadows[w.index()]);
                } else {
                    w.shard().dropShadow(shadows[w.index()]);
                }
            });
            asyncLoading = false;
        }
    }

    /** Runs {@code task} on every shard's thread and waits for all. */
    private void onEveryShard(java.util.function.Consumer<io.damselfly.engine.exec.Worker> task) {
        CountDownLatch done = new CountDownLatch(engine.shards());
        for (int s = 0; s < engine.shards(); s++) {
            engine.post(s, w -> {
                try {
                    task.accept(w);
                } finally {
                    done.countDown();
                }
            });
        }
        try {
            done.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Starts checking the save points once a second. */
    public void start() {
        cron = Thread.ofVirtual().name("damselfly-save-points").start(() -> {
            while (!closed) {
                try {
                    Thread.sleep(1000);
                    checkSavePoints();
                } catch (InterruptedException e) {
                    return;
                } catch (RuntimeException e) {
                    LOG.warn("save point check failed", e);
                }
            }
        });
    }

    public void close() {
        closed = true;
        Thread t = cron;
        if (t != null) {
            t.interrupt();
        }
    }

    /** Whether any save point is configured (a plain SHUTDOWN then saves, as Redis). */
    public boolean hasSavePoints() {
        return !engine.settings().save.value().isBlank();
    }

    private long dirtyNow() throws InterruptedException {
        AtomicLong sum = new AtomicLong();
        CountDownLatch done = new CountDownLatch(engine.shards());
        for (int s = 0; s < engine.shards(); s++) {
            engine.post(s, w -> {
                sum.addAndGet(w.shard().dirty());
                done.countDown();
            });
        }
        done.await(); // the latch orders each shard's write of sum before this read
        return sum.get();
    }

    private void checkSavePoints() throws InterruptedException {
        if (current.get() != null || loading) {
            return;
        }
        String[] p = engine.settings().save.value().trim().split("\\s+");
        if (p.length < 2) {
            return;
        }
        long now = System.currentTimeMillis();
        if (!lastBgsaveOk && now - lastTryMs < RETRY_DELAY_MS) {
            return;
        }
        long changes = dirtyNow() - dirtyAtLastSave;
        for (int i = 0; i + 1 < p.length; i += 2) {
            long seconds = Long.parseLong(p[i]);
            long min = Long.parseLong(p[i + 1]);
            if (changes >= min && now - lastSaveMs >= seconds * 1000) {
                LOG.info("{} changes in {} seconds. Saving...", min, seconds);
                quietly("BGSAVE");
                return;
            }
        }
    }

    /**
     * SAVE through the transaction order, waiting for the file; "+OK" or the error reply. A
     * background save in progress is waited for first (Redis kills its child; there is no
     * child here, and the save under way is as good a start as any).
     */
    public String saveNow() {
        try {
            for (int attempt = 0; ; attempt++) {
                String reply = quietly("SAVE").get();
                if (!reply.contains("already in progress") || attempt >= 6000) {
                    return reply;
                }
                Thread.sleep(100);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "-ERR interrupted";
        } catch (Exception e) {
            return "-ERR " + e.getMessage();
        }
    }

    /** The stream to let go on once the next save's cut is made (see {@link StreamPoint#quiet}). */
    private final java.util.concurrent.atomic.AtomicReference<Runnable> afterCut = new java.util.concurrent.atomic.AtomicReference<>();

    /**
     * SAVE or BGSAVE as the server's own, with a replica's stream held back for its cut, so that
     * the dump carries the offset it stands for (a replica restarted from it resumes by partial
     * sync). Blocks while the stream drains: not on a shard's thread.
     */
    private java.util.concurrent.CompletableFuture<String> quietly(String command) {
        StreamPoint sp = streamPoint;
        Runnable resume = sp == null ? null : sp.quiet();
        if (resume != null) {
            afterCut.set(resume);
        }
        return engine.execute(command).whenComplete((reply, e) -> {
            if (resume != null) {
                resume.run(); // a cut that did not happen (an error, a save in progress) leaves it held otherwise
                afterCut.compareAndSet(resume, null);
            }
        });
    }

    // ------------------------------------------------------------------ SAVE BGSAVE DEBUG RELOAD

    /** The AUX fields Redis 7.0 writes at the start of a dump. */
    private Map<String, String> aux() {
        return aux(-1, null, 0);
    }

    /** The AUX fields, with the replication id and offset the image stands for when it has them. */
    private Map<String, String> aux(long replOffset, String replId, int replDb) {
        Map<String, String> aux = new LinkedHashMap<>();
        aux.put("redis-ver", Engine.REDIS_VERSION);
        aux.put("redis-bits", "64");
        aux.put("ctime", Long.toString(System.currentTimeMillis() / 1000));
        aux.put("used-mem", Long.toString(Runtime.getRuntime().totalMemory()));
        if (replOffset >= 0 && replId != null) {
            aux.put("repl-stream-db", Integer.toString(replDb));
            aux.put("repl-id", replId);
            aux.put("repl-offset", Long.toString(replOffset));
        }
        aux.put("aof-base", "0");
        return aux;
    }

    /**
     * Streams a point-in-time image of the dataset as a whole RDB stream to {@code sink}, beside
     * any save in progress (a cut of its own; see {@link Snapshots}). Blocks the calling thread,
     * which should be virtual, until the last byte is written; returns the bytes written.
     */
    public long snapshotTo(Snapshot.Sink sink) throws IOException {
        return snapshotTo(sink, null);
    }

    /** What a full sync does at the cut: on each shard's thread in the cut's step, then once after it. */
    public interface CutHook {
        void onShard(io.damselfly.engine.exec.Worker worker, long txid);

        void afterCut() throws IOException;

        /** After the cut: AUX fields of its own for the image's head (a replica's sync: where the stream stands). */
        default void aux(Map<String, String> aux) {
        }
    }

    /** {@link #snapshotTo(Snapshot.Sink)}, telling {@code hook} about the cut before the first byte. */
    public long snapshotTo(Snapshot.Sink sink, CutHook hook) throws IOException {
        Snapshot s = snapshots.create();
        s.cpuPercent((int) engine.settings().get("snapshot-cpu-percent").number());
        try {
            String reply = engine.allShards(CommandSpec.internal("snapshot", new CutOnly(s, hook))).get();
            if (!reply.startsWith("+")) {
                throw new IOException("the cut failed: " + reply);
            }
            Map<String, String> aux = aux();
            if (hook != null) {
                hook.afterCut();
                hook.aux(aux);
            }
            return RdbFile.write(s, sink, aux);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted");
        } catch (java.util.concurrent.ExecutionException e) {
            throw new IOException(e.getCause());
        } finally {
            snapshots.done(s);
        }
    }

    /** A cut and nothing else, for a consumer that is not a command. */
    private static final class CutOnly implements MultiShardOp {
        private final Snapshot snapshot;
        private final CutHook hook;

        CutOnly(Snapshot snapshot, CutHook hook) {
            this.snapshot = snapshot;
            this.hook = hook;
        }

        @Override
        public int lockMode() {
            return LOCK_SHARD;
        }

        @Override
        public void step(CommandContext c, TxPart part, int hop) {
            snapshot.cut(c.worker);
            if (hook != null) {
                hook.onShard(c.worker, part.tx().id());
            }
        }

        @Override
        public void reply(Tx tx, Reply reply) {
            reply.ok();
        }
    }

    /** A client's SAVE or BGSAVE on a replica: made again by the server, with the stream held for its cut. */
    private static final String QUIET_DETOUR = "quiet";

    @Override
    public String prepare(Tx tx, int kind) {
        StreamPoint sp = streamPoint;
        if ((kind == SAVE || kind == BGSAVE) && tx.canBlock() && sp != null && sp.wantsQuiet()) {
            // the cut cannot wait for the stream here, on the shards: the server makes it from
            // a thread of its own, and the reply waits (outside EXEC, where nothing may wait)
            tx.flag = true;
            tx.payload = QUIET_DETOUR;
            return null;
        }
        if (kind == BGSAVE_SCHEDULE && current.get() != null) {
            scheduled = true;
            tx.flag = true;
            tx.payload = "Background saving scheduled";
            return null;
        }
        boolean noSave = kind == RELOAD && has(tx.req, "nosave");
        Snapshot s = noSave ? null : snapshots.create();
        Job job = new Job(kind, s);
        if (!current.compareAndSet(null, job)) {
            if (s != null) {
                snapshots.done(s);
            }
            return "ERR Background save already in progress";
        }
        if (s != null) {
            s.keyDelay(engine.settings().get("rdb-key-save-delay").number());
            if (kind == BGSAVE || kind == BGSAVE_SCHEDULE) {
                s.cpuPercent((int) engine.settings().get("snapshot-cpu-percent").number());
            }
        }
        lastTryMs = job.startMs;
        tx.payload = job;
        return null;
    }

    private static boolean has(Request r, String option) {
        for (int i = 2; i < r.argc(); i++) {
            if (r.is(i, option)) {
                return true;
            }
        }
        return false;
    }

    @Override
    public void cut(Tx tx, Worker worker) {
        Job job = (Job) tx.payload;
        if (job.snapshot != null) {
            job.snapshot.cut(worker);
            StreamPoint sp = streamPoint;
            if (sp != null && sp.cut(worker, tx.id(), (at, db) -> job.offset(at, sp.replid(), db))) {
                job.offsetComing = true; // before the save's thread starts (started(), after every cut)
            }
        }
    }

    @Override
    public boolean started(Tx tx) {
        Runnable resume = afterCut.getAndSet(null);
        if (resume != null) {
            resume.run(); // the cut is made on every shard: the replica's stream goes on
        }
        Job job = (Job) tx.payload;
        boolean waits = job.kind == SAVE || job.kind == RELOAD;
        if (job.kind != RELOAD) {
            LOG.info(waits ? "DB save started" : "Background saving started");
        }
        boolean noFlush = job.kind == RELOAD && (has(tx.req, "noflush") || has(tx.req, "merge"));
        Thread.ofVirtual().name("damselfly-save").start(() -> {
            run(job, noFlush);
            if (waits) {
                tx.resume();
            }
        });
        return waits;
    }

    private void run(Job job, boolean noFlush) {
        try {
            if (job.snapshot != null) {
                long offset = job.awaitOffset();
                RdbFile.Saved saved = RdbFile.save(job.snapshot, Path.of(engine.settings().dir.value()),
                        engine.settings().dbfilename.value(), aux(offset, job.replId, job.replDb));
                dirtyAtLastSave = job.snapshot.dirtyAtCut();
                lastSaveMs = System.currentTimeMillis();
                saves.incrementAndGet();
                LOG.info("DB saved on disk: {} keys, {} bytes in {} ms (fsync {} ms)", job.snapshot.keysWritten(),
                        saved.bytes(), lastSaveMs - job.startMs, saved.fsyncNanos() / 1_000_000);
            }
            if (job.kind == RELOAD) {
                if (!noFlush) {
                    emptyDataset();
                }
                load(dumpPath());
                LOG.info("DB reloaded by DEBUG RELOAD");
            }
            if (job.kind != SAVE) {
                lastBgsaveOk = true;
            }
        } catch (IOException | RuntimeException e) {
            job.error = e.getMessage();
            if (job.kind != SAVE) {
                lastBgsaveOk = false;
            }
            LOG.warn("{} failed: {}", job.kind == RELOAD ? "DEBUG RELOAD" : "Saving the DB", e.getMessage());
        } finally {
            if (job.snapshot != null) {
                snapshots.done(job.snapshot);
            }
            if (job.kind == BGSAVE || job.kind == BGSAVE_SCHEDULE) {
                lastBgsaveSeconds = (System.currentTimeMillis() - job.startMs) / 1000;
            }
            current.set(null);
            if (scheduled) {
                scheduled = false;
                Thread.ofVirtual().name("damselfly-save-scheduled").start(() -> quietly("BGSAVE"));
            }
        }
    }

    @Override
    public boolean elsewhere(Tx tx) {
        if (tx.payload != QUIET_DETOUR) {
            return false;
        }
        String command = tx.req.str(0).toUpperCase(java.util.Locale.ROOT);
        Thread.ofVirtual().name("damselfly-save-quiet").start(() -> {
            String reply;
            try {
                reply = quietly(command).get();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                reply = "-ERR interrupted";
            } catch (Exception e) {
                reply = "-ERR " + e.getMessage();
            }
            tx.payload = reply; // before resume(), which hands the Tx back to its coordinator
            tx.resume();
        });
        return true;
    }

    @Override
    public void reply(Tx tx, Reply reply) {
        if (tx.flag) {
            String line = (String) tx.payload;
            if (line.startsWith("-")) {
                reply.error(line.substring(1));
            } else {
                reply.simple(line.startsWith("+") ? line.substring(1) : line);
            }
            return;
        }
        Job job = (Job) tx.payload;
        switch (job.kind) {
            case BGSAVE, BGSAVE_SCHEDULE -> reply.simple("Background saving started");
            case SAVE -> {
                if (job.error == null) {
                    reply.ok();
                } else {
                    reply.error("ERR");
                }
            }
            default -> {
                if (job.error == null) {
                    reply.ok();
                } else {
                    reply.error("ERR Error trying to load the RDB dump, check server logs.");
                }
            }
        }
    }

    // ------------------------------------------------------------------ DUMP RESTORE

    @Override
    public byte[] dump(CommandContext c, long address) {
        return DumpPayload.encode(c.db, address);
    }

    @Override
    public List<Request> restore(byte[] key, byte[] payload) {
        return DumpPayload.decode(key, payload, engine.settings().get("rdbchecksum").value().equals("yes"));
    }

    // ------------------------------------------------------------------ INFO

    @Override
    public long lastSaveMs() {
        return lastSaveMs;
    }

    @Override
    public String info(long dirty) {
        Job job = current.get();
        boolean bg = job != null && (job.kind == BGSAVE || job.kind == BGSAVE_SCHEDULE);
        long now = System.currentTimeMillis();
        return Persistence.fields(loading, Math.max(0, dirty - dirtyAtLastSave), bg, lastSaveMs, lastBgsaveOk,
                lastBgsaveSeconds, bg ? (now - job.startMs) / 1000 : -1, saves.get(), lastLoadExpired, lastLoadLoaded)
                .replace("async_loading:0", "async_loading:" + (asyncLoading ? 1 : 0))
                + "damselfly_snapshots_in_progress:" + snapshots.inProgress() + "\r\n"
                + "damselfly_snapshot_buffered_bytes:" + snapshots.bufferedBytes() + "\r\n";
    }
}
