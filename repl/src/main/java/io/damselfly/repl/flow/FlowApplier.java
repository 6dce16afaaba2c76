package io.damselfly.repl.flow;

import io.damselfly.engine.command.Request;
import io.damselfly.engine.exec.Engine;
import io.damselfly.engine.shard.Keyspace;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicReference;

/**
 * What one flow applies on the replica's shards: writes gathered per replica shard (keys
 * re-hashed to this node's shard count) and posted in batches, at most {@link #IN_FLIGHT} per
 * shard on their way. A shard takes its batches in posting order, so a flow's writes of one key
 * apply in the flow's order. Methods are synchronized: the flow's thread and, while its lane
 * waits for a multi-shard operation, the thread that completes that operation both use it.
 */
final class FlowApplier {
    static final int BATCH_BYTES = 64 * 1024;
    static final int IN_FLIGHT = 4;

    private final Engine engine;
    private final Batch[] batches;
    private final Semaphore[] permits;
    final AtomicReference<String> error = new AtomicReference<>();

    /** A write ({@link Request}) or a string to store ({@link StringKey}), with its database. */
    private static final class Batch {
        final List<Object> items = new ArrayList<>();
        final List<Integer> dbs = new ArrayList<>();
        long bytes;
    }

    record StringKey(byte[] key, byte[] value, long expireAt) {
    }

    FlowApplier(Engine engine) {
        this.engine = engine;
        int n = engine.shards();
        this.batches = new Batch[n];
        this.permits = new Semaphore[n];
        for (int i = 0; i < n; i++) {
            batches[i] = new Batch();
            permits[i] = new Semaphore(IN_FLIGHT);
        }
    }

    synchronized void add(int shard, int db, Object item, long size) throws IOException {
        Batch b = batches[shard];
        b.items.add(item);
        b.dbs.add(db);
        b.bytes += size;
        if (b.bytes >= BATCH_BYTES) {
            send(shard);
        }
    }

    /** Posts what is gathered (a flow with nothing more to read for now does so). */
    synchronized void flush() throws IOException {
        for (int s = 0; s < batches.length; s++) {
            send(s);
        }
    }

    /** Posts everything and waits until every shard applied it. */
    synchronized void drain() throws IOException {
        flush();
        for (Semaphore p : permits) {
            try {
                p.acquire(IN_FLIGHT);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted while applying");
            }
            p.release(IN_FLIGHT);
        }
    }

    /** Posts what is gathered without waiting for permits (the flows stopped: nothing must be left behind). */
    synchronized void flushNow() {
        for (int s = 0; s < batches.length; s++) {
            if (!batches[s].items.isEmpty()) {
                Batch b = batches[s];
                batches[s] = new Batch();
                post(s, b); // its permit's release is surplus: the applier is done with
            }
        }
    }

    private void send(int shard) throws IOException {
        Batch b = batches[shard];
        if (b.items.isEmpty()) {
            return;
        }
        batches[shard] = new Batch();
        try {
            permits[shard].acquire();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            batches[shard] = b; // kept for flushNow
            throw new IOException("interrupted while applying");
        }
        post(shard, b);
    }

    private void post(int shard, Batch b) {
        engine.post(shard, w -> {
            try {
                for (int i = 0; i < b.items.size(); i++) {
                    Object item = b.items.get(i);
                    Keyspace db = w.shard().db(b.dbs.get(i));
                    if (item instanceof StringKey s) {
                        db.putString(s.key, 0, s.key.length, s.value, 0, s.value.length,
                                s.expireAt >= 0 ? s.expireAt : Keyspace.NO_EXPIRE);
                        continue;
                    }
                    String e = w.applyLocal(db, (Request) item);
                    if (e != null) {
                        error.compareAndSet(null, e + " (" + ((Request) item).describe() + ")");
                    }
                }
            } finally {
                permits[shard].release();
            }
        });
    }
}
