package io.damselfly.server;

import io.damselfly.engine.config.ClientOutputLimits;
import io.damselfly.engine.exec.Client;
import io.damselfly.engine.exec.Message;
import io.damselfly.engine.exec.Worker;
import org.jctools.queues.atomic.MpscUnboundedAtomicArrayQueue;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.ArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;

/**
 * One thread per core: its own {@link Selector} over the connections handed to it, its own
 * shard (through its {@link Worker}) and an MPSC inbox for work from other threads.
 *
 * <p>Duty cycle: select without blocking and read and run every complete command of the ready
 * connections; drain the inbox (batches and transaction parts of other shards, replies coming
 * back); write each connection's replies once; periodic work. With nothing to do it polls for
 * {@code idle-spin-us} before it blocks in {@code select()}, because waking a blocked thread
 * costs tens of microseconds here (DESIGN.md, "What a hop costs").
 *
 * <p>Waking: before blocking, the proactor sets {@link #sleeping} (a volatile write) and then
 * checks its inbox (a volatile read of the queue's producer index); a sender offers to the
 * inbox (a CAS on that index) and then reads {@link #sleeping}. Both are sequentially
 * consistent, so either the proactor sees the message or the sender sees it sleeping and calls
 * {@link Selector#wakeup()}; a CAS on the flag makes that at most one wakeup per sleep.
 */
final class Proactor implements Runnable {
    private static final Logger LOG = LoggerFactory.getLogger(Proactor.class);
    private static final int INBOX_BATCH = 4096;

    final int index;
    final Server server;
    final Worker worker;
    final Selector selector;
    final MpscUnboundedAtomicArrayQueue<Message> inbox = new MpscUnboundedAtomicArrayQueue<>(1024);
    final AtomicBoolean sleeping = new AtomicBoolean();
    private final ServerSocketChannel acceptor;
    private final Consumer<SelectionKey> onReady = this::onReady;
    private final ArrayList<Connection> connections = new ArrayList<>();
    /** Connections driven by a pump rather than commands (also in {@link #connections}). */
    private final ArrayList<Connection> pumps = new ArrayList<>();
    /** Peers this proactor sent to during the current cycle; woken once at its end. */
    private long wakeMask;
    private long[] wakeMaskWide;
    private int readyCount;
    private volatile boolean running = true;
    Thread thread;

    long bytesIn;
    long bytesOut;
    long reads;
    long writes;

    Proactor(int index, Server server, Worker worker, ServerSocketChannel acceptor) throws IOException {
        this.index = index;
        this.server = server;
        this.worker = worker;
        this.selector = Selector.open();
        this.acceptor = acceptor;
        if (acceptor != null) {
            acceptor.register(selector, SelectionKey.OP_ACCEPT);
        }
        worker.attach(this);
    }

    // ------------------------------------------------------------------ messages

    /** Called by the router on the sending thread. */
    void deliver(Message m) {
        inbox.offer(m);
    }

    /** Wakes this proactor if it is blocked in select (at most once per sleep). */
    void wakeIfSleeping() {
        if (sleeping.get() && sleeping.compareAndSet(true, false)) {
            selector.wakeup();
        }
    }

    /** Remembers to wake proactor {@code target} at the end of this cycle. */
    void wakeLater(int target) {
        if (target < 64) {
            wakeMask |= 1L << target;
        } else {
            if (wakeMaskWide == null) {
                wakeMaskWide = new long[(server.proactorCount() + 63) / 64];
            }
            wakeMaskWide[target >>> 6] |= 1L << (target & 63);
        }
    }

