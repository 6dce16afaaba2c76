package io.damselfly.repl.flow;

import io.damselfly.engine.journal.JournalSink;

/**
 * A shard's journal going to both replication forms: the Redis stream's merge and the shard's
 * native log. Each takes records only while it wants them; a shard builds none when neither does.
 */
public final class TeeSink implements JournalSink {
    private final JournalSink redis;
    private final JournalSink flow;

    public TeeSink(JournalSink redis, JournalSink flow) {
        this.redis = redis;
        this.flow = flow;
    }

    @Override
    public void append(long lsn, int db, long txid, int parts, int hop, byte[] resp, int off, int len) {
        if (redis.wanted()) {
            redis.append(lsn, db, txid, parts, hop, resp, off, len);
        }
        if (flow.wanted()) {
            flow.append(lsn, db, txid, parts, hop, resp, off, len);
        }
    }

    /** The Redis stream's merge keeps the operation's order; the native log takes a plain record. */
    @Override
    public void appendLoose(long lsn, int db, long txid, int parts, int hop, byte[] resp, int off, int len) {
        if (redis.wanted()) {
            redis.appendLoose(lsn, db, txid, parts, hop, resp, off, len);
        }
        if (flow.wanted()) {
            flow.append(lsn, db, 0, 1, 0, resp, off, len);
        }
    }

    @Override
    public void endLoosePart(long txid, int parts) {
        if (redis.wanted()) {
            redis.endLoosePart(txid, parts);
        }
    }

    @Override
    public void endPart(long txid, int parts) {
        if (redis.wanted()) {
            redis.endPart(txid, parts);
        }
        if (flow.wanted()) {
            flow.endPart(txid, parts);
        }
    }

    @Override
    public boolean wanted() {
        return redis.wanted() || flow.wanted();
    }
}
