package io.damselfly.repl.snapshot;

import io.damselfly.engine.exec.Engine;
import io.damselfly.engine.exec.Worker;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The snapshots of one engine: each shard's write hook, and how many snapshots are in progress.
 * Several consumers (a save, replicas' full syncs) may each run a snapshot at once; each has
 * its own cut, and the hook serialises a bucket for every cut missing it (see {@link ShardHook}).
 */
public final class Snapshots {
    /** Chunks of 64 KiB a shard may have waiting for the walker, per snapshot. */
    public static final int QUEUE_CHUNKS = 16;

    private final Engine engine;
    private final ShardHook[] hooks;
    private final AtomicInteger inProgress = new AtomicInteger();
    private final java.util.Set<Snapshot> active = java.util.concurrent.ConcurrentHashMap.newKeySet();
    private volatile long timeoutNanos = TimeUnit.SECONDS.toNanos(60);

    public Snapshots(Engine engine) {
        this.engine = engine;
        this.hooks = new ShardHook[engine.shards()];
    }

    /** How long a shard waits for a full queue to drain before that snapshot fails. */
    public void sinkTimeout(long millis) {
        this.timeoutNanos = TimeUnit.MILLISECONDS.toNanos(millis);
    }

    /** A new snapshot; cut it on every shard (inside one transaction over all), then stream it. */
    public Snapshot create() {
        inProgress.incrementAndGet();
        Snapshot s = new Snapshot(engine, this, QUEUE_CHUNKS, timeoutNanos);
        active.add(s);
        return s;
    }

    /** Bytes of chunks waiting between the shards and the walkers, over every snapshot in progress. */
    public long bufferedBytes() {
        long n = 0;
        for (Snapshot s : active) {
            n += s.bufferedBytes();
        }
        return n;
    }

    /** Snapshots created and not yet finished or failed. */
    public int inProgress() {
        return inProgress.get();
    }

    /** Called once per snapshot when it is over, whatever the outcome. */
    public void done(Snapshot s) {
        if (active.remove(s)) {
            inProgress.decrementAndGet();
        }
    }

    ShardHook hook(Worker worker) {
        ShardHook h = hooks[worker.index()];
        if (h == null) {
            h = new ShardHook(worker.shard());
            hooks[worker.index()] = h; // only ever touched by this shard's thread
        }
        return h;
    }

    /** Detaches a shard's part of a snapshot: posted to that shard's thread, which owns the hook. */
    void finish(ShardCut cut) {
        engine.post(cut.shardIndex, w -> hooks[cut.shardIndex].remove(cut));
    }

}
