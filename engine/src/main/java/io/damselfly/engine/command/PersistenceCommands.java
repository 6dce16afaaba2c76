package io.damselfly.engine.command;

import io.damselfly.engine.exec.Client;
import io.damselfly.engine.exec.Persistence;
import io.damselfly.engine.exec.Tx;
import io.damselfly.engine.exec.TxPart;
import io.damselfly.engine.resp.Reply;
import io.damselfly.engine.shard.Keyspace;

import java.util.List;

import static io.damselfly.engine.command.CommandSpec.ADMIN;
import static io.damselfly.engine.command.CommandSpec.DENYOOM;
import static io.damselfly.engine.command.CommandSpec.NOSCRIPT;
import static io.damselfly.engine.command.CommandSpec.NO_ASYNC_LOADING;
import static io.damselfly.engine.command.CommandSpec.READONLY;
import static io.damselfly.engine.command.CommandSpec.WRITE;
import static io.damselfly.engine.command.CommandSpec.command;
import static io.damselfly.engine.command.CommandSpec.subcommand;

/**
 * SAVE, BGSAVE, DEBUG RELOAD, DUMP and RESTORE. The first three are one transaction over every
 * shard whose single step is the snapshot's cut (DESIGN.md, "Snapshots without fork"); the
 * engine's {@link Persistence} does the rest. DUMP and RESTORE run on the key's shard.
 */
public final class PersistenceCommands {
    static final String NO_PERSISTENCE = "ERR persistence is not available in this server";

    private PersistenceCommands() {
    }

    public static void register(CommandTable t) {
        t.add(command("save", 1).flags(ADMIN | NOSCRIPT | NO_ASYNC_LOADING | CommandSpec.NO_MULTI).group("server")
                .since("1.0.0").acl("@admin", "@slow", "@dangerous").complexity("O(N) where N is the total number of keys in all databases")
                .summary("Writes the dataset to the dump file and replies when it is on disk; other clients are served meanwhile.")
                .allShards(new CutOp(Persistence.SAVE)).build());
        t.add(command("bgsave", -1).flags(ADMIN | NOSCRIPT | NO_ASYNC_LOADING).group("server").since("1.0.0")
                .acl("@admin", "@slow", "@dangerous").complexity("O(1)")
                .summary("Starts writing the dataset to the dump file in the background.")
                .allShards(new CutOp(Persistence.BGSAVE)).build());
        t.add(command("sync", 1).flags(ADMIN | NOSCRIPT | CommandSpec.NO_MULTI | NO_ASYNC_LOADING).group("server")
                .since("1.0.0").acl("@admin", "@slow", "@dangerous")
                .summary("Sends a full copy of the dataset as RDB, for replicas and redis-cli --rdb.")
                .home(c -> sync(c, false)).build());
        t.add(command("psync", -3).flags(ADMIN | NOSCRIPT | CommandSpec.NO_MULTI | NO_ASYNC_LOADING).group("server")
                .since("2.8.0").acl("@admin", "@slow", "@dangerous")
                .summary("Starts replication from an offset; answers with a full copy for now.")
                .home(c -> sync(c, true)).build());
        t.add(command("replconf", -1).flags(ADMIN | NOSCRIPT | CommandSpec.LOADING | CommandSpec.STALE).group("server")
                .since("3.0.0").acl("@admin", "@slow", "@dangerous")
                .summary("Carries a replica's settings and acknowledgements to its master.")
                .home(PersistenceCommands::replconf).build());
        t.add(command("dump", 2).flags(READONLY).keys(1, 1, 1).group("generic").since("2.6.0")
                .acl("@keyspace", "@read", "@slow").tips("nondeterministic_output")
                .complexity("O(1) to access the key and additional O(N*M) to serialize it, where N is the number of Redis objects composing the value and M their average size. For small string values the time complexity is thus O(1)+O(1*M) where M is small, so simply O(1).")
                .summary("Serialises a key's value in the RDB format, for RESTORE.")
                .handler(PersistenceCommands::dump).build());
        t.add(command("restore", -4).flags(WRITE | DENYOOM).keys(1, 1, 1).group("generic").since("2.6.0")
                .acl("@keyspace", "@write", "@slow", "@dangerous")
                .complexity("O(1) to create the new key and additional O(N*M) to reconstruct the serialized value, where N is the number of Redis objects composing the value and M their average size. For small string values the time complexity is thus O(1)+O(1*M) where M is small, so simply O(1). However for sorted set values the complexity is O(N*M*log(N)) because inserting values into sorted sets is O(log(N)).")
                .summary("Creates a key from a DUMP payload.")
                .handler(PersistenceCommands::restore).build());
    }

