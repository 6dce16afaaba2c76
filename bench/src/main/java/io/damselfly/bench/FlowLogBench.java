package io.damselfly.bench;

import io.damselfly.repl.flow.FlowLog;
import io.damselfly.repl.flow.Frames;
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

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;

/**
 * A shard's native log on the write path: appending a SET's journal record (what every write
 * pays while native replicas are attached), and a flow copying it out: to a stream (a flow in
 * full sync, on its virtual thread) or into a channel (a flow in stable sync, pumped by the
 * shard's proactor). Run with -prof gc: neither allocates once the log's blocks are recycled.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"-XX:+UseG1GC"})
public class FlowLogBench {
    private final byte[] record = "*3\r\n$3\r\nSET\r\n$16\r\nkey:000000012345\r\n$32\r\nxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\r\n"
            .getBytes(StandardCharsets.US_ASCII);
    private FlowLog log;
    private FlowLog.Cursor cursor;
    private final OutputStream sink = new OutputStream() {
        @Override
        public void write(int b) {
        }

        @Override
        public void write(byte[] b, int off, int len) {
        }
    };

    /** A socket that takes everything (the pump's channel). */
    private final java.nio.channels.WritableByteChannel channel = new java.nio.channels.WritableByteChannel() {
        @Override
        public int write(java.nio.ByteBuffer src) {
            int n = src.remaining();
            src.position(src.limit());
            return n;
        }

        @Override
        public boolean isOpen() {
            return true;
        }

        @Override
        public void close() {
        }
    };

    @Setup
    public void setup() {
        log = new FlowLog(0);
        cursor = log.cursorAtEnd();
    }

    /** A record appended and read by one flow (the reader keeps up, so blocks are recycled). */
    @Benchmark
    public long appendAndSend() throws IOException {
        long lsn = log.append(Frames.RECORD, 0, 0, 1, 0, record, 0, record.length);
        log.read(cursor, Long.MAX_VALUE, sink);
        return lsn;
    }

    /** A record appended and pumped into the flow's channel by the same thread (stable sync). */
    @Benchmark
    public long appendAndPump() throws IOException {
        long lsn = log.append(Frames.RECORD, 0, 0, 1, 0, record, 0, record.length);
        log.write(cursor, channel);
        return lsn;
    }
}
