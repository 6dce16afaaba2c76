package io.damselfly.server;

import io.damselfly.engine.command.CommandTable;
import io.damselfly.repl.RdbPersistence;
import io.damselfly.repl.RedisReplication;
import io.damselfly.engine.command.Request;
import io.damselfly.engine.config.ClientOutputLimits;
import io.damselfly.engine.config.Settings;
import io.damselfly.engine.exec.Client;
import io.damselfly.engine.exec.Engine;
import io.damselfly.engine.exec.Host;
import io.damselfly.engine.exec.Message;
import io.damselfly.engine.exec.Router;
import io.damselfly.engine.resp.QuotedArgs;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The network server around an {@link Engine}: the listening socket, one {@link Proactor}
 * thread per shard, the registry of connections, monitors and shutdown. Implements the
 * engine's {@link Router} (inboxes) and {@link Host}.
 */
final class Server implements Router, Host {
    private static final Logger LOG = LoggerFactory.getLogger(Server.class);

    private final Settings settings;
    private final Engine engine;
    private final Proactor[] proactors;
    private final ServerSocketChannel acceptor;
    private final ConcurrentHashMap<Long, Connection> clients = new ConcurrentHashMap<>();
    private final CopyOnWriteArrayList<Connection> monitors = new CopyOnWriteArrayList<>();
    private final AtomicInteger nextHome = new AtomicInteger();
    private final AtomicInteger nextFd = new AtomicInteger(8);
    private final AtomicLong accepted = new AtomicLong();
    private final AtomicLong rejected = new AtomicLong();
    private final CountDownLatch terminated = new CountDownLatch(1);
    private final AtomicInteger running;
    private volatile boolean closing;
    private volatile int exitCode = -1;
    private volatile ClientOutputLimits outputLimits;
    private final int port;
    private final ShutdownListener onShutdown;

    /** Told when SHUTDOWN or a fatal error stops the server, after it stopped. */
    interface ShutdownListener {
        void stopped(int exitCode);
    }

    Server(Settings settings, ShutdownListener onShutdown) throws IOException {
        this.settings = settings;
        this.onShutdown = onShutdown;
        int threads = (int) settings.threads.number();
        this.engine = new Engine(settings, CommandTable.standard(), threads);
        this.outputLimits = ClientOutputLimits.parse(settings.clientOutputBufferLimit.value());
        settings.clientOutputBufferLimit.onChange(s -> outputLimits = ClientOutputLimits.parse(s.value()));
        this.acceptor = ServerSocketChannel.open();
        String bind = settings.bind.value().trim().split("\\s+")[0];
        if (bind.startsWith("-")) {
            bind = bind.substring(1);
        }
        if (bind.equals("*")) {
            bind = "0.0.0.0";
        }
        try {
            acceptor.setOption(StandardSocketOptions.SO_REUSEADDR, true);
            acceptor.bind(new InetSocketAddress(bind, (int) settings.port.number()),
                    (int) settings.get("tcp-backlog").number());
        } catch (IOException e) {
            acceptor.close();
            throw new IOException("Could not create server TCP listening socket " + bind + ":"
                    + settings.port.number() + ": bind: " + e.getMessage(), e);
        }
        acceptor.configureBlocking(false);
        this.port = ((InetSocketAddress) acceptor.getLocalAddress()).getPort();
        engine.router(this);
        engine.host(this);
        this.proactors = new Proactor[threads];
        for (int i = 0; i < threads; i++) {
            proactors[i] = new Proactor(i, this, engine.worker(i), i == 0 ? acceptor : null);
        }
        this.running = new AtomicInteger(threads);
        for (int i = 0; i < threads; i++) {
            Proactor p = proactors[i];
            p.thread = new ShardThread(this, p, () -> {
                try {
                    p.run();
                } finally {
                    if (running.decrementAndGet() == 0) {
                        terminated.countDown();
                    }
                }
            });
        }
        // everything a command may need is installed before the first connection is accepted
        this.persistence = new RdbPersistence(engine);
        engine.persistence(persistence);
        this.replication = new RedisReplication(engine, persistence, port);
        engine.replication(replication);
        for (Proactor p : proactors) {
            p.thread.start();
        }
        try {
            persistence.loadAtStartup();
        } catch (IOException | RuntimeException e) {
            close();
            throw e;
        }
        persistence.start();
        replication.restoreFromDump();
        String[] master = settings.get("replicaof").value().trim().split("\\s+");
        if (master.length == 2) { // replicaof <host> <port> in the config or on the command line
            String error = replication.replicaOf(master[0], Integer.parseInt(master[1]));
            if (error != null) {
                close();
                throw new IOException("replicaof: " + error);
            }
        }
    }

