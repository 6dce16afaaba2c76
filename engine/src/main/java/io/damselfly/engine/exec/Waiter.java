package io.damselfly.engine.exec;

import io.damselfly.engine.command.BlockingPop;
import io.damselfly.engine.command.CommandSpec;
import io.damselfly.engine.command.Request;
import io.damselfly.engine.resp.ByteOutput;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * A client blocked in BLPOP, BZPOPMIN, BLMOVE ...: registered on the shard of each of its
 * keys, in blocking order, until one of them fills, its deadline passes, or the client goes.
 *
 * <p>Whoever ends the wait first wins one compare-and-set of {@link #state} from WAITING to
 * DONE: the shard that serves it (on its own thread), the home worker on timeout or disconnect.
 * Every other party just drops the waiter when it meets it. The CAS is a full fence, so the
 * winner's earlier writes are visible to whoever reads the state after it; the reply itself
 * travels home in a message (release on offer, acquire on poll).
 */
public final class Waiter {
    static final int WAITING = 0;
    static final int DONE = 1;
    private static final VarHandle STATE;

    static {
        try {
            STATE = MethodHandles.lookup().findVarHandle(Waiter.class, "state", int.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    @SuppressWarnings("unused") // through STATE
    private volatile int state;

    final Client client;
    final int home;
    final BlockingPop pop;
    final CommandSpec spec;
    /** The command's own copy of its arguments (the client's buffer moves on). */
    final Request req;
    final int db;
    final int protocol;
    /** Absolute deadline in ms, 0 for none. */
    final long deadline;
    /** When its command was dispatched at home (nanoTime): waiters of a key are served in this order. */
    long stamp;
    /** Shards holding its keys, as a bit set (bit i = shard i). */
    long shards;
    /** Whether its keys span shards (a move between them is then retried as a transaction). */
    final boolean multiShard;
    /** The reply, written by the serving shard. */
    final ByteOutput out = new ByteOutput(128);
    /** Home side: set when serving sent the client back to be retried rather than a reply. */
    boolean retry;
    /** Home side: the served reply arrived before the transaction that blocked it finished. */
    boolean arrived;

    Waiter(Client client, BlockingPop pop, CommandSpec spec, Request req, int db, int protocol, long nowMs,
            boolean multiShard) {
        this.client = client;
        this.home = client.home();
        this.pop = pop;
        this.spec = spec;
        this.req = copy(req);
        this.db = db;
        this.protocol = protocol;
        this.deadline = pop.timeoutMs == 0 ? 0 : nowMs + pop.timeoutMs;
        this.multiShard = multiShard;
    }

    private static Request copy(Request r) {
        byte[][] args = new byte[r.argc()][];
        for (int i = 0; i < args.length; i++) {
            args[i] = r.copy(i);
        }
        return Request.of(args);
    }

    boolean waiting() {
        return (int) STATE.getVolatile(this) == WAITING;
    }

    /** Ends the wait; true for the one caller that got there first. */
    boolean claim() {
        return STATE.compareAndSet(this, WAITING, DONE);
    }
}
