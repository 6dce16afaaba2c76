package io.damselfly.engine.exec;

import io.damselfly.engine.command.CommandContext;
import io.damselfly.engine.command.CommandSpec;
import io.damselfly.engine.command.MultiShardOp;
import io.damselfly.engine.command.Request;
import io.damselfly.engine.resp.ByteOutput;
import io.damselfly.engine.resp.Reply;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * EXEC as one multi-shard transaction. Before it starts, it locks every key its queued commands
 * and the client's watched keys name, on their shards (or whole shards, when a command works on
 * a whole database), so nothing else reads or writes them until it is over: the block is atomic
 * and isolated across shards. Then it runs the commands in order, one hop at a time:
 * consecutive commands on the same shard in one hop on that shard; a command that spans shards
 * through its own {@link MultiShardOp}, hop by hop, inside this transaction; connection
 * commands on the coordinator between hops. A first hop checks the watched keys that expired
 * since WATCH.
 */
final class ExecOp implements MultiShardOp {
    private static final int CHECK = 0;
    private static final int GROUP = 1;
    private static final int SUB = 2;

    private final Worker coordinator;
    private final Client client;
    private final List<MultiState.Queued> commands;
    private final Watch watch;
    private final Engine engine;
    /** The replies so far, in the client's protocol. */
    final ByteOutput out = new ByteOutput(256);
    private final Reply outReply = new Reply(null);
    private int next;
    private boolean aborted;

    // what the current hop does
    private int plan;
    private int groupShard;
    private int groupTo;
    private Tx subTx;
    private int subHop;
    private boolean subLast;

    // the locks, by shard
    final Map<Integer, ArrayList<LockTable.Key>> lockKeys = new HashMap<>();
    boolean wholeShards;
    boolean readOnly = true;

    ExecOp(Worker coordinator, Client client, MultiState multi, Watch watch) {
        this.coordinator = coordinator;
        this.client = client;
        this.commands = multi.commands;
        this.watch = watch;
        this.engine = coordinator.engine();
        planLocks();
    }

    private void planLocks() {
        int[] keys = new int[16];
        for (MultiState.Queued q : commands) {
            CommandSpec spec = q.spec();
            if (spec.route() == CommandSpec.Route.ALL || spec.route() == CommandSpec.Route.SELECTED) {
                wholeShards = true;
            }
            if (!spec.has(CommandSpec.READONLY) && spec.route() != CommandSpec.Route.HOME) {
                readOnly = false;
            }
            if (spec.route() != CommandSpec.Route.KEYS) {
                continue;
            }
            Request r = q.req();
            if (keys.length < r.argc()) {
                keys = new int[r.argc()];
            }
            int n = spec.keys(r, keys);
            for (int k = 0; k < n; k++) {
                int a = keys[k];
                int s = engine.shardOf(r.buf(), r.off(a), r.len(a));
                lockKeys.computeIfAbsent(s, x -> new ArrayList<>()).add(new LockTable.Key(q.db(), r.buf(), r.off(a), r.len(a)));
            }
        }
        if (watch != null) {
            for (LockTable.Key k : watch.keys) {
                int s = engine.shardOf(k.bytes, 0, k.bytes.length);
                lockKeys.computeIfAbsent(s, x -> new ArrayList<>()).add(k);
            }
        }
        if (wholeShards) {
            for (int s = 0; s < engine.shards(); s++) {
                lockKeys.computeIfAbsent(s, x -> new ArrayList<>());
            }
        }
    }

    @Override
    public boolean writes(Tx tx) {
        return !readOnly;
    }

    boolean aborted() {
        return aborted;
    }

    @Override
    public int lockMode() {
        return wholeShards ? LOCK_SHARD : LOCK_KEYS;
    }

    @Override
    public int start(Tx tx) {
        if (watch != null && watch.shards != 0) {
            plan = CHECK;
            return NEXT;
        }
        if (watch != null && watch.dirty) {
            aborted = true;
            return DONE;
        }
        return advance() ? NEXT : DONE;
    }

    @Override
    public boolean isLast(Tx tx, int hop) {
        return false;
    }

    @Override
    public boolean acts(Tx tx, int hop, int shard) {
        return switch (plan) {
            case CHECK -> (watch.shards & (1L << shard)) != 0;
            case GROUP -> shard == groupShard;
            default -> subTx.partsByShard[shard] != null && subTx.isParticipant(shard);
        };
    }

    @Override
    public void step(CommandContext ctx, TxPart part, int hop) {
        Worker w = ctx.worker;
        switch (plan) {
            case CHECK -> part.result = w.watches.expiredSince(watch, w) ? 1 : 0;
            case GROUP -> {
                for (int i = next; i < groupTo; i++) {
                    w.runQueued(commands.get(i), part.out, part.tx.protocol, client);
                }
            }
            default -> {
                TxPart sub = subTx.partsByShard[part.shard];
                w.runSubStep(subTx, sub, subHop);
            }
        }
    }

