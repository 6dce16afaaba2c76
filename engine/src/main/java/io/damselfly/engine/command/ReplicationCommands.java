package io.damselfly.engine.command;

import io.damselfly.engine.exec.Replication;
import io.damselfly.engine.exec.Tx;
import io.damselfly.engine.exec.TxPart;
import io.damselfly.engine.resp.Reply;

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
                    .allShards(new ReplicaOfOp()).build());
        }
        t.add(command("wait", 3).flags(NOSCRIPT).group("generic").since("3.0.0")
                .acl("@slow", "@connection").complexity("O(1)")
                .summary("Waits until the writes sent so far are acknowledged by a number of replicas, or a timeout.")
                .allShards(new WaitOp()).build());
        t.add(command("failover", -1).flags(ADMIN | NOSCRIPT | STALE).group("server").since("6.2.0")
                .acl("@admin", "@slow", "@dangerous").complexity("O(1)")
                .summary("Hands the master role to a replica once it caught up, pausing writes meanwhile.")
                .home(ReplicationCommands::failover).build());
        t.add(command("dfly", -2).flags(ADMIN | NOSCRIPT | CommandSpec.NO_MULTI | STALE | LOADING).group("server")
                .since("7.0.0").acl("@admin", "@slow", "@dangerous")
                .summary("Native replication between Damselfly nodes: the handshake, one flow per shard, the sync.")
                .home(c -> {
                    Replication r = c.engine.replication();
                    if (r == null) {
                        c.reply.error("ERR replication is not available in this server");
                        return;
                    }
                    r.dfly(c);
                }).build());
        t.add(command("repltakeover", -2).flags(ADMIN | NOSCRIPT | STALE).group("server").since("7.0.0")
                .acl("@admin", "@slow", "@dangerous").complexity("O(1)")
                .summary("On a replica: pauses its master's writes, catches up and swaps the roles.")
                .allShards(new TakeoverOp()).build());
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

    /**
     * WAIT numreplicas timeout: the reply waits (as a deferred operation, the client parked and
     * no thread held) until that many replicas acknowledged the stream up to this point, or the
     * timeout passes; it answers how many did.
     */
    static final class WaitOp implements MultiShardOp {
        @Override
        public int lockMode() {
            return LOCK_NONE;
        }

        @Override
        public String precheck(Tx tx, int databases) {
            Request r = tx.req;
            Replication rep = tx.engine().replication();
            if (rep != null && rep.isReplica()) {
                return "ERR WAIT cannot be used with replica instances. Please also note that since Redis 4.0 if a "
                        + "replica is configured to be writable (which is not the default) writes to replicas are "
                        + "just local and are not propagated.";
            }
            if (!r.parseLong(1)) {
                return "ERR value is not an integer or out of range";
            }
            long n = r.longValue();
            if (!r.parseLong(2)) {
                return "ERR timeout is not an integer or out of range";
            }
            if (r.longValue() < 0) {
                return "ERR timeout is negative";
            }
            tx.value = n;
            tx.extra = r.longValue();
            return null;
        }

        @Override
        public void step(CommandContext c, TxPart part, int hop) {
        }

        @Override
        public boolean defer(Tx tx) {
            Replication rep = tx.engine().replication();
            if (rep == null) {
                tx.value = 0;
                return false;
            }
            return rep.await(tx, tx.value, (Long) tx.extra);
        }

        @Override
        public void reply(Tx tx, Reply reply) {
            reply.integer(tx.value);
        }
    }

    /** REPLTAKEOVER timeout-seconds: deferred until the roles swapped or the timeout passed. */
    static final class TakeoverOp implements MultiShardOp {
        @Override
        public int lockMode() {
            return LOCK_NONE;
        }

        @Override
        public String precheck(Tx tx, int databases) {
            Request r = tx.req;
            if (r.argc() > 3) {
                return "ERR syntax error";
            }
            double seconds;
            try {
                seconds = Double.parseDouble(r.str(1));
            } catch (NumberFormatException e) {
                return "ERR value is not a valid float";
            }
            if (!(seconds > 0) || seconds > 86_400) {
                return "ERR timeout is out of range";
            }
            tx.extra = (long) Math.ceil(seconds * 1000);
            return null;
        }

        @Override
        public void step(CommandContext c, TxPart part, int hop) {
        }

        @Override
        public boolean defer(Tx tx) {
            Replication rep = tx.engine().replication();
            if (rep == null) {
                tx.payload = "ERR replication is not available in this server";
                return false;
            }
            return rep.takeover(tx, (Long) tx.extra);
        }

        @Override
        public void reply(Tx tx, Reply reply) {
            if (tx.payload instanceof String error) {
                reply.error(error);
            } else {
                reply.ok();
            }
        }
    }

    /** FAILOVER [TO host port [FORCE]] [ABORT] [TIMEOUT ms], parsed as Redis 7.0 does. */
    static void failover(CommandContext c) {
        Replication rep = c.engine.replication();
        if (rep == null) {
            c.reply.error("ERR replication is not available in this server");
            return;
        }
        Request r = c.req;
        if (r.argc() == 2 && r.is(1, "abort")) {
            String error = rep.abortFailover();
            if (error != null) {
                c.reply.error(error);
            } else {
                c.reply.ok();
            }
            return;
        }
        long timeout = 0;
        boolean force = false;
        String host = null;
        long port = 0;
        for (int j = 1; j < r.argc(); j++) {
            if (r.is(j, "timeout") && j + 1 < r.argc() && timeout == 0) {
                if (!r.parseLong(j + 1)) {
                    c.reply.error("ERR value is not an integer or out of range");
                    return;
                }
                timeout = r.longValue();
                if (timeout <= 0) {
                    c.reply.error("ERR FAILOVER timeout must be greater than 0");
                    return;
                }
                j++;
            } else if (r.is(j, "to") && j + 2 < r.argc() && host == null) {
                if (!r.parseLong(j + 2)) {
                    c.reply.error("ERR value is not an integer or out of range");
                    return;
                }
                port = r.longValue();
                host = r.str(j + 1);
                j += 2;
            } else if (r.is(j, "force") && !force) {
                force = true;
            } else {
                c.syntaxError();
                return;
            }
        }
        String error = rep.failover(host, (int) port, force, timeout);
        if (error != null) {
            c.reply.error(error);
        } else {
            c.reply.ok();
        }
    }

    /**
     * REPLICAOF host port | NO ONE. Leaving a master waits until the stream already read from it
     * is applied, and applying needs the shards: were it to wait on a shard's thread, that shard
     * could not apply its part (a stall of up to 30 s under a write load, then the rest lost). So
     * the work runs on a virtual thread and the reply waits for it. Inside EXEC, where a reply is
     * not deferred, it runs as the reply is written (a queued REPLICAOF follows no live stream).
     */
    static final class ReplicaOfOp implements MultiShardOp {
        private static final Object DONE_OK = new Object();

        @Override
        public int lockMode() {
            return LOCK_NONE;
        }

        @Override
        public String precheck(Tx tx, int databases) {
            if (tx.engine().replication() == null) {
                return "ERR replication is not available in this server";
            }
            Request req = tx.req;
            if (req.is(1, "no") && req.is(2, "one")) {
                tx.extra = null;
                return null;
            }
            if (!req.parseLong(2)) {
                return "ERR Invalid master port";
            }
            long port = req.longValue();
            if (port < 0 || port > 65535) {
                return "ERR Invalid master port";
            }
            tx.extra = req.str(1);
            tx.value = port;
            return null;
        }

        @Override
        public int start(Tx tx) {
            return DONE;
        }

        @Override
        public void step(CommandContext c, TxPart part, int hop) {
        }

        @Override
        public boolean defer(Tx tx) {
            Thread.ofVirtual().name("damselfly-replicaof").start(() -> {
                run(tx);
                tx.resume();
            });
            return true;
        }

        private static void run(Tx tx) {
            String host = (String) tx.extra;
            String error;
            try {
                error = tx.engine().replication().replicaOf(host, host == null ? 0 : (int) tx.value);
            } catch (RuntimeException e) {
                error = "ERR " + e.getMessage();
            }
            tx.payload = error != null ? error : DONE_OK;
        }

        @Override
        public void reply(Tx tx, Reply reply) {
            if (tx.payload == null) {
                run(tx); // inside EXEC
            }
            if (tx.payload instanceof String error) {
                reply.error(error);
            } else {
                reply.ok();
            }
        }
    }
}
