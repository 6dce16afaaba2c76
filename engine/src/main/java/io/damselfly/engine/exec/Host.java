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

    /** Path of the executable, the config file and the process id, for INFO server. */
    String executable();

    default int pid() {
        return (int) ProcessHandle.current().pid();
    }
}
