package io.damselfly.engine.keyspace;

/**
 * A shard's bucket version clock, shared by the tables of its databases. Writes stamp a bucket
 * with {@link #current}. While snapshots are active, {@link #cut} is the newest cut's version
 * and a write to a bucket stamped below it first runs the {@link #hook}, which serialises the
 * bucket for every active cut it is still missing from. Owned by the shard thread.
 */
public final class Versions {
    long current = 1;
    long cut = Long.MIN_VALUE;
    BucketHook hook;
    long bucketsSerialisedAhead;
    long bucketsWalked;

    public long current() {
        return current;
    }

    /** Starts a cut: returns its version. Every bucket stamped below it belongs to the snapshot. */
    public long beginCut(BucketHook hook) {
        this.cut = ++current;
        this.hook = hook;
        return cut;
    }

    /**
     * Sets the cuts in force: {@code newest} is the highest active cut version (or
     * {@link Long#MIN_VALUE} for none) and {@code hook} serialises for all of them.
     */
    public void activeCuts(long newest, BucketHook hook) {
        this.cut = newest;
        this.hook = newest == Long.MIN_VALUE ? null : hook;
    }

    public void endCut() {
        activeCuts(Long.MIN_VALUE, null);
    }

    public long cut() {
        return cut;
    }

    /** Whether any snapshot is in progress on this shard. */
    public boolean cutting() {
        return cut != Long.MIN_VALUE;
    }

    /** How many buckets a write serialised ahead of the walker since startup. */
    public long bucketsSerialisedAhead() {
        return bucketsSerialisedAhead;
    }

    /** How many buckets walkers serialised since startup. */
    public long bucketsWalked() {
        return bucketsWalked;
    }
}
