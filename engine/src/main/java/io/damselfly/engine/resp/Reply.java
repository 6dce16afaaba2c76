package io.damselfly.engine.resp;

import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;

/**
 * Writes RESP2 or RESP3 replies into a {@link ByteOutput}. One instance per thread that
 * executes commands; {@link #target} points it at the output of the request at hand.
 */
public final class Reply {
    private static final byte[] OK = ascii("+OK\r\n");
    private static final byte[] NULL_BULK = ascii("$-1\r\n");
    private static final byte[] NULL_ARRAY = ascii("*-1\r\n");
    private static final byte[] NULL3 = ascii("_\r\n");
    private static final byte[] ZERO = ascii(":0\r\n");
    private static final byte[] ONE = ascii(":1\r\n");
    private static final byte[] EMPTY_ARRAY = ascii("*0\r\n");
    private static final byte[] TRUE3 = ascii("#t\r\n");
    private static final byte[] FALSE3 = ascii("#f\r\n");

    private ByteOutput out;
    private int protocol = 2;
    private final ErrorCounter errors;

    /** Receives every error reply's code (the first word), for INFO errorstats. */
    public interface ErrorCounter {
        void count(String code);
    }

    public Reply(ErrorCounter errors) {
        this.errors = errors;
    }

    public static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.ISO_8859_1);
    }

    public Reply target(ByteOutput out, int protocol) {
        this.out = out;
        this.protocol = protocol;
        return this;
    }

    public ByteOutput output() {
        return out;
    }

    public int protocol() {
        return protocol;
    }

    public boolean resp3() {
        return protocol == 3;
    }

    public void raw(byte[] bytes) {
        out.write(bytes);
    }

    public void ok() {
        out.write(OK);
    }

    public void simple(String s) {
        out.write((byte) '+');
        out.writeAscii(s);
        out.crlf();
    }

    /**
     * An error reply. {@code message} starts with its code ("ERR ...", "WRONGTYPE ...");
     * newlines in it become spaces, as Redis does.
     */
    public void error(String message) {
        out.write((byte) '-');
        byte[] b = message.getBytes(StandardCharsets.UTF_8);
        for (int i = 0; i < b.length; i++) {
            if (b[i] == '\r' || b[i] == '\n') {
                b[i] = ' ';
            }
        }
        out.write(b);
        out.crlf();
        if (errors != null) {
            int sp = message.indexOf(' ');
            errors.count(sp < 0 ? message : message.substring(0, sp));
        }
    }

    public void integer(long v) {
        if (v == 0) {
            out.write(ZERO);
        } else if (v == 1) {
            out.write(ONE);
        } else {
            out.ensure(Numbers.MAX_LONG_CHARS + 3);
            out.buf[out.pos++] = ':';
            out.pos = Numbers.writeLong(out.buf, out.pos, v);
            out.buf[out.pos++] = '\r';
            out.buf[out.pos++] = '\n';
        }
    }

    public void bool(boolean v) {
        if (protocol == 3) {
            out.write(v ? TRUE3 : FALSE3);
        } else {
            integer(v ? 1 : 0);
        }
    }

    private void header(byte type, long n) {
        out.ensure(Numbers.MAX_LONG_CHARS + 3);
        out.buf[out.pos++] = type;
        out.pos = Numbers.writeLong(out.buf, out.pos, n);
        out.buf[out.pos++] = '\r';
        out.buf[out.pos++] = '\n';
    }

    public void bulk(byte[] b) {
        bulk(b, 0, b.length);
    }

    public void bulk(byte[] b, int off, int len) {
        header((byte) '$', len);
        out.ensure(len + 2);
        System.arraycopy(b, off, out.buf, out.pos, len);
        out.pos += len;
        out.buf[out.pos++] = '\r';
        out.buf[out.pos++] = '\n';
    }

    public void bulk(MemorySegment s, long off, int len) {
        header((byte) '$', len);
        out.write(s, off, len);
        out.crlf();
    }

    public void bulk(String s) {
        bulk(s.getBytes(StandardCharsets.UTF_8));
    }

    public void bulkLong(long v) {
        int len = Numbers.longLength(v);
        header((byte) '$', len);
        out.ensure(len + 2);
        out.pos = Numbers.writeLong(out.buf, out.pos, v);
        out.crlf();
    }

    /** Writes the header of a bulk string whose {@code len} bytes the caller writes next, then {@link #crlf}. */
    public void bulkHeader(long len) {
        header((byte) '$', len);
    }

    public void crlf() {
        out.crlf();
    }

    public void nullBulk() {
        out.write(protocol == 3 ? NULL3 : NULL_BULK);
    }

    public void nullArray() {
        out.write(protocol == 3 ? NULL3 : NULL_ARRAY);
    }

    public void array(long n) {
        if (n == 0) {
            out.write(EMPTY_ARRAY);
        } else {
            header((byte) '*', n);
        }
    }

    /** A map of n pairs: '%' in RESP3, a flat array of 2n in RESP2. */
    public void map(long n) {
        if (protocol == 3) {
            header((byte) '%', n);
        } else {
            header((byte) '*', n * 2);
        }
    }

    public void set(long n) {
        header(protocol == 3 ? (byte) '~' : (byte) '*', n);
    }

    public void push(long n) {
        header(protocol == 3 ? (byte) '>' : (byte) '*', n);
    }

    public void doubleValue(double d) {
        if (protocol == 3) {
            out.write((byte) ',');
            out.writeAscii(Numbers.formatDouble(d));
            out.crlf();
        } else {
            bulk(Numbers.formatDouble(d));
        }
    }

    /** A verbatim string: '=' with a "txt:" format in RESP3, a bulk string in RESP2. */
    public void verbatim(String text) {
        byte[] b = text.getBytes(StandardCharsets.UTF_8);
        if (protocol == 3) {
            header((byte) '=', b.length + 4);
            out.writeAscii("txt:");
            out.write(b);
            out.crlf();
        } else {
            bulk(b);
        }
    }

    public void bigNumber(String digits) {
        if (protocol == 3) {
            out.write((byte) '(');
            out.writeAscii(digits);
            out.crlf();
        } else {
            bulk(digits);
        }
    }
}
