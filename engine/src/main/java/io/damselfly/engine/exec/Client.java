package io.damselfly.engine.exec;

import io.damselfly.engine.resp.ByteOutput;
import io.damselfly.engine.resp.RespParser;

import java.util.Arrays;

/**
 * A client's engine-side state: its input buffer and parser, its pending output, its session
 * (database, protocol, name, authentication) and where its current command is. The server's
 * connection extends it with a socket.
 *
 * <p>Owned by its home worker's thread. While a command of the client is away on another shard
 * the client is parked: its input buffer is not moved or replaced (the other shard reads the
 * arguments in place) and its next command waits, so commands run in arrival order. Fields that
 * CLIENT LIST shows to other threads are volatile.
 */
public class Client {
    public static final int INITIAL_BUFFER = 4096;

    public static final int FLAG_MONITOR = 1;
    public static final int FLAG_CLOSE_AFTER_REPLY = 2;
    public static final int FLAG_CLOSED = 4;
    public static final int FLAG_INTERNAL = 8;
    /** A replica's connection to this master (its stream, full sync or native flow): CLIENT LIST flag S, type replica. */
    public static final int FLAG_REPLICA = 16;

    private final long id;
    private int home;
    private final long createdMs;

    byte[] in = new byte[INITIAL_BUFFER];
    int inLimit;
    final RespParser parser = new RespParser();
    final ByteOutput out = new ByteOutput(1024);

    int db;
    int protocol = 2;
    boolean authenticated;
    int flags;
    private volatile String name;
    volatile String lastCommand = "NULL";
    volatile long lastInteractionMs;
    volatile int dbShown;

    boolean parked;
    boolean hasPending;
    /** An internal stream client: the worker tells it the stream position after each command. */
    boolean streamPositions;
    boolean queuedForFlush;
    RemoteBatch batch;
    Tx tx;
    /** Runs this client's squashed pipelines (see {@link PipelineOp}); made on first use. */
    PipelineOp pipeline;
    /**
     * Input before this offset was already tried as a squashed run and cut back (see
     * Worker#squashOrCut): its commands go hop by hop, without being collected again.
     */
    int squashBarrier;
    /** The wait the client is blocked in (BLPOP ...), or null. */
    Waiter waiter;
    /** When the client's latest blocking command was dispatched (nanoTime): its place in line. */
    long blockStamp;
    /** Between MULTI and EXEC: the queued commands; null otherwise. */
    MultiState multi;
    /** The client's WATCH, or null. */
    Watch watch;
    /** CLIENT REPLY: {@link #REPLY_ON}, {@link #REPLY_OFF}, or skipping the next reply or this one. */
    int replyMode;
    public static final int REPLY_ON = 0;
    public static final int REPLY_OFF = 1;
    /** CLIENT REPLY SKIP ran: the next command's reply is dropped. */
    public static final int REPLY_SKIP_NEXT = 2;
    /** The current command's reply is dropped. */
    static final int REPLY_SKIP = 3;

    /** Whether replies are being dropped now (pub/sub messages and confirmations still go out). */
    boolean silenced() {
        return replyMode == REPLY_OFF || replyMode == REPLY_SKIP;
    }

    /** CLIENT REPLY ON|OFF|SKIP (home thread). */
    public void replyMode(int mode) {
        if (mode == REPLY_SKIP_NEXT && replyMode == REPLY_OFF) {
            return; // as in Redis, SKIP does nothing while replies are off
        }
        replyMode = mode;
    }

    /** Its pub/sub subscriptions, or null. */
    PubSub.Subscriptions subs;
    long commandsProcessed;

    public Client(long id, int home, long nowMs) {
        this.id = id;
        this.home = home;
        this.createdMs = nowMs;
        this.lastInteractionMs = nowMs;
    }

    public long id() {
        return id;
    }

    public int home() {
        return home;
    }

    /** Moves the client to another worker; only while no thread owns it (in flight between them). */
    protected void home(int worker) {
        this.home = worker;
    }

    public long createdMs() {
        return createdMs;
    }

    public long lastInteractionMs() {
        return lastInteractionMs;
    }

    public String name() {
        return name;
    }

    public void name(String name) {
        this.name = name;
    }

    public int db() {
        return db;
    }

    public int dbShown() {
        return dbShown;
    }

    public void select(int db) {
        this.db = db;
        this.dbShown = db;
    }

    public int protocol() {
        return protocol;
    }

    public void protocol(int p) {
        this.protocol = p;
    }