    private void wakePeers() {
        long m = wakeMask;
        wakeMask = 0;
        while (m != 0) {
            int t = Long.numberOfTrailingZeros(m);
            m &= m - 1;
            server.proactor(t).wakeIfSleeping();
        }
        if (wakeMaskWide != null) {
            for (int w = 0; w < wakeMaskWide.length; w++) {
                long bits = wakeMaskWide[w];
                wakeMaskWide[w] = 0;
                while (bits != 0) {
                    int t = w * 64 + Long.numberOfTrailingZeros(bits);
                    bits &= bits - 1;
                    if (t >= 64) {
                        server.proactor(t).wakeIfSleeping();
                    }
                }
            }
        }
    }

    // ------------------------------------------------------------------ the loop

    @Override
    public void run() {
        long idleSince = System.nanoTime();
        int spins = 0;
        try {
            worker.start();
            while (running) {
                long nowNs = System.nanoTime();
                int work = cycle(0);
                if (work > 0) {
                    idleSince = nowNs;
                    continue;
                }
                if (!pumps.isEmpty() && pumpAll(true) > 0) {
                    idleSince = nowNs; // nothing else to do: the small writes left waiting go now
                    continue;
                }
                // Replies from other shards are on their way: poll for them for a while rather
                // than sleep, since a wakeup costs far more than the wait (DESIGN.md).
                // So is the next message of a peer whose work was all this loop had for several
                // cycles in a row (a client of another proactor pipelining alone: its runs come
                // one after another). With sockets of its own to serve, a loop does not wait so.
                long spinNs = (worker.awaitingRemote() || peerOnlyCycles >= PEER_ONLY_CYCLES
                        ? server.settings().replySpinMicros.number()
                        : server.settings().idleSpinMicros.number()) * 1000;
                if (nowNs - idleSince < spinNs) {
                    // cheap polling: the inbox every round, the sockets and the clock every 64
                    while (inbox.isEmpty() && !worker.hasLocalWork() && (++spins & 63) != 0) {
                        Thread.onSpinWait();
                    }
                    continue;
                }
                sleeping.set(true);
                if (!inbox.isEmpty() || worker.hasLocalWork()) {
                    sleeping.set(false);
                    continue;
                }
                long timeout = Math.max(1, 1000 / Math.max(1, server.settings().hz.number()));
                long deadline = worker.nextDeadline();
                if (deadline != Long.MAX_VALUE) {
                    timeout = Math.max(1, Math.min(timeout, deadline - System.currentTimeMillis()));
                }
                cycle(timeout);
                sleeping.set(false);
                idleSince = System.nanoTime();
            }
        } catch (Throwable t) {
            LOG.error("proactor {} stopped by an unexpected error", index, t);
            server.fatal(t);
        } finally {
            closeAll();
        }
    }

    /** One duty cycle; {@code blockMs} > 0 blocks in select for up to that long. Returns work done. */
    int cycle(long blockMs) throws IOException {
        long nowMs = System.currentTimeMillis();
        worker.clock(nowMs);
        readyCount = 0;
        clientMessages = 0;
        // Messages first: what other threads sent before this cycle's socket reads runs before
        // them, which keeps cross-connection order close to arrival order (blocking order).
        int early = drainInbox();
        if (blockMs > 0) {
            selector.select(onReady, blockMs);
            nowMs = System.currentTimeMillis();
            worker.clock(nowMs);
        } else {
            selector.selectNow(onReady);
        }
        worker.afterPoll();
        int late = drainInbox();
        if (readyCount > 0) {
            peerOnlyCycles = 0;
        } else if (clientMessages > 0) {
            peerOnlyCycles++;
        } else if (early + late > 0) {
            peerOnlyCycles = 0; // other work (a replica's writes): no peer client to wait for
        }
        int work = early + readyCount + late;
        work += worker.runLocal();
        worker.expireWaiters(nowMs);
        work += flush();
        if (!pumps.isEmpty()) {
            work += pumpAll(false);
        }
        long expired = worker.cron(nowMs);
        if (expired > 0) {
            work++;
        }
        if (wakeMask != 0 || wakeMaskWide != null) {
            wakePeers();
        }
        return work;
    }

