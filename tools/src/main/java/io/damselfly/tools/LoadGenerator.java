package io.damselfly.tools;

import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A lean Redis load generator: N pipelined connections driven by T selector threads, a write
 * and a read command on random keys with fixed-size values. Latencies go into HdrHistogram
 * recorders.
 *
 * <p>Workloads ({@code --workload}; the write:read mix is {@code --ratio}):
 * <ul>
 * <li>{@code string}: SET key value / GET key over {@code --keys} keys;
 * <li>{@code hash}: HSET hash field value / HGET hash field, the fields spread over
 *     {@code keys/100} hashes (100 fields each: compact encodings on both servers);
 * <li>{@code list}: LPUSH list value / LPOP list over {@code keys/100} lists;
 * <li>{@code set}: SADD set member / SISMEMBER set member over {@code keys/100} sets;
 * <li>{@code zset}: ZADD zset score member / ZRANGE zset 0 4 over {@code keys/100} sorted sets;
 * <li>{@code publish}: PUBLISH to one channel that {@code --subscribers} connections read
 *     (each publish is delivered to all of them); the read side of the mix is PUBLISH too.
 * </ul>
 *
 * <p>Coordinated omission: with {@code --rate}, each connection sends on a fixed schedule and a
 * request's latency counts from when it should have been sent, so a stalled server is charged
 * for every request it delayed. Without a rate the loop is closed (send a pipeline, wait for
 * its replies, repeat) and each latency is recorded with the connection's mean round trip as
 * the expected interval, so stalls still add the samples they suppressed.
 *
 * <pre>
 * java -cp tools/target/damselfly-tools.jar:tools/target/lib/* io.damselfly.tools.LoadGenerator \
 *      --port 6379 --connections 50 --pipeline 16 --ratio 1:10 --keys 100000 --size 32 --duration 20
 * </pre>
 */
public final class LoadGenerator {
    static final class Options {
        String host = "127.0.0.1";
        int port = 6379;
        int connections = 50;
        int threads = 1;
        int pipeline = 1;
        int setRatio = 1;
        int getRatio = 10;
        int keys = 100_000;
        int size = 32;
        double duration = 10;
        long requests = 0;
        double warmup = 2;
        long rate = 0;
        long serverPid = 0;
        boolean fill = false;
        String label = "";
        String workload = "string";
        int subscribers = 10;

        static Options parse(String[] args) {
            Options o = new Options();
            for (int i = 0; i < args.length; i++) {
                String a = args[i];
                String v = i + 1 < args.length ? args[i + 1] : null;
                switch (a) {
                    case "--host" -> o.host = args[++i];
                    case "--port", "-p" -> o.port = Integer.parseInt(args[++i]);
                    case "--connections", "-c" -> o.connections = Integer.parseInt(args[++i]);
                    case "--threads", "-t" -> o.threads = Integer.parseInt(args[++i]);
                    case "--pipeline", "-P" -> o.pipeline = Integer.parseInt(args[++i]);
                    case "--ratio" -> {
                        String[] r = args[++i].split(":");
                        o.setRatio = Integer.parseInt(r[0]);
                        o.getRatio = Integer.parseInt(r[1]);
                    }
                    case "--keys", "-r" -> o.keys = Integer.parseInt(args[++i]);
                    case "--size", "-d" -> o.size = Integer.parseInt(args[++i]);
                    case "--duration" -> o.duration = Double.parseDouble(args[++i]);
                    case "--requests", "-n" -> o.requests = Long.parseLong(args[++i]);
                    case "--warmup" -> o.warmup = Double.parseDouble(args[++i]);
                    case "--rate" -> o.rate = Long.parseLong(args[++i]);
                    case "--server-pid" -> o.serverPid = Long.parseLong(args[++i]);
                    case "--fill" -> o.fill = true;
                    case "--label" -> o.label = args[++i];
                    case "--workload", "-w" -> o.workload = args[++i];
                    case "--subscribers" -> o.subscribers = Integer.parseInt(args[++i]);
                    default -> throw new IllegalArgumentException("unknown option " + a + (v == null ? "" : ""));
                }
            }
            if (!List.of("string", "hash", "list", "set", "zset", "publish").contains(o.workload)) {
                throw new IllegalArgumentException("unknown workload " + o.workload);
            }
            return o;
        }
    }

