package io.damselfly.engine.resp;

import java.util.Arrays;

/**
 * Incremental request parser following Redis 7.0's networking.c case by case.
 *
 * <p>A request that starts with '*' is a multibulk ({@code *N\r\n} then N times
 * {@code $len\r\n<bytes>\r\n}); anything else is an inline command split like sdssplitargs.
 * Arguments are left in the caller's buffer and described by offsets, so parsing allocates
 * nothing; the argument arrays grow only as arguments arrive. A size announced by the peer is
 * never allocated up front.
 */
public final class RespParser {
    public static final int INCOMPLETE = 0;
    public static final int COMMAND = 1;
    public static final int ERROR = 2;

    /** PROTO_INLINE_MAX_SIZE: longest inline request or count line without a newline. */
    public static final int INLINE_MAX = 64 * 1024;
    static final int UNAUTH_MAX_ARGS = 10;
    static final int UNAUTH_MAX_BULK = 16384;

    private int[] argOff = new int[16];
    private int[] argLen = new int[16];
    private int argc;

    private int pos;
    private int commandStart;
    private boolean inMultibulk;
    private long remaining;
    private long bulkLen = -1;
    private String error;
    private final Numbers.LongResult number = new Numbers.LongResult();

    public int argc() {
        return argc;
    }

    public int[] argOffsets() {
        return argOff;
    }

    public int[] argLengths() {
        return argLen;
    }

    /** Offset of the first byte not yet consumed by a complete command. */
    public int position() {
        return inMultibulk ? commandStart : pos;
    }

    /** Offset where the command being parsed (or just parsed) starts. */
    public int commandStart() {
        return commandStart;
    }

    /** The protocol error text after {@link #ERROR}. */
    public String error() {
        return error;
    }

    /**
     * Bytes from the start of the pending command that must be buffered before it can
     * complete, as far as known now; the caller grows its buffer towards this as data arrives.
     */
    public long pendingBytes(int limit) {
        if (inMultibulk && bulkLen >= 0) {
            return (pos - commandStart) + bulkLen + 2;
        }
        return Long.MAX_VALUE;
    }

    /** Tells the parser that the caller moved its buffer's content {@code delta} bytes to the left. */
    public void shift(int delta) {
        pos -= delta;
        commandStart -= delta;
        for (int i = 0; i < argc; i++) {
            argOff[i] -= delta;
        }
    }

    /**
     * Goes back to {@code position} (a {@link #commandStart()} seen earlier, of a multibulk
     * command: inline ones are unescaped in place) so the commands from there are parsed again.
     */
    public void rewind(int position) {
        reset();
        pos = position;
        commandStart = position;
    }

    public void reset() {
        pos = 0;
        commandStart = 0;
        inMultibulk = false;
        remaining = 0;
        bulkLen = -1;
        argc = 0;
        error = null;
    }

    /**
     * Parses the next command from {@code buf[position(), limit)}.
     *
     * @param maxBulk      proto-max-bulk-len
     * @param authRequired whether the client has yet to authenticate (tighter limits apply)
     * @return {@link #COMMAND} (arguments available until the next call), {@link #INCOMPLETE},
     *         or {@link #ERROR} (see {@link #error()}; the connection must close after replying)
     */
    public int parse(byte[] buf, int limit, long maxBulk, boolean authRequired) {
        for (;;) {
            if (!inMultibulk) {
                commandStart = pos;
                argc = 0;
                if (pos >= limit) {
                    return INCOMPLETE;
                }
                if (buf[pos] != '*') {
                    int r = parseInline(buf, limit);
                    if (r == COMMAND && argc == 0) {
                        continue;
                    }
                    return r;
                }
                int cr = indexOf(buf, pos, limit, (byte) '\r');
                if (cr < 0) {
                    if (limit - pos > INLINE_MAX) {
                        return fail("Protocol error: too big mbulk count string");
                    }
                    return INCOMPLETE;
                }
                if (cr + 1 >= limit) {
                    return INCOMPLETE;
                }
                if (!Numbers.parseLong(buf, pos + 1, cr - pos - 1, number) || number.value > Integer.MAX_VALUE) {
                    return fail("Protocol error: invalid multibulk length");
                }
                if (number.value > UNAUTH_MAX_ARGS && authRequired) {
                    return fail("Protocol error: unauthenticated multibulk length");
                }
                pos = cr + 2;
                if (number.value <= 0) {
                    continue;
                }
                remaining = number.value;
                bulkLen = -1;
                inMultibulk = true;
            }
            while (remaining > 0) {
                if (bulkLen < 0) {
                    int cr = indexOf(buf, pos, limit, (byte) '\r');
                    if (cr < 0) {
                        if (limit - pos > INLINE_MAX) {
                            return fail("Protocol error: too big bulk count string");
                        }
                        return INCOMPLETE;
                    }
                    if (cr + 1 >= limit) {
                        return INCOMPLETE;
                    }
                    if (buf[pos] != '$') {
                        return fail("Protocol error: expected '$', got '" + (char) (buf[pos] & 0xFF) + "'");
                    }
                    if (!Numbers.parseLong(buf, pos + 1, cr - pos - 1, number) || number.value < 0
                            || number.value > maxBulk) {
                        return fail("Protocol error: invalid bulk length");
                    }
                    if (number.value > UNAUTH_MAX_BULK && authRequired) {
                        return fail("Protocol error: unauthenticated bulk length");
                    }
                    pos = cr + 2;
                    bulkLen = number.value;
                }
                if (limit - pos < bulkLen + 2) {
                    return INCOMPLETE;
                }
                addArg(pos, (int) bulkLen);
                pos += (int) bulkLen + 2;
                bulkLen = -1;
                remaining--;
            }
            inMultibulk = false;
            return COMMAND;
        }
    }

    private int fail(String message) {
        error = message;
        inMultibulk = false;
        return ERROR;
    }

    private void addArg(int off, int len) {
        if (argc == argOff.length) {
            argOff = Arrays.copyOf(argOff, argc * 2);
            argLen = Arrays.copyOf(argLen, argc * 2);
        }
        argOff[argc] = off;
        argLen[argc] = len;
        argc++;
    }

    private static int indexOf(byte[] buf, int from, int limit, byte b) {
        for (int i = from; i < limit; i++) {
            if (buf[i] == b) {
                return i;
            }
        }
        return -1;
    }

    /** An inline command: one line split like sdssplitargs, unescaped in place. */
    private int parseInline(byte[] buf, int limit) {
        int nl = indexOf(buf, pos, limit, (byte) '\n');
        if (nl < 0) {
            if (limit - pos > INLINE_MAX) {
                return fail("Protocol error: too big inline request");
            }
            return INCOMPLETE;
        }
        int end = nl;
        if (end > pos && buf[end - 1] == '\r') {
            end--;
        }
        // sdssplitargs works on a C string: a NUL ends the line.
        for (int i = pos; i < end; i++) {
            if (buf[i] == 0) {
                end = i;
                break;
            }
        }
        argc = 0;
        if (!QuotedArgs.split(buf, pos, end, this::addArg)) {
            argc = 0;
            return fail("Protocol error: unbalanced quotes in request");
        }
        pos = nl + 1;
        return COMMAND;
    }

}
