package io.damselfly.bench;

import io.damselfly.engine.resp.RespParser;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;

/** Parsing a pipeline of 16 SET/GET requests (16-byte keys, 32-byte values), per request. */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"-XX:+UseG1GC"})
public class RespParserBench {
    private byte[] pipeline;
    private final RespParser parser = new RespParser();

    @Setup
    public void setup() {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < 16; i++) {
            String key = String.format("key:%012d", i * 7919);
            if (i % 11 == 0) {
                sb.append("*3\r\n$3\r\nSET\r\n$16\r\n").append(key).append("\r\n$32\r\n").append("x".repeat(32)).append("\r\n");
            } else {
                sb.append("*2\r\n$3\r\nGET\r\n$16\r\n").append(key).append("\r\n");
            }
        }
        pipeline = sb.toString().getBytes(StandardCharsets.US_ASCII);
    }

    /** Parses the 16 requests; the score divided by 16 is the cost per request. */
    @Benchmark
    public int parse16() {
        parser.reset();
        int args = 0;
        while (parser.parse(pipeline, pipeline.length, 512L << 20, false) == RespParser.COMMAND) {
            args += parser.argc();
        }
        return args;
    }
}
