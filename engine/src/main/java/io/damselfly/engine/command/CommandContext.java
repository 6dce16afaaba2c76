package io.damselfly.engine.command;

import io.damselfly.engine.exec.Client;
import io.damselfly.engine.exec.Engine;
import io.damselfly.engine.exec.Worker;
import io.damselfly.engine.journal.Journal;
import io.damselfly.engine.resp.Reply;
import io.damselfly.engine.shard.Keyspace;
import io.damselfly.engine.shard.Shard;

/**
 * What a command implementation sees: its arguments, where its reply goes, the shard it runs
 * on (owned by the current thread) and the selected database there, and the client that sent
 * it. One instance per worker, refilled for every command.
 */
public final class CommandContext {
    public static final String WRONGTYPE = "WRONGTYPE Operation against a key holding the wrong kind of value";
    public static final String SYNTAX = "ERR syntax error";
    public static final String NOT_INTEGER = "ERR value is not an integer or out of range";
    public static final String NOT_FLOAT = "ERR value is not a valid float";

    public final Request req = new Request();
    /** Scratch space for formatting numbers and short values; the handler's for the call. */
    public final byte[] scratch = new byte[64];
    public final int[] ints = new int[8];
    public final io.damselfly.engine.resp.Numbers.LongResult number = new io.damselfly.engine.resp.Numbers.LongResult();
    public final Reply reply;
    public final Engine engine;
    public final Worker worker;
    public Shard shard;
    public Keyspace db;
    public Client client;
    public CommandSpec spec;

    public CommandContext(Engine engine, Worker worker, Reply reply) {
        this.engine = engine;
        this.worker = worker;
        this.reply = reply;
    }

    public long now() {
        return shard.now();
    }

    public Journal journal() {
        return shard.journal();
    }

    /** The journal, when someone consumes it; null otherwise (skip building the record). */
    public Journal journalIfEnabled() {
        Journal j = shard.journal();
        return j.enabled() ? j : null;
    }

    /** Journals the command as received (the replicated form of most writes). */
    public void journalVerbatim() {
        Journal j = shard.journal();
        if (!j.enabled()) {
            return;
        }
        j.begin(db.id(), req.argc());
        for (int i = 0; i < req.argc(); i++) {
            j.arg(req.buf(), req.off(i), req.len(i));
        }
        j.end();
    }

    public void wrongType() {
        reply.error(WRONGTYPE);
    }

    public void syntaxError() {
        reply.error(SYNTAX);
    }

    public void notInteger() {
        reply.error(NOT_INTEGER);
    }

    /** "ERR wrong number of arguments for 'x' command" for the command at hand. */
    public void wrongArity() {
        reply.error("ERR wrong number of arguments for '" + spec.fullName() + "' command");
    }
}
