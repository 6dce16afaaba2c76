package io.damselfly.engine.exec;

import io.damselfly.engine.command.CommandContext;
import io.damselfly.engine.command.CommandSpec;
import io.damselfly.engine.command.MultiShardOp;
import io.damselfly.engine.command.Request;
import io.damselfly.engine.resp.Reply;


/**
 * A pipelined run of single-shard commands that changes shard often, run as one transaction
 * instead of one hop per change (Dragonfly calls this squashing). Its keys are intent-locked on
 * every shard first; then each shard runs its own commands of the run, in their order, all shards
 * at once; the coordinator answers in arrival order.
 *
 * <p>Why this keeps a connection's commands in arrival order as everyone else sees them: the
 * commands of different shards touch different keys, and no other client reads or writes any of
 * them between the moment the last shard granted the locks and the moment each shard let go, so
 * the run is indistinguishable from running it command by command at that moment. The client's
 * own commands on one key stay in order on that key's shard.
 *
 * <p>The writes are journaled loose ({@code JournalSink#appendLoose}): one transaction for the
 * Redis stream's merge, whose replicas then never see a later write of the run before an earlier
 * one, and plain records for the native flows, whose replica orders nothing across flows outside
 * transactions anyway. One per client, reused.
 */
final class PipelineOp implements MultiShardOp {
    /** The commands, which stay in the client's input buffer while it is parked. */
    private RemoteBatch batch;
    private boolean readOnly;
    /** Hashes of the keys to lock, by shard (see {@link LockTable#lockHashed}); reused. */
    private final long[][] hashesByShard;
    private final int[] hashCount;
    /** Where the next reply of each shard starts in its part's output (while replying). */
    private final int[] cursor;
    private int[] keyScratch = new int[16];
    private final Request request = new Request();

    PipelineOp(int shards) {
        this.cursor = new int[shards];
        this.hashesByShard = new long[shards][16];
        this.hashCount = new int[shards];
    }

    /** Takes the run and joins every shard it names to the transaction, with its keys. */
    void plan(Tx tx, RemoteBatch b) {
        this.batch = b;
        this.readOnly = true;
        java.util.Arrays.fill(hashCount, 0);
        Request r = request;
        for (int i = 0; i < b.count; i++) {
            CommandSpec spec = b.specs[i];
            if (!spec.has(CommandSpec.READONLY)) {
                readOnly = false;
            }
            r.set(b.buf, b.off, b.len, b.base[i], b.argc[i]);
            if (keyScratch.length < r.argc()) {
                keyScratch = new int[r.argc()];
            }
            int s = b.shards[i];
            int n = spec.keys(r, keyScratch);
            if (!tx.isParticipant(s)) {
                tx.part(s); // made if it is not there yet; the coordinator cleared the others
                tx.addParticipant(s);
            }
            if (hashCount[s] + n > hashesByShard[s].length) {
                hashesByShard[s] = java.util.Arrays.copyOf(hashesByShard[s], Math.max(hashCount[s] + n, hashesByShard[s].length * 2));
            }
            for (int k = 0; k < n; k++) {
                int a = keyScratch[k];
                hashesByShard[s][hashCount[s]++] = LockTable.lockHash(b.db, b.buf, r.off(a), r.len(a));
            }
        }
        for (int i = 0; i < tx.participantCount(); i++) {
            TxPart p = tx.participant(i);
            p.lockHashes = hashesByShard[p.shard];
            p.lockHashCount = hashCount[p.shard];
        }
    }

    @Override
    public boolean writes(Tx tx) {
        return !readOnly;
    }

    @Override
    public boolean journalsLoose() {
        return true;
    }

    int count() {
        return batch.count;
    }

    @Override
    public boolean acts(Tx tx, int hop, int shard) {
        return true;
    }

    @Override
    public void step(CommandContext ctx, TxPart part, int hop) {
        RemoteBatch b = batch;
        int k = 0;
        for (int i = 0; i < b.count; i++) {
            if (b.shards[i] == part.shard) {
                ctx.worker.runPiped(b, i, part.out);
                part.mark(k++);
            }
        }
    }

    @Override
    public void reply(Tx tx, Reply reply) {
        RemoteBatch b = batch;
        java.util.Arrays.fill(cursor, 0);
        for (int i = 0; i < b.count; i++) {
            int s = b.shards[i];
            TxPart p = tx.partsByShard[s];
            int k = cursor[s]++;
            int from = k == 0 ? 0 : p.marks[k - 1];
            reply.output().write(p.out.array(), from, p.marks[k] - from);
        }
    }

    /** The client got its answers: the batch is free for its next run. */
    void done() {
        batch.clear();
        batch = null;
    }
}
