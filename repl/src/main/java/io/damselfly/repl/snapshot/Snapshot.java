package io.damselfly.repl.snapshot;

import io.damselfly.engine.exec.Engine;
import io.damselfly.engine.exec.Worker;
import io.damselfly.repl.rdb.Rdb;
import io.damselfly.repl.rdb.RdbOut;

import java.io.IOException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * A point-in-time image of the whole dataset, taken without fork (DESIGN.md, "Snapshots
 * without fork"): one cut across all shards, then a walker that streams every shard's entries
 * to a sink. The cut is {@link #cut} on every shard inside one transaction over all of them;
 * {@link #stream} then runs on a virtual thread: it asks each shard for batches of buckets (a
 * hop per batch) and writes whatever chunks the shards produce, its batches and the buckets
 * writes serialised ahead of it, keeping each entry contiguous and inserting SELECTDB where
 * the database changes. Memory is the chunks in flight: at most {@code queueChunks} of 64 KiB
 * per shard, whatever the dataset's size or the write rate.
 */
public final class Snapshot {
    /**
     * Where the entries go: a file now, a replica's socket later. Called on the walker's thread; the
     * bytes are valid only during the call (their buffer is reused).
     */
    public interface Sink {
        void write(byte[] b, int off, int len) throws IOException;
    }

    private final Engine engine;
    private final Snapshots registry;
    private final ShardCut[] cuts;
    private final AtomicInteger cutsTaken = new AtomicInteger();
    private final int queueChunks;
    private final long timeoutNanos;
    private volatile Thread walker;
    private volatile boolean failed;
    private volatile String failure;
    /** Sum of the shards' dirty counters at the cut (what a save clears). */
    private final java.util.concurrent.atomic.AtomicLong dirtyAtCut = new java.util.concurrent.atomic.AtomicLong();
    private volatile long keysWritten;
    /** rdb-key-save-delay: microseconds to wait per key written (tests use it to make a save slow). */
    volatile long keyDelayMicros;

    Snapshot(Engine engine, Snapshots registry, int queueChunks, long timeoutNanos) {
        this.engine = engine;
        this.registry = registry;
        this.cuts = new ShardCut[engine.shards()];
        this.queueChunks = queueChunks;
        this.timeoutNanos = timeoutNanos;
    }

    /** On shard {@code worker}'s thread, inside the all-shard transaction: this shard's cut. */
    public void cut(Worker worker) {
        ShardHook hook = registry.hook(worker);
        long version = hook.begin();
        ShardCut c = new ShardCut(this, worker.shard(), version, queueChunks, timeoutNanos);
        hook.add(c);
        cuts[worker.index()] = c; // published to the walker by the transaction's message hand-offs
        dirtyAtCut.addAndGet(worker.shard().dirty());
        for (int d = 0; d < Math.min(dbSizes.length(), worker.shard().databases()); d++) {
            dbSizes.addAndGet(d, worker.shard().db(d).size());
            dbExpires.addAndGet(d, worker.shard().db(d).expiringCount());
        }
        cutsTaken.incrementAndGet();
    }

    /**
     * The cut of a snapshot that feeds replication flows, one per shard: as {@link #cut(Worker)},
     * and the shard's chunks carry its journal's LSN ({@code lsn}, read on the shard thread).
     */
    public void cut(Worker worker, java.util.function.LongSupplier lsn) {
        cut(worker);
        cuts[worker.index()].trackLsn(lsn);
    }

    /** Where one shard's part of a snapshot goes, with that shard's journal records between its entries. */
    public interface FlowSink {
        /** The LSN of the shard's last journal record (a volatile read). */
        long journalEnd();

        /** Sends the shard's records up to LSN {@code lsn} not sent yet. */
        void records(long lsn) throws IOException;

        /** Sends entries (RDB-encoded, SELECTDB where the database changes); the bytes are valid during the call. */
        void entries(byte[] b, int off, int len) throws IOException;
    }

    /**
     * Streams shard {@code shard}'s entries alone, on the calling (virtual) thread: a flow of a
     * native full sync, one per shard, in parallel. Between chunks it sends the shard's journal
     * records, each as soon as no entry serialised before it is still unsent: a record made
     * after a chunk's first entry goes after that chunk, so a key's baseline always precedes the
     * records that change it and the flow never holds more than the queue's chunks.
     */
    public void streamShard(int shard, FlowSink sink) throws IOException {
        if (cutsTaken.get() != cuts.length) {
            throw new IllegalStateException("the cut is not complete");
        }
        ShardCut cut = cuts[shard];
        cut.walker = Thread.currentThread();
        requestBatch(shard);
        requestBatch(shard);
        try {
            while (true) {
                if (cut.failed() || failed) {
                    throw new IOException("snapshot failed: " + failure);
                }
                // the order of these three reads is what makes the bound safe (see ShardCut.openTag)
                long end = sink.journalEnd();
                long open = cut.openTag;
                Chunk c = cut.queue().peek();
                if (c == null) {
                    sink.records(Math.min(end, open));
                    LockSupport.parkNanos(this, 1_000_000L);
                    continue;
                }
                sink.records(c.tag());
                cut.queue().poll();
                sink.entries(c.data(), 0, c.length());
                cut.recycle(c.data());
                if (keyDelayMicros > 0 && c.keys() > 0) {
                    LockSupport.parkNanos(keyDelayMicros * 1000L * c.keys()); // rdb-key-save-delay (tests)
                }
                if (c.last()) {
                    registry.finish(cut);
                    return;
                }
                if (c.batchEnd()) {
                    requestBatch(shard);
                }
            }
        } catch (IOException | RuntimeException e) {
            if (failure == null) {
                failure = e.getMessage();
            }
            failed = true;
            cut.fail();
            cut.queue().clear();
            registry.finish(cut);
            throw e;
        }
    }

    /**
     * A flow that will never stream its shard (its session ended first): the shard's cut stops
     * and leaves the shard's write hook, so writes there stop serialising for it.
     */
    public void abandonShard(int shard) {
        ShardCut cut = cuts[shard];
        if (cut != null) {
            cut.fail();
            cut.queue().clear();
            registry.finish(cut);
        }
    }

    private final java.util.concurrent.atomic.AtomicLongArray dbSizes = new java.util.concurrent.atomic.AtomicLongArray(16);
    private final java.util.concurrent.atomic.AtomicLongArray dbExpires = new java.util.concurrent.atomic.AtomicLongArray(16);

    /** Keys in database {@code db} at the cut (over all shards), for RESIZEDB. */
    public long keysAtCut(int db) {
        return db < dbSizes.length() ? dbSizes.get(db) : 0;
    }

    /** Keys with a deadline in database {@code db} at the cut. */
    public long expiresAtCut(int db) {
        return db < dbExpires.length() ? dbExpires.get(db) : 0;
    }

    public long dirtyAtCut() {
        return dirtyAtCut.get();
    }

    /**
     * Paces the walk so that it takes at most {@code percent} of each shard's time: after a
     * batch that took t on a shard, the next is asked for t * (100 / percent - 1) later. Writes
     * that meet an unwritten bucket still serialise it at once. 100 walks at full speed (SAVE).
     */
    public void cpuPercent(int percent) {
        this.cpuPercent = Math.max(1, Math.min(100, percent));
    }

    private volatile int cpuPercent = 100;

    public void keyDelay(long micros) {
        this.keyDelayMicros = micros;
    }

    public long keysWritten() {
        return keysWritten;
    }

    /** Why the snapshot failed, or null. */
    public String failure() {
        return failure;
    }

    /**
     * Bytes in the shards' queues, read from any thread (INFO): the queues are thread-safe; a
     * slot of {@code cuts} not yet seen from this thread reads null and counts nothing.
     */
    long bufferedBytes() {
        long n = 0;
        for (ShardCut c : cuts) {
            if (c != null) {
                for (Chunk k : c.queue()) {
                    n += k.length();
                }
            }
        }
        return n;
    }

    void wakeWalker(ShardCut c) {
        Thread w = c.walker;
        if (w == null) {
            w = walker;
        }
        if (w != null) {
            LockSupport.unpark(w);
        }
    }

    void shardFailed(ShardCut c) {
        failure = "the sink took no data for " + TimeUnit.NANOSECONDS.toSeconds(timeoutNanos) + " s";
        failed = true;
        wakeWalker(c);
    }

    private void requestBatch(int shard) {
        engine.post(shard, w -> cuts[shard].walk(w));
    }

    /**
     * Streams every entry to the sink; on the calling (virtual) thread, after the cut. Returns
     * normally when every shard is done; throws when the sink fails or a shard timed out, after
     * detaching the cut from every shard.
     */
    public void stream(Sink sink) throws IOException {
        if (cutsTaken.get() != cuts.length) {
            throw new IllegalStateException("the cut is not complete");
        }
        walker = Thread.currentThread();
        int n = cuts.length;
        boolean[] done = new boolean[n];
        int remaining = n;
        // At full speed each shard has a second batch asked for while it works on the first,
        // so it never waits for the walker's round trip; paced, one at a time.
        for (int s = 0; s < n; s++) {
            requestBatch(s);
            if (cpuPercent >= 100) {
                requestBatch(s);
            }
        }
        int outDb = -1;
        int next = 0;
        long[] requestAt = new long[n]; // a paced batch request falls due (nanoTime), 0 for none
        RdbOut select = new RdbOut(16);
        try {
            while (remaining > 0) {
                if (failed) {
                    throw new IOException("snapshot failed: " + failure);
                }
                long now = System.nanoTime();
                long wait = 10_000_000L;
                for (int s = 0; s < n; s++) {
                    if (requestAt[s] != 0) {
                        if (now - requestAt[s] >= 0) {
                            requestAt[s] = 0;
                            requestBatch(s);
                        } else {
                            wait = Math.min(wait, requestAt[s] - now);
                        }
                    }
                }
                Chunk c = null;
                int from = -1;
                for (int k = 0; k < n && c == null; k++) {
                    int s = (next + k) % n;
                    if (!done[s]) {
                        c = cuts[s].queue().poll();
                        from = s;
                    }
                }
                if (c == null) {
                    LockSupport.parkNanos(this, wait);
                    continue;
                }
                next = (from + 1) % n;
                // An entry that spans chunks is written whole before any other shard's chunk.
                while (true) {
                    if (c.startDb() >= 0 && c.startDb() != outDb) {
                        select.clear();
                        select.writeByte(Rdb.OPCODE_SELECTDB);
                        select.writeLength(c.startDb());
                        sink.write(select.array(), 0, select.size());
                    }
                    sink.write(c.data(), 0, c.length());
                    cuts[from].recycle(c.data());
                    if (keyDelayMicros > 0 && c.keys() > 0) {
                        LockSupport.parkNanos(keyDelayMicros * 1000L * c.keys());
                    }
                    if (c.endDb() >= 0) {
                        outDb = c.endDb();
                    }
                    if (c.last()) {
                        done[from] = true;
                        remaining--;
                        registry.finish(cuts[from]);
                    } else if (c.batchEnd()) {
                        int pct = cpuPercent;
                        if (pct >= 100 || c.nanos() == 0) {
                            requestBatch(from);
                        } else {
                            requestAt[from] = (System.nanoTime() + c.nanos() * (100 - pct) / pct) | 1;
                        }
                    }
                    if (c.boundary()) {
                        break;
                    }
                    c = null;
                    while (c == null) {
                        if (failed) {
                            throw new IOException("snapshot failed: " + failure);
                        }
                        try {
                            c = cuts[from].queue().poll(10, TimeUnit.MILLISECONDS);
                        } catch (InterruptedException e) {
                            Thread.currentThread().interrupt();
                            throw new IOException("interrupted");
                        }
                    }
                }
            }
            long keys = 0;
            for (ShardCut c : cuts) {
                keys += c.keys;
            }
            keysWritten = keys;
        } catch (IOException | RuntimeException e) {
            failed = true;
            if (failure == null) {
                failure = e.getMessage();
            }
            for (int s = 0; s < n; s++) {
                if (!done[s]) {
                    ShardCut c = cuts[s];
                    c.fail();
                    c.queue().clear();
                    registry.finish(c);
                }
            }
            throw e;
        }
    }
}
