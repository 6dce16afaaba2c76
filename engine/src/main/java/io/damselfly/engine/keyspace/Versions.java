package io.damselfly.engine.keyspace;

/**
 * A shard's bucket version clock, shared by the tables of its databases. Writes stamp a bucket
 * with {@link #current}; while a snapshot is active, {@link #cut} is its version and a write to
 * a bucket stamped below it first runs the {@link #hook}. Owned by the shard thread.
 */
public final class Versions {
    long current = 1;
    long cut = Long.MIN_VALUE;
    BucketHook hook;
    long bucketsSerialisedAhead;

    public long current() {
        return current;
    }

    /** Starts a cut: returns its version. Every bucket stamped below it belongs to the snapshot. */
    public long beginCut(BucketHook hook) {
        this.cut = ++current;
        this.hook = hook;
        return cut;
    }

    public void endCut() {
        this.cut = Long.MIN_VALUE;
        this.hook = null;
    }

    public long cut() {
        return cut;
    }

    /** How many buckets a write serialised ahead of the walker since startup. */
    public long bucketsSerialisedAhead() {
        return bucketsSerialisedAhead;
    }
}
