package io.damselfly.engine.exec;

import io.damselfly.engine.command.CommandSpec;
import io.damselfly.engine.command.Request;

import java.util.ArrayList;

/** A client between MULTI and EXEC: the commands it queued, and whether one was refused. Home thread only. */
final class MultiState {
    /** A queued command with its own copy of the arguments, and the database it will run in. */
    record Queued(CommandSpec spec, Request req, int db) {
    }

    final ArrayList<Queued> commands = new ArrayList<>();
    /** A command was refused while queueing: EXEC fails with EXECABORT. */
    boolean dirtyExec;
    /** A queued command writes or may be replicated: a write pause holds the EXEC (as Redis's mstate.cmd_flags). */
    boolean mayReplicate;
    /** The database the next queued command runs in (a queued SELECT changes it). */
    int db;

    MultiState(int db) {
        this.db = db;
    }

    void queue(CommandSpec spec, Request r, int databases) {
        byte[][] args = new byte[r.argc()][];
        for (int i = 0; i < args.length; i++) {
            args[i] = r.copy(i);
        }
        Request own = Request.of(args);
        commands.add(new Queued(spec, own, db));
        mayReplicate |= spec.has(CommandSpec.WRITE) || spec.has(CommandSpec.MAY_REPLICATE);
        if (spec.name().equals("select") && own.argc() == 2 && own.parseLong(1)) {
            long n = own.longValue();
            if (n >= 0 && n < databases) {
                db = (int) n; // validated again when it runs
            }
        }
    }
}
