package io.damselfly.bench;

import io.damselfly.engine.command.CommandTable;
import io.damselfly.engine.config.Settings;
import io.damselfly.engine.exec.Client;
import io.damselfly.engine.exec.InlineDriver;
import io.damselfly.engine.exec.Engine;
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
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

/**
 * The command path of the collection workloads of {@code make bench}, without sockets, on one
 * shard: 16 pipelined requests of the workload's write:read mix over 1000 collections of 100
 * elements (compact encodings), as the load generator sends them. With {@code -prof gc} it shows
 * what a request allocates.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"-XX:+UseG1GC", "--enable-native-access=ALL-UNNAMED"})
public class CollectionPathBench {
    @Param({"hash", "list", "set", "zset"})
    public String workload;

    private InlineDriver driver;
    private Client client;
    private byte[][] batches;
    private int next;

    private static String num(char prefix, long n) {
        return prefix + String.format("%011d", n);
    }

    private String[] request(boolean write, int k) {
        String value = "x".repeat(32);
        int group = k / 100;
        return switch (workload) {
            case "hash" -> write ? new String[] {"HSET", num('h', group), num('f', k), value}
                    : new String[] {"HGET", num('h', group), num('f', k)};
            case "list" -> write ? new String[] {"LPUSH", num('l', group), value} : new String[] {"LPOP", num('l', group)};
            case "set" -> new String[] {write ? "SADD" : "SISMEMBER", num('s', group), num('m', k)};
            default -> write ? new String[] {"ZADD", num('z', group), num('0', k % 1000), num('m', k)}
                    : new String[] {"ZRANGE", num('z', group), "0", "4"};
        };
    }

    @Setup(Level.Trial)
    public void setup() {
        driver = new InlineDriver(new Engine(new Settings(), CommandTable.standard(), 1));
        client = driver.newClient(0);
        for (int k = 0; k < 100_000; k++) {
            driver.feed(client, InlineDriver.encode(request(true, k)));
            driver.drainOutput(client);
        }
        int writeOneIn = workload.equals("list") ? 2 : 11;
        batches = new byte[1024][];
        SplittableRandom random = new SplittableRandom(1);
        for (int b = 0; b < batches.length; b++) {
            StringBuilder sb = new StringBuilder();
            for (int i = 0; i < 16; i++) {
                boolean write = random.nextInt(writeOneIn) == 0;
                sb.append(new String(InlineDriver.encode(request(write, random.nextInt(100_000))),
                        StandardCharsets.ISO_8859_1));
            }
            batches[b] = sb.toString().getBytes(StandardCharsets.ISO_8859_1);
        }
    }

    @TearDown(Level.Trial)
    public void close() {
        driver.engine().worker(0).shard().close();
    }

    /** 16 pipelined requests; divide by 16 for one. */
    @Benchmark
    public int pipeline16() {
        byte[] batch = batches[next++ & (batches.length - 1)];
        driver.feed(client, batch);
        int n = client.output().size();
        client.output().clear();
        return n;
    }
}
