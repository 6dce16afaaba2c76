package io.damselfly.bench;

import io.damselfly.engine.keyspace.Entry;
import io.damselfly.engine.keyspace.Hashing;
import io.damselfly.engine.keyspace.KeyTable;
import io.damselfly.engine.keyspace.Versions;
import io.damselfly.engine.memory.Slab;
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

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;

/** The shard table: hashing and finding a 16-byte key among N, and inserting into a growing table. */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"-XX:+UseG1GC", "--enable-native-access=ALL-UNNAMED"})
public class KeyTableBench {
    @Param({"100000", "1000000", "5000000"})
    public int keys;

    private Slab slab;
    private KeyTable table;
    private byte[][] probe;
    private byte[][] absent;
    private int next;

    private static byte[] key(int i) {
        return String.format("key:%012d", i).getBytes(StandardCharsets.US_ASCII);
    }

    @Setup(Level.Trial)
    public void setup() {
        slab = new Slab();
        table = new KeyTable(slab, new Versions(), 7);
        for (int i = 0; i < keys; i++) {
            insert(key(i));
        }
        // Probes spread over the whole table (more than the caches hold), as a server's are.
        probe = new byte[1 << 18][];
        absent = new byte[1 << 18][];
        java.util.SplittableRandom r = new java.util.SplittableRandom(3);
        for (int i = 0; i < probe.length; i++) {
            probe[i] = key(r.nextInt(keys));
            absent[i] = key(keys + r.nextInt(keys));
        }
    }

    private void insert(byte[] k) {
        long h = Hashing.hash(k, 0, k.length, 7);
        table.find(k, 0, k.length, h);
        long a = slab.allocate(Entry.size(k.length, 32, false));
        MemorySegment page = slab.page(a);
        long ko = Entry.init(page, a & Slab.OFFSET_MASK, 0, k.length, 32, -1, 0);
        MemorySegment.copy(k, 0, page, ValueLayout.JAVA_BYTE, ko, k.length);
        table.insert(h, a, false);
    }

    @TearDown(Level.Trial)
    public void close() {
        slab.clear();
    }

    @Benchmark
    public long findRandomKey() {
        byte[] k = probe[next++ & (probe.length - 1)];
        return table.find(k, 0, k.length, Hashing.hash(k, 0, k.length, 7));
    }

    /** A key the table does not hold: what every SET of a new key looks up first. */
    @Benchmark
    public long findMissingKey() {
        byte[] k = absent[next++ & (absent.length - 1)];
        return table.find(k, 0, k.length, Hashing.hash(k, 0, k.length, 7));
    }

    /** 16 absent keys looked up one after another. */
    @Benchmark
    public long findMissing16() {
        long sum = 0;
        for (int i = 0; i < 16; i++) {
            byte[] k = absent[next++ & (absent.length - 1)];
            sum += table.find(k, 0, k.length, Hashing.hash(k, 0, k.length, 7));
        }
        return sum;
    }

    /** The same, with the table lines of all 16 read ahead first ({@link KeyTable#prefetch}). */
    @Benchmark
    public long findMissing16Prefetched() {
        long sum = 0;
        int from = next;
        for (int i = 0; i < 16; i++) {
            byte[] k = absent[(from + i) & (absent.length - 1)];
            sum += table.prefetch(Hashing.hash(k, 0, k.length, 7));
        }
        for (int i = 0; i < 16; i++) {
            byte[] k = absent[next++ & (absent.length - 1)];
            sum += table.find(k, 0, k.length, Hashing.hash(k, 0, k.length, 7));
        }
        return sum;
    }

    @Benchmark
    public long hash16() {
        byte[] k = probe[next++ & (probe.length - 1)];
        return Hashing.hash(k, 0, k.length, 7);
    }
}
