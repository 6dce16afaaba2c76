package io.damselfly.engine.shard;

/** A collection kept as an object by its shard (past its compact encoding). */
public interface LargeValue {
    /** A deep copy (COPY, and values moved between shards). */
    LargeValue copy();

    /** Number of elements. */
    long size();

    /** Approximate bytes held, for memory figures. */
    long memory();
}