    private final Options o;
    private final Recorder recorder = new Recorder(3);
    private final AtomicLong completed = new AtomicLong();
    private final AtomicLong sets = new AtomicLong();
    private final AtomicLong errors = new AtomicLong();
    private volatile boolean measuring;
    private volatile boolean stop;
    private final byte[] value;

    LoadGenerator(Options o) {
        this.o = o;
        this.value = new byte[o.size];
        Arrays.fill(value, (byte) 'x');
    }

    public static void main(String[] args) throws Exception {
        Options o = Options.parse(args);
        Result r = new LoadGenerator(o).run();
        System.out.println(r.format(o));
    }

    /** What a run measured. */
    record Result(double opsPerSec, long ops, long sets, long errors, double seconds, Histogram latency,
                  double clientCpuUsPerOp, double serverCpuUsPerOp) {
        String format(Options o) {
            return String.format(Locale.ROOT,
                    "%sworkload=%s ops/s=%.0f ops=%d writes=%d errors=%d secs=%.1f p50_us=%.1f p99_us=%.1f p999_us=%.1f max_us=%.1f "
                            + "client_cpu_us_per_op=%.3f server_cpu_us_per_op=%s conns=%d pipeline=%d threads=%d ratio=%d:%d keys=%d size=%d",
                    o.label.isEmpty() ? "" : o.label + " ", o.workload, opsPerSec, ops, sets, errors, seconds,
                    latency.getValueAtPercentile(50) / 1000.0, latency.getValueAtPercentile(99) / 1000.0,
                    latency.getValueAtPercentile(99.9) / 1000.0, latency.getMaxValue() / 1000.0, clientCpuUsPerOp,
                    serverCpuUsPerOp < 0 ? "n/a" : String.format(Locale.ROOT, "%.3f", serverCpuUsPerOp),
                    o.connections, o.pipeline, o.threads, o.setRatio, o.getRatio, o.keys, o.size);
        }
    }

    Result run() throws Exception {
        if (o.fill) {
            fill();
        }
        Subscribers subs = o.workload.equals("publish") ? new Subscribers() : null;
        List<Worker> workers = new ArrayList<>();
        for (int t = 0; t < o.threads; t++) {
            int n = o.connections / o.threads + (t < o.connections % o.threads ? 1 : 0);
            workers.add(new Worker(t, n));
        }
        CountDownLatch done = new CountDownLatch(workers.size());
        List<Thread> threads = new ArrayList<>();
        for (Worker w : workers) {
            Thread th = new Thread(() -> {
                try {
                    w.loop();
                } catch (IOException e) {
                    System.err.println("load generator: " + e);
                    errors.incrementAndGet();
                } finally {
                    done.countDown();
                }
            }, "load-" + w.id);
            threads.add(th);
            th.start();
        }
        Thread.sleep((long) (o.warmup * 1000));
        ThreadMXBean mx = ManagementFactory.getThreadMXBean();
        long cpu0 = 0;
        for (Thread th : threads) {
            cpu0 += mx.getThreadCpuTime(th.threadId());
        }
        long server0 = serverCpuTicks();
        recorder.reset();
        long start = System.nanoTime();
        long ops0 = completed.get();
        long sets0 = sets.get();
        measuring = true;
        if (o.requests > 0) {
            while (completed.get() - ops0 < o.requests && done.getCount() > 0) {
                Thread.sleep(5);
            }
        } else {
            Thread.sleep((long) (o.duration * 1000));
        }
        measuring = false;
        long end = System.nanoTime();
        long ops = completed.get() - ops0;
        long setsDone = sets.get() - sets0;
        long server1 = serverCpuTicks();
        long cpu1 = 0;
        for (Thread th : threads) {
            cpu1 += mx.getThreadCpuTime(th.threadId());
        }
        stop = true;
        done.await();
        if (subs != null) {
            subs.close();
        }
        Histogram h = recorder.getIntervalHistogram();
        double secs = (end - start) / 1e9;
        double serverUs = server0 < 0 ? -1 : (server1 - server0) * 1e6 / 100.0 / Math.max(1, ops);
        return new Result(ops / secs, ops, setsDone, errors.get(), secs, h, (cpu1 - cpu0) / 1000.0 / Math.max(1, ops),
                serverUs);
    }

