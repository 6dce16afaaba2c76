package io.damselfly.tools;

import org.HdrHistogram.Histogram;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Grows a server's keyspace from empty to N keys (16-byte keys, 32-byte values) through
 * pipelined loader connections, while a probe connection issues one SET at a time and records
 * each latency. Reports how long the growth took and the probe's latency distribution, worst
 * case included: the table must never pause to rehash.
 *
 * <pre>
 * java -cp tools/target/damselfly-tools.jar:tools/target/lib/* io.damselfly.tools.GrowthProbe --port 6379 --keys 10000000
 * </pre>
 */
public final class GrowthProbe {
    private GrowthProbe() {
    }

    public static void main(String[] args) throws Exception {
        String host = "127.0.0.1";
        int port = 6379;
        long keys = 10_000_000;
        int loaders = 4;
        int pipeline = 256;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--host" -> host = args[++i];
                case "--port" -> port = Integer.parseInt(args[++i]);
                case "--keys" -> keys = Long.parseLong(args[++i]);
                case "--loaders" -> loaders = Integer.parseInt(args[++i]);
                case "--pipeline" -> pipeline = Integer.parseInt(args[++i]);
                default -> throw new IllegalArgumentException("unknown option " + args[i]);
            }
        }
        AtomicLong next = new AtomicLong();
        AtomicBoolean done = new AtomicBoolean();
        Histogram probe = new Histogram(60_000_000_000L, 3);
        long total = keys;
        int depth = pipeline;
        String h = host;
        int p = port;
        long start = System.nanoTime();
        Thread[] threads = new Thread[loaders];
        for (int t = 0; t < loaders; t++) {
            threads[t] = new Thread(() -> {
                try (Socket s = new Socket(h, p)) {
                    s.setTcpNoDelay(true);
                    OutputStream out = s.getOutputStream();
                    InputStream in = s.getInputStream();
                    byte[] buf = new byte[depth * 80];
                    for (;;) {
                        long from = next.getAndAdd(depth);
                        if (from >= total) {
                            return;
                        }
                        int n = (int) Math.min(depth, total - from);
                        int len = 0;
                        for (int k = 0; k < n; k++) {
                            len = encodeSet(buf, len, "key:", from + k);
                        }
                        out.write(buf, 0, len);
                        out.flush();
                        readReplies(in, n);
                    }
                } catch (IOException e) {
                    throw new IllegalStateException(e);
                }
            }, "loader-" + t);
            threads[t].start();
        }
        Thread prober = new Thread(() -> {
            try (Socket s = new Socket(h, p)) {
                s.setTcpNoDelay(true);
                OutputStream out = s.getOutputStream();
                InputStream in = s.getInputStream();
                byte[] buf = new byte[128];
                for (long i = 0; !done.get(); i++) {
                    int len = encodeSet(buf, 0, "prb:", i);
                    long t0 = System.nanoTime();
                    out.write(buf, 0, len);
                    out.flush();
                    readReplies(in, 1);
                    probe.recordValue(System.nanoTime() - t0);
                    Thread.sleep(0, 200_000);
                }
            } catch (IOException | InterruptedException e) {
                throw new IllegalStateException(e);
            }
        }, "probe");
        prober.start();
        for (Thread t : threads) {
            t.join();
        }
        long elapsed = System.nanoTime() - start;
        done.set(true);
        prober.join();
        System.out.printf(Locale.ROOT,
                "keys=%d secs=%.1f sets_per_sec=%.0f probe_sets=%d probe_p50_us=%.0f p99_us=%.0f p999_us=%.0f max_us=%.0f%n",
                keys, elapsed / 1e9, keys / (elapsed / 1e9), probe.getTotalCount(),
                probe.getValueAtPercentile(50) / 1e3, probe.getValueAtPercentile(99) / 1e3,
                probe.getValueAtPercentile(99.9) / 1e3, probe.getMaxValue() / 1e3);
    }

    /** Appends "SET <prefix><12 digits> <32 x's>" in RESP. */
    private static int encodeSet(byte[] b, int at, String prefix, long n) {
        String cmd = "*3\r\n$3\r\nSET\r\n$16\r\n" + prefix + String.format("%012d", n) + "\r\n$32\r\n"
                + "x".repeat(32) + "\r\n";
        byte[] c = cmd.getBytes(StandardCharsets.US_ASCII);
        System.arraycopy(c, 0, b, at, c.length);
        return at + c.length;
    }

    /** Reads n "+OK\r\n" replies. */
    private static void readReplies(InputStream in, int n) throws IOException {
        int lines = 0;
        while (lines < n) {
            int c = in.read();
            if (c < 0) {
                throw new IOException("closed");
            }
            if (c == '\n') {
                lines++;
            } else if (c == '-') {
                throw new IOException("error reply");
            }
        }
    }
}
