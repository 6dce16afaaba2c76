package io.damselfly.repl.flow;

import io.damselfly.engine.command.Request;
import io.damselfly.engine.exec.Engine;
import io.damselfly.engine.shard.Keyspace;
import io.damselfly.repl.RespArgs;

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
    /** Keys whose table lines are read ahead together (a power of two). */
    static final int PREFETCH = 16;

    private final Engine engine;
    private final Batch[] batches;
    private final Semaphore[] permits;
    /** Per replica shard, used on that shard's thread only: parses the records posted as bytes. */
    private final RespArgs.Parser[] parsers;
    final AtomicReference<String> error = new AtomicReference<>();

    /**
     * Writes (a record kept in {@code data}, see {@link #addRecord}, or a {@link Request}) or
     * strings to store ({@link StringKey}), each with its database.
     * Reused: the shard that applied it clears it and hands it back through {@link #spare}
     * before it releases the permit (the queue orders the clearing before the next use).
     */
    private static final class Batch {
        final List<Object> items = new ArrayList<>(1024);
        int[] dbs = new int[1024];
        /** Where each {@link #RECORD} item starts in {@link #data}. */
        int[] at = new int[1024];
        /** The records' bytes, one after another (no array per record). */
        byte[] data = new byte[BATCH_BYTES + 4096];
        int dataLength;
        long bytes;
        /** What the prefetching read, kept so that its reads are not optimised away. */
        long read;

        void add(Object item, int db) {
            if (items.size() == dbs.length) {
                dbs = java.util.Arrays.copyOf(dbs, dbs.length * 2);
                at = java.util.Arrays.copyOf(at, at.length * 2);
            }
            dbs[items.size()] = db;
            items.add(item);
        }

        void addRecord(byte[] src, int len, int db) {
            if (dataLength + len > data.length) {
                data = java.util.Arrays.copyOf(data, Math.max(dataLength + len, data.length * 2));
            }
            at[items.size()] = dataLength;
            add(RECORD, db);
            System.arraycopy(src, 0, data, dataLength, len);
            dataLength += len;
        }

        void clear() {
            items.clear();
            bytes = 0;
            dataLength = 0;
            if (data.length > 4 * BATCH_BYTES) {
                data = new byte[BATCH_BYTES + 4096]; // a big record's room is not kept
            }
        }
    }

    /** Cleared batches per shard, for the flow's next ones. */
    private final java.util.concurrent.ConcurrentLinkedQueue<Batch>[] spare;

    record StringKey(byte[] key, byte[] value, long expireAt) {
    }

    /** The item of a record kept in its batch's {@code data} (see {@link #addRecord}). */
    private static final Object RECORD = new Object();

    FlowApplier(Engine engine) {
        this.engine = engine;
        int n = engine.shards();
        this.batches = new Batch[n];
        this.permits = new Semaphore[n];
        this.parsers = new RespArgs.Parser[n];
        @SuppressWarnings("unchecked")
        java.util.concurrent.ConcurrentLinkedQueue<Batch>[] free = new java.util.concurrent.ConcurrentLinkedQueue[n];
        this.spare = free;
        for (int i = 0; i < n; i++) {
            free[i] = new java.util.concurrent.ConcurrentLinkedQueue<>();
            batches[i] = new Batch();
            permits[i] = new Semaphore(IN_FLIGHT);
            parsers[i] = new RespArgs.Parser();
        }
    }

    synchronized void add(int shard, int db, Object item, long size) throws IOException {
        Batch b = batches[shard];
        b.add(item, db);
        b.bytes += size;
        if (b.bytes >= BATCH_BYTES) {
            send(shard);
        }
    }

    /**
     * Adds a record (a command's RESP bytes, {@code src[0, len)}) for shard {@code shard},
     * copied into the batch: {@code src} may be reused once this returns.
     */
    synchronized void addRecord(int shard, int db, byte[] src, int len) throws IOException {
        Batch b = batches[shard];
        b.addRecord(src, len, db);
        b.bytes += len + 64;
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
                batches[s] = fresh(s);
                post(s, b); // its permit's release is surplus: the applier is done with
            }
        }
    }

    private void send(int shard) throws IOException {
        Batch b = batches[shard];
        if (b.items.isEmpty()) {
            return;
        }
        try {
            permits[shard].acquire();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while applying"); // b stays for flushNow
        }
        batches[shard] = fresh(shard);
        post(shard, b);
    }

    /**
     * Reads ahead the table lines of the next {@link #PREFETCH} keys to store: a loading replica's
     * stores each miss the caches in a large table, and their misses then overlap.
     */
    private static long prefetch(io.damselfly.engine.shard.Shard shard, Batch b, int from) {
        long read = 0;
        int to = Math.min(b.items.size(), from + PREFETCH);
        for (int i = from; i < to; i++) {
            if (b.items.get(i) instanceof StringKey s) {
                read += shard.db(b.dbs[i]).prefetch(s.key, 0, s.key.length);
            }
        }
        return read;
    }

    private Batch fresh(int shard) {
        Batch b = spare[shard].poll();
        return b != null ? b : new Batch();
    }

    private void post(int shard, Batch b) {
        engine.post(shard, w -> {
            try {
                long read = 0;
                for (int i = 0; i < b.items.size(); i++) {
                    if ((i & (PREFETCH - 1)) == 0) {
                        read += prefetch(w.shard(), b, i);
                    }
                    Object item = b.items.get(i);
                    Keyspace db = w.shard().db(b.dbs[i]);
                    if (item instanceof StringKey s) {
                        db.putString(s.key, 0, s.key.length, s.value, 0, s.value.length,
                                s.expireAt >= 0 ? s.expireAt : Keyspace.NO_EXPIRE);
                        continue;
                    }
                    Request r;
                    try {
                        r = item == RECORD ? parsers[shard].parse(b.data, b.at[i]) : (Request) item;
                    } catch (IOException malformed) {
                        error.compareAndSet(null, malformed.getMessage());
                        continue;
                    }
                    String e = w.applyLocal(db, r);
                    if (e != null) {
                        error.compareAndSet(null, e + " (" + r.describe() + ")");
                    }
                }
                b.read = read;
            } finally {
                b.clear();
                spare[shard].offer(b);
                permits[shard].release();
            }
        });
    }
}