    /**
     * SYNC and PSYNC: the connection leaves the event loop and the replication module serves it
     * (a full copy and the stream, or +CONTINUE from the backlog).
     */
    static void sync(CommandContext c, boolean psync) {
        io.damselfly.engine.exec.Replication r = c.engine.replication();
        if (r == null || c.engine.persistence() == null) {
            c.reply.error(NO_PERSISTENCE);
            return;
        }
        r.sync(c, psync);
    }

    /**
     * REPLCONF: what a replica announces before PSYNC (kept on its client for the master side),
     * and GETACK in a master's stream, which a replica answers at once with its offset.
     */
    static void replconf(CommandContext c) {
        Request r = c.req;
        if ((r.argc() - 1) % 2 != 0) {
            c.syntaxError();
            return;
        }
        Client client = c.client;
        for (int i = 1; i < r.argc(); i += 2) {
            String option = r.lower(i);
            switch (option) {
                case "listening-port" -> {
                    try {
                        client.replicaPort = Integer.parseInt(r.str(i + 1));
                    } catch (NumberFormatException e) {
                        c.reply.error("ERR value is not an integer or out of range");
                        return;
                    }
                }
                case "ip-address" -> client.replicaIp = r.str(i + 1);
                case "capa" -> {
                    String capa = r.lower(i + 1);
                    if (capa.equals("eof")) {
                        client.replicaCapaEof = true;
                    } else if (capa.equals("psync2")) {
                        client.replicaCapaPsync2 = true;
                    }
                }
                case "rdb-only" -> client.replicaRdbOnly = r.str(i + 1).equals("1");
                case "getack" -> {
                    io.damselfly.engine.exec.Replication repl = c.engine.replication();
                    if (repl != null && client.hasFlag(Client.FLAG_INTERNAL)) {
                        repl.getAck();
                    }
                    return; // no reply, as Redis sends none
                }
                case "ack", "rdb-filter-only" -> {
                    if (option.equals("ack")) {
                        return; // an ACK outside a replica's link: no reply
                    }
                }
                default -> {
                    c.reply.error("ERR Unrecognized REPLCONF option: " + r.str(i));
                    return;
                }
            }
        }
        c.reply.ok();
    }

    /** DEBUG RELOAD, registered as DEBUG's one multi-shard subcommand. */
    static CommandSpec.Builder debugReload() {
        return subcommand("debug", "reload", -2).flags(ADMIN | NOSCRIPT | CommandSpec.LOADING | CommandSpec.STALE)
                .acl("@admin", "@slow", "@dangerous").since("1.0.0")
                .summary("Saves the dataset, empties the server and loads the dump again.")
                .allShards(new CutOp(Persistence.RELOAD));
    }

    /** The cut of SAVE, BGSAVE and DEBUG RELOAD: every shard, exclusively, in transaction order. */
    static final class CutOp implements MultiShardOp {
        private final int kind;

        CutOp(int kind) {
            this.kind = kind;
        }

        @Override
        public int lockMode() {
            return LOCK_SHARD;
        }

        @Override
        public String precheck(Tx tx, int databases) {
            if (kind == Persistence.RELOAD) {
                String refused = ServerCommands.debugRefused(tx.engine(), tx.client());
                if (refused != null) {
                    return refused; // DEBUG RELOAD is DEBUG: enable-debug-command decides
                }
            }
            Persistence p = tx.engine().persistence();
            if (p == null) {
                return NO_PERSISTENCE;
            }
            int k = kind;
            if (kind == Persistence.BGSAVE && tx.req.argc() > 1) {
                if (tx.req.argc() == 2 && tx.req.is(1, "schedule")) {
                    k = Persistence.BGSAVE_SCHEDULE;
                } else {
                    return CommandContext.SYNTAX;
                }
            }
            tx.value = k;
            return p.prepare(tx, k);
        }

        @Override
        public int start(Tx tx) {
            return tx.flag ? DONE : NEXT;
        }

        @Override
        public void step(CommandContext c, TxPart part, int hop) {
            c.engine.persistence().cut(part.tx(), c.worker);
        }

