package io.damselfly.repl;

import io.damselfly.engine.journal.JournalSink;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.function.LongConsumer;

/**
 * The replication stream of this node in Redis's form, and its backlog: the bytes whose count is
 * {@code master_repl_offset}.
 *
 * <p>On a master the shards' journals are merged into it. A record outside any multi-shard
 * operation goes in as it comes (records of different shards that share no key commute). The
 * records of a multi-shard operation are held until its coordinator says it finished on every
 * shard. While it holds its locks on a shard, that shard's other records touch other keys and go
 * in before it; once its part there ended (the shard journals the release), the shard's later
 * records wait behind it. When it finishes
 * the operation goes in once, as Redis 7.0 propagates it: the parts of a cross-shard {@code MSET},
 * {@code DEL} or {@code UNLINK} joined into one command, a {@code FLUSHALL} every shard journaled
 * written once, anything longer wrapped in {@code MULTI}/{@code EXEC}. No two operations wait on
 * each other: a part ends only after the operation's last step on every shard, so an operation
 * whose record queues behind another's end on one shard cannot have ended before that one's
 * steps elsewhere. A snapshot's cut enters as an operation whose part is a barrier on every shard:
 * the point where it completes is the offset the RDB stands for.
 *
 * <p>On a replica the shards' records are dropped: the stream is the master's, appended as the
 * replica applies it, so a chained replica sees the same bytes at the same offsets.
 *
 * <p>The bytes live in 64 KiB blocks. The backlog keeps the last {@code repl-backlog-size} bytes;
 * a replica still reading older bytes keeps their blocks too, up to its output limit, past which
 * it is dropped. Everything here is guarded by this object's monitor: shard threads append, and
 * each feed's event loop reads without waiting, told of new bytes by its {@link Feed#signal} (the
 * monitor gives the happens-before edge between the append and the read). Threads waiting for
 * acknowledgements (WAIT, FAILOVER) wait on the monitor and are woken by {@code notifyAll}.
 */
public final class ReplicationLog {
    private static final Logger LOG = LoggerFactory.getLogger(ReplicationLog.class);
    public static final String ZERO_ID = "0000000000000000000000000000000000000000";
    static final int BLOCK = 64 * 1024;

