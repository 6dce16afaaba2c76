package io.damselfly.repl.flow;

import io.damselfly.engine.command.CommandSpec;
import io.damselfly.engine.command.Request;
import io.damselfly.engine.exec.Engine;
import io.damselfly.engine.exec.InternalClient;
import io.damselfly.repl.LinkIo;
import io.damselfly.repl.RespArgs;
import io.damselfly.repl.rdb.KeyWrites;
import io.damselfly.repl.rdb.RdbIn;
import io.damselfly.repl.rdb.RdbReader;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * The replica side of native replication: one connection per master shard, each read by its own
 * virtual thread, which applies its flow on this node's shards (keys re-hashed to our shard
 * count) in parallel with the others. Multi-shard operations go through {@link TxMerge} and
 * apply as one transaction. Keeps, across reconnections, the LSN applied on every flow and the
 * master's log id, so a broken link resumes by partial sync. With as many shards as the master,
 * the flows are also appended, as received, to this node's own logs (mirroring): promoted, it
 * continues the same history and its siblings resume against it by LSN.
 */
public final class NativeReplica {
    private static final Logger LOG = LoggerFactory.getLogger(NativeReplica.class);
    private static final long STABLE_FLUSH_NANOS = 500_000L;

    private final Engine engine;
    private final NativeMaster logs;
    /** What the data reflects: the master's log id and the LSN applied on each of its flows. */
    private volatile String masterLogId = "?";
    private volatile long[] applied = new long[0];
    private volatile long offset;
    private volatile boolean stable;
    private volatile int masterShards;
    private volatile TxMerge merge;
    private volatile Socket[] sockets = new Socket[0];
    private volatile OutputStream control;

    /** Called to empty the dataset before a full sync (the persistence's). */
    private final Runnable emptyDataset;

    public NativeReplica(Engine engine, NativeMaster logs, Runnable emptyDataset) {
        this.engine = engine;
        this.logs = logs;
        this.emptyDataset = emptyDataset;
    }

    private volatile boolean claimOwnHistory;

    /**
     * This node follows a master from now on ({@code replica}) or is promoted. A master that
     * becomes a replica may continue its own history at its first session; a promoted node no
     * longer claims its old master's.
     */
    public void becoming(boolean replica, boolean wasMaster) {
        if (!replica) {
            masterLogId = "?";
            applied = new long[0];
            claimOwnHistory = false;
            return;
        }
        if (wasMaster) {
            masterLogId = "?";
            applied = new long[0];
            claimOwnHistory = true;
        }
    }

    /** slave_repl_offset: the node offset of the last marker applied on every flow. */
    public long offset() {
        return offset;
    }

    public boolean stable() {
        return stable;
    }

    /** The lag per flow (INFO on the replica). */
    public String info() {
        long[] a = applied;
        StringBuilder sb = new StringBuilder("damselfly_native_master_log_id:").append(masterLogId).append("\r\n");
        sb.append("damselfly_native_flows:").append(a.length).append("\r\n");
        sb.append("damselfly_native_applied_lsn:");
        for (int i = 0; i < a.length; i++) {
            sb.append(i == 0 ? "" : ",").append("shard").append(i).append('=').append(a[i]);
        }
        sb.append("\r\n");
        return sb.toString();
    }

    /** What the link (RedisReplication's) lets this session report. */
    public interface Link {
        void state(String state);

        void io();

        boolean stopped();
    }

