package io.damselfly.engine.exec;

import io.damselfly.engine.command.CommandSpec;
import io.damselfly.engine.resp.ByteOutput;

import java.util.Arrays;

/**
 * Consecutive commands of one client that all run on the same shard, sent there together and
 * answered together (one hop, one wake at most, for the whole run). Reused by its client; the
 * arguments stay in the client's input buffer, which does not move while the batch is away.
 * Also carries a single local command that waits for an intent lock on its own shard.
 */
final class RemoteBatch extends Message {
    /** A detached run's client does not wait for it: nothing follows it soon for that reason. */
    @Override
    public boolean fromClient() {
        return !detached;
    }

    final Client client;
    int home;
    int target;
    boolean returning;

    byte[] buf;
    int[] off = new int[32];
    int[] len = new int[32];
    int argTotal;
    int[] base = new int[8];
    int[] argc = new int[8];
    CommandSpec[] specs = new CommandSpec[8];
    int count;
    int next;
    int db;
    int protocol;
    boolean sent;
    boolean suspended;
    final ByteOutput out = new ByteOutput(512);
    /** Its blocking command is counted in the target's incomingBlocking until it gets there. */
    boolean countedIncoming;
    /**
     * Shard side: the first of the shard's barriers started after this batch reached it. A
     * barrier from then on covers its commands: every proactor read its sockets after they
     * were read (see Worker.serveReady).
     */
    long cover;
    /** Set on the shard when the batch's last command blocked the client. */
    Waiter waiter;
    /**
     * A batch of a stream client that went off with a copy of its arguments while its client
     * went on (see {@link InternalClient}); {@code startPos} is the stream position of its first
     * command.
     */
    boolean detached;
    long startPos;
    /** The database selected at {@code startPos}. */
    int startDb;

    /**
     * A mixed batch collects commands of several shards for a {@link PipelineOp}: the shard of
     * each command, the count and the parser position where it turned mixed (to fall back to
     * hop-by-hop from there), and how many runs on shards other than home it holds.
     */
    boolean mixed;
    int[] shards = new int[8];
    int mixFrom;
    int mixPos;
    int remoteRuns;

    /** Copies the arguments out of the client's buffer, so the client may go on meanwhile. */
    void detach() {
        int lo = Integer.MAX_VALUE;
        int hi = 0;
        for (int i = 0; i < argTotal; i++) {
            lo = Math.min(lo, off[i]);
            hi = Math.max(hi, off[i] + len[i]);
        }
        if (argTotal == 0) {
            lo = 0;
        }
        buf = Arrays.copyOfRange(buf, lo, hi);
        for (int i = 0; i < argTotal; i++) {
            off[i] -= lo;
        }
        detached = true;
    }

    RemoteBatch(Client client, int home) {
        this.client = client;
        this.home = home;
    }

    void open(int target, byte[] buf, int db, int protocol) {
        this.home = client.home();
        this.target = target;
        this.buf = buf;
        this.db = db;
        this.protocol = protocol;
        this.argTotal = 0;
        this.count = 0;
        this.next = 0;
        this.returning = false;
        this.sent = false;
        this.suspended = false;
        this.detached = false;
        this.mixed = false;
    }

    boolean collecting() {
        return count > 0 && !sent;
    }

    void add(CommandSpec spec, int[] poff, int[] plen, int n) {
        if (count == specs.length) {
            base = Arrays.copyOf(base, count * 2);
            argc = Arrays.copyOf(argc, count * 2);
            specs = Arrays.copyOf(specs, count * 2);
            shards = Arrays.copyOf(shards, count * 2);
        }
        if (argTotal + n > off.length) {
            int cap = Math.max(off.length * 2, argTotal + n);
            off = Arrays.copyOf(off, cap);
            len = Arrays.copyOf(len, cap);
        }
        System.arraycopy(poff, 0, off, argTotal, n);
        System.arraycopy(plen, 0, len, argTotal, n);
        base[count] = argTotal;
        argc[count] = n;
        specs[count] = spec;
        argTotal += n;
        count++;
    }

    void clear() {
        count = 0;
        next = 0;
        argTotal = 0;
        buf = null;
        sent = false;
        suspended = false;
        returning = false;
        mixed = false;
        Arrays.fill(specs, null);
    }

    @Override
    public void deliver(Worker worker) {
        if (returning) {
            worker.batchReturned(this);
        } else {
            cover = worker.nextBarrier();
            worker.runBatch(this);
        }
    }
}