    @Override
    public int afterHop(Tx tx, int hop) {
        switch (plan) {
            case CHECK -> {
                boolean expired = false;
                for (int i = 0; i < tx.participantCount(); i++) {
                    TxPart p = tx.participant(i);
                    if (acts(tx, hop, p.shard) && p.result == 1) {
                        expired = true;
                    }
                }
                if (expired || watch.dirty) {
                    aborted = true;
                    return DONE;
                }
            }
            case GROUP -> {
                TxPart p = tx.partsByShard[groupShard];
                out.write(p.out);
                p.out.clear();
                next = groupTo;
            }
            default -> {
                if (subLast) {
                    subDone();
                } else if (subTx.op.afterHop(subTx, subHop) == NEXT) {
                    subHop++;
                    subLast = subTx.op.isLast(subTx, subHop);
                    return NEXT;
                } else {
                    subDone();
                }
            }
        }
        return advance() ? NEXT : DONE;
    }

    private void subDone() {
        subTx.op.reply(subTx, outReply.target(out, client.protocol));
        subTx = null;
        next++;
    }

    /**
     * Runs connection commands here, then plans the next hop; false when every command ran.
     * Commands whose keys sit on one shard join the hop of the commands before them on it.
     */
    private boolean advance() {
        int[] keys = new int[16];
        while (next < commands.size()) {
            MultiState.Queued q = commands.get(next);
            CommandSpec spec = q.spec();
            Request r = q.req();
            int shard = -1;
            switch (spec.route()) {
                case HOME -> {
                    coordinator.runQueued(q, out, client.protocol, client);
                    next++;
                    continue;
                }
                case SELECTED -> {
                    int s = spec.selector().select(r, engine.shards());
                    shard = s < 0 ? coordinator.index() : s;
                }
                case ALL -> shard = -2;
                default -> {
                    if (keys.length < r.argc()) {
                        keys = new int[r.argc()];
                    }
                    int n = spec.keys(r, keys);
                    if (n <= 0) {
                        coordinator.runQueued(q, out, client.protocol, client); // malformed: the handler reports it
                        next++;
                        continue;
                    }
                    shard = engine.shardOf(r.buf(), r.off(keys[0]), r.len(keys[0]));
                    for (int k = 1; k < n; k++) {
                        if (engine.shardOf(r.buf(), r.off(keys[k]), r.len(keys[k])) != shard) {
                            shard = -3;
                            break;
                        }
                    }
                }
            }
            if (shard >= 0) {
                plan = GROUP;
                groupShard = shard;
                groupTo = next + 1;
                if (spec.route() == CommandSpec.Route.KEYS) {
                    while (groupTo < commands.size() && sameShard(commands.get(groupTo), shard, keys)) {
                        groupTo++;
                    }
                }
                return true;
            }
            // a command spanning shards (or all of them): its own hops, inside this transaction
            if (spec.multi() == null) {
                outReply.target(out, client.protocol).error("CROSSSLOT Keys in request don't hash to the same slot");
                next++;
                continue;
            }
            Tx sub = coordinator.subTransaction(client, q, shard == -2, keys);
            String error = sub.op.precheck(sub, coordinator.shard().databases());
            if (error != null) {
                outReply.target(out, client.protocol).error(error);
                next++;
                continue;
            }
            subTx = sub;
            subHop = 0;
            if (sub.op.start(sub) == DONE) {
                subDone();
                continue;
            }
            subLast = sub.op.isLast(sub, 0);
            plan = SUB;
            return true;
        }
        return false;
    }

    private boolean sameShard(MultiState.Queued q, int shard, int[] keys) {
        CommandSpec spec = q.spec();
        if (spec.route() != CommandSpec.Route.KEYS) {
            return false;
        }
        Request r = q.req();
        if (keys.length < r.argc()) {
            return false;
        }
        int n = spec.keys(r, keys);
        if (n <= 0) {
            return false;
        }
        for (int k = 0; k < n; k++) {
            if (engine.shardOf(r.buf(), r.off(keys[k]), r.len(keys[k])) != shard) {
                return false;
            }
        }
        return true;
    }

    @Override
    public void reply(Tx tx, Reply reply) {
        coordinator.dropWatch(watch);
        coordinator.feedExec(client, aborted ? null : commands, tx.req, tx.db);
        if (aborted) {
            reply.nullArray();
        } else {
            reply.array(commands.size());
            reply.output().write(out);
        }
    }
}
