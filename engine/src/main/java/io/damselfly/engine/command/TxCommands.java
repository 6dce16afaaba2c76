package io.damselfly.engine.command;

import io.damselfly.engine.exec.Worker;

import static io.damselfly.engine.command.CommandSpec.ALLOW_BUSY;
import static io.damselfly.engine.command.CommandSpec.FAST;
import static io.damselfly.engine.command.CommandSpec.LOADING;
import static io.damselfly.engine.command.CommandSpec.NOSCRIPT;
import static io.damselfly.engine.command.CommandSpec.SKIP_SLOWLOG;
import static io.damselfly.engine.command.CommandSpec.STALE;
import static io.damselfly.engine.command.CommandSpec.command;

/**
 * MULTI, EXEC, DISCARD, WATCH, UNWATCH. The queue lives with the client at home; EXEC runs it
 * as one transaction across the shards it touches ({@code exec.ExecOp}); WATCH registers on
 * the shards of its keys ({@code exec.Watches}).
 */
public final class TxCommands {
    private static final long CONTROL = NOSCRIPT | LOADING | STALE | FAST | ALLOW_BUSY;

    private TxCommands() {
    }

    public static void register(CommandTable t) {
        t.add(command("multi", 1).flags(CONTROL).group("transactions").since("1.2.0").acl("@fast", "@transaction")
                .summary("Starts a transaction: the commands that follow are queued until EXEC.")
                .home(c -> c.worker.multi(c)).build());
        t.add(command("exec", 1).flags(NOSCRIPT | LOADING | STALE | SKIP_SLOWLOG).group("transactions").since("1.2.0")
                .acl("@slow", "@transaction").summary("Runs the queued commands as one atomic, isolated block.")
                .complexity("Depends on commands in the transaction").home(c -> c.worker.exec(c)).build());
        t.add(command("discard", 1).flags(CONTROL).group("transactions").since("2.0.0").acl("@fast", "@transaction")
                .summary("Drops the queued commands and leaves the transaction.")
                .complexity("O(N), when N is the number of queued commands").home(c -> c.worker.discard(c)).build());
        t.add(command("watch", -2).flags(CONTROL).keys(1, -1, 1).group("transactions").since("2.2.0")
                .acl("@fast", "@transaction").summary("Makes the next EXEC fail if any of these keys changes first.")
                .complexity("O(1) for every key.").handler(c -> c.worker.watch(c)).multi(Worker.watchOp()).build());
        t.add(command("unwatch", 1).flags(CONTROL).group("transactions").since("2.2.0").acl("@fast", "@transaction")
                .summary("Forgets every watched key.").home(c -> c.worker.unwatch(c)).build());
    }
}
