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
    /** Where a command builds a new compact collection value before storing it. */
    public final io.damselfly.engine.resp.ByteOutput pack = new io.damselfly.engine.resp.ByteOutput(1024);
    /** Cursors over compact collection values, for the command at hand. */
    public final io.damselfly.engine.types.Pack.Cursor cursor = new io.damselfly.engine.types.Pack.Cursor();
    public final io.damselfly.engine.types.Pack.Cursor cursor2 = new io.damselfly.engine.types.Pack.Cursor();
    public final io.damselfly.engine.resp.Numbers.LongResult number = new io.damselfly.engine.resp.Numbers.LongResult();
    public final Reply reply;
    public final Engine engine;
    public final Worker worker;
    public Shard shard;
    public Keyspace db;
    public Client client;
    public CommandSpec spec;
    /** Set for writes applied by the server itself (loading, RESTORE): no keyspace events. */
    public boolean quiet;

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

    /** A cursor over the compact value of the entry at {@code address}. */
    public io.damselfly.engine.types.Pack.Cursor compact(long address) {
        return cursor.of(db.page(address), db.valueOffset(address), db.valueLength(address));
    }

    /**
     * Parses argument {@code arg} as an integer in [min, max] into {@link #number}, replying
     * as Redis's getRangeLongFromObjectOrReply does when it is not: the not-an-integer error,
     * then {@code msg} or the default out-of-range text.
     */
    public boolean rangeLong(int arg, long min, long max, String msg) {
        if (!req.parseLong(arg)) {
            reply.error(msg != null ? "ERR " + msg : NOT_INTEGER);
            return false;
        }
        long v = req.longValue();
        if (v < min || v > max) {
            reply.error(msg != null ? "ERR " + msg
                    : "ERR value is out of range, value must between " + min + " and " + max);
            return false;
        }
        number.value = v;
        return true;
    }

    /** Whether the command may block the client (BLPOP ...): not inside EXEC. */
    public boolean canBlock() {
        return worker.canBlock();
    }

    /**
     * Whether the key at argument {@code arg} just filled and waits for its blocked clients to
     * be served: a blocking command that gets here meanwhile lines up behind them.
     */
    public boolean heldForServing(int arg) {
        return worker.isHeldForServing(db.id(), req.buf(), req.off(arg), req.len(arg));
    }

    /** Blocks the client on the pop's keys, all on this shard; the handler replies nothing. */
    public void block(BlockingPop pop) {
        worker.block(this, pop);
    }

    /** In a multi-shard pop's hop: registers the transaction's wait on this part's keys. */
    public void blockPart(BlockingPop pop, io.damselfly.engine.exec.TxPart part) {
        worker.blockPart(part);
    }

    /** Whether keyspace events of this class are published (notify-keyspace-events). */
    public boolean notifying(int type) {
        return !quiet && (engine.settings().notifyKeyspaceEvents.number() & type) != 0;
    }

    /** Publishes keyspace event {@code event} of class {@code type} for the key in argument {@code arg}. */
    public void notify(int type, byte[] event, int arg) {
        if (notifying(type)) {
            worker.notifyKeyspace(type, event, db.id(), req.buf(), req.off(arg), req.len(arg));
        }
    }

    /** Publishes keyspace event {@code event} for the key in argument {@code arg}, of database {@code in}. */
    public void notify(Keyspace in, int type, byte[] event, int arg) {
        if (notifying(type)) {
            worker.notifyKeyspace(type, event, in.id(), req.buf(), req.off(arg), req.len(arg));
        }
    }

    /**
     * Publishes a removal event for the collection at argument {@code arg}, followed by "del"
     * when the removal emptied (and so deleted) it, as Redis does.
     */
    public void notifyRemoval(int type, byte[] event, int arg) {
        notify(type, event, arg);
        if (notifying(Events.GENERIC) && db.lookup(req.buf(), req.off(arg), req.len(arg)) == 0) {
            notify(Events.GENERIC, Events.DEL, arg);
        }
    }

    /** Publishes keyspace event {@code event} for {@code key} of the current database. */
    public void notify(int type, byte[] event, byte[] key, int off, int len) {
        if (notifying(type)) {
            worker.notifyKeyspace(type, event, db.id(), key, off, len);
        }
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
