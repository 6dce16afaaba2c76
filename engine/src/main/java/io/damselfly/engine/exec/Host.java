package io.damselfly.engine.exec;

import io.damselfly.engine.command.Request;

import java.util.List;

/**
 * What the engine asks of the process around it (the network server): its clients, its
 * address, shutting down. Implementations are thread-safe: any worker may call them.
 */
public interface Host {
    /** The bound TCP port. */
    int port();

    /** A snapshot of the connected clients. */
    List<Client> clients();

    /** Closes a client (after its pending replies when {@code afterReply}); false if unknown. */
    boolean kill(Client client);

    /** Starts an orderly shutdown; returns an error text, or null once it is under way. */
    String shutdown(boolean save, boolean noSave, boolean now, boolean force);

    /** Makes the client a monitor of every command the server runs. */
    void addMonitor(Client client);

    /** Sends a command to the monitors: called before it runs, from the worker that dispatched it. */
    void feedMonitors(Client client, Request request, int db);

    /** [connections accepted, rejected, bytes in, bytes out, reads, writes], for INFO. */
    long[] networkStats();

    /** CONFIG RESETSTAT: zero the network counters. */
    default void resetStats() {
    }

    /**
     * Work on a connection taken out of the event loop, with blocking streams (a replica's full
     * sync and command stream; its acknowledgements come back on {@code in}).
     */
    @FunctionalInterface
    interface Takeover {
        void run(java.io.InputStream in, java.io.OutputStream out) throws java.io.IOException;
    }

    /**
     * Takes the client's connection out of its event loop once the current command is done and
     * runs {@code body} on a virtual thread with blocking output to it; the connection closes
     * when the body returns. False when this host cannot (no sockets).
     */
    default boolean takeOver(Client client, Takeover body) {
        return false;
    }

    /**
     * A connection driven by its owner's code on a proactor's thread, outside the command path:
     * a native replication flow in stable sync writes its shard's log straight into the socket
     * from the thread that appends to that log. Every method runs on that proactor's thread.
     */
    interface Pump {
        /** Joined the loop; {@code drainNow} pumps this connection at once (proactor thread only). */
        void attached(Runnable drainNow);

        /** Bytes ready to be written (a hint for batching small writes; more than 0 to have {@link #pump} called). */
        long pending();

        /** Writes what is ready without blocking; true when the socket took less than that. */
        boolean pump(java.nio.channels.WritableByteChannel channel) throws java.io.IOException;

        /** Bytes from the peer (the buffer is reused after the call). */
        void received(java.nio.ByteBuffer bytes);

        /** True once it has nothing more to do: the connection is closed. */
        boolean finished();

        /** The connection closed (the peer left, an error, a kill, or {@link #finished}). */
        void closed(String why);
    }

    /**
     * Called from a takeover body (see {@link #takeOver}): when the body returns, the connection
     * is not closed but joins proactor {@code proactor}'s event loop, driven by {@code pump}.
     * False when this host cannot.
     */
    default boolean pumpAfterTakeover(Client client, int proactor, Pump pump) {
        return false;
    }

    /** Path of the executable, the config file and the process id, for INFO server. */
    String executable();

    default int pid() {
        return (int) ProcessHandle.current().pid();
    }
}