        @Override
        public boolean defer(Tx tx) {
            Persistence p = tx.engine().persistence();
            return tx.flag ? p.elsewhere(tx) : p.started(tx);
        }

        @Override
        public void reply(Tx tx, Reply reply) {
            tx.engine().persistence().reply(tx, reply);
        }
    }

    static void dump(CommandContext c) {
        Persistence p = c.engine.persistence();
        if (p == null) {
            c.reply.error(NO_PERSISTENCE);
            return;
        }
        long a = c.db.lookupRead(c.req.buf(), c.req.off(1), c.req.len(1));
        if (a == 0) {
            c.reply.nullBulk();
            return;
        }
        c.reply.bulk(p.dump(c, a));
    }

    /** RESTORE key ttl serialized-value [REPLACE] [ABSTTL] [IDLETIME seconds] [FREQ frequency], as Redis 7.0. */
    static void restore(CommandContext c) {
        Persistence p = c.engine.persistence();
        if (p == null) {
            c.reply.error(NO_PERSISTENCE);
            return;
        }
        Request r = c.req;
        boolean replace = false;
        boolean absTtl = false;
        long idle = -1;
        long freq = -1;
        for (int i = 4; i < r.argc(); i++) {
            boolean more = i + 1 < r.argc();
            if (r.is(i, "replace")) {
                replace = true;
            } else if (r.is(i, "absttl")) {
                absTtl = true;
            } else if (r.is(i, "idletime") && more && freq == -1) {
                if (!r.parseLong(i + 1)) {
                    c.notInteger();
                    return;
                }
                idle = r.longValue();
                if (idle < 0) {
                    c.reply.error("ERR Invalid IDLETIME value, must be >= 0");
                    return;
                }
                i++;
            } else if (r.is(i, "freq") && more && idle == -1) {
                if (!r.parseLong(i + 1)) {
                    c.notInteger();
                    return;
                }
                freq = r.longValue();
                if (freq < 0 || freq > 255) {
                    c.reply.error("ERR Invalid FREQ value, must be >= 0 and <= 255");
                    return;
                }
                i++;
            } else {
                c.syntaxError();
                return;
            }
        }
        byte[] key = r.copy(1);
        Keyspace db = c.db;
        if (!replace && db.lookup(key, 0, key.length) != 0) {
            c.reply.error("BUSYKEY Target key name already exists.");
            return;
        }
        if (!r.parseLong(2)) {
            c.notInteger();
            return;
        }
        long ttl = r.longValue();
        if (ttl < 0) {
            c.reply.error("ERR Invalid TTL value, must be >= 0");
            return;
        }
        List<Request> build;
        try {
            build = p.restore(key, r.copy(3));
        } catch (IllegalArgumentException e) {
            c.reply.error(e.getMessage());
            return;
        }
        if (ttl > 0 && !absTtl) {
            ttl += c.now();
        }
        boolean existed = db.delete(key, 0, key.length);
        if (ttl > 0 && ttl <= c.now()) {
            // already expired: the key is gone (Redis propagates a DEL when it replaced one)
            if (existed) {
                Rebuild.journalDel(c, db, key);
                c.notify(Events.GENERIC, Events.DEL, 1);
            }
            c.reply.ok();
            return;
        }
        for (Request step : build) {
            String error = c.worker.applyLocal(db.id(), step);
            if (error != null) {
                db.delete(key, 0, key.length);
                c.reply.error("ERR Bad data format");
                return;
            }
        }
        long a = db.lookup(key, 0, key.length);
        if (a != 0 && ttl > 0) {
            db.setExpire(key, 0, key.length, a, ttl);
            a = db.lookup(key, 0, key.length);
        }
        if (a != 0 && (idle >= 0 || freq >= 0)) {
            db.setAccessFrom(a, idle, (int) freq);
        }
        io.damselfly.engine.journal.Journal j = c.journalIfEnabled();
        if (j != null && ttl > 0 && !absTtl) {
            // a relative TTL goes out as the absolute deadline, ABSTTL appended, as Redis 7.0 does
            j.begin(db.id(), r.argc() + 1);
            for (int i = 0; i < r.argc(); i++) {
                if (i == 2) {
                    j.arg(ttl);
                } else {
                    j.arg(r.buf(), r.off(i), r.len(i));
                }
            }
            j.arg("ABSTTL").end();
        } else {
            c.journalVerbatim();
        }
        c.notify(Events.GENERIC, Events.RESTORE, 1);
        c.reply.ok();
    }
}
