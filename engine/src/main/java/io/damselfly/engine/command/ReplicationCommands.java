package io.damselfly.engine.command;

import io.damselfly.engine.exec.Replication;

import static io.damselfly.engine.command.CommandSpec.ADMIN;
import static io.damselfly.engine.command.CommandSpec.FAST;
import static io.damselfly.engine.command.CommandSpec.LOADING;
import static io.damselfly.engine.command.CommandSpec.NOSCRIPT;
import static io.damselfly.engine.command.CommandSpec.STALE;
import static io.damselfly.engine.command.CommandSpec.command;

/** REPLICAOF (and its old name SLAVEOF) and ROLE; the engine's {@link Replication} does the work. */
public final class ReplicationCommands {
    private ReplicationCommands() {
    }

    public static void register(CommandTable t) {
        for (String name : new String[] {"replicaof", "slaveof"}) {
            t.add(command(name, 3).flags(ADMIN | NOSCRIPT | STALE | CommandSpec.NO_ASYNC_LOADING).group("server")
                    .since(name.equals("slaveof") ? "1.0.0" : "5.0.0").acl("@admin", "@slow", "@dangerous")
                    .summary("Makes the server a replica of a master, or a master again with NO ONE.")
                    .home(ReplicationCommands::replicaOf).build());
        }
        t.add(command("role", 1).flags(NOSCRIPT | LOADING | STALE | FAST).group("server").since("2.8.12")
                .acl("@admin", "@fast", "@dangerous").summary("Reports the replication role, with offsets.")
                .home(c -> {
                    Replication r = c.engine.replication();
                    if (r == null) {
                        c.reply.array(3);
                        c.reply.bulk("master");
                        c.reply.integer(0);
                        c.reply.array(0);
                        return;
                    }
                    r.role(c.reply);
                }).build());
    }

    static void replicaOf(CommandContext c) {
        Replication r = c.engine.replication();
        if (r == null) {
            c.reply.error("ERR replication is not available in this server");
            return;
        }
        Request req = c.req;
        String error;
        if (req.is(1, "no") && req.is(2, "one")) {
            error = r.replicaOf(null, 0);
            if (error == null) {
                c.reply.ok();
            }
        } else {
            if (!req.parseLong(2)) {
                c.reply.error("ERR Invalid master port");
                return;
            }
            long port = req.longValue();
            if (port < 0 || port > 65535) {
                c.reply.error("ERR Invalid master port");
                return;
            }
            error = r.replicaOf(req.str(1), (int) port);
            if (error == null) {
                c.reply.simple("OK");
            }
        }
        if (error != null) {
            c.reply.error(error);
        }
    }
}