    private final RedisReplication replication;

    private final RdbPersistence persistence;

    /** A proactor's thread; knows its proactor so that sends from it can defer their wakeups. */
    static final class ShardThread extends Thread {
        final Server server;
        final Proactor proactor;

        ShardThread(Server server, Proactor proactor, Runnable body) {
            super(body, "damselfly-shard-" + proactor.index);
            this.server = server;
            this.proactor = proactor;
        }
    }

    Settings settings() {
        return settings;
    }

    Engine engine() {
        return engine;
    }

    RdbPersistence persistence() {
        return persistence;
    }

    int proactorCount() {
        return proactors.length;
    }

    Proactor proactor(int i) {
        return proactors[i];
    }

    ClientOutputLimits outputLimits() {
        return outputLimits;
    }

    // ------------------------------------------------------------------ routing

    @Override
    public void send(int target, Message message) {
        Proactor to = proactors[target];
        to.deliver(message);
        if (Thread.currentThread() instanceof ShardThread st && st.server == this) {
            st.proactor.wakeLater(target);
        } else {
            to.wakeIfSleeping();
        }
    }

    // ------------------------------------------------------------------ connections

    /** A connection accepted by proactor 0: spread over the proactors round-robin. */
    void adopt(SocketChannel ch) {
        accepted.incrementAndGet();
        try {
            ch.configureBlocking(false);
            ch.setOption(StandardSocketOptions.TCP_NODELAY, true);
            long keepalive = settings.tcpKeepalive.number();
            if (keepalive > 0) {
                ch.setOption(StandardSocketOptions.SO_KEEPALIVE, true);
            }
        } catch (IOException e) {
            closeQuietly(ch);
            return;
        }
        if (closing) {
            closeQuietly(ch);
            return;
        }
        if (clients.size() >= settings.maxclients.number()) {
            rejected.incrementAndGet();
            try {
                ch.write(java.nio.ByteBuffer.wrap("-ERR max number of clients reached\r\n".getBytes()));
            } catch (IOException e) {
                // closing anyway
            }
            closeQuietly(ch);
            return;
        }
        int home = Math.floorMod(nextHome.getAndIncrement(), proactors.length);
        Connection c = new Connection(engine.nextClientId(), home, System.currentTimeMillis(), ch,
                nextFd.getAndIncrement());
        c.authenticated(settings.requirepass.value().isEmpty());
        clients.put(c.id(), c);
        send(home, new ServerMessages.Adopt(c));
    }

    private static void closeQuietly(SocketChannel ch) {
        try {
            ch.close();
        } catch (IOException e) {
            // nothing to do
        }
    }

    /** Moves a client's connection to another proactor (replication flows use this). */
    boolean transfer(long clientId, int target) {
        Connection c = clients.get(clientId);
        if (c == null || target < 0 || target >= proactors.length) {
            return false;
        }
        send(c.home(), new ServerMessages.Transfer(c, target));
        return true;
    }

    @Override
    public boolean takeOver(Client client, Takeover body) {
        Connection c = (Connection) client;
        Proactor p = c.owner;
        if (p == null) {
            return false;
        }
        c.stopCommands(); // no more commands from it; the proactor detaches it after this one
        send(p.index, new ServerMessages.TakeOver(c, body));
        return true;
    }

    @Override
    public boolean pumpAfterTakeover(Client client, int proactor, Pump pump) {
        if (!(client instanceof Connection c) || c.owner != null || proactor < 0 || proactor >= proactors.length) {
            return false;
        }
        c.pumpTarget = proactor;
        c.pump = pump;
        return true;
    }

    void forget(Connection c) {
        clients.remove(c.id());
    }

    @Override
    public int port() {
        return port;
    }

    @Override
    public List<Client> clients() {
        List<Client> list = new ArrayList<>(clients.values());
        list.sort((a, b) -> Long.compare(a.id(), b.id()));
        return list;
    }

