package io.damselfly.repl.flow;

import java.io.IOException;
import java.io.OutputStream;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.locks.LockSupport;

/**
 * One shard's journal as native replication sends it, and its backlog: the frames of
 * {@link Frames}, in LSN order, in 64 KiB blocks. One writer, the shard's thread (or, on a
 * replica that mirrors its master, the flow's reader); any number of {@link Cursor}s. A flow in
 * full sync reads its cursor on its own virtual thread, between the walk's chunks; in stable
 * sync the shard's proactor, which is the writer, pumps it into the socket ({@link #write}), so
 * no reader is ever parked and woken per record.
 *
 * <p>Memory ordering: the writer fills bytes with plain stores, then publishes the new end with
 * a release store ({@link #END_POS}, after {@link #END_LSN}); a reader acquires the end first and
 * reads only bytes below it, so it sees whole frames. Blocks are linked before the end moves
 * into them. Trimming, attaching and detaching cursors take this object's monitor (once per
 * block, never per frame); a block is trimmed only when every cursor's published position is
 * past its end, so no reader is ever on a block that is reused.
 *
 * <p>Bounds: the backlog keeps at least {@code shard-backlog-size} bytes and drops blocks older
 * than {@code shard-backlog-ttl}. A cursor that falls more than {@code replica-flow-max-lag}
 * behind holds the writer (the shard's writes wait) for at most {@code replica-flow-timeout};
 * then it is dropped and its flow fails. Memory stays bounded whatever the replica does.
 */
public final class FlowLog {
    static final int BLOCK = 64 * 1024;

    private static final VarHandle END_POS;
    private static final VarHandle END_LSN;

