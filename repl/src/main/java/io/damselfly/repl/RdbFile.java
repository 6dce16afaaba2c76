package io.damselfly.repl;

import io.damselfly.repl.rdb.Crc64;
import io.damselfly.repl.rdb.Rdb;
import io.damselfly.repl.rdb.RdbOut;
import io.damselfly.repl.snapshot.Snapshot;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

/**
 * <pre>
 * "REDIS0010" | 0xFA aux-key aux-value ... | (0xFE db 0xFB keys expires)* | entries | 0xFF | CRC-64 LE
 * entry:  [0xFC unix-ms u64 LE] type key value       (docs/rdb.md has every type's layout)
 * </pre>
 *
 * Writes a snapshot as an RDB file the way Redis does it safely: under a temporary name in the
 * same directory, fsynced, renamed over the old dump, then the directory fsynced. A process
 * killed at any point leaves either the old dump or the new one, never a torn file.
 */
public final class RdbFile {
    private static final AtomicLong TEMP_IDS = new AtomicLong();
    private static final int BUFFER = 256 * 1024;

    private RdbFile() {
    }

    /** A file written: its bytes, and how long its fsync took. */
    record Saved(long bytes, long fsyncNanos) {
    }

    /** The file's opening: magic, version, then the AUX fields. */
    static byte[] header(Map<String, String> aux) {
        RdbOut out = new RdbOut(256);
        byte[] magic = String.format("REDIS%04d", Rdb.VERSION).getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        out.writeBytes(magic, 0, magic.length);
        for (Map.Entry<String, String> e : aux.entrySet()) {
            out.writeAux(e.getKey(), e.getValue());
        }
        return out.toByteArray();
    }

    /** A sink that buffers and hands full buffers to a file channel. */
    static final class ChannelSink implements Snapshot.Sink {
        private final FileChannel ch;
        private final ByteBuffer buf = ByteBuffer.allocateDirect(BUFFER); // no hidden copy in write

        ChannelSink(FileChannel ch) {
            this.ch = ch;
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            while (len > 0) {
                int n = Math.min(len, buf.remaining());
                buf.put(b, off, n);
                off += n;
                len -= n;
                if (!buf.hasRemaining()) {
                    flush();
                }
            }
        }

        void flush() throws IOException {
            buf.flip();
            while (buf.hasRemaining()) {
                ch.write(buf);
            }
            buf.clear();
        }
    }

    /**
     * Writes a whole RDB stream to {@code out}: header and AUX fields, the snapshot's entries,
     * the EOF opcode and the CRC-64 of everything before it. Returns the bytes written.
     */
    public static long write(Snapshot snapshot, Snapshot.Sink out, Map<String, String> aux) throws IOException {
        long[] state = new long[2]; // crc, bytes
        Snapshot.Sink sink = (b, off, len) -> {
            state[0] = Crc64.update(state[0], b, off, len);
            state[1] += len;
            out.write(b, off, len);
        };
        byte[] head = header(aux);
        sink.write(head, 0, head.length);
        RdbOut sizes = new RdbOut(64); // the load's hint to size each database's table up front
        for (int db = 0; db < 16; db++) {
            long n = snapshot.keysAtCut(db);
            if (n > 0) {
                sizes.writeByte(Rdb.OPCODE_SELECTDB);
                sizes.writeLength(db);
                sizes.writeByte(Rdb.OPCODE_RESIZEDB);
                sizes.writeLength(n);
                sizes.writeLength(snapshot.expiresAtCut(db));
            }
        }
        sink.write(sizes.array(), 0, sizes.size());
        snapshot.stream(sink);
        sink.write(new byte[] {(byte) Rdb.OPCODE_EOF}, 0, 1);
        byte[] c = new byte[8];
        for (int i = 0; i < 8; i++) {
            c[i] = (byte) (state[0] >>> (8 * i));
        }
        out.write(c, 0, 8);
        return state[1] + 8;
    }

    /**
     * Streams the snapshot into {@code dir/name}; returns its size and fsync time. On failure the
     * temporary file is removed and the old dump stays.
     */
    static Saved save(Snapshot snapshot, Path dir, String name, Map<String, String> aux) throws IOException {
        Path tmp = dir.resolve("temp-" + ProcessHandle.current().pid() + "-" + TEMP_IDS.incrementAndGet() + ".rdb");
        long bytes;
        long fsyncNanos;
        try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            ChannelSink sink = new ChannelSink(ch);
            bytes = write(snapshot, sink, aux);
            sink.flush();
            long t0 = System.nanoTime();
            ch.force(true);
            fsyncNanos = System.nanoTime() - t0;
        } catch (IOException | RuntimeException e) {
            Files.deleteIfExists(tmp);
            throw e;
        }
        Files.move(tmp, dir.resolve(name), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
            d.force(true);
        }
        return new Saved(bytes, fsyncNanos);
    }
}