    /**
     * A session over a handshaken control connection whose DFLY HELLO answered: connects the
     * flows, syncs, applies until a flow breaks (then throws, and the link reconnects).
     */
    public void session(String host, int port, InputStream in, OutputStream out, long shards, String session,
            String masterId, Link link) throws IOException {
        int n = (int) shards;
        // the master decides: our history's id may be its current one or the one it had before a promotion
        boolean sameHistory = !masterLogId.equals("?") && applied.length == n;
        long[] resumeAt = sameHistory ? applied.clone() : new long[n];
        if (claimOwnHistory) {
            // a master turned replica asks to continue its own history (its new master may have
            // had it as a replica: PSYNC2's demoted master). Its shards logged every write up to
            // now (writes are refused since REPLICAOF); from here on its logs are its master's.
            claimOwnHistory = false;
            long[] own = logs.history();
            String id = logs.logId();
            logs.recording(false);
            if (!sameHistory && own != null && own.length == n) {
                sameHistory = true;
                masterLogId = id;
                resumeAt = own;
                applied = own.clone();
            }
        }
        if (!sameHistory) {
            java.util.Arrays.fill(resumeAt, -1);
        }
        Socket[] socks = new Socket[n];
        sockets = socks;
        control = out;
        FlowInput[] ins = new FlowInput[n];
        OutputStream[] outs = new OutputStream[n];
        try {
            for (int i = 0; i < n; i++) {
                Socket s = new Socket();
                socks[i] = s;
                s.connect(new InetSocketAddress(host, port), 5000);
                s.setTcpNoDelay(true);
                s.setSoTimeout((int) Math.min(Integer.MAX_VALUE, engine.settings().get("repl-timeout").number() * 1000));
                ins[i] = new FlowInput(s.getInputStream());
                outs[i] = new BufferedOutputStream(s.getOutputStream(), 256);
                LinkIo.send(outs[i], "DFLY", "FLOW", session, Integer.toString(i));
                String ok = LinkIo.line(ins[i]);
                if (!ok.startsWith("+OK")) {
                    throw new IOException("flow " + i + " refused: " + ok);
                }
            }
            String[] sync = new String[4 + n];
            sync[0] = "DFLY";
            sync[1] = "SYNC";
            sync[2] = session;
            sync[3] = sameHistory ? masterLogId : "?";
            for (int i = 0; i < n; i++) {
                sync[4 + i] = Long.toString(resumeAt[i]);
            }
            LinkIo.send(out, sync);
            String reply = LinkIo.line(in);
            boolean full;
            if (reply.startsWith("+CONTINUE")) {
                full = false;
                masterLogId = masterId;
                LOG.info("Native partial resync with {}:{} on {} flows", host, port, n);
            } else if (reply.startsWith("+FULLRESYNC")) {
                full = true;
                String[] words = reply.split(" ");
                offset = words.length > 2 ? Long.parseLong(words[2].trim()) : 0; // where the snapshot stands
                LOG.info("Native full sync from {}:{}: {} flows", host, port, n);
            } else {
                throw new IOException("unexpected reply to DFLY SYNC: " + reply);
            }
            boolean mirror = n == engine.shards();
            if (full) {
                stable = false;
                link.state("sync");
                masterLogId = "?"; // until every flow is through: a break now means a full sync again
                emptyDataset.run();
                applied = new long[n];
            }
            logs.mirroring = mirror;
            if (mirror) {
                logs.adoptId(masterId);
            }
            masterShards = n;
            Thread.ofVirtual().name("damselfly-flow-control").start(() -> readControl(in));
            runFlows(n, ins, outs, full, mirror, masterId, link);
        } finally {
            for (Socket s : socks) {
                if (s != null) {
                    try {
                        s.close();
                    } catch (IOException e) {
                        // closing
                    }
                }
            }
            stable = false;
        }
    }

    /** Closes the flows (REPLICAOF elsewhere, a promotion): their threads end. */
    public void stop() {
        for (Socket s : sockets) {
            if (s != null) {
                try {
                    s.close();
                } catch (IOException e) {
                    // closing
                }
            }
        }
    }

    private volatile Thread[] flowThreads = new Thread[0];
    private volatile FlowApplier[] appliers = new FlowApplier[0];