    private static final byte[] MULTI = "*1\r\n$5\r\nMULTI\r\n".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] EXEC = "*1\r\n$4\r\nEXEC\r\n".getBytes(StandardCharsets.US_ASCII);
    static final byte[] PING = "*1\r\n$4\r\nPING\r\n".getBytes(StandardCharsets.US_ASCII);
    static final byte[] GETACK = "*3\r\n$8\r\nREPLCONF\r\n$6\r\nGETACK\r\n$1\r\n*\r\n".getBytes(StandardCharsets.US_ASCII);

    /** A piece of the stream: bytes [start, start + used). */
    static final class Block {
        long start;
        final byte[] data = new byte[BLOCK];
        int used;
        Block next;

        Block(long start) {
            this.start = start;
        }
    }

    /** Blocks the backlog let go of, reused so that the stream allocates nothing once warm. */
    private final ArrayDeque<Block> spare = new ArrayDeque<>();
    private static final int SPARE_BLOCKS = 32;

    private Block newBlock(long start) {
        Block b = spare.poll();
        if (b == null) {
            return new Block(start);
        }
        b.start = start;
        b.used = 0;
        b.next = null;
        return b;
    }

    private static final int RECORD = 0;
    private static final int END = 1;
    private static final int BARRIER = 2;
    /** A record of a loose operation (a squashed pipeline): kept in order, written unwrapped. */
    private static final int LOOSE = 3;

    /**
     * An item of a shard's journal held in the merge: a record (a part of an unfinished
     * operation, or any record queued behind one), the end of an operation's part (the shard
     * released its locks), or a snapshot's cut.
     */
    private record Held(int kind, int db, long txid, int hop, int shard, byte[] resp) implements RespArgs.Part {
    }

    /** A multi-shard operation whose records are being collected. */
    private static final class Pending {
        final long id;
        final List<Held> records = new ArrayList<>();
        /** Shards that journaled records of it (or its cut), and those where its part ended. */
        final java.util.BitSet lanes = new java.util.BitSet();
        final java.util.BitSet closedOn = new java.util.BitSet();
        /** Items of it still queued behind another operation on some shard. */
        int queued;
        boolean done;
        /** Its records came loose: they go in in order but unwrapped (see {@link #emitOperation}). */
        boolean loose;
        LongConsumer onCut;

        Pending(long id) {
            this.id = id;
        }
    }

    /**
     * A shard's place in the merge. While an operation holds its locks on the shard, the shard's
     * other records touch other keys and pass it. Once its part ended there, later records may
     * touch its keys: they queue until it is written.
     */
    private static final class Lane {
        final List<Pending> closed = new ArrayList<>(2);
        final ArrayDeque<Held> queue = new ArrayDeque<>();

        boolean waits() {
            return !closed.isEmpty() || !queue.isEmpty();
        }
    }

    private final Lane[] lanes;
    private final HashMap<Long, Pending> pending = new HashMap<>();
    private final ArrayDeque<Integer> ready = new ArrayDeque<>();
    private final List<Feed> feeds = new ArrayList<>();

    private String replid = newId();
    private String replid2 = ZERO_ID;
    private long secondOffset = -1;
    private long offset;
    /**
     * {@link #offset}, published for readers outside the monitor (a pumped feed's loop asking
     * whether there is something to write): a release store after each append, an acquire load
     * there. A hint only: what is read is read under the monitor.
     */
    private final java.util.concurrent.atomic.AtomicLong published = new java.util.concurrent.atomic.AtomicLong();
    private Block head;
    private Block tail;
    private boolean active;
    private boolean upstream;
    /** !upstream && active, for the shards to read without the monitor. */
    private volatile boolean merging;
    private int streamDb = -1;
    private long backlogSize = 1024 * 1024;
    private long replicaHardLimit = 256L * 1024 * 1024;
    private long lastReplicaMs = System.currentTimeMillis();
    private int waitingReaders;

    public ReplicationLog(int shards) {
        lanes = new Lane[shards];
        for (int i = 0; i < shards; i++) {
            lanes[i] = new Lane();
        }
    }

    static String newId() {
        byte[] id = new byte[20];
        new SecureRandom().nextBytes(id);
        return HexFormat.of().formatHex(id);
    }

    // ------------------------------------------------------------------ identity and offsets

    public synchronized String replid() {
        return replid;
    }

    public synchronized String replid2() {
        return replid2;
    }

    public synchronized long secondOffset() {
        return secondOffset;
    }

    /** master_repl_offset: bytes of the stream so far. */
    public synchronized long offset() {
        return offset;
    }

    public synchronized boolean active() {
        return active;
    }

    /** Operations held back in the merge, and shards waiting behind one: INFO's view of the merge. */
    public synchronized String mergeState() {
        int blocked = 0;
        int queued = 0;
        for (Lane l : lanes) {
            if (l.waits()) {
                blocked++;
            }
            queued += l.queue.size();
        }
        StringBuilder lanesState = new StringBuilder();
        for (Lane l : lanes) {
            lanesState.append(l.closed.isEmpty() ? "-" : l.closed.get(0).id + "/" + l.closed.get(0).done + "/"
                    + l.closed.get(0).queued).append(' ');
        }
        return "damselfly_repl_lanes:" + lanesState.toString().trim() + "\r\n"
                + "damselfly_repl_held_operations:" + pending.size() + "\r\n"
                + "damselfly_repl_waiting_shards:" + blocked + "\r\n"
                + "damselfly_repl_queued_records:" + queued + "\r\n";
    }

    /** The first offset the backlog still serves (0-based: the count of bytes before it). */
    public synchronized long backlogStart() {
        if (head == null) {
            return offset;
        }
        return Math.max(head.start, offset - backlogSize);
    }

    public synchronized void limits(long backlogSize, long replicaHardLimit) {
        this.backlogSize = backlogSize;
        this.replicaHardLimit = replicaHardLimit <= 0 ? Long.MAX_VALUE : replicaHardLimit;
    }

    /**
     * A new history (promotion, or a master's first start): the current id becomes replid2,
     * valid up to the current offset, and a fresh id takes over. PSYNC2's {@code shiftReplicationId}.
     */
    public synchronized void shiftId() {
        replid2 = replid;
        secondOffset = offset + 1;
        replid = newId();
        LOG.info("Setting secondary replication ID to {}, valid up to offset: {}. New replication ID is {}",
                replid2, secondOffset, replid);
    }

    /** The history a dump carried (see RedisReplication.restore). */
    public synchronized void restore(String id, long at, boolean replica) {
        offset = at;
        published.setRelease(at);
        head = tail = null;
        active = true;
        merging = !replica;
        streamDb = -1;
        if (replica) {
            replid = id;
        } else {
            replid2 = id;
            secondOffset = at + 1;
            replid = newId();
        }
    }

    /** A replica takes its master's id and offset (after +FULLRESYNC): the backlog starts over there. */
    public synchronized void adopt(String id, long at) {
        for (Feed f : feeds) {
            f.drop(); // our replicas' positions belong to the old history: they sync again
        }
        feeds.clear();
        notifyAll();
        replid = id;
        replid2 = ZERO_ID;
        secondOffset = -1;
        offset = at;
        published.setRelease(at);
        head = tail = null;
        active = true;
        merging = !upstream;
        streamDb = -1;
    }

    /** After +CONTINUE with a new id: the master was promoted; our history continues under its id. */
    public synchronized void continueAs(String id) {
        if (!id.equals(replid)) {
            replid2 = replid;
            secondOffset = offset + 1;
            replid = id;
        }
    }

    /** The shards' records are dropped (a replica) or merged (a master). */
    public synchronized void upstream(boolean on) {
        upstream = on;
        merging = active && !upstream;
        if (!on) {
            streamDb = -1;
        }
    }

    public synchronized boolean upstream() {
        return upstream;
    }

    /**
     * Whether a PSYNC for {@code id} wanting the byte at 1-based offset {@code want} can continue
     * from the backlog: returns the 0-based position, or -1.
     */
    public synchronized long continuable(String id, long want) {
        if (!active || want <= 0) {
            return -1;
        }
        boolean ours = id.equals(replid);
        boolean previous = id.equals(replid2) && want <= secondOffset;
        if (!ours && !previous) {
            return -1;
        }
        long pos = want - 1;
        if (pos < backlogStart() || pos > offset) {
            return -1;
        }
        return pos;
    }

    // ------------------------------------------------------------------ the merge (shard threads)

    /** The journal sink of shard {@code shard}. */
    public JournalSink sink(int shard) {
        return new JournalSink() {
            @Override
            public void append(long lsn, int db, long txid, int parts, int hop, byte[] resp, int off, int len) {
                record(shard, db, txid, hop, resp, off, len, RECORD);
            }

            @Override
            public void appendLoose(long lsn, int db, long txid, int parts, int hop, byte[] resp, int off, int len) {
                record(shard, db, txid, hop, resp, off, len, LOOSE);
            }

            @Override
            public void endPart(long txid, int parts) {
                ReplicationLog.this.endPart(shard, txid);
            }

            @Override
            public boolean wanted() {
                return merging; // volatile: a replica's shards build no records
            }
        };
    }

    private synchronized void record(int shard, int db, long txid, int hop, byte[] resp, int off, int len, int kind) {
        if (upstream || !active) {
            return;
        }
        Lane lane = lanes[shard];
        if (lane.waits()) {
            hold(lane, new Held(kind, db, txid, hop, shard, Arrays.copyOfRange(resp, off, off + len)));
            return;
        }
        if (txid == 0) {
            emit(db, resp, off, len);
            wake();
            return;
        }
        take(new Held(kind, db, txid, hop, shard, Arrays.copyOfRange(resp, off, off + len)));
        settle();
    }

    /** Shard {@code shard} released operation {@code txid}'s locks: its later records may touch the same keys. */
    private synchronized void endPart(int shard, long txid) {
        if (upstream || !active) {
            return;
        }
        Lane lane = lanes[shard];
        if (lane.waits()) {
            hold(lane, new Held(END, -1, txid, 0, shard, null));
            return;
        }
        take(new Held(END, -1, txid, 0, shard, null));
        settle();
    }

    /**
     * A snapshot's cut on shard {@code shard} (its thread, in the cut's step, which holds the whole
     * shard): a record-less part of the cut's operation, so the shard's records after the cut
     * wait until every shard made its cut; {@code onCut} then hears the offset the snapshot
     * stands for. Starts the stream on its first call.
     */
    public synchronized void cut(int shard, long txid, LongConsumer onCut) {
        if (upstream) {
            return;
        }
        if (!active) {
            active = true;
            merging = true;
            streamDb = -1;
        }
        Pending p = pending(txid);
        if (onCut != null) {
            p.onCut = onCut;
        }
        Lane lane = lanes[shard];
        Held barrier = new Held(BARRIER, -1, txid, 0, shard, null);
        if (lane.waits()) {
            hold(lane, barrier);
            return;
        }
        take(barrier);
        settle();
    }

    /** The coordinator says operation {@code txid} finished on every shard. */
    public synchronized void transactionDone(long txid) {
        if (pending.isEmpty()) {
            return; // nothing merges (no boxed id per operation)
        }
        Pending p = pending.get(txid);
        if (p == null) {
            return;
        }
        p.done = true;
        complete(p);
        settle();
    }

    private Pending pending(long txid) {
        return pending.computeIfAbsent(txid, Pending::new);
    }

    /** Queues an item behind the operations its shard waits on. */
    private void hold(Lane lane, Held h) {
        if (h.txid != 0) {
            pending(h.txid).queued++;
        }
        lane.queue.add(h);
    }

    /** Takes an item its shard no longer waits to pass. */
    private void take(Held h) {
        if (h.kind != END && h.kind != BARRIER && h.txid == 0) {
            emit(h.db, h.resp, 0, h.resp.length);
            return;
        }
        Pending p = h.kind == END ? pending.get(h.txid) : pending(h.txid);
        if (p == null) {
            return; // an operation without records here: nothing to order behind it
        }
        switch (h.kind) {
            case RECORD, LOOSE -> {
                p.records.add(h);
                p.lanes.set(h.shard);
                p.loose |= h.kind == LOOSE;
            }
            case BARRIER -> p.lanes.set(h.shard);
            default -> {
                if (p.lanes.get(h.shard) && !p.closedOn.get(h.shard)) {
                    p.closedOn.set(h.shard);
                    lanes[h.shard].closed.add(p);
                }
            }
        }
        complete(p);
    }

    private void complete(Pending p) {
        if (!p.done || p.queued > 0) {
            return;
        }
        pending.remove(p.id);
        emitOperation(p.records, p.loose);
        if (p.onCut != null) {
            streamDb = -1; // a replica starting here gets a SELECT first
            p.onCut.accept(offset);
        }
        for (int s = p.closedOn.nextSetBit(0); s >= 0; s = p.closedOn.nextSetBit(s + 1)) {
            lanes[s].closed.remove(p);
            ready.add(s);
        }
        wake();
    }

    /** Lets the shards an operation released go on with their queued items. */
    private void settle() {
        while (!ready.isEmpty()) {
            Lane lane = lanes[ready.poll()];
            while (lane.closed.isEmpty() && !lane.queue.isEmpty()) {
                Held h = lane.queue.poll();
                if (h.txid != 0) {
                    pending(h.txid).queued--;
                }
                take(h);
                if (h.txid != 0) {
                    Pending p = pending.get(h.txid);
                    if (p != null) {
                        complete(p);
                    }
                }
            }
        }
    }

    // ------------------------------------------------------------------ writing the stream

    /**
     * An operation's records as Redis 7.0 propagates it (see the class comment). A loose one's
     * records (a squashed pipeline: commands of one client, each on one shard) go in in the
     * client's order and unwrapped, as Redis writes a pipeline: they need their order here, not
     * atomicity, and a replica applies them as plain commands.
     */
    private void emitOperation(List<Held> records, boolean loose) {
        if (records.isEmpty()) {
            return;
        }
        List<Held> ops = records; // the operation's own list, not used after this
        ops.sort((a, b) -> Integer.compare(a.hop, b.hop)); // stable: a shard's records keep their order
        if (loose) {
            for (Held h : ops) {
                emit(h.db, h.resp, 0, h.resp.length);
            }
            return;
        }
        ops = RespArgs.dropRepeatedDatabaseWide(ops);
        if (ops.size() > 1) {
            byte[] joined = joined(ops);
            if (joined != null) {
                emit(ops.get(0).db, joined, 0, joined.length);
                return;
            }
            emit(ops.get(0).db, MULTI, 0, MULTI.length);
        }
        for (Held h : ops) {
            emit(h.db, h.resp, 0, h.resp.length);
        }
        if (ops.size() > 1) {
            append(EXEC, 0, EXEC.length);
        }
    }

    /** The parts of one cross-shard MSET, DEL or UNLINK (one per shard, one hop, one db) as one command. */
    private static byte[] joined(List<Held> ops) {
        Held first = ops.get(0);
        String name = RespArgs.name(first.resp);
        String lower = name.toLowerCase(java.util.Locale.ROOT);
        if (!lower.equals("mset") && !lower.equals("del") && !lower.equals("unlink")) {
            return null;
        }
        int argc = 1;
        List<Integer> shards = new ArrayList<>();
        for (Held h : ops) {
            if (h.hop != first.hop || h.db != first.db || shards.contains(h.shard)
                    || !RespArgs.name(h.resp).equals(name)) {
                return null;
            }
            shards.add(h.shard);
            argc += RespArgs.argc(h.resp) - 1;
        }
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        byte[] headBytes = ("*" + argc + "\r\n").getBytes(StandardCharsets.US_ASCII);
        out.write(headBytes, 0, headBytes.length);
        int nameEnd = RespArgs.afterFirst(first.resp);
        int nameStart = RespArgs.afterHeader(first.resp);
        out.write(first.resp, nameStart, nameEnd - nameStart);
        for (Held h : ops) {
            int from = RespArgs.afterFirst(h.resp);
            out.write(h.resp, from, h.resp.length - from);
        }
        return out.toByteArray();
    }

    private void emit(int db, byte[] resp, int off, int len) {
        if (db >= 0 && db != streamDb) {
            byte[] select = select(db);
            append(select, 0, select.length);
            streamDb = db;
        }
        append(resp, off, len);
    }

    static byte[] select(int db) {
        String n = Integer.toString(db);
        return ("*2\r\n$6\r\nSELECT\r\n$" + n.length() + "\r\n" + n + "\r\n").getBytes(StandardCharsets.US_ASCII);
    }

    private void append(byte[] b, int off, int len) {
        while (len > 0) {
            if (tail == null || tail.used == BLOCK) {
                Block nb = newBlock(offset);
                if (tail == null) {
                    head = tail = nb;
                } else {
                    tail.next = nb;
                    tail = nb;
                }
                trim();
            }
            int n = Math.min(len, BLOCK - tail.used);
            System.arraycopy(b, off, tail.data, tail.used, n);
            tail.used += n;
            offset += n;
            off += n;
            len -= n;
        }
        published.setRelease(offset);
    }

    /** The stream's end as last published (see {@link #published}); any thread, without the monitor. */
    long publishedOffset() {
        return published.getAcquire();
    }

    /** Drops blocks neither the backlog nor a feed needs; drops feeds past their output limit. */
    private void trim() {
        long keep = offset - backlogSize;
        for (int i = feeds.size() - 1; i >= 0; i--) {
            Feed f = feeds.get(i);
            long behind = offset - f.position;
            if (behind > replicaHardLimit) {
                LOG.warn("Client {} scheduled to be closed ASAP for overcoming of output buffer limits.", f.describe());
                feeds.remove(i);
                f.drop();
                notifyAll();
                continue;
            }
            keep = Math.min(keep, f.position);
        }
        while (head != null && head != tail && head.start + head.used <= keep) {
            Block gone = head;
            head = head.next;
            if (spare.size() < SPARE_BLOCKS) {
                forgetCursors(gone);
                spare.add(gone);
            }
        }
    }

    /** Feeds whose cursor still names a block being recycled find their block from the head again. */
    private void forgetCursors(Block b) {
        for (Feed f : feeds) {
            if (f.block == b) {
                f.block = null;
            }
        }
    }

    /** Appends bytes that are not journal records: a master's periodic PING and GETACK, or, on a
     * replica, the master's stream as it is applied. */
    public synchronized void appendRaw(byte[] b, int off, int len) {
        if (!active) {
            return;
        }
        append(b, off, len);
        wake();
    }

    /** A master's own command for its replicas (PING, REPLCONF GETACK): only while the stream runs. */
    public synchronized void appendControl(byte[] b) {
        if (!active || upstream) {
            return;
        }
        append(b, 0, b.length);
        wake();
    }

    private void wake() {
        if (waitingReaders > 0) {
            notifyAll();
        }
        for (int i = 0; i < feeds.size(); i++) {
            Runnable signal = feeds.get(i).signal;
            if (signal != null) {
                signal.run();
            }
        }
    }

    // ------------------------------------------------------------------ feeds

    /** Starts feeding a replica from 0-based position {@code from}: pins the bytes from there. */
    public synchronized void attach(Feed f, long from) {
        active = true;
        merging = !upstream;
        f.position = from;
        feeds.add(f);
        lastReplicaMs = System.currentTimeMillis();
    }

    public synchronized void detach(Feed f) {
        if (feeds.remove(f)) {
            lastReplicaMs = System.currentTimeMillis();
            trimNow();
        }
    }

    private void trimNow() {
        if (tail != null) {
            trim();
        }
    }

    public synchronized List<Feed> feeds() {
        return new ArrayList<>(feeds);
    }

    public synchronized long lastReplicaMs() {
        return feeds.isEmpty() ? lastReplicaMs : System.currentTimeMillis();
    }

    /** Frees the backlog after repl-backlog-ttl without replicas (Redis keeps it on replicas). */
    public synchronized void release() {
        if (feeds.isEmpty() && !upstream) {
            head = tail = null;
            active = false;
            merging = false;
            for (Lane l : lanes) {
                l.queue.clear();
                l.closed.clear();
            }
            pending.clear();
            LOG.info("Replication backlog freed after {} seconds without replicas.",
                    (System.currentTimeMillis() - lastReplicaMs) / 1000);
        }
    }

    /**
     * Copies stream bytes from the feed's position into {@code dst} from {@code at}, without
     * waiting; returns the count (0 if none), or -1 once the feed is dropped. Advances the feed;
     * copies across blocks until {@code dst} is full.
     */
    synchronized int read(Feed f, byte[] dst, int at) {
        if (f.dropped) {
            return -1;
        }
        int copied = 0;
        while (at + copied < dst.length && f.position < offset) {
            Block b = f.block;
            if (b == null || f.position < b.start || f.position >= b.start + BLOCK) {
                b = head;
                while (b != null && f.position >= b.start + BLOCK) {
                    b = b.next;
                }
                if (b == null || f.position < b.start) {
                    return -1; // trimmed away: cannot happen while the feed pins it
                }
            }
            int from = (int) (f.position - b.start);
            int n = Math.min(dst.length - at - copied, b.used - from);
            System.arraycopy(b.data, from, dst, at + copied, n);
            copied += n;
            f.position += n;
            f.block = f.position == b.start + BLOCK ? b.next : b;
        }
        return copied;
    }

    /** A replica acknowledged an offset: WAIT may be satisfied. */
    public synchronized void acked() {
        notifyAll();
    }

    public synchronized void wakeAll() {
        notifyAll();
    }

    /** Waits up to {@code ms} for an acknowledgement (or any other wake-up). */
    public synchronized void awaitAck(long ms) {
        waitingReaders++;
        try {
            wait(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            waitingReaders--;
        }
    }

    /** Replicas online that acknowledged within {@code maxLagMs} (min-replicas-max-lag). */
    public synchronized int goodReplicas(long maxLagMs) {
        long now = System.currentTimeMillis();
        int n = 0;
        for (Feed f : feeds) {
            if (f.online && now - f.ackMs <= maxLagMs) {
                n++;
            }
        }
        return n;
    }

    /** How many feeds acknowledged at least {@code target}. */
    public synchronized int acknowledged(long target) {
        int n = 0;
        for (Feed f : feeds) {
            if (f.online && f.ack >= target) {
                n++;
            }
        }
        return n;
    }

    /** A replica reading the stream: its position, acknowledgement and how to drop it. */
    public abstract static class Feed {
        long position;
        Block block;
        volatile boolean dropped;
        volatile boolean online;
        volatile long ack;
        volatile long ackMs = System.currentTimeMillis();
        /**
         * Run under the monitor after bytes were appended, for a feed written by an event loop
         * rather than a waiting reader (set once it joined the loop).
         */
        volatile Runnable signal;

        public long position() {
            return position;
        }

        public abstract String describe();

        /** Closes the replica's connection (its threads end). */
        protected abstract void close();

        void drop() {
            dropped = true;
            close();
        }
    }
}
