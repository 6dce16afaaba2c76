package io.damselfly.engine.exec;

import io.damselfly.engine.resp.ByteOutput;

import java.util.ArrayList;
import java.util.Arrays;

/**
 * One shard's part of a multi-shard transaction. It travels between the coordinator and its
 * shard as the message of each phase (schedule, execute a hop, cancel, conclude) and back with
 * the result; only the thread that last received it touches it. What a hop finds on the shard
 * goes into the part ({@link #out}, {@link #result}, {@link #payload}), never into the shared
 * {@link Tx}, which the coordinator alone writes.
 */
public final class TxPart extends Message {
    @Override
    public boolean fromClient() {
        return true;
    }

    static final int SCHEDULE = 1;
    static final int EXECUTE = 2;
    static final int CANCEL = 3;
    static final int CONCLUDE = 4;
    static final int SCHEDULED = 11;
    static final int REFUSED = 12;
    static final int EXECUTED = 13;
    static final int CANCELLED = 14;
    static final int CONCLUDED = 15;

    final Tx tx;
    final int shard;
    int state;
    int hop;
    boolean last;
    boolean ready;
    boolean queued;
    final ArrayList<LockTable.Key> held = new ArrayList<>();
    boolean shardLock;

    /** Locks to take instead of the request's keys (EXEC's: every key of its commands). */
    ArrayList<LockTable.Key> lockKeys;
    /** Or locks by key hash (a squashed pipeline's, see {@link LockTable#lockHashed}): the first {@link #lockHashCount}. */
    long[] lockHashes;
    int lockHashCount;
    /** Whether this part holds the {@link #lockHashes} on its shard. */
    boolean hashedHeld;
    int[] keyArgs = new int[8];
    int keyCount;
    /** Output of a hop on the shard, in the client's protocol. */
    public final ByteOutput out = new ByteOutput(256);
    /** End offset in {@link #out} of each key's piece (for replies assembled in argument order). */
    public int[] marks = new int[8];
    public long result;
    public long result2;
    public Object payload;

    TxPart(Tx tx, int shard) {
        this.tx = tx;
        this.shard = shard;
    }

    public Tx tx() {
        return tx;
    }

    public int shard() {
        return shard;
    }

    public int keyCount() {
        return keyCount;
    }

    /** Argument index of this part's k-th key. */
    public int keyArg(int k) {
        return keyArgs[k];
    }

    public void mark(int k) {
        if (k >= marks.length) {
            marks = Arrays.copyOf(marks, Math.max(k + 1, marks.length * 2));
        }
        marks[k] = out.size();
    }

    /** Stores a number at position k of {@link #marks}, for a hop's own bookkeeping. */
    public void record(int k, int value) {
        if (k >= marks.length) {
            marks = Arrays.copyOf(marks, Math.max(k + 1, marks.length * 2));
        }
        marks[k] = value;
    }

    void addKey(int arg) {
        if (keyCount == keyArgs.length) {
            keyArgs = Arrays.copyOf(keyArgs, keyCount * 2);
        }
        keyArgs[keyCount++] = arg;
    }

    void reset() {
        keyCount = 0;
        lockKeys = null;
        lockHashes = null;
        lockHashCount = 0;
        out.clear();
        result = 0;
        result2 = 0;
        payload = null;
        ready = false;
        queued = false;
        last = false;
        hop = 0;
    }

    @Override
    public void deliver(Worker worker) {
        if (state < SCHEDULED) {
            worker.txOnShard(this);
        } else {
            worker.txOnCoordinator(this);
        }
    }
}
