package io.damselfly.repl.flow;

import java.io.DataInputStream;
import java.io.IOException;
import java.io.OutputStream;

/**
 * The frames of a native replication flow (docs/replication-native.md has the diagrams). Every
 * frame, both ways, starts with the same 27-byte header, big-endian:
 *
 * <pre>
 * +------+-----------+-----------+--------+---------+--------+-----------+-------------+
 * | kind | lsn (i64) | txid (i64)| db u16 | parts   | hop    | len (i32) | payload     |
 * | u8   |           |           |        | u16     | u16    |           | (len bytes) |
 * +------+-----------+-----------+--------+---------+--------+-----------+-------------+
 * </pre>
 *
 * Master to replica: {@link #RECORD} (a journal record, the command RESP-encoded),
 * {@link #END} (a shard released a multi-shard operation: its part is complete), {@link #MARKER}
 * (a common point of every flow: payload marker id and this flow's byte position),
 * {@link #SNAPSHOT} (RDB-encoded entries of the full sync), {@link #SYNCED} (the full sync of this
 * flow is complete; stable sync follows), {@link #PIECE} (the leading 64 KiB pieces of a bigger
 * record, whose last frame is the record itself). Replica to master: {@link #ACK} (lsn: the last frame
 * applied; txid: the replica's node offset).
 */
public final class Frames {
    public static final int HEADER = 27;

    public static final byte RECORD = 'R';
    public static final byte END = 'E';
    public static final byte MARKER = 'M';
    public static final byte SNAPSHOT = 'S';
    public static final byte SYNCED = 'F';
    public static final byte ACK = 'A';
    /** A piece of a big record (more than {@link #CHUNK} bytes): the pieces and the record's last frame share its header fields. */
    public static final byte PIECE = 'C';
    public static final int CHUNK = 64 * 1024;

    /** Marker flag: the replica acknowledges at once (WAIT, a takeover). */
    public static final int ACK_NOW = 1;

    private Frames() {
    }

    static void header(byte[] h, byte kind, long lsn, long txid, int db, int parts, int hop, int len) {
        h[0] = kind;
        putLong(h, 1, lsn);
        putLong(h, 9, txid);
        putShort(h, 17, db);
        putShort(h, 19, parts);
        putShort(h, 21, hop);
        putInt(h, 23, len);
    }

    static byte kind(byte[] h, int off) {
        return h[off];
    }

    static long lsn(byte[] h, int off) {
        return getLong(h, off + 1);
    }

    static long txid(byte[] h, int off) {
        return getLong(h, off + 9);
    }

    static int db(byte[] h, int off) {
        return getShort(h, off + 17);
    }

    static int parts(byte[] h, int off) {
        return getShort(h, off + 19);
    }

    static int hop(byte[] h, int off) {
        return getShort(h, off + 21);
    }

    static int length(byte[] h, int off) {
        return ((h[off + 23] & 0xff) << 24) | ((h[off + 24] & 0xff) << 16) | ((h[off + 25] & 0xff) << 8) | (h[off + 26] & 0xff);
    }

    /** Writes a frame with no payload. */
    static void write(OutputStream out, byte[] scratch, byte kind, long lsn, long txid) throws IOException {
        header(scratch, kind, lsn, txid, 0, 0, 0, 0);
        out.write(scratch, 0, HEADER);
    }

    /** Reads a header into {@code h}; false at a clean end of stream. */
    static boolean readHeader(DataInputStream in, byte[] h) throws IOException {
        int first = in.read();
        if (first < 0) {
            return false;
        }
        h[0] = (byte) first;
        in.readFully(h, 1, HEADER - 1);
        return true;
    }

    static void putLong(byte[] b, int off, long v) {
        for (int i = 7; i >= 0; i--) {
            b[off + i] = (byte) v;
            v >>>= 8;
        }
    }

    static long getLong(byte[] b, int off) {
        long v = 0;
        for (int i = 0; i < 8; i++) {
            v = (v << 8) | (b[off + i] & 0xff);
        }
        return v;
    }

    private static void putShort(byte[] b, int off, int v) {
        b[off] = (byte) (v >>> 8);
        b[off + 1] = (byte) v;
    }

    private static int getShort(byte[] b, int off) {
        return ((b[off] & 0xff) << 8) | (b[off + 1] & 0xff);
    }

    private static void putInt(byte[] b, int off, int v) {
        b[off] = (byte) (v >>> 24);
        b[off + 1] = (byte) (v >>> 16);
        b[off + 2] = (byte) (v >>> 8);
        b[off + 3] = (byte) v;
    }
}