    /** Cycles in a row that served other threads' messages and found no socket ready. */
    private int peerOnlyCycles;
    /** Messages carrying commands of other proactors' clients drained in this cycle. */
    private int clientMessages;
    static final int PEER_ONLY_CYCLES = 4;

    private int drainInbox() {
        Message m;
        int drained = 0;
        while (drained < INBOX_BATCH && (m = inbox.poll()) != null) {
            if (m.fromClient()) {
                clientMessages++;
            }
            m.deliver(worker);
            drained++;
        }
        return drained;
    }

    private void onReady(SelectionKey key) {
        if (readyCount++ == 0) {
            // select may have blocked: commands must see the time they run at
            worker.clock(System.currentTimeMillis());
        }
        try {
            if (!key.isValid()) {
                return;
            }
            if (key.isAcceptable()) {
                accept();
                return;
            }
            Connection c = (Connection) key.attachment();
            if (c.pump != null) {
                if (key.isReadable()) {
                    readPump(c);
                }
                if (key.isValid() && key.isWritable()) {
                    pump(c);
                }
                return;
            }
            if (key.isReadable()) {
                read(c);
            }
            if (key.isValid() && key.isWritable()) {
                write(c);
            }
        } catch (java.nio.channels.CancelledKeyException e) {
            // closed meanwhile
        }
    }

    private void accept() {
        for (;;) {
            SocketChannel ch;
            try {
                ch = acceptor.accept();
            } catch (IOException e) {
                LOG.warn("accept failed: {}", e.getMessage());
                return;
            }
            if (ch == null) {
                return;
            }
            server.adopt(ch);
        }
    }

    /** Takes a connection as its new home (a new client, or one handed over). */
    void adopt(Connection c) {
        try {
            c.owner = this;
            c.key = register(c);
            connections.add(c);
            if (c.inputPending() > 0) {
                worker.process(c);
            }
            if (c.pendingOutput() > 0) {
                worker.markForFlush(c);
            }
        } catch (ClosedChannelException e) {
            server.forget(c);
        }
    }

    /**
     * Registers a connection with this proactor's selector. A connection that lived here before
     * and was handed away may still have its cancelled key in the selector (a cancelled key
     * leaves at the selector's next select): one non-blocking select flushes it first. That
     * select's ready keys are dropped unhandled; readiness is level-triggered, so the next
     * select reports them again.
     */
    private SelectionKey register(Connection c) throws ClosedChannelException {
        try {
            return c.channel.register(selector, SelectionKey.OP_READ, c);
        } catch (java.nio.channels.CancelledKeyException e) {
            try {
                selector.selectNow();
                selector.selectedKeys().clear();
            } catch (IOException io) {
                throw new IllegalStateException("selector failed", io);
            }
            return c.channel.register(selector, SelectionKey.OP_READ, c);
        }
    }

    private void read(Connection c) {
        if (c.closed()) {
            return;
        }
        int room = c.prepareRead(server.settings().clientQueryBufferLimit.number());
        if (room == Client.OVER_LIMIT) {
            LOG.warn("Closing client that reached max query buffer length: id={} addr={}", c.id(), c.address());
            close(c);
            return;
        }
        if (room == Client.WAIT) {
            // A command is away on another shard and the buffer is full: stop reading until it returns.
            pauseReading(c);
            return;
        }
        int n;
        try {
            n = c.channel.read(c.readView());
        } catch (IOException e) {
            close(c);
            return;
        }
        if (n < 0) {
            close(c);
            return;
        }
        reads++;
        if (n == 0) {
            return;
        }
        bytesIn += n;
        c.inputAdvanced(n);
        worker.process(c);
    }

    private void pauseReading(Connection c) {
        if (!c.readPaused && c.key.isValid()) {
            c.readPaused = true;
            c.key.interestOps(c.key.interestOps() & ~SelectionKey.OP_READ);
        }
    }

