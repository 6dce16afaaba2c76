package io.damselfly.engine.exec;

import java.util.ArrayDeque;
import java.util.concurrent.CompletableFuture;

/**
 * A client with no connection, through which the server runs commands of its own (a save
 * point's BGSAVE, the SAVE before a shutdown), as Redis runs them for its fake clients. Its
 * commands go through the same dispatch as a connection's, so they take their locks and their
 * place in the transaction order. Owned by its home worker; {@link Engine#execute} is the way in.
 */
public final class InternalClient extends Client {
    private final ArrayDeque<CompletableFuture<String>> waiting = new ArrayDeque<>();

    InternalClient(long id, int home, long nowMs) {
        super(id, home, nowMs);
        setFlag(FLAG_INTERNAL);
    }

    private boolean discard;
    private final ArrayDeque<byte[]> feed = new ArrayDeque<>();
    private long fed;
    /**
     * A stream client does not wait for the commands it sends to other shards: a run of commands
     * for one shard goes off with a copy of its arguments and the client goes on, since commands
     * of different shards commute and each shard takes its runs in order. These are the runs
     * still away, oldest first; a multi-shard command waits until none is (see Worker).
     */
    final ArrayDeque<RemoteBatch> away = new ArrayDeque<>();
    /** Stream position after the last command dispatched. */
    long dispatched;
    /** Stream position after the last command dispatched outside a MULTI block, and the database selected there. */
    long outsideBlock;
    int outsideBlockDb;
    /** A multi-shard command waits for the runs away to come back before it starts. */
    boolean waitingForAway;
    private volatile long consumed;
    private volatile long settledAt;
    /** {@link #applied()}, but never inside a MULTI block: what a replica forwards and cuts at. */
    private volatile long forwardable;
    /** The database selected at {@link #forwardable}; read once the stream is settled. */
    private volatile int forwardableDb;
    /** Whether CLIENT PAUSE holds this stream's commands as a client's (a Redis master's stream). */
    private boolean pausable;
    /** Parked by a pause (home worker only). */
    private boolean heldByPause;
    /** Parked by a pause with no run away: nothing of the stream moves until the pause ends. */
    private volatile boolean heldQuiet;

    /** Replies are dropped (a master's stream: the master wants none). */
    void discardReplies() {
        discard = true;
        streamPositions = true;
    }

    long fedBytes() {
        return fed;
    }

    /** Whether its runs for other shards go off without it waiting (a stream client). */
    boolean detaches() {
        return discard;
    }

    /**
     * This client applies a master's Redis-protocol stream: a pause holds its commands as it
     * holds a client's (writes and may-replicate commands under WRITE, all under ALL), as Redis
     * 7.0 postpones its master client; the master's bytes wait meanwhile.
     */
    public void pausable() {
        pausable = true;
    }

    boolean isPausable() {
        return pausable;
    }

    /** Whether a pause holds this stream with nothing of it in flight (a settled stream, for a cut). Any thread. */
    public boolean heldQuiet() {
        return heldQuiet;
    }

    /** On the home worker: a pause parked this client, or let it go. */
    void held(boolean on) {
        heldQuiet = on && away.isEmpty();
        heldByPause = on;
    }

    /** Stream position of the first command not yet applied everywhere. */
    private long applied() {
        RemoteBatch oldest = away.peekFirst();
        return oldest == null ? dispatched : oldest.startPos;
    }

    /**
     * Feeds bytes of a command stream (a master's, to a replica) and runs what is complete; on
     * the home worker's thread. Bytes wait while a command is away on another shard and go in
     * as soon as it is back, so commands run in stream order.
     */
    public void stream(Worker worker, byte[] bytes) {
        feed.add(bytes);
        pump(worker);
    }

    private void pump(Worker worker) {
        while (!feed.isEmpty() && !parked) {
            byte[] b = feed.peek();
            if (prepareRead(Long.MAX_VALUE) != ROOM) {
                return;
            }
            int n = Math.min(inputFree(), b.length);
            System.arraycopy(b, 0, inputBuffer(), inputLimit(), n);
            inputAdvanced(n);
            feed.poll();
            if (n < b.length) {
                feed.addFirst(java.util.Arrays.copyOfRange(b, n, b.length));
            }
            fed += n;
            worker.process(this);
        }
    }

    /** Stream bytes whose commands have run (a replica's applied offset, from its start). Any thread. */
    public long consumed() {
        return consumed;
    }

    /**
     * The stream's byte count fed so far at the last moment this client had run every whole
     * command it was given and waited on none (the rest, if any, is an incomplete command). Equal
     * to the count handed to {@link #stream} when all of it is applied. Any thread.
     */
    public long settledAt() {
        return settledAt;
    }

    /**
     * Stream bytes that a replica may pass on to its own replicas: those of {@link #consumed}
     * less an open MULTI block's (it counts once its EXEC ran). Any thread.
     */
    public long forwardable() {
        return forwardable;
    }

    /**
     * The database the stream has selected at {@link #forwardable}: where a sub-replica that
     * starts there applies the next command ({@code repl-stream-db}). Consistent with it only
     * while the stream is settled (nothing fed, nothing away). Any thread.
     */
    public int forwardableDb() {
        return forwardableDb;
    }

