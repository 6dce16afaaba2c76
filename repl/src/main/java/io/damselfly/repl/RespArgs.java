package io.damselfly.repl;

import java.nio.charset.StandardCharsets;

/** Reading a journal record (one command as a RESP array of bulk strings) without parsing it whole. */
final class RespArgs {
    private RespArgs() {
    }

    /** The argument count of {@code *<argc>\r\n...}. */
    static int argc(byte[] resp) {
        int n = 0;
        for (int i = 1; resp[i] != '\r'; i++) {
            n = n * 10 + (resp[i] - '0');
        }
        return n;
    }

    /** The index just after the array header. */
    static int afterHeader(byte[] resp) {
        int i = 1;
        while (resp[i] != '\n') {
            i++;
        }
        return i + 1;
    }

    /** The index just after the first argument (the command name). */
    static int afterFirst(byte[] resp) {
        int i = afterHeader(resp) + 1;
        int len = 0;
        while (resp[i] != '\r') {
            len = len * 10 + (resp[i++] - '0');
        }
        return i + 2 + len + 2;
    }

    /** The command name, as written. */
    static String name(byte[] resp) {
        int i = afterHeader(resp) + 1;
        int len = 0;
        while (resp[i] != '\r') {
            len = len * 10 + (resp[i++] - '0');
        }
        return new String(resp, i + 2, len, StandardCharsets.UTF_8);
    }
}
