package io.damselfly.engine.exec;

import io.damselfly.engine.command.CommandSpec;
import io.damselfly.engine.command.MultiShardOp;
import io.damselfly.engine.command.Request;

/**
 * A multi-shard operation in flight, seen from its coordinator: the client's home worker. One
 * per client, reused. Fields other than the parts are written by the coordinator only, before
 * it sends a phase to the shards (so the shards may read them during that phase).
 */
public final class Tx {
    /** When the operation started, for SLOWLOG (0: not timed). */
    long startNanos;
    static final int IDLE = 0;
    static final int SCHEDULING = 1;
    static final int CANCELLING = 2;
    static final int EXECUTING = 3;
    static final int CONCLUDING = 4;

    final Client client;
    final Engine engine;
    final TxPart[] partsByShard;
    final int[] participants;
    int participantCount;
    int pending;
    boolean refused;
    int phase;
    int hop;
    boolean lastSent;
    int lockMode;
    int retries;

    long id;
    CommandSpec spec;
    MultiShardOp op;
    int db;
    int protocol;
    public final Request req = new Request();

    /** Free slots for an operation to carry state from hop to hop (written by the coordinator). */
    public Object payload;
    public long value;
    public boolean flag;
    public String error;
    /** A second free slot (a value a later hop needs besides {@link #payload}). */
    public Object extra;
    /** Set by the coordinator when the operation found nothing and the client is to wait. */
    Waiter waiter;
    boolean canBlock = true;
    /** The operation's reply waits for work that goes on after its last hop (see {@link MultiShardOp#defer}). */
    boolean deferred;

    Tx(Client client, Engine engine) {
        this.client = client;
        this.engine = engine;
        this.partsByShard = new TxPart[engine.shards()];
        this.participants = new int[engine.shards()];
    }

    /** The client whose command this is. */
    public Client client() {
        return client;
    }

    public Engine engine() {
        return engine;
    }

    /**
     * Finishes an operation whose reply was deferred: the coordinator writes the reply and the
     * client goes on. Callable from any thread, once per deferral.
     */
    public void resume() {
        engine.router().send(client.home(), new Resume(this));
    }

    static final class Resume extends Message {
        private final Tx tx;

        Resume(Tx tx) {
            this.tx = tx;
        }

        @Override
        public void deliver(Worker worker) {
            worker.finishDeferred(tx);
        }
    }

    public long id() {
        return id;
    }

    public int db() {
        return db;
    }

    public int protocol() {
        return protocol;
    }

    public CommandSpec spec() {
        return spec;
    }

    public int participantCount() {
        return participantCount;
    }

    public TxPart participant(int i) {
        return partsByShard[participants[i]];
    }

    /** The part of the shard that owns argument {@code arg}, a key of the operation. */
    public TxPart partOf(int shard) {
        return partsByShard[shard];
    }

    TxPart part(int shard) {
        TxPart p = partsByShard[shard];
        if (p == null) {
            p = new TxPart(this, shard);
            partsByShard[shard] = p;
        }
        return p;
    }

    /** Whether the operation may block the client (not inside EXEC). */
    public boolean canBlock() {
        return canBlock;
    }

    /** Whether the client waits (see {@link #block}). */
    public boolean blocked() {
        return waiter != null;
    }

    /**
     * Decides, in afterHop, that the client waits: the next hop registers the wait on every
     * participating shard ({@link io.damselfly.engine.command.CommandContext#blockPart}).
     */
    public void block(io.damselfly.engine.command.BlockingPop pop) {
        waiter = new Waiter(client, pop, spec, req, db, protocol, System.currentTimeMillis(), true);
        waiter.stamp = client.blockStamp;
        long bits = 0;
        for (int i = 0; i < participantCount; i++) {
            TxPart p = participant(i);
            for (int k = 0; k < p.keyCount; k++) {
                for (int key : pop.keys) {
                    if (p.keyArgs[k] == key) {
                        bits |= 1L << p.shard;
                    }
                }
            }
        }
        waiter.shards = bits;
    }

    boolean isParticipant(int shard) {
        for (int i = 0; i < participantCount; i++) {
            if (participants[i] == shard) {
                return true;
            }
        }
        return false;
    }

    void addParticipant(int shard) {
        participants[participantCount++] = shard;
    }

    void reset() {
        startNanos = 0;
        for (int i = 0; i < participantCount; i++) {
            partsByShard[participants[i]].reset();
        }
        participantCount = 0;
        pending = 0;
        refused = false;
        phase = IDLE;
        hop = 0;
        lastSent = false;
        payload = null;
        value = 0;
        flag = false;
        error = null;
        extra = null;
        waiter = null;
        canBlock = true;
        deferred = false;
        spec = null;
        op = null;
        retries = 0;
    }
}