    private void resumeReading(Connection c) {
        if (c.readPaused && c.key.isValid()) {
            c.readPaused = false;
            c.key.interestOps(c.key.interestOps() | SelectionKey.OP_READ);
        }
    }

    /** Writes the replies of every connection that got some this cycle. */
    private int flush() {
        ArrayList<Client> queue = worker.flushQueue();
        int n = queue.size();
        if (n == 0) {
            return 0;
        }
        for (int i = 0; i < n; i++) {
            Connection c = (Connection) queue.get(i);
            Worker.flushed(c);
            if (c.owner != this) {
                continue;
            }
            if (c.readPaused && !c.parked()) {
                resumeReading(c);
                if (c.inputPending() > 0) {
                    worker.process(c);
                }
            }
            if (c.parked() && !c.closed()) {
                // Part of this read's commands are still away: write the whole batch's replies
                // in one go when they are back (one write per pipelined batch).
                continue;
            }
            if (!c.closed()) {
                write(c);
            }
        }
        if (queue.size() == n) {
            queue.clear(); // the common case, without a sub-list object per cycle
        } else {
            queue.subList(0, n).clear();
        }
        return n;
    }

    private void write(Connection c) {
        long pending = c.pendingOutput();
        if (pending > 0) {
            int n;
            try {
                n = c.channel.write(c.writeView());
            } catch (IOException e) {
                close(c);
                return;
            }
            writes++;
            bytesOut += n;
            c.sent += n;
            pending -= n;
        }
        if (pending == 0) {
            c.output().clear();
            c.sent = 0;
            c.output().shrinkIfEmpty(64 * 1024);
            c.softLimitSince = 0;
            if (c.key.isValid() && (c.key.interestOps() & SelectionKey.OP_WRITE) != 0) {
                c.key.interestOps(c.key.interestOps() & ~SelectionKey.OP_WRITE);
            }
            if (c.hasFlag(Client.FLAG_CLOSE_AFTER_REPLY)) {
                close(c);
            }
            return;
        }
        if (overLimit(c, pending)) {
            LOG.warn("Client id={} addr={} closed for overcoming of output buffer limits.", c.id(), c.address());
            close(c);
            return;
        }
        if (c.sent > 64 * 1024 && c.sent > c.output().size() / 2) {
            c.output().consume(c.sent);
            c.sent = 0;
        }
        if (c.key.isValid() && (c.key.interestOps() & SelectionKey.OP_WRITE) == 0) {
            c.key.interestOps(c.key.interestOps() | SelectionKey.OP_WRITE);
        }
    }

    private boolean overLimit(Connection c, long pending) {
        ClientOutputLimits limits = server.outputLimits();
        int cls = c.hasFlag(Client.FLAG_MONITOR) ? ClientOutputLimits.NORMAL : server.engine().clientType(c)
                .equals("pubsub") ? ClientOutputLimits.PUBSUB : ClientOutputLimits.NORMAL;
        long hard = limits.hard(cls);
        long soft = limits.soft(cls);
        if (hard > 0 && pending >= hard) {
            return true;
        }
        if (soft > 0 && pending >= soft) {
            long now = System.currentTimeMillis();
            if (c.softLimitSince == 0) {
                c.softLimitSince = now;
            } else if (now - c.softLimitSince > limits.softSeconds(cls) * 1000) {
                return true;
            }
        } else {
            c.softLimitSince = 0;
        }
        return false;
    }

    /** Closes a connection owned by this proactor. */
    void close(Connection c) {
        if (c.closed()) {
            return;
        }
        if (c.pump != null) {
            closePump(c, "killed");
            return;
        }
        c.setFlag(Client.FLAG_CLOSED);
        if (c.key != null) {
            c.key.cancel();
        }
        try {
            c.channel.close();
        } catch (IOException e) {
            // already gone
        }
        connections.remove(c);
        if (worker.clientClosed(c)) {
            release(c);
        }
    }