    public boolean authenticated() {
        return authenticated;
    }

    public void authenticated(boolean a) {
        this.authenticated = a;
    }

    public String lastCommand() {
        return lastCommand;
    }

    public boolean hasFlag(int f) {
        return (flags & f) != 0;
    }

    public void setFlag(int f) {
        flags |= f;
    }

    public void clearFlag(int f) {
        flags &= ~f;
    }

    public boolean closed() {
        return (flags & FLAG_CLOSED) != 0;
    }

    /** Takes no more commands from this client (its connection is being taken over). */
    public void stopCommands() {
        parked = true;
    }

    public boolean parked() {
        return parked;
    }

    /** Bytes of reply waiting to be written to the socket. */
    public ByteOutput output() {
        return out;
    }

    public long commandsProcessed() {
        return commandsProcessed;
    }

    // ------------------------------------------------------------------ input buffer, for the server

    public byte[] inputBuffer() {
        return in;
    }

    public int inputLimit() {
        return inLimit;
    }

    public int inputFree() {
        return in.length - inLimit;
    }

    public void inputAdvanced(int n) {
        inLimit += n;
    }

    /** Bytes received but not yet consumed by complete commands (query buffer length). */
    public int inputPending() {
        return inLimit - parser.position();
    }

    /** Where the commands {@link Worker#process} runs now began in {@link #in} (home thread). */
    int batchStart;

    /**
     * The query buffer's length as CLIENT LIST shows it: for the client whose command runs, what
     * its batch of input holds, the running command and the ones before it included, as Redis
     * trims its query buffer only after the batch; for any other, what waits to be parsed.
     */
    public int queryBufferShown(boolean running) {
        return running ? Math.max(0, inLimit - batchStart) : inputPending();
    }

    /**
     * Makes room to read more: moves unconsumed bytes to the front and, if the buffer is still
     * full, doubles it (never beyond what the pending command needs, plus one read). Not while
     * parked: another shard may be reading arguments from the buffer.
     *
     * @return {@link #ROOM} when there is room to read now, {@link #WAIT} while parked, or
     *         {@link #OVER_LIMIT} when the query buffer would pass {@code maxBuffer}
     */
    public int prepareRead(long maxBuffer) {
        if (inLimit < in.length) {
            return ROOM;
        }
        if (parked || hasPending) {
            return WAIT;
        }
        int start = parser.position();
        if (start > 0) {
            System.arraycopy(in, start, in, 0, inLimit - start);
            inLimit -= start;
            parser.shift(start);
            squashBarrier = Math.max(0, squashBarrier - start);
            if (inLimit < in.length) {
                return ROOM;
            }
        }
        long needed = Math.max(parser.pendingBytes(inLimit), (long) inLimit + 1);
        long grown = Math.min((long) in.length * 2, needed);
        if (grown > maxBuffer || grown > Integer.MAX_VALUE - 16) {
            return OVER_LIMIT;
        }
        in = Arrays.copyOf(in, (int) grown);
        return ROOM;
    }

    public static final int ROOM = 1;
    public static final int WAIT = 0;
    public static final int OVER_LIMIT = -1;

    /** Drops the input not yet run (an incomplete command): it will be sent again. */
    void dropPendingInput() {
        parser.reset();
        inLimit = 0;
        squashBarrier = 0;
    }

    /** After the client consumed everything: rewinds, and drops a buffer that grew large. */
    void compactIfDrained() {
        if (parked || hasPending) {
            return;
        }
        int start = parser.position();
        if (start == inLimit && start > 0) {
            inLimit = 0;
            parser.shift(start);
            squashBarrier = 0;
            if (in.length > 64 * 1024) {
                in = new byte[INITIAL_BUFFER];
            }
        }
    }

    /**
     * Called on the home thread when a command that was away comes back to a client that
     * closed meanwhile: the server can now release it.
     */
    protected void afterAway() {
    }

    /** What a replica announced with REPLCONF before PSYNC (listening-port, ip-address, capa, rdb-only). */
    public int replicaPort;
    public String replicaIp;
    public boolean replicaCapaEof;
    public boolean replicaCapaPsync2;
    public boolean replicaRdbOnly;

    /** Peer address as "ip:port" for CLIENT LIST and MONITOR. */
    public String address() {
        return "";
    }

    public String localAddress() {
        return "";
    }

    public int fd() {
        return -1;
    }

    public long outputMemory() {
        return out.capacity();
    }

    /** Bytes allocated for the query buffer. */
    public long inputMemory() {
        return in.length;
    }
}
