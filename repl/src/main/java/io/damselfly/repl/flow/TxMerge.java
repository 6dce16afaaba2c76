package io.damselfly.repl.flow;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.HashMap;
import java.util.List;

/**
 * The replica's side of atomic multi-shard operations: each master shard's flow is a lane; the
 * records of an operation (MSET across shards, MULTI/EXEC, FLUSHALL ...) are held until every
 * shard that took part ended its part, then applied at once as one transaction on the replica,
 * so no reader sees half of it. The rule is the master's merge (ReplicationLog): while an
 * operation is open on a lane, the lane's other records touch other keys and apply as they
 * come; once the lane's part ended, its later items wait until the operation is applied. An
 * end counts as soon as it is read, even while queued behind another operation's end: two
 * operations that ended in different orders on two shards never wait on each other.
 * Guarded by this object's monitor.
 */
final class TxMerge {
    /** One frame of a lane, held or queued. */
    static final class Item implements io.damselfly.repl.RespArgs.Part {
        final byte kind;
        final long lsn;
        final long txid;
        final int db;
        final int parts;
        final int hop;
        final byte[] payload;
        final int lane;
        boolean counted;

        Item(byte kind, long lsn, long txid, int db, int parts, int hop, byte[] payload, int lane) {
            this.kind = kind;
            this.lsn = lsn;
            this.txid = txid;
            this.db = db;
            this.parts = parts;
            this.hop = hop;
            this.payload = payload;
            this.lane = lane;
        }

        @Override
        public int hop() {
            return hop;
        }

        @Override
        public int shard() {
            return lane;
        }

        @Override
        public int db() {
            return db;
        }

        @Override
        public byte[] resp() {
            return payload;
        }
    }

    /** What applies items: plain ones on their lane, and whole operations. */
    interface Apply {
        void plain(Item it) throws Exception;

        void operation(List<Item> records) throws Exception;
    }

    private static final class Pending {
        int parts = -1;
        final BitSet ended = new BitSet();
        final List<Item> records = new ArrayList<>();
        final BitSet lanesWithRecords = new BitSet();
        final BitSet closedOn = new BitSet();
        int queuedRecords;
    }

    private static final class Lane {
        final List<Pending> closed = new ArrayList<>(2);
        final ArrayDeque<Item> queue = new ArrayDeque<>();

        boolean waits() {
            return !closed.isEmpty() || !queue.isEmpty();
        }
    }

    private final Lane[] lanes;
    private final HashMap<Long, Pending> pending = new HashMap<>();
    private final ArrayDeque<Integer> ready = new ArrayDeque<>();
    private final Apply apply;

    TxMerge(int lanes, Apply apply) {
        this.lanes = new Lane[lanes];
        for (int i = 0; i < lanes; i++) {
            this.lanes[i] = new Lane();
        }
        this.apply = apply;
    }

    /**
     * Whether a record outside any operation on {@code lane} applies now, as {@link #offer} would
     * say, without making an item of it: true when the lane holds nothing back.
     */
    synchronized boolean passes(int lane) {
        return !lanes[lane].waits();
    }

    /**
     * An item read on its lane. Returns true when the caller (the lane's thread) applies it now
     * itself (a plain item on a lane that waits for nothing); otherwise the merge took it.
     */
    synchronized boolean offer(Item it) throws Exception {
        Lane l = lanes[it.lane];
        if (it.kind == Frames.END) {
            countEnd(it);
        }
        if (l.waits()) {
            l.queue.add(it);
            if (it.kind == Frames.RECORD && it.txid != 0) {
                pending(it).queuedRecords++;
            } else if (it.kind == Frames.END) {
                Pending p = pending.get(it.txid);
                if (p != null) {
                    complete(it.txid, p); // its last end may be this queued one
                    settle();
                }
            }
            return false;
        }
        if (it.txid == 0 || (it.kind != Frames.RECORD && it.kind != Frames.END)) {
            return true;
        }
        take(it);
        settle();
        return false;
    }

    /** Operations still open or items still queued (a promotion then cannot vouch for its log's tail). */
    synchronized boolean idle() {
        if (!pending.isEmpty()) {
            return false;
        }
        for (Lane l : lanes) {
            if (l.waits()) {
                return false;
            }
        }
        return true;
    }

    private Pending pending(Item it) {
        Pending p = pending.computeIfAbsent(it.txid, k -> new Pending());
        if (p.parts < 0) {
            p.parts = it.parts;
        }
        return p;
    }

    private void countEnd(Item it) {
        if (it.counted) {
            return;
        }
        it.counted = true;
        Pending p = pending(it);
        p.ended.set(it.lane);
    }

    private void take(Item it) throws Exception {
        if (it.kind == Frames.RECORD && it.txid == 0 || it.kind != Frames.RECORD && it.kind != Frames.END) {
            apply.plain(it);
            return;
        }
        Pending p = it.kind == Frames.RECORD ? pending(it) : pending.get(it.txid);
        if (p == null) {
            return; // already applied (an end read after its operation completed)
        }
        if (it.kind == Frames.RECORD) {
            p.records.add(it);
            p.lanesWithRecords.set(it.lane);
        } else if (p.lanesWithRecords.get(it.lane) && !p.closedOn.get(it.lane)) {
            p.closedOn.set(it.lane);
            lanes[it.lane].closed.add(p);
        }
        complete(it.txid, p);
    }

    private void complete(long txid, Pending p) throws Exception {
        if (p.parts < 0 || p.ended.cardinality() < p.parts || p.queuedRecords > 0) {
            return;
        }
        pending.remove(txid);
        List<Item> ops = new ArrayList<>(p.records);
        ops.sort((a, b) -> Integer.compare(a.hop, b.hop)); // stable: a lane's records keep their order
        if (!ops.isEmpty()) {
            apply.operation(ops);
        }
        for (int s = p.closedOn.nextSetBit(0); s >= 0; s = p.closedOn.nextSetBit(s + 1)) {
            lanes[s].closed.remove(p);
            ready.add(s);
        }
    }

    private void settle() throws Exception {
        while (!ready.isEmpty()) {
            Lane l = lanes[ready.poll()];
            while (l.closed.isEmpty() && !l.queue.isEmpty()) {
                Item it = l.queue.poll();
                if (it.kind == Frames.RECORD && it.txid != 0) {
                    Pending p = pending.get(it.txid);
                    if (p != null) {
                        p.queuedRecords--;
                    }
                }
                take(it);
                if (it.txid != 0) {
                    Pending p = pending.get(it.txid);
                    if (p != null) {
                        complete(it.txid, p);
                    }
                }
            }
        }
    }
}