    /** Forgets a closed connection once nothing of it is away on another shard. */
    void release(Connection c) {
        if (c.released) {
            return;
        }
        c.released = true;
        if (c.hasFlag(Client.FLAG_MONITOR)) {
            server.removeMonitor(c);
        }
        server.forget(c);
    }

    /**
     * Takes a connection out of this event loop for blocking I/O on a virtual thread (a full
     * sync streams its RDB so): what is queued for it is written first, its key is cancelled
     * and flushed from the selector, and the channel turns blocking.
     */
    void takeOver(Connection c, io.damselfly.engine.exec.Host.Takeover body) {
        if (c.closed()) {
            return;
        }
        connections.remove(c);
        worker.flushQueue().remove(c);
        Worker.flushed(c);
        try {
            c.key.cancel();
            selector.selectNow(); // deregisters the cancelled key, so the channel may block
            c.channel.configureBlocking(true);
            java.nio.ByteBuffer pending = c.writeView();
            while (pending.hasRemaining()) {
                c.channel.write(pending);
            }
        } catch (IOException e) {
            close(c);
            return;
        }
        c.owner = null;
        Thread.ofVirtual().name("damselfly-takeover-" + c.id()).start(() -> {
            boolean handedBack = false;
            try {
                // the socket's own streams: a read blocked on one thread does not hold up a write on another
                java.io.OutputStream out = new java.io.BufferedOutputStream(c.channel.socket().getOutputStream(), 64 * 1024);
                body.run(c.channel.socket().getInputStream(), out);
                out.flush(); // not closed: that would close the socket
                if (c.pump != null) {
                    // the body asked for the connection to go on in an event loop (Host.pumpAfterTakeover)
                    c.channel.configureBlocking(false);
                    c.moveTo(c.pumpTarget);
                    server.send(c.pumpTarget, new ServerMessages.AdoptPump(c));
                    handedBack = true;
                }
            } catch (IOException | RuntimeException e) {
                LOG.info("Connection {} taken over ended: {}", c.id(), e.getMessage());
            } finally {
                if (!handedBack) {
                    try {
                        c.channel.close();
                    } catch (IOException e) {
                        // gone
                    }
                    c.setFlag(Client.FLAG_CLOSED);
                    server.forget(c);
                    if (c.pump != null) {
                        c.pump.closed("taken over connection ended");
                    }
                }
            }
        });
    }

    // ------------------------------------------------------------------ pumped connections

    /** Joins a pumped connection (see {@link io.damselfly.engine.exec.Host.Pump}) to this loop. */
    void adoptPump(Connection c) {
        c.owner = this;
        try {
            c.key = register(c);
        } catch (ClosedChannelException e) {
            c.setFlag(Client.FLAG_CLOSED);
            server.forget(c);
            c.pump.closed("closed before it joined the loop");
            return;
        }
        connections.add(c);
        pumps.add(c);
        c.pump.attached(() -> {
            if (Thread.currentThread() == thread && c.owner == this && !c.closed()) {
                pump(c);
            }
        });
        pump(c);
    }

    /**
     * Runs the pumps with something to write. While the loop is busy, a pump writes once it has
     * {@link #PUMP_BATCH} bytes or its first waiting byte is {@link #PUMP_DELAY_NS} old, so one
     * system call here and one wake-up of the reader at the other end carry many records; when
     * the loop is about to idle ({@code force}) everything goes.
     */
    private int pumpAll(boolean force) {
        int n = 0;
        long now = System.nanoTime();
        for (int i = 0; i < pumps.size(); ) {
            Connection c = pumps.get(i);
            if (c.key.isValid() && (c.key.interestOps() & SelectionKey.OP_WRITE) == 0) {
                long ready = c.pump.pending();
                if (c.pump.finished()) {
                    closePump(c, "finished");
                } else if (ready > 0) {
                    if (force || ready >= PUMP_BATCH || (c.pumpWaitingSince != 0 && now - c.pumpWaitingSince >= PUMP_DELAY_NS)) {
                        c.pumpWaitingSince = 0;
                        if (pump(c) > 0) {
                            n++;
                        }
                    } else if (c.pumpWaitingSince == 0) {
                        c.pumpWaitingSince = now;
                    }
                }
            }
            if (i < pumps.size() && pumps.get(i) == c) {
                i++;
            }
        }
        return n;
    }

