package io.damselfly.engine.exec;

import io.damselfly.engine.resp.Reply;

/**
 * What the engine's replication commands need from the module that replicates (repl): follow
 * a master, report the role. The engine knows neither the protocol nor the link.
 */
public interface Replication {
    /** REPLICAOF host port; {@code host} null for NO ONE. Returns an error reply, or null. */
    String replicaOf(String host, int port);

    /** Whether this server follows a master now. */
    boolean isReplica();

    /** Whether a replica's link to its master is up (its data current). */
    boolean linkUp();

    /** The INFO replication section's fields. */
    String info();

    /** ROLE's reply. */
    void role(Reply reply);

    /** SYNC or PSYNC from a replica (or redis-cli --rdb), on its client's worker. */
    void sync(io.damselfly.engine.command.CommandContext c, boolean psync);

    /** REPLCONF GETACK arrived in the master's stream: acknowledge the applied offset now. */
    void getAck();

    /**
     * WAIT: sets {@code tx.value} to the count and returns false when {@code replicas} already acknowledged
     * the stream so far; otherwise returns true and calls {@link Tx#resume()} once they have, or
     * after {@code timeoutMs} (0: no timeout), with the count in {@code tx.value}.
     */
    boolean await(Tx tx, long replicas, long timeoutMs);

    /** min-replicas-to-write: the error a write gets on a master short of good replicas, or null. */
    String writeRefusal();

    /**
     * FAILOVER: starts a coordinated handover to a replica ({@code host} null: the first that
     * catches up); returns an error text (Redis's) or null once it is under way.
     */
    String failover(String host, int port, boolean force, long timeoutMs);

    /** FAILOVER ABORT: an error text, or null. */
    String abortFailover();

    /** INFO stats: sync_full, sync_partial_ok, sync_partial_err. */
    String stats();

    /** DFLY ... : the native replication handshake between Damselfly nodes, on the client's worker. */
    default void dfly(io.damselfly.engine.command.CommandContext c) {
        c.reply.error("ERR native replication is not available in this server");
    }

    /**
     * REPLTAKEOVER timeout, on a replica: as {@link #await}, deferred; {@code tx.payload} gets
     * null on success or the error text.
     */
    default boolean takeover(Tx tx, long timeoutMs) {
        tx.payload = "ERR REPLTAKEOVER is not available in this server";
        return false;
    }
}