    @Override
    public boolean kill(Client client) {
        Connection c = clients.get(client.id());
        if (c == null) {
            return false;
        }
        send(c.home(), new ServerMessages.Kill(c));
        return true;
    }

    @Override
    public void addMonitor(Client client) {
        monitors.add((Connection) client);
        engine.monitorAdded();
    }

    void removeMonitor(Connection c) {
        if (monitors.remove(c)) {
            engine.monitorRemoved();
        }
    }

    @Override
    public void feedMonitors(Client client, Request r, int db) {
        long now = System.currentTimeMillis();
        long micros = (System.nanoTime() / 1000) % 1000;
        StringBuilder sb = new StringBuilder(64);
        sb.append('+').append(now / 1000).append('.');
        String frac = Long.toString((now % 1000) * 1000 + micros);
        sb.append("000000", 0, 6 - frac.length()).append(frac);
        sb.append(" [").append(db).append(' ').append(client.address().isEmpty() ? "lua" : client.address()).append(']');
        for (int i = 0; i < r.argc(); i++) {
            sb.append(' ');
            QuotedArgs.repr(sb, r.buf(), r.off(i), r.len(i));
        }
        sb.append("\r\n");
        byte[] line = sb.toString().getBytes(java.nio.charset.StandardCharsets.ISO_8859_1);
        for (Connection m : monitors) {
            send(m.home(), new ServerMessages.MonitorLine(m, line));
        }
    }

    @Override
    public long[] networkStats() {
        long in = 0;
        long out = 0;
        long reads = 0;
        long writes = 0;
        for (Proactor p : proactors) {
            // plain reads of counters written by each proactor: approximate figures for INFO
            in += p.bytesIn;
            out += p.bytesOut;
            reads += p.reads;
            writes += p.writes;
        }
        return new long[] {accepted.get(), rejected.get(), in, out, reads, writes};
    }

    @Override
    public void resetStats() {
        accepted.set(0);
        rejected.set(0);
    }

    @Override
    public String executable() {
        return ProcessHandle.current().info().command().orElse("");
    }

    // ------------------------------------------------------------------ lifecycle

    @Override
    public String shutdown(boolean save, boolean noSave, boolean now, boolean force) {
        LOG.info("User requested shutdown...");
        Thread t = new Thread(() -> {
            if (!noSave && (save || persistence.hasSavePoints())) {
                LOG.info("Saving the final RDB snapshot before exiting.");
                String reply = persistence.saveNow();
                if (!reply.startsWith("+") && !force) {
                    LOG.warn("Error trying to save the DB, can't exit.");
                    return;
                }
            }
            exitCode = 0;
            close();
            onShutdown.stopped(0);
        }, "damselfly-shutdown");
        t.start();
        return null;
    }

    /** SIGTERM: saves first when save points are set (as Redis does), then stops. */
    void terminate() {
        if (exitCode < 0 && !closing && persistence.hasSavePoints()) {
            LOG.info("Saving the final RDB snapshot before exiting.");
            String reply = persistence.saveNow();
            if (!reply.startsWith("+")) {
                LOG.warn("Error trying to save the DB: {}", reply);
            }
        }
        close();
    }

    void fatal(Throwable t) {
        if (!closing) {
            exitCode = 1;
            Thread stopper = new Thread(() -> {
                close();
                onShutdown.stopped(1);
            }, "damselfly-fatal");
            stopper.start();
        }
    }

    /** Stops accepting, stops every proactor and frees the shards. Idempotent; waits for the threads. */
    void close() {
        synchronized (this) {
            if (closing) {
                awaitTermination();
                return;
            }
            closing = true;
        }
        if (persistence != null) {
            persistence.close();
        }
        if (replication != null) {
            replication.close();
        }
        try {
            acceptor.close();
        } catch (IOException e) {
            // closing anyway
        }
        for (Proactor p : proactors) {
            p.stop();
        }
        awaitTermination();
        LOG.info("Damselfly is now ready to exit, bye bye...");
    }

    void awaitTermination() {
        boolean interrupted = false;
        for (;;) {
            try {
                terminated.await();
                break;
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    /** -1 while running; 0 after SHUTDOWN, 1 after a fatal error. */
    int exitCode() {
        return exitCode;
    }

    boolean isClosing() {
        return closing;
    }
}