    static final long PUMP_BATCH = 16 * 1024;
    static final long PUMP_DELAY_NS = 200_000;

    /** Lets the connection's pump write; returns the bytes it wrote. */
    private long pump(Connection c) {
        boolean more;
        long before = pumpWritten;
        try {
            more = c.pump.pump(countingChannel(c));
        } catch (IOException e) {
            closePump(c, e.getMessage());
            return 0;
        }
        long written = pumpWritten - before;
        if (c.pump.finished()) {
            closePump(c, "finished");
            return written;
        }
        if (c.key.isValid()) {
            int ops = c.key.interestOps();
            int want = more ? ops | SelectionKey.OP_WRITE : ops & ~SelectionKey.OP_WRITE;
            if (want != ops) {
                c.key.interestOps(want);
            }
        }
        return written;
    }

    private long pumpWritten;
    private Connection pumping;
    /** The pumped connection's channel, counting what is written for INFO. */
    private final java.nio.channels.WritableByteChannel pumpChannel = new java.nio.channels.WritableByteChannel() {
        @Override
        public int write(java.nio.ByteBuffer src) throws IOException {
            int n = pumping.channel.write(src);
            writes++;
            bytesOut += n;
            pumpWritten += n;
            return n;
        }

        @Override
        public boolean isOpen() {
            return pumping.channel.isOpen();
        }

        @Override
        public void close() {
            throw new UnsupportedOperationException("the proactor closes it");
        }
    };

    private java.nio.channels.WritableByteChannel countingChannel(Connection c) {
        pumping = c;
        return pumpChannel;
    }

    private final java.nio.ByteBuffer pumpIn = java.nio.ByteBuffer.allocate(4096);

    private void readPump(Connection c) {
        for (;;) {
            pumpIn.clear();
            int n;
            try {
                n = c.channel.read(pumpIn);
            } catch (IOException e) {
                closePump(c, e.getMessage());
                return;
            }
            if (n < 0) {
                closePump(c, "closed by the peer");
                return;
            }
            reads++;
            if (n == 0) {
                return;
            }
            bytesIn += n;
            pumpIn.flip();
            c.pump.received(pumpIn);
            if (n < pumpIn.capacity()) {
                return;
            }
        }
    }

    private void closePump(Connection c, String why) {
        if (c.closed()) {
            return;
        }
        c.setFlag(Client.FLAG_CLOSED);
        if (c.key != null) {
            c.key.cancel();
        }
        try {
            c.channel.close();
        } catch (IOException e) {
            // already gone
        }
        connections.remove(c);
        pumps.remove(c);
        server.forget(c);
        c.pump.closed(why);
    }

    /** Hands a connection to another proactor: it leaves this selector and joins the other's. */
    void transfer(Connection c, int target) {
        if (target == index) {
            return;
        }
        c.key.cancel();
        connections.remove(c);
        worker.flushQueue().remove(c);
        Worker.flushed(c);
        c.owner = null;
        c.moveTo(target);
        server.send(target, new ServerMessages.Adopt(c));
    }

    int connectionCount() {
        return connections.size();
    }

    void stop() {
        running = false;
        selector.wakeup();
    }

    private void closeAll() {
        for (Connection c : new ArrayList<>(connections)) {
            close(c);
        }
        try {
            selector.close();
        } catch (IOException e) {
            // closing anyway
        }
    }
}
