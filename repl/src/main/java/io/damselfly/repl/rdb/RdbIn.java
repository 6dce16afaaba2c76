package io.damselfly.repl.rdb;

import java.io.IOException;
import java.io.InputStream;

/**
 * Reads RDB primitives from a stream through one bounded buffer, keeping the byte offset (for
 * errors) and the running CRC-64 of everything consumed. Memory stays the buffer plus the
 * value being read, whatever the file's size.
 */
public final class RdbIn {
    private final InputStream in;
    private final byte[] buf;
    private int pos;
    private int lim;
    private int crcFrom;
    private long crc;
    private long base;

    public RdbIn(InputStream in, int bufferSize) {
        this.in = in;
        this.buf = new byte[bufferSize];
    }

    /** Offset of the next byte to read. */
    public long offset() {
        return base + pos;
    }

    /** CRC-64 of every byte read so far. */
    public long crc() {
        crc = Crc64.update(crc, buf, crcFrom, pos - crcFrom);
        crcFrom = pos;
        return crc;
    }

    public RdbException error(String message) {
        return new RdbException(offset(), message);
    }

    private void fill() throws IOException {
        crc();
        if (pos > 0) {
            System.arraycopy(buf, pos, buf, 0, lim - pos);
            base += pos;
            lim -= pos;
            pos = 0;
            crcFrom = 0;
        }
        int n = in.read(buf, lim, buf.length - lim);
        if (n < 0) {
            throw error("unexpected end of data (the file is truncated)");
        }
        lim += n;
    }

    public int readByte() throws IOException {
        if (pos == lim) {
            fill();
        }
        return buf[pos++] & 0xff;
    }

    public void readFully(byte[] dst, int off, int len) throws IOException {
        while (len > 0) {
            if (pos == lim) {
                fill();
            }
            int n = Math.min(len, lim - pos);
            System.arraycopy(buf, pos, dst, off, n);
            pos += n;
            off += n;
            len -= n;
        }
    }

    public long readLongLE(int bytes) throws IOException {
        long v = 0;
        for (int i = 0; i < bytes; i++) {
            v |= (long) readByte() << (8 * i);
        }
        return v;
    }

    /** Takes the bytes read ahead from the stream but not consumed (what follows an RDB on a link). */
    public byte[] takeBuffered() {
        byte[] rest = java.util.Arrays.copyOfRange(buf, pos, lim);
        crc();
        base += lim;
        pos = 0;
        lim = 0;
        crcFrom = 0;
        return rest;
    }

    /** Whether the next byte is there (false at a clean end of stream). */
    public boolean atEnd() throws IOException {
        if (pos < lim) {
            return false;
        }
        crc();
        base += pos;
        pos = 0;
        lim = 0;
        crcFrom = 0;
        int n = in.read(buf, 0, buf.length);
        if (n <= 0) {
            return true;
        }
        lim = n;
        return false;
    }

    private boolean lastEncoded;

    /** Reads a length; {@link #lastEncoded} tells whether it was instead a special encoding's number. */
    public long readLength() throws IOException {
        int b = readByte();
        int type = (b & 0xC0) >> 6;
        lastEncoded = false;
        if (type == Rdb.ENCVAL) {
            lastEncoded = true;
            return b & 0x3F;
        }
        if (type == Rdb.LEN_6BIT) {
            return b & 0x3F;
        }
        if (type == Rdb.LEN_14BIT) {
            return ((long) (b & 0x3F) << 8) | readByte();
        }
        if (b == Rdb.LEN_32BIT) {
            long v = 0;
            for (int i = 0; i < 4; i++) {
                v = (v << 8) | readByte();
            }
            return v;
        }
        if (b == Rdb.LEN_64BIT) {
            long v = 0;
            for (int i = 0; i < 8; i++) {
                v = (v << 8) | readByte();
            }
            return v;
        }
        throw error("unknown length encoding " + b);
    }

    /** A plain length (a count); an encoded value here means the data is corrupt. */
    public long readCount(long max) throws IOException {
        long n = readLength();
        if (lastEncoded || n < 0 || n > max) {
            throw error("bad length " + n);
        }
        return n;
    }

    /** A string in any of its encodings: raw, an integer, or LZF-compressed. */
    public byte[] readString() throws IOException {
        long len = readLength();
        if (lastEncoded) {
            return switch ((int) len) {
                case Rdb.ENC_INT8 -> Long.toString((byte) readByte()).getBytes(java.nio.charset.StandardCharsets.US_ASCII);
                case Rdb.ENC_INT16 -> Long.toString((short) readLongLE(2)).getBytes(java.nio.charset.StandardCharsets.US_ASCII);
                case Rdb.ENC_INT32 -> Long.toString((int) readLongLE(4)).getBytes(java.nio.charset.StandardCharsets.US_ASCII);
                case Rdb.ENC_LZF -> {
                    long clen = readCount(Integer.MAX_VALUE - 16);
                    long ulen = readCount(Integer.MAX_VALUE - 16);
                    byte[] c = new byte[(int) clen];
                    readFully(c, 0, c.length);
                    byte[] u = new byte[(int) ulen];
                    if (!Lzf.decompress(c, u)) {
                        throw error("invalid LZF compressed string");
                    }
                    yield u;
                }
                default -> throw error("unknown string encoding " + len);
            };
        }
        if (len > Integer.MAX_VALUE - 16) {
            throw error("string too long: " + len);
        }
        byte[] s = new byte[(int) len];
        readFully(s, 0, s.length);
        return s;
    }

    public double readBinaryDouble() throws IOException {
        return Double.longBitsToDouble(readLongLE(8));
    }

    /** The old score form: a length byte (253 nan, 254 +inf, 255 -inf) and that many ASCII characters. */
    public double readStringDouble() throws IOException {
        int len = readByte();
        switch (len) {
            case 253:
                return Double.NaN;
            case 254:
                return Double.POSITIVE_INFINITY;
            case 255:
                return Double.NEGATIVE_INFINITY;
            default:
                byte[] b = new byte[len];
                readFully(b, 0, len);
                try {
                    return Double.parseDouble(new String(b, java.nio.charset.StandardCharsets.US_ASCII));
                } catch (NumberFormatException e) {
                    throw error("bad double value");
                }
        }
    }
}
