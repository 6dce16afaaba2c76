package io.damselfly.repl.snapshot;

import io.damselfly.engine.keyspace.KeyTable;
import io.damselfly.engine.shard.Keyspace;
import io.damselfly.engine.shard.Shard;
import io.damselfly.repl.rdb.Rdb;
import io.damselfly.repl.rdb.RdbOut;
import io.damselfly.repl.rdb.ValueWriter;

import java.lang.foreign.ValueLayout;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * One shard's part of one snapshot, owned by the shard's thread: the tables as they were at
 * the cut, the walk's position, and the stream of serialised entries. Buckets reach the stream
 * two ways, each exactly once per cut: the walker's batches ({@link #walk}) and the write hook
 * ({@link #serialiseBucket}) for a bucket a write is about to change before the walk got to it.
 *
 * <p>The stream is cut into chunks of {@link #CHUNK} bytes that go to the walker through a
 * bounded queue. When the queue is full the shard thread waits (its writes are throttled); past
 * {@link #timeoutNanos} the cut fails instead, and stops taking output, so a stuck sink never
 * stops the shard for good nor makes it buffer without bound.
 */
final class ShardCut extends RdbOut {
    static final int CHUNK = 64 * 1024;
    /** Bytes of entries a walker batch produces before it answers (the hop's cost is ~80 µs here). */
    static final int BATCH_BYTES = 256 * 1024;

    final Snapshot snapshot;
    final int shardIndex;
    final long version;
    private final Shard shard;
    private final Keyspace accessor;
    private final KeyTable[] tables;
    private final ValueWriter values = new ValueWriter();
    private final ArrayBlockingQueue<Chunk> queue;
    /** Buffers the walker has written out, for the next chunks: a save allocates no garbage per chunk. */
    private final ArrayBlockingQueue<byte[]> free;
    private final long timeoutNanos;

    private final long[] slots = new long[KeyTable.SLOTS_PER_BUCKET];
    /** Where the touching loads go, so that the JIT keeps them. */
    int sink;
    private int walkDb;
    private long walkCursor;
    private boolean walked;
    private int db = -1;
    private int chunkStartDb = -1;
    private int chunkKeys;
    private volatile boolean failed;
    /**
     * For a flow's snapshot: the shard's journal LSN, read on the shard thread. {@link #openTag}
     * is the LSN when the unsent buffer's first byte was written, {@link Long#MAX_VALUE} while it
     * is empty. It is written (volatile) before the first byte and reset only after the buffer
     * went into the queue, so a reader that reads the journal's end, then this, then the queue,
     * never sends a record ahead of an entry serialised before it (see Snapshot#streamShard).
     */
    private java.util.function.LongSupplier lsn;
    volatile long openTag = Long.MAX_VALUE;
    private long currentTag;
    /** The thread streaming this shard alone (a flow), or null: the snapshot's one walker. */
    volatile Thread walker;

    long keys;
    long bucketsAhead;

    ShardCut(Snapshot snapshot, Shard shard, long version, int queueChunks, long timeoutNanos) {
        super(CHUNK + 1024);
        this.snapshot = snapshot;
        this.shardIndex = shard.index();
        this.shard = shard;
        this.version = version;
        this.accessor = shard.db(0);
        this.tables = new KeyTable[shard.databases()];
        for (int i = 0; i < tables.length; i++) {
            tables[i] = shard.db(i).table();
        }
        this.queue = new ArrayBlockingQueue<>(queueChunks);
        this.free = new ArrayBlockingQueue<>(queueChunks + 2);
        this.timeoutNanos = timeoutNanos;
        this.spillAt = CHUNK;
    }

    /** This cut feeds a flow: chunks carry the journal's LSN (see {@link #openTag}); on the shard thread. */
    void trackLsn(java.util.function.LongSupplier lsn) {
        this.lsn = lsn;
    }

    ArrayBlockingQueue<Chunk> queue() {
        return queue;
    }

    boolean failed() {
        return failed;
    }

    boolean walked() {
        return walked;
    }

    /** The database a table held at the cut (SWAPDB after the cut does not move its keys in the image). */
    private int dbOf(KeyTable table) {
        for (int i = 0; i < tables.length; i++) {
            if (tables[i] == table) {
                return i;
            }
        }
        return -1;
    }

    /** Serialises the entries of one bucket, as they are now; the caller stamps it. */
    void serialiseBucket(KeyTable table, long segment, int bucket) {
        if (failed) {
            return;
        }
        int d = dbOf(table);
        if (d < 0) {
            return; // a table created after the cut (none today: tables live as long as the shard)
        }
        int first = bucket * KeyTable.SLOTS_PER_BUCKET;
        int n = 0;
        int touched = 0;
        for (int i = 0; i < KeyTable.SLOTS_PER_BUCKET; i++) {
            long slot = table.slotAt(segment, first + i);
            if (slot != 0) {
                long a = KeyTable.address(slot);
                slots[n++] = a;
                // Independent loads of every entry's first byte, before any is serialised: the
                // cache misses of the bucket's entries overlap instead of coming one by one.
                touched += accessor.page(a).get(ValueLayout.JAVA_BYTE, Keyspace.offset(a) + 1);
            }
        }
        sink += touched;
        for (int i = 0; i < n && !failed; i++) {
            if (pos == 0 && lsn != null) {
                currentTag = lsn.getAsLong();
                openTag = currentTag; // volatile, before the buffer's first byte
            }
            if (d != db) {
                writeByte(Rdb.OPCODE_SELECTDB);
                writeLength(d);
                db = d;
            }
            values.writeEntry(this, accessor, slots[i]);
            keys++;
            chunkKeys++;
            if (pos >= CHUNK || continued) {
                // an entry that spilled ends its run of chunks now: the walker waits for it
                emit(true, false, false);
            }
        }
    }

    /** One batch of the walk: buckets until {@link #BATCH_BYTES} were produced or the tables are done. */
    void walk(io.damselfly.engine.exec.Worker worker) {
        if (walked) {
            return; // a request that was already on its way when the walk ended
        }
        // Pacing is for a shard that serves clients: one that ran no command since the last
        // batch reports no time, and the walker asks for the next batch at once.
        long served = worker.commandsProcessed();
        boolean busy = served != commandsAtLastBatch;
        commandsAtLastBatch = served;
        long t0 = System.nanoTime();
        long produced = 0;
        while (!walked && !failed && produced < BATCH_BYTES) {
            KeyTable t = tables[walkDb];
            if (t.size() == 0) {
                walkCursor = 0;
            } else {
                int before = pos;
                walkCursor = t.snapshotStep(walkCursor, version);
                produced += Math.max(0, pos - before) + 8;
            }
            if (walkCursor == 0) {
                walkDb++;
                if (walkDb == tables.length) {
                    walked = true;
                }
            }
        }
        batchNanos = busy ? System.nanoTime() - t0 : 0;
        emit(true, true, walked);
    }

    private long batchNanos;
    private long commandsAtLastBatch = -1;

    /** A chunk ended inside the current entry; its rest must follow before the walker moves on. */
    private boolean continued;

    @Override
    protected void spill() {
        emit(false, false, false);
        continued = true;
    }

    private void emit(boolean boundary, boolean batchEnd, boolean last) {
        if (failed) {
            pos = 0;
            return;
        }
        if (boundary) {
            continued = false;
        }
        long tag = lsn == null ? 0 : pos == 0 ? lsn.getAsLong() : currentTag;
        Chunk c = new Chunk(buf, pos, boundary, chunkStartDb, db, batchEnd, last, chunkKeys, batchEnd ? batchNanos : 0, tag);
        chunkStartDb = db;
        chunkKeys = 0;
        byte[] next = free.poll();
        buf = next != null ? next : new byte[CHUNK + 1024];
        pos = 0;
        try {
            if (!queue.offer(c)) {
                snapshot.wakeWalker(this);
                if (!queue.offer(c, timeoutNanos, TimeUnit.NANOSECONDS)) {
                    fail();
                    return;
                }
            }
            openTag = Long.MAX_VALUE; // after the offer: the chunk is in the queue before the buffer reads empty
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            fail();
            return;
        }
        // Wake the walker for a batch's end, an entry's continuation, or a half-full queue; it
        // also looks every 10 ms. Fewer wakeups: on two cores each one preempts a shard thread.
        if (batchEnd || !boundary || queue.size() >= queue.remainingCapacity()) {
            snapshot.wakeWalker(this);
        }
    }

    /** The walker is done with a chunk's bytes (a buffer that grew for a large entry is dropped). */
    void recycle(byte[] b) {
        if (b.length == CHUNK + 1024) {
            free.offer(b);
        }
    }

    /** The sink stopped taking data for too long: this cut stops producing; the snapshot fails. */
    void fail() {
        failed = true;
        snapshot.shardFailed(this);
    }
}
