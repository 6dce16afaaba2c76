package io.damselfly.repl.snapshot;

import io.damselfly.engine.keyspace.BucketHook;
import io.damselfly.engine.keyspace.KeyTable;
import io.damselfly.engine.keyspace.Versions;
import io.damselfly.engine.shard.Shard;

import java.util.ArrayList;
import java.util.List;

/**
 * The write hook of one shard while snapshots run: a bucket stamped below a cut's version has
 * not been written by that cut yet, so before the bucket changes it is serialised into every
 * active cut whose version is above its stamp. The table then stamps it with the current
 * version, which is at least every active cut's: no bucket is ever stamped past a cut that has
 * not written it, and concurrent cuts each get every bucket exactly once.
 * Owned by the shard's thread.
 */
final class ShardHook implements BucketHook {
    private final Shard shard;
    private final List<ShardCut> cuts = new ArrayList<>(2);

    ShardHook(Shard shard) {
        this.shard = shard;
    }

    @Override
    public void beforeChange(KeyTable table, long segment, int bucket) {
        long stamp = table.bucketVersion(segment, bucket);
        for (int i = 0; i < cuts.size(); i++) {
            ShardCut c = cuts.get(i);
            if (stamp < c.version) {
                c.serialiseBucket(table, segment, bucket);
            }
        }
    }

    /** Starts a cut on this shard: a new version above every bucket's stamp. */
    long begin() {
        Versions v = shard.versions();
        return v.beginCut(this);
    }

    void add(ShardCut cut) {
        cuts.add(cut);
        refresh();
    }

    void remove(ShardCut cut) {
        cuts.remove(cut);
        refresh();
    }

    private void refresh() {
        long newest = Long.MIN_VALUE;
        for (ShardCut c : cuts) {
            newest = Math.max(newest, c.version);
        }
        shard.versions().activeCuts(newest, this);
    }
}
