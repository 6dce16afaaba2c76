package io.damselfly.bench;

import io.damselfly.engine.command.CommandTable;
import io.damselfly.engine.config.Settings;
import io.damselfly.engine.exec.Client;
import io.damselfly.engine.exec.Engine;
import io.damselfly.engine.exec.InlineDriver;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;

/**
 * The command path without sockets, as Garnet measures it: request bytes in a client's input
 * buffer, parsed, routed, executed on the shards and answered into its output buffer. With one
 * shard every key is local; with two, half the requests hop to the other shard (driven inline
 * on this thread, so the figure is the work of the hop, not its latency).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"-XX:+UseG1GC", "--enable-native-access=ALL-UNNAMED"})
public class CommandPathBench {
    @Param({"1", "2"})
    public int shards;

    private InlineDriver driver;
    private Client client;
    private byte[][] batches;
    private int next;

    @Setup(Level.Trial)
    public void setup() {
        driver = new InlineDriver(new Engine(new Settings(), CommandTable.standard(), shards));
        client = driver.newClient(0);
        String value = "x".repeat(32);
        for (int k = 0; k < 100_000; k++) {
            driver.feed(client, InlineDriver.encode("SET", String.format("key:%012d", k), value));
            driver.drainOutput(client);
        }
        batches = new byte[1024][];
        java.util.SplittableRandom random = new java.util.SplittableRandom(1);
        for (int b = 0; b < batches.length; b++) {
            StringBuilder sb = new StringBuilder();
            for (int i = 0; i < 16; i++) {
                String key = String.format("key:%012d", random.nextInt(100_000));
                if (random.nextInt(11) == 0) {
                    sb.append(new String(InlineDriver.encode("SET", key, value), StandardCharsets.ISO_8859_1));
                } else {
                    sb.append(new String(InlineDriver.encode("GET", key), StandardCharsets.ISO_8859_1));
                }
            }
            batches[b] = sb.toString().getBytes(StandardCharsets.ISO_8859_1);
        }
    }

    @TearDown(Level.Trial)
    public void close() {
        for (int i = 0; i < shards; i++) {
            driver.engine().worker(i).shard().close();
        }
    }

    /** 16 pipelined requests (1 SET : 10 GET, random keys of 100k); divide by 16 for one request. */
    @Benchmark
    public int pipeline16() {
        byte[] batch = batches[next++ & (batches.length - 1)];
        driver.feed(client, batch);
        int n = client.output().size();
        client.output().clear();
        return n;
    }
}
