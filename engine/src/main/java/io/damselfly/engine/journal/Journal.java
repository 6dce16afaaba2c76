package io.damselfly.engine.journal;

import io.damselfly.engine.resp.ByteOutput;

import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;

/**
 * A shard's journal: the replicated form of every write the shard applies, in the order it
 * applied them, each with the shard's log sequence number (LSN) and, for a part of a
 * multi-shard operation, its transaction id and part count.
 *
 * <p>A record is the command as Redis 7.0 would propagate it, RESP-encoded. Nothing is built
 * while no {@link JournalSink} is attached, so writes pay for the journal only when someone
 * consumes it. Owned by the shard thread.
 *
 * <pre>
 * record handed to the sink
 * +-----------+--------+-----------+-----------+---------------------------------------+
 * | lsn (i64) | db     | txid (i64)| parts, hop| *argc\r\n $len\r\n arg\r\n ...         |
 * +-----------+--------+-----------+-----------+---------------------------------------+
 * txid 0, parts 1 and hop 0 for a write outside any multi-shard operation
 * </pre>
 */
public final class Journal {
    private JournalSink sink;
    private long lsn;
    private long txid;
    private int parts = 1;
    private int hop;
    private final ByteOutput record = new ByteOutput(256);
    private int db;
    private int declaredArgs;
    private int writtenArgs;

    public boolean enabled() {
        return sink != null && sink.wanted();
    }

    public void attach(JournalSink sink) {
        this.sink = sink;
    }

    public JournalSink sink() {
        return sink;
    }

    public long lsn() {
        return lsn;
    }

    /**
     * Marks the records that follow as parts of a multi-shard operation (0 ends it), written in
     * its hop {@code hop}: records of one operation on different shards commute within a hop and
     * keep the hops' order across them.
     */
    public void transaction(long txid, int parts, int hop) {
        this.txid = txid;
        this.parts = txid == 0 ? 1 : parts;
        this.hop = txid == 0 ? 0 : hop;
        this.loose = false;
    }

    /** {@link #transaction} of an operation whose records go through {@link JournalSink#appendLoose}. */
    public void looseTransaction(long txid, int parts, int hop) {
        transaction(txid, parts, hop);
        this.loose = txid != 0;
    }

    private boolean loose;

    public long txid() {
        return txid;
    }

    /** Starts a record of {@code argc} arguments in database {@code db}; follow with args and {@link #end}. */
    public Journal begin(int db, int argc) {
        this.db = db;
        this.declaredArgs = argc;
        this.writtenArgs = 0;
        record.clear();
        record.write((byte) '*');
        record.writeLong(argc);
        record.crlf();
        return this;
    }

    public Journal arg(byte[] b, int off, int len) {
        record.write((byte) '$');
        record.writeLong(len);
        record.crlf();
        record.write(b, off, len);
        record.crlf();
        writtenArgs++;
        return this;
    }

    public Journal arg(byte[] b) {
        return arg(b, 0, b.length);
    }

    public Journal arg(String s) {
        return arg(s.getBytes(StandardCharsets.UTF_8));
    }

    public Journal arg(long v) {
        byte[] digits = io.damselfly.engine.resp.Numbers.toBytes(v);
        return arg(digits);
    }

    public Journal arg(MemorySegment s, long off, int len) {
        record.write((byte) '$');
        record.writeLong(len);
        record.crlf();
        record.write(s, off, len);
        record.crlf();
        writtenArgs++;
        return this;
    }

    /** The shard released multi-shard operation {@code txid}'s locks (see {@link JournalSink#endPart}). */
    public void endPart(long txid, int parts) {
        endPart(txid, parts, false);
    }

    /** The same for an operation journaled with {@link #looseTransaction} when {@code loose}. */
    public void endPart(long txid, int parts, boolean loose) {
        if (sink != null && sink.wanted()) {
            if (loose) {
                sink.endLoosePart(txid, parts);
            } else {
                sink.endPart(txid, parts);
            }
        }
    }

    public void end() {
        if (writtenArgs != declaredArgs) {
            throw new IllegalStateException("journal record declared " + declaredArgs + " args, got " + writtenArgs);
        }
        lsn++;
        if (loose) {
            sink.appendLoose(lsn, db, txid, parts, hop, record.array(), 0, record.size());
        } else {
            sink.append(lsn, db, txid, parts, hop, record.array(), 0, record.size());
        }
    }
}
