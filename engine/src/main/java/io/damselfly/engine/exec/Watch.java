package io.damselfly.engine.exec;

import java.util.ArrayList;

/**
 * A client's WATCH: the keys it watches and whether any of them changed since. Shards set
 * {@link #dirty} (a volatile write) when they change a watched key; EXEC reads it only after it
 * holds the locks of its transaction on every shard concerned, and each of those shards handed
 * over its lock through the inbox (a release/acquire pair), so a change a shard made before
 * granting the lock is seen. A fresh Watch replaces the old one at UNWATCH, EXEC and DISCARD;
 * shards drop entries of a discarded Watch when told to.
 */
final class Watch {
    volatile boolean dirty;
    /** Shards holding entries of this watch, as a bit set. Home thread only. */
    long shards;
    /** The watched keys, for EXEC's locks and checks. Appended by shards during WATCH (handed home by message). */
    final ArrayList<LockTable.Key> keys = new ArrayList<>();
}
