package io.damselfly.engine.command;

import io.damselfly.engine.exec.Tx;
import io.damselfly.engine.exec.TxPart;
import io.damselfly.engine.keyspace.Entry;
import io.damselfly.engine.resp.Reply;
import io.damselfly.engine.shard.Keyspace;
import io.damselfly.engine.types.Members;
import io.damselfly.engine.types.SetValue;
import io.damselfly.engine.types.SkipList;
import io.damselfly.engine.types.ZSetValue;

import java.lang.foreign.MemorySegment;
import java.util.function.Supplier;

/**
 * A command that reads several sets or sorted sets, combines them, and replies or stores the
 * result (SINTER, SUNIONSTORE, SINTERCARD, ZUNION, ZINTERSTORE, ZDIFF ...). One instance per
 * execution. With all keys on one shard it runs in place over live views ({@link #run});
 * across shards the {@link Op} reads detached copies on every shard in hop 0, combines on the
 * coordinator and stores on the destination's shard in hop 1.
 */
abstract class Combine {
    /** Argument indices of the sources, in order. */
    int[] sources = new int[0];
    /** Argument index of the destination, or -1 for a command that only replies. */
    int dest = -1;

    /** Parses the arguments; returns the error reply or null. */
    abstract String parse(Request r);

    /** Parses what comes after the keys, once their types are known to be right; error or null. */
    String parseOptions(Request r) {
        return null;
    }

    /** Whether a source of this type is readable (otherwise the command fails with WRONGTYPE). */
    abstract boolean accepts(int type);

    /** Combines the sources: {@code in[i]} views {@code sources[i]}, {@link Members#EMPTY} when missing. */
    abstract void compute(Members[] in);

    /**
     * Writes the result at the destination, on its shard. {@code local}: the whole command ran
     * on this shard, so it journals as received; otherwise it journals the key's new content.
     */
    void store(CommandContext c, boolean local) {
    }

    abstract void reply(Reply reply);

    /** Runs the command on one shard that holds all its keys. */
    static void run(CommandContext c, Combine op) {
        Request r = c.req;
        String error = op.parse(r);
        if (error != null) {
            c.reply.error(error);
            return;
        }
        Members[] in = new Members[op.sources.length];
        for (int i = 0; i < in.length; i++) {
            int arg = op.sources[i];
            long a = c.db.lookupRead(r.buf(), r.off(arg), r.len(arg));
            if (a != 0 && !op.accepts(c.db.type(a))) {
                c.wrongType();
                return;
            }
            in[i] = a == 0 ? Members.EMPTY : view(c.db, a);
        }
        error = op.parseOptions(r);
        if (error != null) {
            c.reply.error(error);
            return;
        }
        op.compute(in);
        if (op.dest >= 0) {
            op.store(c, true);
        }
        op.reply(c.reply);
    }

    /** A live view of a set or sorted set (valid until the shard changes it). */
    static Members view(Keyspace db, long a) {
        boolean zset = db.type(a) == Entry.TYPE_ZSET;
        if (db.isObject(a)) {
            return Members.map(zset ? ((ZSetValue) db.object(a)).dict : ((SetValue) db.object(a)).map);
        }
        if (zset) {
            return Members.zsetPack(db.page(a), db.valueOffset(a), db.valueLength(a));
        }
        return Members.intSet(db.page(a), db.valueOffset(a));
    }

    /** A copy of a set or sorted set that another thread may read. */
    static Members detach(Keyspace db, long a) {
        boolean zset = db.type(a) == Entry.TYPE_ZSET;
        if (db.isObject(a)) {
            if (zset) {
                return Members.map(((ZSetValue) db.object(a)).dict.copy(v -> ((SkipList.Node) v).score));
            }
            return Members.map(((SetValue) db.object(a)).map.copy(null));
        }
        MemorySegment copy = MemorySegment.ofArray(db.copyValue(a));
        return zset ? Members.zsetPack(copy, 0, (int) copy.byteSize()) : Members.intSet(copy, 0);
    }

    /** The multi-shard form, shared by every combining command. */
    static final class Op implements MultiShardOp {
        private final Supplier<Combine> factory;

        Op(Supplier<Combine> factory) {
            this.factory = factory;
        }

        private static Combine of(Tx tx) {
            return (Combine) tx.payload;
        }

        @Override
        public String precheck(Tx tx, int databases) {
            Combine op = factory.get();
            tx.payload = op;
            return op.parse(tx.req);
        }

        @Override
        public boolean isLast(Tx tx, int hop) {
            return hop == 1 || of(tx).dest < 0;
        }

        @Override
        public void step(CommandContext c, TxPart part, int hop) {
            Combine op = of(part.tx());
            Request r = c.req;
            if (hop == 0) {
                Members[] found = new Members[part.keyCount()];
                for (int k = 0; k < part.keyCount(); k++) {
                    int arg = part.keyArg(k);
                    if (!op.isSource(arg)) {
                        continue;
                    }
                    long a = c.db.lookupRead(r.buf(), r.off(arg), r.len(arg));
                    if (a != 0 && !op.accepts(c.db.type(a))) {
                        part.result = -1;
                        return;
                    }
                    found[k] = a == 0 ? Members.EMPTY : detach(c.db, a);
                }
                part.payload = found;
                return;
            }
            for (int k = 0; k < part.keyCount(); k++) {
                if (part.keyArg(k) == op.dest) {
                    op.store(c, false);
                    return;
                }
            }
        }

        /** Gathers the parts' copies and combines them; false on WRONGTYPE. */
        private static boolean combine(Tx tx) {
            Combine op = of(tx);
            Members[] in = new Members[op.sources.length];
            for (int i = 0; i < tx.participantCount(); i++) {
                TxPart p = tx.participant(i);
                if (p.result < 0) {
                    tx.error = CommandContext.WRONGTYPE;
                    return false;
                }
                Members[] found = (Members[]) p.payload;
                for (int k = 0; k < p.keyCount(); k++) {
                    for (int s = 0; s < op.sources.length; s++) {
                        if (op.sources[s] == p.keyArg(k)) {
                            in[s] = found[k];
                        }
                    }
                }
            }
            String error = op.parseOptions(tx.req);
            if (error != null) {
                tx.error = error;
                return false;
            }
            op.compute(in);
            return true;
        }

        @Override
        public int afterHop(Tx tx, int hop) {
            return combine(tx) ? NEXT : DONE;
        }

        @Override
        public void reply(Tx tx, Reply reply) {
            Combine op = of(tx);
            if (op.dest < 0 && tx.error == null) {
                combine(tx);
            }
            if (tx.error != null) {
                reply.error(tx.error);
            } else {
                op.reply(reply);
            }
        }
    }

    boolean isSource(int arg) {
        for (int s : sources) {
            if (s == arg) {
                return true;
            }
        }
        return false;
    }
}
