package io.damselfly.engine.journal;

/** Consumes a shard's journal records, on the shard thread, in LSN order. */
public interface JournalSink {
    /**
     * @param lsn   the shard's log sequence number of this record (1, 2, 3 ...)
     * @param db    database index the command applies to
     * @param txid  transaction id of a multi-shard operation, or 0
     * @param parts how many shards hold a part of that operation (1 when txid is 0)
     * @param hop   the operation's hop that wrote it (0 when txid is 0)
     * @param resp  the command, RESP-encoded, in {@code resp[off, off+len)}; valid only during the call
     */
    void append(long lsn, int db, long txid, int parts, int hop, byte[] resp, int off, int len);

    /**
     * The shard released the locks of multi-shard operation {@code txid}: its records of the
     * operation are all given, and its later records may touch the operation's keys. Every shard
     * of an operation that ran ({@code parts} of them) ends its part exactly once, records or not.
     */
    default void endPart(long txid, int parts) {
    }

    /**
     * A record of an operation whose parts need to stay together only where the shards' records
     * are merged into one stream (a squashed pipeline: its writes must not appear out of the
     * client's order there). A sink that keeps one shard's records apart (a native flow's log,
     * whose replica orders nothing across flows outside transactions) may take it as a plain
     * record. By default, a part of the operation like any other.
     */
    default void appendLoose(long lsn, int db, long txid, int parts, int hop, byte[] resp, int off, int len) {
        append(lsn, db, txid, parts, hop, resp, off, len);
    }

    /** {@link #endPart} of an operation whose records came through {@link #appendLoose}. */
    default void endLoosePart(long txid, int parts) {
        endPart(txid, parts);
    }

    /**
     * Whether records are wanted now; read on the shard thread before a record is built (a
     * replica's sink wants none while it follows a master). Must be cheap: a volatile read.
     */
    default boolean wanted() {
        return true;
    }
}