    static {
        try {
            MethodHandles.Lookup l = MethodHandles.lookup();
            END_POS = l.findVarHandle(FlowLog.class, "endPos", long.class);
            END_LSN = l.findVarHandle(FlowLog.class, "endLsn", long.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /** Bytes [start, start + used) of the log. {@code next} is written before the end moves past this block. */
    static final class Block {
        long start;
        final byte[] data = new byte[BLOCK];
        /** A view for channel writes: used only by the log's writer thread (its pumps). */
        final java.nio.ByteBuffer view = java.nio.ByteBuffer.wrap(data);
        int used;
        /** LSN of the first frame that starts in the block, and where (-1: none starts here). */
        long firstLsn = -1;
        int firstFrame = -1;
        long lastWriteMs;
        volatile Block next;

        Block(long start) {
            this.start = start;
        }
    }

    /** A reader's place: owned by its flow's thread; {@code pinned} is what trimming reads. */
    public static final class Cursor {
        Block block;
        long pos;
        volatile long pinned;
        volatile boolean dropped;
        /**
         * Set when the cursor is pumped by the log's writer thread itself (a flow in a proactor's
         * loop): the writer runs it while it waits for the cursor, since nothing else would move it.
         */
        volatile Runnable drain;
        final byte[] header = new byte[Frames.HEADER];

        public long position() {
            return pos;
        }

        public boolean dropped() {
            return dropped;
        }
    }

    private final int shard;
    private Block head;
    private Block tail;
    private final ArrayDeque<Block> spare = new ArrayDeque<>();
    private final List<Cursor> cursors = new ArrayList<>();
    /** Writer-owned copies of the published end. */
    private long lsn;
    private long pos;
    @SuppressWarnings("unused") // through END_POS
    private volatile long endPos;
    @SuppressWarnings("unused") // through END_LSN
    private volatile long endLsn;
    private final byte[] header = new byte[Frames.HEADER];
    /** Where the log (re)started and the LSN before its first frame; under the monitor. */
    private long baseLsn;
    private long baseStart;

    /** Bytes kept for partial resyncs when no {@link #backlogSetting} is attached (a log on its own). */
    volatile long backlogSize = 1024 * 1024;
    /** shard-backlog-size itself when set: read at each trim, so CONFIG SET counts for the next block written. */
    volatile io.damselfly.engine.config.Setting backlogSetting;
    volatile long ttlMs = 3_600_000L;
    volatile long maxLag = 64L * 1024 * 1024;
    volatile long timeoutMs = 10_000;

    public FlowLog(int shard) {
        this.shard = shard;
        this.head = new Block(0);
        this.tail = head;
    }

    public int shard() {
        return shard;
    }

    /** The LSN of the last frame (writer's thread). */
    public long lastLsn() {
        return lsn;
    }

    /** The published LSN of the last frame: any thread. */
    public long publishedLsn() {
        return (long) END_LSN.getAcquire(this);
    }

    /** The published byte length of the log: any thread. */
    public long publishedEnd() {
        return (long) END_POS.getAcquire(this);
    }

    /** The oldest byte still held, and its LSN (INFO), under the monitor. */
    synchronized long firstPosition() {
        return head.start;
    }

    synchronized long firstLsn() {
        for (Block b = head; b != null; b = b.next) {
            if (b.firstLsn >= 0) {
                return b.firstLsn;
            }
        }
        return lsn + 1;
    }

    /**
     * Appends a frame with the next LSN; on the writer's thread. Returns the LSN.
     */
    public long append(byte kind, long txid, int db, int parts, int hop, byte[] payload, int off, int len) {
        long l = lsn + 1;
        if (len <= Frames.CHUNK) {
            appendFrame(kind, l, txid, db, parts, hop, payload, off, len);
            return l;
        }
        // a big record goes in pieces of CHUNK bytes, all with its LSN, the last of its own kind;
        // published once, whole
        while (len > Frames.CHUNK) {
            writeFrame(Frames.PIECE, l, txid, db, parts, hop, payload, off, Frames.CHUNK);
            off += Frames.CHUNK;
            len -= Frames.CHUNK;
        }
        appendFrame(kind, l, txid, db, parts, hop, payload, off, len);
        return l;
    }

    private void writeFrame(byte kind, long frameLsn, long txid, int db, int parts, int hop, byte[] payload, int off, int len) {
        Frames.header(header, kind, frameLsn, txid, db, parts, hop, len);
        beginFrame(frameLsn);
        write(header, 0, header.length);
        write(payload, off, len);
    }

    /** Appends a frame with a given LSN (a replica mirroring its master's flow); on the writer's thread. */
    void appendFrame(byte kind, long frameLsn, long txid, int db, int parts, int hop, byte[] payload, int off, int len) {
        writeFrame(kind, frameLsn, txid, db, parts, hop, payload, off, len);
        publish(frameLsn);
    }

    /** Appends a whole frame as received (header and payload); on the writer's thread. */
    void appendRaw(byte[] frame, int off, int len) {
        long frameLsn = Frames.lsn(frame, off);
        beginFrame(frameLsn);
        write(frame, off, len);
        publish(frameLsn);
    }

    /** Appends a frame as received, its header and its payload apart (no copy to join them); on the writer's thread. */
    void appendRaw(byte[] header, byte[] payload, int len) {
        long frameLsn = Frames.lsn(header, 0);
        beginFrame(frameLsn);
        write(header, 0, Frames.HEADER);
        write(payload, 0, len);
        publish(frameLsn);
    }

    /** Makes the frame just written visible to readers (release: its bytes before the end). */
    private void publish(long frameLsn) {
        lsn = frameLsn;
        END_LSN.setRelease(this, frameLsn);
        END_POS.setRelease(this, pos);
    }

    /** Starts the log over at {@code lsn} (a replica after a full sync adopts its master's numbering). */
    synchronized void resetTo(long newLsn) {
        for (Cursor c : cursors) {
            c.dropped = true;
        }
        cursors.clear();
        head = new Block(pos);
        tail = head;
        baseLsn = newLsn;
        baseStart = pos;
        lsn = newLsn;
        END_LSN.setRelease(this, newLsn);
        END_POS.setRelease(this, pos);
    }

    /** A frame starts at the end: its block remembers the first frame that starts in it. */
    private void beginFrame(long frameLsn) {
        if (tail.used == BLOCK) {
            roll();
        }
        if (tail.firstFrame < 0) {
            tail.firstFrame = tail.used;
            tail.firstLsn = frameLsn;
        }
    }

    private void roll() {
        Block n = newBlock(pos);
        // a block's age counts from when it was sealed (no clock read per frame); the tail, the
        // only block still written, is never trimmed
        tail.lastWriteMs = System.currentTimeMillis();
        tail.next = n; // volatile: linked (and its age written) before the end moves into it
        tail = n;
        afterNewBlock();
    }

    private void write(byte[] b, int off, int len) {
        while (len > 0) {
            if (tail.used == BLOCK) {
                roll();
            }
            Block t = tail;
            int k = Math.min(len, BLOCK - t.used);
            System.arraycopy(b, off, t.data, t.used, k);
            t.used += k;
            pos += k;
            off += k;
            len -= k;
        }
    }

    private Block newBlock(long start) {
        Block b;
        synchronized (this) {
            b = spare.poll();
        }
        if (b == null) {
            return new Block(start);
        }
        b.start = start;
        b.used = 0;
        b.firstLsn = -1;
        b.firstFrame = -1;
        b.next = null;
        return b;
    }

    /**
     * A block filled: trim what no one needs, and if a cursor lags more than the bound, wait for
     * it (the shard's writes wait with us) up to the timeout, then drop it.
     */
    private void afterNewBlock() {
        trim();
        long slowest = slowestCursor();
        if (slowest < 0 || pos - slowest <= maxLag) {
            return;
        }
        long deadline = System.currentTimeMillis() + timeoutMs;
        while (System.currentTimeMillis() < deadline) {
            if (!drainOwnCursors()) {
                LockSupport.parkNanos(1_000_000L);
            }
            slowest = slowestCursor();
            if (slowest < 0 || pos - slowest <= maxLag) {
                return;
            }
        }
        synchronized (this) {
            for (Cursor c : new ArrayList<>(cursors)) {
                if (pos - c.pinned > maxLag) {
                    org.slf4j.LoggerFactory.getLogger(FlowLog.class).warn(
                            "Dropping a replica flow of shard {}: {} bytes behind for {} ms (replica-flow-max-lag, replica-flow-timeout)",
                            shard, pos - c.pinned, timeoutMs);
                    c.dropped = true;
                    cursors.remove(c);
                }
            }
        }
        trim();
    }

    /** Runs the drains of cursors pumped by this thread; true if one moved. */
    private boolean drainOwnCursors() {
        Runnable[] drains;
        long before = 0;
        synchronized (this) {
            drains = new Runnable[cursors.size()];
            for (int i = 0; i < drains.length; i++) {
                Cursor c = cursors.get(i);
                drains[i] = c.drain;
                before += c.pinned;
            }
        }
        boolean any = false;
        for (Runnable d : drains) {
            if (d != null) {
                d.run();
                any = true;
            }
        }
        if (!any) {
            return false;
        }
        long after = 0;
        synchronized (this) {
            for (Cursor c : cursors) {
                after += c.pinned;
            }
        }
        return after != before;
    }

    private synchronized long slowestCursor() {
        long min = -1;
        for (Cursor c : cursors) {
            if (min < 0 || c.pinned < min) {
                min = c.pinned;
            }
        }
        return min;
    }

    /** Drops blocks beyond the size and age bounds that no cursor needs; any thread. */
    synchronized void trim() {
        long now = System.currentTimeMillis();
        long min = Long.MAX_VALUE;
        for (Cursor c : cursors) {
            min = Math.min(min, c.pinned);
        }
        while (head != tail) {
            Block b = head;
            Block next = b.next; // acquire: the sealed block's age was written before its link
            long end = b.start + b.used;
            io.damselfly.engine.config.Setting setting = backlogSetting;
            boolean overSize = pos - end >= (setting != null ? setting.number() : backlogSize);
            boolean overAge = ttlMs > 0 && now - b.lastWriteMs > ttlMs;
            if (!(overSize || overAge) || end >= min) {
                break;
            }
            head = next;
            if (spare.size() < 8) {
                spare.add(b);
            }
        }
    }

    /**
     * A cursor at the frame of LSN {@code fromLsn} (the next frame to send), or null when the
     * backlog no longer holds it. {@code fromLsn} one past the last frame is the end.
     */
    public synchronized Cursor cursorAt(long fromLsn) {
        // Runs on another thread than the writer. It reads the published end once (acquire:
        // every frame below it is whole) and finds the LSN there by reading the frames, never
        // the writer's own (lsn, pos): while a big record is being written in pieces, that
        // position is in its middle, and a cursor there sends the rest of the record without
        // its start. Two volatile reads (end, then LSN) could also pair an end with a later
        // record's LSN and skip or repeat that record.
        long end = publishedEnd();
        // from the last block whose first frame is older than the one wanted (a big record's
        // pieces share its LSN: a block may start in the middle of one), else the first that
        // starts with it; then the first frame with that LSN is its first piece
        Block start = null;
        Block equal = null;
        for (Block b = head; b != null && b.start < end; b = b.next) {
            if (b.firstLsn >= 0 && b.firstLsn < fromLsn) {
                start = b;
            } else if (b.firstLsn == fromLsn && equal == null) {
                equal = b;
            }
            if (b.firstLsn > fromLsn) {
                break;
            }
        }
        if (start == null && equal != null && head.start != baseStart) {
            // no frame older than the record is held and the log's head was trimmed: the record's
            // first pieces may be gone with it, and a resume in its middle would send its tail
            // as if it were whole; a full sync instead
            return null;
        }
        if (start == null) {
            start = equal;
        }
        if (start == null) {
            // no frame below the end: the log holds nothing since it started at baseLsn
            boolean empty = true;
            for (Block b = head; b != null && b.start < end; b = b.next) {
                empty &= b.firstLsn < 0;
            }
            return empty && head.start == baseStart && fromLsn == baseLsn + 1 ? attach(blockAt(end), end) : null;
        }
        Cursor c = new Cursor();
        c.block = start;
        c.pos = start.start + start.firstFrame;
        long last = -1;
        while (c.pos < end) {
            readHeader(c);
            long l = Frames.lsn(c.header, 0);
            if (l == fromLsn) {
                return attach(c.block, c.pos);
            }
            last = l;
            skip(c, Frames.HEADER + Frames.length(c.header, 0));
        }
        // the end is where the frame after the last published one will start
        return last == fromLsn - 1 ? attach(blockAt(end), end) : null;
    }

    /** The held block a position falls in (the later one at a block boundary); under the monitor. */
    private Block blockAt(long position) {
        Block at = head;
        for (Block b = head; b != null && b.start <= position; b = b.next) {
            at = b;
        }
        return at;
    }

    /** A cursor at the log's end; on the writer's thread (a cut), so nothing is missed. */
    public synchronized Cursor cursorAtEnd() {
        return attach(tail, pos);
    }

    private Cursor attach(Block b, long at) {
        Cursor c = new Cursor();
        c.block = b;
        c.pos = at;
        c.pinned = at;
        cursors.add(c);
        return c;
    }

    public synchronized void detach(Cursor c) {
        cursors.remove(c);
    }

    public synchronized int cursorCount() {
        return cursors.size();
    }

    /**
     * Copies whole frames from the cursor to {@code out}, those with an LSN up to {@code maxLsn}
     * ({@link Long#MAX_VALUE}: all there are). Returns the bytes copied. The flow's thread.
     */
    public long read(Cursor c, long maxLsn, OutputStream out) throws IOException {
        long end = publishedEnd(); // acquire: the bytes below it are written
        long from = c.pos;
        if (maxLsn == Long.MAX_VALUE) {
            copy(c, end - c.pos, out);
        } else {
            while (c.pos < end) {
                readHeader(c);
                if (Frames.lsn(c.header, 0) > maxLsn) {
                    break;
                }
                copy(c, Frames.HEADER + Frames.length(c.header, 0), out);
            }
        }
        c.pinned = c.pos;
        return c.pos - from;
    }

    /**
     * Writes the frames past the cursor into a non-blocking channel, as far as it takes them.
     * Returns true when frames are left because the channel was full. The writer's thread only
     * (the blocks' views are its own): a flow pumped by its shard's proactor.
     */
    public boolean write(Cursor c, java.nio.channels.WritableByteChannel ch) throws IOException {
        long end = publishedEnd();
        try {
            while (c.pos < end) {
                Block b = c.block;
                int at = (int) (c.pos - b.start);
                if (at == BLOCK) {
                    c.block = b.next;
                    continue;
                }
                int k = (int) Math.min(end - c.pos, BLOCK - at);
                java.nio.ByteBuffer v = b.view;
                v.limit(at + k).position(at);
                int n = ch.write(v);
                c.pos += n;
                if (n < k) {
                    return true;
                }
            }
            while (c.pos - c.block.start >= BLOCK && c.block.next != null) {
                c.block = c.block.next;
            }
            return false;
        } finally {
            c.pinned = c.pos;
        }
    }

    /** The header of the frame at the cursor, into {@code c.header}, without moving. */
    private static void readHeader(Cursor c) {
        Block b = c.block;
        long p = c.pos;
        for (int i = 0; i < Frames.HEADER; i++) {
            while (p - b.start >= BLOCK) {
                b = b.next;
            }
            c.header[i] = b.data[(int) (p - b.start)];
            p++;
        }
    }

    private static void skip(Cursor c, long n) {
        c.pos += n;
        while (c.pos - c.block.start >= BLOCK && c.block.next != null) {
            c.block = c.block.next;
        }
    }

    private static void copy(Cursor c, long n, OutputStream out) throws IOException {
        while (n > 0) {
            Block b = c.block;
            int at = (int) (c.pos - b.start);
            if (at == BLOCK) {
                c.block = b.next;
                continue;
            }
            int k = (int) Math.min(n, BLOCK - at);
            out.write(b.data, at, k);
            c.pos += k;
            n -= k;
        }
        while (c.pos - c.block.start >= BLOCK && c.block.next != null) {
            c.block = c.block.next;
        }
    }

    /** Bytes the backlog holds now (INFO). */
    synchronized long heldBytes() {
        return pos - head.start;
    }
}
