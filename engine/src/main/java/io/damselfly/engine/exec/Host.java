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

    /** Path of the executable, the config file and the process id, for INFO server. */
    String executable();

    default int pid() {
        return (int) ProcessHandle.current().pid();
    }
}
