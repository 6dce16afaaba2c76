package io.damselfly.engine.command;

import io.damselfly.engine.exec.Tx;
import io.damselfly.engine.exec.TxPart;
import io.damselfly.engine.resp.Reply;

/**
 * How a command runs when it touches several shards: as a transaction of one or more hops.
 * Each hop runs {@link #step} on every participating shard, in parallel, each on its own
 * thread; between hops the coordinator (the client's thread) reads what the parts found and
 * decides. Keys stay intent-locked from scheduling until the last hop, so no client observes
 * half of the operation (DESIGN.md, "Transactions").
 */
public interface MultiShardOp {
    /** No locks and no ordering: each shard's part is atomic on its own (DBSIZE, KEYS, INFO). */
    int LOCK_NONE = 0;
    /** Intent locks on the keys, ordered by transaction id. */
    int LOCK_KEYS = 1;
    /** Exclusive lock on every participating shard as a whole (FLUSHALL, SWAPDB). */
    int LOCK_SHARD = 2;

    int NEXT = 0;
    int DONE = 1;

    default int lockMode() {
        return LOCK_KEYS;
    }

    /** Whether its key locks are exclusive (it writes) rather than shared. */
    default boolean writes(Tx tx) {
        return !tx.spec().has(CommandSpec.READONLY);
    }

    /**
     * Whether its records go to the journal loose ({@code JournalSink#appendLoose}): kept
     * together only where shards' records merge into one stream (a squashed pipeline).
     */
    default boolean journalsLoose() {
        return false;
    }

    /**
     * Checks the arguments before anything is scheduled: returns the error reply, or null.
     * Runs on the coordinator; {@code tx.req} is set.
     */
    default String precheck(Tx tx, int databases) {
        return null;
    }

    /**
     * Called on the coordinator once the locks are held, before hop 0 is sent: {@link #NEXT}
     * to run it, {@link #DONE} when there is nothing to run.
     */
    default int start(Tx tx) {
        return NEXT;
    }

    /** Whether shard {@code shard}'s part takes part in hop {@code hop} (others are not sent it). */
    default boolean acts(Tx tx, int hop, int shard) {
        return true;
    }

    /** Runs hop {@code hop} on one shard; {@code ctx.reply} writes into the part's output. */
    void step(CommandContext ctx, TxPart part, int hop);

    /** Whether hop {@code hop}, about to be sent, is the last; shards then release right after it. */
    default boolean isLast(Tx tx, int hop) {
        return true;
    }

    /** After every part finished a hop that was not the last: {@link #NEXT} or {@link #DONE}. */
    default int afterHop(Tx tx, int hop) {
        return DONE;
    }

    /**
     * Called on the coordinator after the last hop, before the reply: true when the reply must
     * wait for work that goes on elsewhere (SAVE waits for its snapshot to be written). The
     * operation then calls {@link Tx#resume()} once, from any thread, and {@link #reply} follows.
     */
    default boolean defer(Tx tx) {
        return false;
    }

    /** Writes the client's reply once the operation is over. Runs on the coordinator. */
    void reply(Tx tx, Reply reply);
}
