package io.damselfly.engine.command;

import io.damselfly.engine.exec.Tx;
import io.damselfly.engine.exec.TxPart;
import io.damselfly.engine.keyspace.Entry;
import io.damselfly.engine.resp.Numbers;
import io.damselfly.engine.resp.Reply;

import java.util.function.Supplier;

/**
 * A pop from the first non-empty of several keys, which may block until one fills: BLPOP,
 * BRPOP, BLMPOP, BLMOVE, BRPOPLPUSH, BZPOPMIN, BZPOPMAX, BZMPOP, and the forms that never block
 * (LMPOP, ZMPOP). One instance per execution, parsed once.
 *
 * <p>With every key on one shard the handler ({@link #run}) looks at the keys in argument order
 * and either pops, fails, or blocks the client on that shard. Across shards, {@link Op} finds
 * in hop 0 what each key holds, and in hop 1 pops from the first non-empty key on its shard or
 * registers the client on every shard of its keys (the intent locks keep the keys unchanged in
 * between, so no push is missed). A blocked client is served by the shard of the key that
 * fills first, in blocking order (see {@code exec.Blocking}).
 */
public abstract class BlockingPop {
    /** Argument indices of the keys, in order. */
    public int[] keys = new int[0];
    /** The deadline's distance in ms: 0 blocks forever, -1 never blocks. */
    public long timeoutMs = -1;

    /** Parses the arguments; returns the error reply or null. */
    abstract String parse(Request r);

    /** The type the keys must hold: {@link Entry#TYPE_LIST} or {@link Entry#TYPE_ZSET}. */
    public abstract int type();

    /**
     * Pops from the key at argument {@code keyArg} (present, of the right type, not empty),
     * replies, journals the replicated form. {@code served}: the client had blocked.
     */
    public abstract void serve(CommandContext c, int keyArg, boolean served);

    /** The reply when nothing can be popped: on timeout, or at once when the client cannot block. */
    public abstract void nothing(Reply reply, boolean timedOut);

    /**
     * Whether serving also writes a second key (BLMOVE's destination): a waiter whose keys sit on
     * different shards is then not served in place but retried as a transaction.
     */
    public boolean movesToOtherKey() {
        return false;
    }

    /**
     * Parses a blocking timeout in seconds as Redis 7.0 does (a float; ms rounded up; no upper
     * bound, an overflow reads as negative). Returns the error reply or null; sets {@link #timeoutMs}.
     */
    String parseTimeout(Request r, int arg) {
        double seconds = Numbers.parseDouble(r.buf(), r.off(arg), r.len(arg));
        if (Double.isNaN(seconds)) {
            return "ERR timeout is not a float or out of range";
        }
        double ms = Math.ceil(seconds * 1000);
        if (ms < 0 || ms >= 9.223372036854775807E18 || Double.isInfinite(ms)) {
            return "ERR timeout is negative";
        }
        timeoutMs = (long) ms;
        return null;
    }

    /** BLPOP's and BZPOPMIN's form: every argument but the first and last is a key, the last the timeout. */
    String parseKeysThenTimeout(Request r) {
        keys = new int[r.argc() - 2];
        for (int i = 0; i < keys.length; i++) {
            keys[i] = 1 + i;
        }
        return parseTimeout(r, r.argc() - 1);
    }

    /** Runs the command on the one shard that holds all its keys. */
    static void run(CommandContext c, BlockingPop pop) {
        Request r = c.req;
        String error = pop.parse(r);
        if (error != null) {
            c.reply.error(error);
            return;
        }
        boolean mayBlock = pop.timeoutMs >= 0 && c.canBlock();
        for (int arg : pop.keys) {
            long a = c.db.lookupWrite(r.buf(), r.off(arg), r.len(arg));
            if (a == 0) {
                continue;
            }
            if (c.db.type(a) != pop.type()) {
                c.wrongType();
                return;
            }
            if (mayBlock && c.heldForServing(arg)) {
                // The key just filled and clients (some maybe still on their way) wait for it:
                // this command takes its place in line, and is served from the first of its
                // keys that then holds something, as if it had run after them.
                break;
            }
            pop.serve(c, arg, false);
            return;
        }
        if (!mayBlock) {
            pop.nothing(c.reply, false);
            return;
        }
        c.block(pop);
    }

    /** The multi-shard form. */
    static final class Op implements MultiShardOp {
        private final Supplier<BlockingPop> factory;

        Op(Supplier<BlockingPop> factory) {
            this.factory = factory;
        }

        private static BlockingPop of(Tx tx) {
            return (BlockingPop) tx.payload;
        }

        @Override
        public String precheck(Tx tx, int databases) {
            BlockingPop pop = factory.get();
            tx.payload = pop;
            return pop.parse(tx.req);
        }

        @Override
        public boolean isLast(Tx tx, int hop) {
            return hop == 1;
        }

        @Override
        public void step(CommandContext c, TxPart part, int hop) {
            BlockingPop pop = of(part.tx());
            Request r = c.req;
            if (hop == 0) {
                // per key of this part: 0 missing, 1 poppable, -1 wrong type
                for (int k = 0; k < part.keyCount(); k++) {
                    int arg = part.keyArg(k);
                    long a = c.db.lookupWrite(r.buf(), r.off(arg), r.len(arg));
                    part.record(k, a == 0 ? 0 : c.db.type(a) != pop.type() ? -1 : 1);
                }
                return;
            }
            Tx tx = part.tx();
            if (tx.value >= 0) {
                for (int k = 0; k < part.keyCount(); k++) {
                    if (part.keyArg(k) == tx.value) {
                        part.result = 1;
                        pop.serve(c, (int) tx.value, false);
                        return;
                    }
                }
                return;
            }
            c.blockPart(pop, part);
        }

        @Override
        public int afterHop(Tx tx, int hop) {
            BlockingPop pop = of(tx);
            tx.value = -1;
            for (int arg : pop.keys) {
                int state = 0;
                for (int i = 0; i < tx.participantCount() && state == 0; i++) {
                    TxPart p = tx.participant(i);
                    for (int k = 0; k < p.keyCount(); k++) {
                        if (p.keyArg(k) == arg) {
                            state = p.marks[k];
                            break;
                        }
                    }
                }
                if (state < 0) {
                    tx.error = CommandContext.WRONGTYPE;
                    return DONE;
                }
                if (state > 0) {
                    tx.value = arg;
                    return NEXT;
                }
            }
            if (pop.timeoutMs < 0 || !tx.canBlock()) {
                return DONE; // nothing, and it may not block
            }
            tx.block(pop);
            return NEXT;
        }

        @Override
        public void reply(Tx tx, Reply reply) {
            BlockingPop pop = of(tx);
            if (tx.error != null) {
                reply.error(tx.error);
                return;
            }
            if (tx.value < 0) {
                if (tx.blocked()) {
                    return; // the client waits; the serving shard or the timeout answers
                }
                pop.nothing(reply, false);
                return;
            }
            for (int i = 0; i < tx.participantCount(); i++) {
                TxPart p = tx.participant(i);
                if (p.result == 1) {
                    reply.output().write(p.out);
                }
            }
        }
    }
}
