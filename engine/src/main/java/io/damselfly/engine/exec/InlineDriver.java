package io.damselfly.engine.exec;

import io.damselfly.engine.command.Request;

import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;

/**
 * Drives every worker of an engine on the calling thread, without sockets: messages between
 * workers go through plain queues and run until none is left. Tests use it to run commands
 * across shards deterministically; benchmarks use it to measure the command path alone.
 */
public final class InlineDriver implements Router, Host {
    private final Engine engine;
    private final ArrayDeque<Message>[] queues;
    private final List<Client> clients = new ArrayList<>();

    @SuppressWarnings("unchecked")
    public InlineDriver(Engine engine) {
        this.engine = engine;
        this.queues = new ArrayDeque[engine.shards()];
        for (int i = 0; i < queues.length; i++) {
            queues[i] = new ArrayDeque<>();
        }
        engine.router(this);
        engine.host(this);
        for (int i = 0; i < engine.shards(); i++) {
            engine.worker(i).start();
        }
        tick();
    }

    public Engine engine() {
        return engine;
    }

    @Override
    public void send(int target, Message message) {
        queues[target].add(message);
    }

    /** Refreshes every worker's clock. */
    public void tick() {
        long now = System.currentTimeMillis();
        for (int i = 0; i < engine.shards(); i++) {
            engine.worker(i).clock(now);
        }
    }

    /** Runs messages until every queue is empty. */
    public void runUntilIdle() {
        boolean work = true;
        while (work) {
            work = false;
            for (int i = 0; i < engine.shards(); i++) {
                Worker w = engine.worker(i);
                if (w.runLocal() > 0) {
                    work = true;
                }
                Message m;
                while ((m = queues[i].poll()) != null) {
                    m.deliver(w);
                    work = true;
                }
                w.afterPoll();
            }
        }
        for (int i = 0; i < engine.shards(); i++) {
            java.util.ArrayList<Client> queue = engine.worker(i).flushQueue();
            for (int k = 0; k < queue.size(); k++) {
                Worker.flushed(queue.get(k));
            }
            queue.clear();
        }
    }

    public Client newClient(int home) {
        Client c = new Client(engine.nextClientId(), home, System.currentTimeMillis());
        clients.add(c);
        return c;
    }

    /** Appends request bytes to the client's input as if they arrived from its socket. */
    public void feed(Client c, byte[] bytes) {
        int off = 0;
        while (off < bytes.length) {
            if (c.prepareRead(Long.MAX_VALUE) != Client.ROOM) {
                throw new IllegalStateException("client cannot take more input now");
            }
            int n = Math.min(c.inputFree(), bytes.length - off);
            System.arraycopy(bytes, off, c.inputBuffer(), c.inputLimit(), n);
            c.inputAdvanced(n);
            off += n;
            engine.worker(c.home()).process(c);
            runUntilIdle();
        }
    }

    /** Takes and clears what the client has been answered so far. */
    public byte[] drainOutput(Client c) {
        byte[] out = java.util.Arrays.copyOf(c.output().array(), c.output().size());
        c.output().clear();
        return out;
    }

    /** Sends one command (RESP-encoded) and returns the raw reply bytes. */
    public byte[] call(Client c, String... args) {
        feed(c, encode(args));
        return drainOutput(c);
    }

    public String callText(Client c, String... args) {
        return new String(call(c, args), StandardCharsets.ISO_8859_1);
    }

    public static byte[] encode(String... args) {
        StringBuilder sb = new StringBuilder();
        sb.append('*').append(args.length).append("\r\n");
        for (String a : args) {
            byte[] b = a.getBytes(StandardCharsets.UTF_8);
            sb.append('$').append(b.length).append("\r\n").append(new String(b, StandardCharsets.ISO_8859_1)).append("\r\n");
        }
        return sb.toString().getBytes(StandardCharsets.ISO_8859_1);
    }

    // ------------------------------------------------------------------ Host

    @Override
    public int port() {
        return 0;
    }

    @Override
    public List<Client> clients() {
        return new ArrayList<>(clients);
    }

    @Override
    public boolean kill(Client client) {
        client.setFlag(Client.FLAG_CLOSED);
        return clients.remove(client);
    }

    @Override
    public String shutdown(boolean save, boolean noSave, boolean now, boolean force) {
        return "ERR shutdown is not available in an inline engine";
    }

    @Override
    public void addMonitor(Client client) {
    }

    @Override
    public void feedMonitors(Client client, Request request, int db) {
    }

    @Override
    public long[] networkStats() {
        return new long[6];
    }

    @Override
    public String executable() {
        return "";
    }
}