    /**
     * Stops the flows and waits (briefly: it may run on a shard thread, and nothing here waits
     * for a shard once interrupted) until their threads ended, with what they gathered posted.
     * Returns whether the data and the mirrored logs agree (no operation half-received).
     */
    public boolean stopAndSettle() {
        stop();
        boolean ended = true;
        for (Thread t : flowThreads) {
            t.interrupt();
        }
        for (Thread t : flowThreads) {
            try {
                t.join(5000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            ended &= !t.isAlive();
        }
        for (FlowApplier a : appliers) {
            a.flushNow();
        }
        return ended && clean();
    }

    /** Whether the last session left no operation half-received (a promotion may vouch for its log). */
    public boolean clean() {
        TxMerge m = merge;
        FlowState[] fs = current;
        if (fs != null) {
            for (FlowState f : fs) {
                if (f.pieces.size() > 0) {
                    return false; // a big record half received: in our logs, not in our data
                }
            }
        }
        return m == null || m.idle();
    }

    /** REPLTAKEOVER: asks the master on the control connection; true once it follows us. */
    public boolean requestTakeover(long timeoutMs) throws IOException {
        OutputStream out = control;
        if (out == null || !stable) {
            return false;
        }
        synchronized (this) {
            takeoverReply = null;
        }
        synchronized (out) {
            out.write(("TAKEOVER " + timeoutMs + "\r\n").getBytes(StandardCharsets.US_ASCII));
            out.flush();
        }
        long deadline = System.currentTimeMillis() + timeoutMs + 5000;
        synchronized (this) {
            while (takeoverReply == null && System.currentTimeMillis() < deadline) {
                try {
                    wait(100);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return false;
                }
            }
            return "+OK".equals(takeoverReply);
        }
    }

    private String takeoverReply;

    private synchronized void takeoverAnswered(String reply) {
        if (takeoverReply == null) {
            takeoverReply = reply; // the first answer: the connection closes right after a +OK
        }
        notifyAll();
    }

    // ------------------------------------------------------------------ the flows

    /** A flow's socket input, buffered, that tells whether read bytes wait without a system call. */
    static final class FlowInput extends DataInputStream {
        FlowInput(java.io.InputStream socket) {
            super(new Buffer(socket));
        }

        /** Bytes read from the socket and not consumed yet. */
        int buffered() {
            return ((Buffer) in).buffered();
        }

        private static final class Buffer extends BufferedInputStream {
            Buffer(java.io.InputStream in) {
                super(in, 64 * 1024);
            }

            synchronized int buffered() {
                return count - pos;
            }
        }
    }

    private final class FlowState {
        final int index;
        final FlowInput in;
        final OutputStream out;
        final FlowApplier applier;
        final byte[] h = new byte[Frames.HEADER];
        final byte[] ackBuf = new byte[Frames.HEADER];
        volatile long lsn;
        boolean ackAfterEnd;
        /** The pieces of a big record read so far. */
        final java.io.ByteArrayOutputStream pieces = new java.io.ByteArrayOutputStream();
        final java.util.List<byte[]> rawPieces = new java.util.ArrayList<>();
        /** A frame's payload, reused from frame to frame (what outlives the frame is copied). */
        byte[] payload = new byte[4096];
        int[] keyScratch = new int[16];
        final RespArgs.Parser parser = new RespArgs.Parser();

        FlowState(int index, FlowInput in, OutputStream out) {
            this.index = index;
            this.in = in;
            this.out = out;
            this.applier = new FlowApplier(engine);
        }

        void ack(boolean all) {
            try {
                synchronized (out) {
                    Frames.header(ackBuf, Frames.ACK, lsn, offset, 0, all ? 1 : 0, 0, 0);
                    out.write(ackBuf);
                    out.flush();
                }
            } catch (IOException e) {
                // the reader notices
            }
        }
    }

    private volatile FlowState[] current;
    private volatile InternalClient streamTx;
    /** Bytes handed to the stream client (guarded by this object). */
    private long streamFed;

    /** Markers seen per flow: a marker's offset counts once every flow applied it. */
    private final ConcurrentSkipListMap<Long, long[]> markers = new ConcurrentSkipListMap<>();

    private void markerApplied(long id, long position, int flows) {
        long[] m = markers.computeIfAbsent(id, k -> new long[2]);
        boolean all;
        synchronized (m) {
            m[0]++;
            m[1] += position;
            all = m[0] == flows;
        }
        if (all) {
            offset = Math.max(offset, m[1]);
            markers.headMap(id, true).clear();
        }
    }

    private void runFlows(int n, FlowInput[] ins, OutputStream[] outs, boolean full, boolean mirror,
            String masterId, Link link) throws IOException {
        FlowState[] flows = new FlowState[n];
        for (int i = 0; i < n; i++) {
            flows[i] = new FlowState(i, ins[i], outs[i]);
        }
        current = flows;
        synchronized (this) {
            streamTx = engine.streamClient();
            streamFed = 0;
        }
        if (full || merge == null) {
            // a partial sync keeps what the last session held (an operation half-received, the
            // items queued behind it): the resumed flows bring the rest, nothing twice
            merge = new TxMerge(n, new TxMerge.Apply() {
                @Override
                public void plain(TxMerge.Item it) throws Exception {
                    applyPlain(current[it.lane], it);
                }

                @Override
                public void operation(List<TxMerge.Item> records) throws Exception {
                    for (FlowState f : current) {
                        f.applier.drain();
                    }
                    byte[] multi = transaction(records);
                    runStream(multi);
                }
            });
            markers.clear();
        }
        FlowApplier[] as = new FlowApplier[n];
        for (int i = 0; i < n; i++) {
            as[i] = flows[i].applier;
        }
        appliers = as;
        AtomicInteger synced = new AtomicInteger(full ? 0 : n);
        Throwable[] failure = new Throwable[1];
        Thread[] threads = new Thread[n];
        for (int i = 0; i < n; i++) {
            FlowState f = flows[i];
            // a platform thread per flow: it reads for as long as the master writes, and a virtual
            // thread paid a poller wake-up and a carrier hand-off per read (0.75 cores for 188k
            // writes/s against 0.59 for 225k; bench/RESULTS.md §8.2); stop() closes the sockets
            threads[i] = Thread.ofPlatform().daemon().name("damselfly-flow-" + i).start(() -> {
                try {
                    readFlow(f, mirror, synced);
                } catch (Throwable e) {
                    synchronized (failure) {
                        if (failure[0] == null) {
                            failure[0] = e;
                        }
                    }
                    stop();
                }
            });
        }
        flowThreads = threads;
        // acknowledgements, once a second, from this thread
        long lastAck = 0;
        boolean announced = false;
        while (true) {
            boolean alive = false;
            for (Thread t : threads) {
                alive |= t.isAlive();
            }
            synchronized (failure) {
                if (failure[0] != null || !alive || link.stopped()) {
                    break;
                }
            }
            link.io();
            if (synced.get() == n && !announced) {
                announced = true;
                    stable = true;
                masterLogId = masterId;
                link.state("connected");
                LOG.info("Native sync: every flow is in stable sync");
            }
            long now = System.currentTimeMillis();
            if (now - lastAck >= 1000) {
                lastAck = now;
                long[] a = new long[n];
                for (FlowState f : flows) {
                    f.ack(synced.get() == n);
                    a[f.index] = f.lsn;
                }
                if (masterLogId.equals(masterId)) {
                    applied = a;
                }
            }
            LockSupport.parkNanos(20_000_000L);
        }
        stop();
        for (Thread t : threads) {
            try {
                t.join(30_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        for (FlowState f : flows) {
            try {
                f.applier.drain();
            } catch (IOException e) {
                // stopping
            }
        }
        long[] a = new long[n];
        for (FlowState f : flows) {
            a[f.index] = f.lsn;
        }
        if (masterLogId.equals(masterId)) {
            applied = a;
        }
        Throwable e = failure[0];
        if (e instanceof ApplyFailure af) {
            throw af;
        }
        throw new IOException(e == null ? "the flows ended" : "flow failed: " + e.getMessage());
    }

    /** A write the replica could not apply: replication stops in a visible error state. */
    public static final class ApplyFailure extends IOException {
        ApplyFailure(String message) {
            super(message);
        }
    }

    private void readFlow(FlowState f, boolean mirror, AtomicInteger synced) throws Exception {
        FlowInput in = f.in;
        byte[] h = f.h;
        if (!Frames.readHeader(in, h) || Frames.kind(h, 0) != 'B') {
            throw new IOException("flow " + f.index + " did not start");
        }
        long startLsn = Frames.lsn(h, 0);
        boolean full = Frames.parts(h, 0) == 1;
        FlowLog own = mirror ? logs.log(f.index) : null;
        if (full) {
            if (own != null) {
                own.resetTo(startLsn);
            }
            f.lsn = startLsn;
            RdbIn rdb = new RdbIn(new SnapshotInput(f, mirror), 64 * 1024);
            RdbReader.read(rdb, new Entries(f));
            f.applier.flush();
            if (!Frames.readHeader(in, h) || Frames.kind(h, 0) != Frames.SYNCED) {
                throw new IOException("flow " + f.index + ": expected the end of the snapshot");
            }
            synced.incrementAndGet();
        } else {
            f.lsn = startLsn;
        }
        long flushedAt = System.nanoTime();
        int frames = 0;
        while (true) {
            // what is gathered goes to the shards when nothing more is there to read, or at least
            // every STABLE_FLUSH_NANOS under a steady stream (the lag a reader of the replica sees).
            // The socket is asked (a system call) only once what was read is parsed, and the clock
            // every 32 frames: per frame, both took 10% of a replica's CPU
            boolean idle = in.buffered() == 0 && in.available() == 0;
            if (idle || (++frames & 31) == 0) {
                long now = System.nanoTime();
                if (idle || now - flushedAt > STABLE_FLUSH_NANOS) {
                    f.applier.flush();
                    check(f);
                    flushedAt = now;
                }
            }
            if (!Frames.readHeader(in, h)) {
                throw new IOException("flow " + f.index + " closed by the master");
            }
            frame(f, mirror);
        }
    }

    private void check(FlowState f) throws ApplyFailure {
        String e = f.applier.error.get();
        if (e != null) {
            throw new ApplyFailure("a write of the master's flow " + f.index + " failed here: " + e);
        }
    }

    /** One frame after the header in {@code f.h}: a record, an end, a marker. */
    private void frame(FlowState f, boolean mirror) throws Exception {
        byte[] h = f.h;
        int len = Frames.length(h, 0);
        byte kind = Frames.kind(h, 0);
        if (kind == Frames.SNAPSHOT || kind == Frames.SYNCED || len < 0 || len > 512L * 1024 * 1024 + 1024) {
            throw new IOException("flow " + f.index + ": unexpected frame " + (char) kind);
        }
        if (len > f.payload.length) {
            f.payload = new byte[Math.max(len, Math.min(2 * f.payload.length, 1 << 20))];
        }
        byte[] payload = f.payload;
        f.in.readFully(payload, 0, len);
        if (payload.length > 1 << 20) {
            f.payload = new byte[4096]; // a big record's room is not kept
        }
        if (mirror) {
            // into our own log as received; a big record's pieces only once it is whole (a
            // resumed flow sends a half-received record again from its first piece)
            if (kind == Frames.PIECE) {
                byte[] raw = new byte[Frames.HEADER + len];
                System.arraycopy(h, 0, raw, 0, Frames.HEADER);
                System.arraycopy(payload, 0, raw, Frames.HEADER, len);
                f.rawPieces.add(raw);
            } else {
                for (byte[] piece : f.rawPieces) {
                    logs.log(f.index).appendRaw(piece, 0, piece.length);
                }
                f.rawPieces.clear();
                logs.log(f.index).appendRaw(h, payload, len);
            }
        }
        if (kind == Frames.PIECE) {
            // a big record's leading pieces: gathered until its last frame (bounded by proto-max-bulk-len)
            if (f.pieces.size() + (long) len > engine.settings().protoMaxBulkLen.number() + 1024) {
                throw new IOException("flow " + f.index + ": a record larger than proto-max-bulk-len");
            }
            f.pieces.write(payload, 0, len);
            return;
        }
        if (f.pieces.size() > 0) {
            f.pieces.write(payload, 0, len);
            payload = f.pieces.toByteArray();
            len = payload.length;
            f.pieces.reset();
        }
        if (kind == Frames.RECORD && Frames.txid(h, 0) == 0 && merge.passes(f.index)) {
            // most records: outside any multi-shard operation, on a lane with nothing held back.
            // The flow's position moves past the record once it parsed (applyRecord): one that
            // does not is asked for again when the flow resumes, not skipped
            applyRecord(f, Frames.db(h, 0), payload, len, h);
            return;
        }
        if (kind == Frames.RECORD) {
            parsed(f, payload, len, h); // a record that does not parse is asked for again, not taken
        }
        TxMerge.Item it = new TxMerge.Item(kind, Frames.lsn(h, 0), Frames.txid(h, 0), Frames.db(h, 0),
                Frames.parts(h, 0), Frames.hop(h, 0), java.util.Arrays.copyOf(payload, len), f.index);
        f.lsn = it.lsn; // received: applied, or held by the merge, which a partial sync keeps
        if (merge.offer(it)) {
            applyPlain(f, it);
        }
        if (kind == Frames.END && f.ackAfterEnd) {
            f.ackAfterEnd = false;
            f.ack(true); // WAIT, REPLTAKEOVER: everything up to the marker's operation is here
        }
    }

    /** A record outside any multi-shard operation, or a marker, on its flow's replica shards. */
    private void applyPlain(FlowState f, TxMerge.Item it) throws Exception {
        if (it.kind == Frames.MARKER) {
            f.applier.drain();
            check(f);
            markerApplied(it.txid, Frames.getLong(it.payload, 0), masterShards);
            if ((it.parts & Frames.ACK_NOW) != 0) {
                f.ackAfterEnd = true; // after the marker operation's own END, which follows at once
            }
            return;
        }
        if (it.kind == Frames.RECORD) {
            applyRecord(f, it.db, it.payload, it.payload.length);
        }
    }

    /**
     * A record ({@code payload[0, len)}, an array the caller may reuse once this returns) outside
     * any multi-shard operation: to the one replica shard of its keys, else in order through a
     * transaction.
     */
    private void applyRecord(FlowState f, int db, byte[] payload, int len) throws Exception {
        applyRecord(f, db, payload, len, null);
    }

    /** The record parsed, or an error that names it ({@code h}: its frame's header, or null). */
    private static Request parsed(FlowState f, byte[] payload, int len, byte[] h) throws IOException {
        try {
            return f.parser.parse(payload);
        } catch (IOException | RuntimeException e) {
            String head = new String(payload, 0, Math.min(len, 24), StandardCharsets.ISO_8859_1)
                    .replace("\r", "\\r").replace("\n", "\\n");
            throw new IOException(e.getMessage() + " (flow " + f.index + (h == null ? "" : ", lsn " + Frames.lsn(h, 0))
                    + ", " + len + " bytes, starting '" + head + "')", e);
        }
    }

    /**
     * {@link #applyRecord(FlowState, int, byte[], int)} for a frame read just now ({@code h}, its
     * header, or null): the flow's LSN moves to the record's once it parsed.
     */
    private void applyRecord(FlowState f, int db, byte[] payload, int len, byte[] h) throws Exception {
        Request r = parsed(f, payload, len, h); // to find its keys: the shard parses it again
        if (h != null) {
            // taken: from here on it is applied or fails visibly, and a resume must not send it again
            f.lsn = Frames.lsn(h, 0);
        }
        CommandSpec spec = engine.commands().lookup(r.buf(), r.off(0), r.len(0));
        int shard = -1;
        if (spec != null && spec.route() == CommandSpec.Route.KEYS) {
            if (f.keyScratch.length < r.argc()) {
                f.keyScratch = new int[r.argc()];
            }
            int k = spec.keys(r, f.keyScratch);
            for (int j = 0; j < k; j++) {
                int s = engine.shardOf(r.buf(), r.off(f.keyScratch[j]), r.len(f.keyScratch[j]));
                if (shard == -1) {
                    shard = s;
                } else if (s != shard) {
                    shard = -2;
                    break;
                }
            }
        }
        if (shard >= 0) {
            f.applier.addRecord(shard, db, payload, len);
        } else {
            // keyless or spread over our shards: through the transaction path, in order
            f.applier.drain();
            check(f);
            runStream(select(db, payload, len));
        }
    }

    private static byte[] select(int db, byte[] command) {
        return select(db, command, command.length);
    }

    private static byte[] select(int db, byte[] command, int length) {
        byte[] d = Integer.toString(db).getBytes(StandardCharsets.US_ASCII);
        byte[] head = ("*2\r\n$6\r\nSELECT\r\n$" + d.length + "\r\n" + db + "\r\n").getBytes(StandardCharsets.US_ASCII);
        byte[] out = new byte[head.length + length];
        System.arraycopy(head, 0, out, 0, head.length);
        System.arraycopy(command, 0, out, head.length, length);
        return out;
    }

    private static final byte[] MULTI = "*1\r\n$5\r\nMULTI\r\n".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] EXEC = "*1\r\n$4\r\nEXEC\r\n".getBytes(StandardCharsets.US_ASCII);

    /** An operation's records (sorted by hop) as one MULTI/EXEC, each with its database, as the Redis stream writes it. */
    private static byte[] transaction(List<TxMerge.Item> records) {
        java.io.ByteArrayOutputStream b = new java.io.ByteArrayOutputStream();
        b.writeBytes(MULTI);
        for (TxMerge.Item it : RespArgs.dropRepeatedDatabaseWide(records)) {
            b.writeBytes(select(it.db, it.payload));
        }
        b.writeBytes(EXEC);
        return b.toByteArray();
    }

    /** Runs commands through the session's stream client and waits until they applied everywhere. */
    private void runStream(byte[] bytes) throws ApplyFailure {
        InternalClient tx = streamTx;
        long target;
        synchronized (this) {
            streamFed += bytes.length;
            target = streamFed;
            engine.post(0, w -> tx.stream(w, bytes));
        }
        long deadline = System.currentTimeMillis() + 60_000;
        while (tx.settledAt() < target) {
            if (Thread.interrupted()) {
                throw new ApplyFailure("interrupted while a transaction of the master's flow applied");
            }
            String e = tx.streamError();
            if (e != null) {
                throw new ApplyFailure("a command of the master's flow failed here: " + e);
            }
            if (System.currentTimeMillis() > deadline) {
                throw new ApplyFailure("a transaction of the master's flow did not apply within 60 s");
            }
            LockSupport.parkNanos(50_000L);
        }
        String e = tx.streamError();
        if (e != null) {
            throw new ApplyFailure("a command of the master's flow failed here: " + e);
        }
    }

    /**
     * The snapshot's bytes as one RDB stream for the reader, handling the frames between them
     * (records, ends, markers) as they come: a record precedes what follows it in the flow.
     */
    private final class SnapshotInput extends InputStream {
        private final FlowState f;
        private final boolean mirror;
        private int left;

        SnapshotInput(FlowState f, boolean mirror) {
            this.f = f;
            this.mirror = mirror;
        }

        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            int n = read(one, 0, 1);
            return n < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            while (left == 0) {
                if (!Frames.readHeader(f.in, f.h)) {
                    return -1;
                }
                if (Frames.kind(f.h, 0) == Frames.SNAPSHOT) {
                    left = Frames.length(f.h, 0);
                    continue;
                }
                try {
                    frame(f, mirror);
                } catch (IOException e) {
                    throw e;
                } catch (Exception e) {
                    throw new IOException(e);
                }
            }
            int n = f.in.read(b, off, Math.min(len, left));
            if (n < 0) {
                throw new IOException("flow " + f.index + " closed in the snapshot");
            }
            left -= n;
            return n;
        }
    }

    /** The snapshot's entries, re-hashed to this node's shards. */
    private final class Entries implements RdbReader.Handler {
        private final FlowState f;
        private int db;
        private int shard;
        private final KeyWrites writes;
        private long expireAt;
        private byte[] stringKey;
        private final long databases = engine.settings().databases.number();

        Entries(FlowState f) {
            this.f = f;
            this.writes = new KeyWrites((r, size) -> f.applier.add(shard, db, r, size));
        }

        @Override
        public void resizeDb(int db, long size, long expires) {
            if (db < 0 || db >= databases || size <= 0) {
                return;
            }
            long perShard = size / engine.shards() + 1;
            for (int s = 0; s < engine.shards(); s++) {
                engine.post(s, w -> w.shard().db(db).table().reserve(perShard)); // later calls find it done
            }
        }

        @Override
        public RdbReader.Elements key(int db, byte[] key, int kind, long expireAt) throws IOException {
            if (db < 0 || db >= databases) {
                throw new IOException("the master has keys in database " + db + " but this server has " + databases);
            }
            this.db = db;
            this.shard = engine.shardOf(key, 0, key.length);
            this.expireAt = expireAt;
            if (kind == RdbReader.STRING) {
                stringKey = key;
                return string;
            }
            stringKey = null;
            return writes.begin(key, kind);
        }

        private final RdbReader.Elements string = new RdbReader.Elements() {
            public void string(byte[] value) throws IOException {
                f.applier.add(shard, db, new FlowApplier.StringKey(stringKey, value, expireAt), stringKey.length + value.length + 48);
            }

            public void element(byte[] e) {
                throw new IllegalStateException("a string has no elements");
            }

            public void pair(byte[] a, byte[] v) {
                throw new IllegalStateException("a string has no elements");
            }

            public void member(byte[] m, double s) {
                throw new IllegalStateException("a string has no elements");
            }
        };

        @Override
        public void endKey() throws IOException {
            if (stringKey == null) {
                writes.end(expireAt);
            }
        }
    }

    // ------------------------------------------------------------------ RESP on the control connection

    /** Reads the rest of the control connection: the master's answers to TAKEOVER. */
    public void readControl(InputStream in) {
        try {
            while (true) {
                takeoverAnswered(LinkIo.line(in));
            }
        } catch (IOException e) {
            takeoverAnswered("-ERR control connection closed");
        }
    }
}