    /**
     * The link to the master broke and the replica asks to continue from {@link #forwardable}:
     * what the stream gave beyond it (an incomplete command, the queued commands of an open
     * MULTI block) is dropped, as Redis resets its cached master client, since the master sends
     * it again. On the home worker, with nothing away (the link drained first); returns the
     * position it went back to, or -1 when runs are still away.
     */
    public long rewindToForwardable() {
        if (!away.isEmpty() || parked) {
            return -1;
        }
        multi = null;
        hasPending = false;
        dropPendingInput();
        feed.clear();
        long at = forwardable;
        fed = at;
        dispatched = at;
        outsideBlock = at;
        consumed = at;
        settledAt = at;
        return at;
    }

    /** Called by the worker after it processed this client's input. */
    void processed(Worker worker) {
        if (discard) {
            RemoteBatch oldest = away.peekFirst();
            long safe = outsideBlock;
            int safeDb = outsideBlockDb;
            if (oldest != null && oldest.startPos < safe) {
                safe = oldest.startPos; // runs away were dispatched outside any block: none has a later start
                safeDb = oldest.startDb;
            }
            forwardableDb = safeDb; // before its position's volatile write
            forwardable = safe;
            consumed = applied();
            if (!parked && feed.isEmpty() && away.isEmpty()) {
                settledAt = fed; // volatile write after consumed's: a reader seeing it sees consumed
            }
            if (!parked && !feed.isEmpty()) {
                worker.send(home(), new Worker.Task(w -> pump(w)));
            }
        }
    }

    /** A run that went off detached came back: the applied position may move on. */
    void runBack(Worker worker, RemoteBatch b) {
        away.remove(b);
        if (heldByPause && away.isEmpty()) {
            heldQuiet = true;
        }
        if (waitingForAway && away.isEmpty()) {
            waitingForAway = false;
            parked = false;
            worker.process(this);
            return; // process() ends with processed()
        }
        processed(worker);
    }

    /** The next reply goes to {@code reply} (an operation started without input bytes). */
    void expect(CompletableFuture<String> reply) {
        waiting.add(reply);
    }

    /** Queues one command's bytes (RESP) and the future its reply completes; on the home thread. */
    void submit(byte[] command, CompletableFuture<String> reply) {
        int off = 0;
        while (off < command.length) {
            if (prepareRead(Long.MAX_VALUE) != ROOM) {
                reply.completeExceptionally(new IllegalStateException("internal client busy"));
                return;
            }
            int n = Math.min(inputFree(), command.length - off);
            System.arraycopy(command, off, inputBuffer(), inputLimit(), n);
            inputAdvanced(n);
            off += n;
        }
        waiting.add(reply);
    }

    /**
     * Called where a connection would be queued for a write: hands every complete reply to its
     * future (as text: "+OK", "-ERR ...", ":1"). The futures' waiters run elsewhere; nothing is
     * chained on them, so completing them here runs no foreign code on the shard thread.
     */
    void replied() {
        if (discard) {
            noteErrors(out.array(), out.size());
            out.clear();
            return;
        }
        byte[] b = out.array();
        int n = out.size();
        int p = 0;
        while (p < n && !waiting.isEmpty()) {
            int end = replyEnd(b, p, n);
            if (end < 0) {
                break;
            }
            int line = p;
            while (line < end && b[line] != '\r') {
                line++;
            }
            waiting.poll().complete(new String(b, p, line - p, java.nio.charset.StandardCharsets.ISO_8859_1));
            p = end;
        }
        out.consume(p);
    }

    private volatile String streamError;

    /**
     * The first error reply a stream command got (the master's write failed here: the data
     * differ), or null. Any thread.
     */
    public String streamError() {
        return streamError;
    }

    /** Looks for error replies among the complete replies in {@code b[0, n)} (a stream client's). */
    void noteErrors(byte[] b, int n) {
        int p = 0;
        while (p < n && streamError == null) {
            int end = replyEnd(b, p, n);
            if (end < 0) {
                break;
            }
            if (b[p] == '-') {
                int line = p;
                while (line < end && b[line] != '\r') {
                    line++;
                }
                streamError = new String(b, p + 1, line - p - 1, java.nio.charset.StandardCharsets.ISO_8859_1);
            }
            p = end;
        }
    }

    /** End of the RESP reply starting at p, or -1 if incomplete. */
    private static int replyEnd(byte[] b, int p, int n) {
        int eol = p;
        while (eol + 1 < n && !(b[eol] == '\r' && b[eol + 1] == '\n')) {
            eol++;
        }
        if (eol + 1 >= n) {
            return -1;
        }
        char type = (char) b[p];
        int next = eol + 2;
        if (type == '$') {
            long len = Long.parseLong(new String(b, p + 1, eol - p - 1, java.nio.charset.StandardCharsets.ISO_8859_1));
            return len < 0 ? next : (next + len + 2 <= n ? (int) (next + len + 2) : -1);
        }
        if (type == '*') {
            long count = Long.parseLong(new String(b, p + 1, eol - p - 1, java.nio.charset.StandardCharsets.ISO_8859_1));
            for (long i = 0; i < count; i++) {
                next = replyEnd(b, next, n);
                if (next < 0) {
                    return -1;
                }
            }
        }
        return next;
    }
}