    /** utime+stime of the server process in clock ticks (1/100 s), or -1. */
    private long serverCpuTicks() {
        if (o.serverPid <= 0) {
            return -1;
        }
        try {
            String stat = Files.readString(Path.of("/proc/" + o.serverPid + "/stat"));
            String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            return Long.parseLong(f[11]) + Long.parseLong(f[12]);
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }

    /** Writes every key once so that GETs hit. */
    private void fill() throws IOException {
        try (SocketChannel ch = SocketChannel.open(new InetSocketAddress(o.host, o.port))) {
            ByteBuffer out = ByteBuffer.allocateDirect(1 << 20);
            ByteBuffer in = ByteBuffer.allocateDirect(1 << 20);
            int pending = 0;
            for (int k = 0; k < o.keys; k++) {
                if (out.remaining() < 128 + o.size) {
                    out.flip();
                    while (out.hasRemaining()) {
                        ch.write(out);
                    }
                    out.clear();
                    pending = drain(ch, in, pending, false);
                }
                encode(out, true, k);
                pending++;
            }
            out.flip();
            while (out.hasRemaining()) {
                ch.write(out);
            }
            drain(ch, in, pending, true);
        }
    }

    private static int drain(SocketChannel ch, ByteBuffer in, int pending, boolean all) throws IOException {
        while (pending > 0) {
            in.clear();
            int n = ch.read(in);
            if (n < 0) {
                throw new IOException("server closed the connection");
            }
            for (int i = 0; i < n; i++) {
                if (in.get(i) == '\n') {
                    pending--;
                }
            }
            if (!all) {
                return pending;
            }
        }
        return pending;
    }

    private static final byte[] SET_HEAD = "*3\r\n$3\r\nSET\r\n$16\r\nkey:".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] GET_HEAD = "*2\r\n$3\r\nGET\r\n$16\r\nkey:".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] CRLF = {'\r', '\n'};

    private static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }

    private static final byte[] HSET = ascii("*4\r\n$4\r\nHSET\r\n");
    private static final byte[] HGET = ascii("*3\r\n$4\r\nHGET\r\n");
    private static final byte[] LPUSH = ascii("*3\r\n$5\r\nLPUSH\r\n");
    private static final byte[] LPOP = ascii("*2\r\n$4\r\nLPOP\r\n");
    private static final byte[] SADD = ascii("*3\r\n$4\r\nSADD\r\n");
    private static final byte[] SISMEMBER = ascii("*3\r\n$9\r\nSISMEMBER\r\n");
    private static final byte[] ZADD = ascii("*4\r\n$4\r\nZADD\r\n");
    private static final byte[] ZRANGE_HEAD = ascii("*4\r\n$6\r\nZRANGE\r\n");
    private static final byte[] ZRANGE_TAIL = ascii("$1\r\n0\r\n$1\r\n4\r\n");
    private static final byte[] PUBLISH = ascii("*3\r\n$7\r\nPUBLISH\r\n$5\r\nbench\r\n");

    /** Appends "$12\r\n" + prefix + the 12-digit zero-padded number n (minus the prefix length) + CRLF. */
    private static void numbered(ByteBuffer out, char prefix, long n) {
        out.put(ascii("$12\r\n"));
        out.put((byte) prefix);
        digits(out, n, 11);
        out.put(CRLF);
    }

    /** Appends n as exactly {@code width} decimal digits, zero-padded. */
    private static void digits(ByteBuffer out, long n, int width) {
        int pos = out.position();
        for (int i = width - 1; i >= 0; i--) {
            out.put(pos + i, (byte) ('0' + n % 10));
            n /= 10;
        }
        out.position(pos + width);
    }

    private void valueArg(ByteBuffer out) {
        out.put((byte) '$');
        out.put(ascii(Integer.toString(value.length)));
        out.put(CRLF);
        out.put(value);
        out.put(CRLF);
    }

    /**
     * Appends the workload's write ({@code write}) or read of item k: for strings key k; for the
     * collections element k of collection k / 100.
     */
    private void encode(ByteBuffer out, boolean write, int k) {
        int group = k / 100;
        switch (o.workload) {
            case "string" -> encodeString(out, write, k);
            case "hash" -> {
                out.put(write ? HSET : HGET);
                numbered(out, 'h', group);
                numbered(out, 'f', k);
                if (write) {
                    valueArg(out);
                }
            }
            case "list" -> {
                out.put(write ? LPUSH : LPOP);
                numbered(out, 'l', group);
                if (write) {
                    valueArg(out);
                }
            }
            case "set" -> {
                out.put(write ? SADD : SISMEMBER);
                numbered(out, 's', group);
                numbered(out, 'm', k);
            }
            case "zset" -> {
                if (write) {
                    out.put(ZADD);
                    numbered(out, 'z', group);
                    numbered(out, '0', k % 1000);
                    numbered(out, 'm', k);
                } else {
                    out.put(ZRANGE_HEAD);
                    numbered(out, 'z', group);
                    out.put(ZRANGE_TAIL);
                }
            }
            default -> {
                out.put(PUBLISH);
                valueArg(out);
            }
        }
    }

    /** Appends SET or GET of key number k ("key:" + 12 digits, 16 bytes, as redis-benchmark's). */
    private void encodeString(ByteBuffer out, boolean set, int k) {
        out.put(set ? SET_HEAD : GET_HEAD);
        digits(out, k, 12);
        out.put(CRLF);
        if (set) {
            out.put((byte) '$');
            out.put(Integer.toString(value.length).getBytes(StandardCharsets.US_ASCII));
            out.put(CRLF);
            out.put(value);
            out.put(CRLF);
        }
    }

    /**
     * The publish workload's readers: connections subscribed to the channel, drained by one
     * thread so that the server never holds their messages back.
     */
    private final class Subscribers {
        final Selector selector = Selector.open();
        final List<SocketChannel> channels = new ArrayList<>();
        final Thread reader;
        volatile boolean closing;

        Subscribers() throws IOException {
            byte[] subscribe = ascii("*2\r\n$9\r\nSUBSCRIBE\r\n$5\r\nbench\r\n");
            for (int i = 0; i < o.subscribers; i++) {
                SocketChannel ch = SocketChannel.open(new InetSocketAddress(o.host, o.port));
                ch.write(ByteBuffer.wrap(subscribe));
                ByteBuffer confirm = ByteBuffer.allocate(64);
                while (confirm.position() < 3 || confirm.get(confirm.position() - 1) != '\n'
                        || countLines(confirm) < 6) {
                    if (ch.read(confirm) < 0) {
                        throw new IOException("subscriber closed");
                    }
                }
                ch.configureBlocking(false);
                ch.register(selector, SelectionKey.OP_READ);
                channels.add(ch);
            }
            reader = new Thread(this::drain, "load-subscribers");
            reader.start();
        }

        private static int countLines(ByteBuffer b) {
            int lines = 0;
            for (int i = 0; i < b.position(); i++) {
                if (b.get(i) == '\n') {
                    lines++;
                }
            }
            return lines;
        }

        private void drain() {
            ByteBuffer buf = ByteBuffer.allocateDirect(256 * 1024);
            try {
                while (!closing) {
                    selector.select(100);
                    for (var it = selector.selectedKeys().iterator(); it.hasNext(); ) {
                        SelectionKey key = it.next();
                        it.remove();
                        buf.clear();
                        if (((SocketChannel) key.channel()).read(buf) < 0) {
                            key.cancel();
                        }
                    }
                }
            } catch (IOException e) {
                System.err.println("load generator subscriber: " + e);
            }
        }

        void close() throws Exception {
            closing = true;
            reader.join();
            for (SocketChannel ch : channels) {
                ch.close();
            }
            selector.close();
        }
    }

    /** One selector thread driving its share of the connections. */
    private final class Worker {
        final int id;
        final Conn[] conns;
        final Selector selector;
        final SplittableRandom random;

        Worker(int id, int n) throws IOException {
            this.id = id;
            this.selector = Selector.open();
            this.random = new SplittableRandom(42 + id);
            this.conns = new Conn[n];
            for (int i = 0; i < n; i++) {
                SocketChannel ch = SocketChannel.open(new InetSocketAddress(o.host, o.port));
                ch.setOption(StandardSocketOptions.TCP_NODELAY, true);
                ch.configureBlocking(false);
                conns[i] = new Conn(ch);
                conns[i].key = ch.register(selector, SelectionKey.OP_READ, conns[i]);
            }
        }

        void loop() throws IOException {
            long now = System.nanoTime();
            long interval = o.rate > 0 ? Math.max(1, 1_000_000_000L * o.pipeline * o.connections / o.rate) : 0;
            for (Conn c : conns) {
                c.due = now + (interval > 0 ? random.nextLong(interval) : 0);
                if (interval == 0) {
                    c.send(now, random);
                }
            }
            while (!stop) {
                if (interval > 0) {
                    now = System.nanoTime();
                    long next = Long.MAX_VALUE;
                    for (Conn c : conns) {
                        if (c.outstanding == 0 && now >= c.due) {
                            c.send(c.due, random);
                            c.due += interval;
                        }
                        if (c.outstanding == 0) {
                            next = Math.min(next, c.due);
                        }
                    }
                    long waitMs = next == Long.MAX_VALUE ? 1 : Math.max(0, (next - System.nanoTime()) / 1_000_000);
                    if (waitMs == 0) {
                        selector.selectNow();
                    } else {
                        selector.select(waitMs);
                    }
                } else {
                    selector.select(100);
                }
                var keys = selector.selectedKeys();
                for (var it = keys.iterator(); it.hasNext(); ) {
                    SelectionKey key = it.next();
                    it.remove();
                    Conn c = (Conn) key.attachment();
                    if (key.isReadable() && c.read() && interval == 0 && !stop) {
                        c.send(System.nanoTime(), random);
                    }
                }
            }
            for (Conn c : conns) {
                c.channel.close();
            }
            selector.close();
        }
    }

    /** A pipelined connection: sends a batch, counts replies with a minimal RESP scanner. */
    private final class Conn {
        final SocketChannel channel;
        final ByteBuffer out = ByteBuffer.allocateDirect(64 * 1024 + o.pipeline * (64 + o.size));
        final ByteBuffer in = ByteBuffer.allocateDirect(256 * 1024);
        SelectionKey key;
        int outstanding;
        long sentAt;
        long due;
        long meanRtt = 100_000;
        // scanner state
        int state;
        long bulkRemaining;
        /** Elements still to come of the (flat) array reply being read; 0 outside one. */
        long arrayLeft;

        Conn(SocketChannel channel) {
            this.channel = channel;
        }

        void send(long intended, SplittableRandom random) throws IOException {
            out.clear();
            int total = o.setRatio + o.getRatio;
            for (int i = 0; i < o.pipeline; i++) {
                boolean set = random.nextInt(total) < o.setRatio;
                encode(out, set, random.nextInt(o.keys));
                if (set && measuring) {
                    sets.incrementAndGet();
                }
            }
            out.flip();
            while (out.hasRemaining()) {
                channel.write(out);
            }
            outstanding = o.pipeline;
            sentAt = intended;
        }

        /** Reads what arrived; returns true when the whole pipeline has been answered. */
        boolean read() throws IOException {
            in.clear();
            int n = channel.read(in);
            if (n < 0) {
                throw new IOException("server closed the connection");
            }
            for (int i = 0; i < n && outstanding > 0; ) {
                i = scan(i, n);
            }
            return outstanding == 0;
        }

        /** Advances through one reply element from buffer index i; returns the next index. */
        private int scan(int i, int n) {
            switch (state) {
                case 0 -> { // start of a reply
                    byte t = in.get(i);
                    if (t == '$') {
                        state = 2;
                        bulkRemaining = 0;
                    } else if (t == '*') {
                        state = 4;
                        bulkRemaining = 0;
                    } else {
                        if (t == '-') {
                            errors.incrementAndGet();
                        }
                        state = 1;
                    }
                    return i + 1;
                }
                case 1 -> { // rest of a line reply
                    while (i < n && in.get(i) != '\n') {
                        i++;
                    }
                    if (i < n) {
                        state = 0;
                        replied();
                        return i + 1;
                    }
                    return n;
                }
                case 2 -> { // bulk length digits
                    int at = lengthDigits(i, n);
                    if (at < 0) {
                        return n;
                    }
                    if (bulkRemaining < 0) {
                        state = 0;
                        replied();
                    } else {
                        bulkRemaining += 2;
                        state = 3;
                    }
                    return at;
                }
                case 4 -> { // array length digits: the elements follow as replies of their own
                    int at = lengthDigits(i, n);
                    if (at < 0) {
                        return n;
                    }
                    state = 0;
                    if (bulkRemaining <= 0) {
                        replied();
                    } else {
                        arrayLeft = bulkRemaining;
                    }
                    return at;
                }
                default -> { // bulk payload and its CRLF
                    long take = Math.min(bulkRemaining, n - i);
                    bulkRemaining -= take;
                    if (bulkRemaining == 0) {
                        state = 0;
                        replied();
                    }
                    return i + (int) take;
                }
            }
        }

        /**
         * Reads a length's digits into {@link #bulkRemaining} (-1 for a negative length); returns
         * the index after its '\n', or -1 when the buffer ends first (the digits so far are kept).
         */
        private int lengthDigits(int i, int n) {
            while (i < n) {
                byte b = in.get(i++);
                if (b == '-') {
                    bulkRemaining = -1;
                } else if (b >= '0' && b <= '9') {
                    bulkRemaining = bulkRemaining < 0 ? -1 : bulkRemaining * 10 + (b - '0');
                } else if (b == '\n') {
                    return i;
                }
            }
            return -1;
        }

        /** One reply arrived: its latency runs from when its pipeline was (due to be) sent. */
        private void replied() {
            if (arrayLeft > 0 && --arrayLeft > 0) {
                return; // an element of an array reply; the array is the reply
            }
            outstanding--;
            long latency = System.nanoTime() - sentAt;
            if (measuring) {
                if (o.rate > 0) {
                    recorder.recordValue(latency);
                } else {
                    recorder.recordValueWithExpectedInterval(latency, Math.max(1, meanRtt));
                }
            }
            if (outstanding == 0) {
                meanRtt += (latency - meanRtt) / 8;
                if (measuring) {
                    completed.addAndGet(o.pipeline);
                }
            }
        }
    }
}
