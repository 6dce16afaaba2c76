package io.damselfly.engine.keyspace;

/**
 * Called by a {@link KeyTable} before it changes a bucket whose version is older than the
 * current snapshot cut (see DESIGN.md, "Snapshots without fork"). The hook serialises the
 * bucket's entries as they are now; the table then stamps the bucket with the current version.
 */
@FunctionalInterface
public interface BucketHook {
    /**
     * @param table   the table that is about to change
     * @param segment the segment's slab address (see {@link KeyTable} for its layout)
     * @param bucket  bucket index within the segment
     */
    void beforeChange(KeyTable table, long segment, int bucket);
}
