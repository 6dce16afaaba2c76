package io.damselfly.repl;

import io.damselfly.engine.command.Request;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Reading a journal record (one command as a RESP array of bulk strings) without parsing it
 * whole; shared by the Redis stream's merge (ReplicationLog) and the native replica.
 */
public final class RespArgs {
    private RespArgs() {
    }

    /** A record of one shard in a multi-shard operation, as both merges hold it. */
    public interface Part {
        int hop();

        int shard();

        int db();

        byte[] resp();
    }

    /**
     * FLUSHALL, FLUSHDB and SWAPDB are journaled by every shard in the same hop: keep one of each
     * run ({@code ops} sorted by hop; a second one in a later hop is a command of its own).
     */
    public static <T extends Part> List<T> dropRepeatedDatabaseWide(List<T> ops) {
        List<T> out = new ArrayList<>(ops.size());
        for (T h : ops) {
            if (!out.isEmpty()) {
                T last = out.get(out.size() - 1);
                if (last.hop() == h.hop() && last.shard() != h.shard() && last.db() == h.db()
                        && Arrays.equals(last.resp(), h.resp()) && databaseWide(h.resp())) {
                    continue;
                }
            }
            out.add(h);
        }
        return out;
    }

    private static boolean databaseWide(byte[] resp) {
        String name = name(resp).toLowerCase(java.util.Locale.ROOT);
        return name.equals("flushall") || name.equals("flushdb") || name.equals("swapdb");
    }

    /**
     * The record as a request whose arguments point into {@code resp} (no copy): it must stay
     * unchanged while the request is in use.
     */
    public static Request request(byte[] resp) throws IOException {
        int argc = argc(resp);
        return parse(resp, argc, new int[argc], new int[argc], new Request());
    }

    /**
     * Parses records into one request again and again, without allocating once its arrays are
     * large enough; for one thread, each parse replacing the last.
     */
    public static final class Parser {
        private final Request request = new Request();
        private int[] off = new int[8];
        private int[] len = new int[8];

        public Request parse(byte[] resp) throws IOException {
            return parse(resp, 0);
        }

        /** The record that starts at {@code start} of {@code buf} (more may follow it there). */
        public Request parse(byte[] buf, int start) throws IOException {
            int argc = argc(buf, start);
            if (argc < 1) {
                throw new IOException("a record without a command");
            }
            if (argc > off.length) {
                off = new int[argc];
                len = new int[argc];
            }
            return RespArgs.parse(buf, start, argc, off, len, request);
        }
    }

    private static Request parse(byte[] resp, int argc, int[] off, int[] len, Request into) throws IOException {
        return parse(resp, 0, argc, off, len, into);
    }

    private static Request parse(byte[] resp, int start, int argc, int[] off, int[] len, Request into) throws IOException {
        int i = afterHeader(resp, start);
        for (int a = 0; a < argc; a++) {
            if (resp[i] != '$') {
                throw new IOException("a malformed record");
            }
            i++;
            int n = 0;
            while (resp[i] != '\r') {
                n = n * 10 + (resp[i++] - '0');
            }
            i += 2;
            off[a] = i;
            len[a] = n;
            i += n + 2;
        }
        return into.set(resp, off, len, 0, argc);
    }

    /** The argument count of {@code *<argc>\r\n...}. */
    public static int argc(byte[] resp) {
        return argc(resp, 0);
    }

    private static int argc(byte[] resp, int start) {
        int n = 0;
        for (int i = start + 1; resp[i] != '\r'; i++) {
            n = n * 10 + (resp[i] - '0');
        }
        return n;
    }

    /** The index just after the array header. */
    static int afterHeader(byte[] resp) {
        return afterHeader(resp, 0);
    }

    private static int afterHeader(byte[] resp, int start) {
        int i = start + 1;
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
    public static String name(byte[] resp) {
        int i = afterHeader(resp) + 1;
        int len = 0;
        while (resp[i] != '\r') {
            len = len * 10 + (resp[i++] - '0');
        }
        return new String(resp, i + 2, len, StandardCharsets.UTF_8);
    }
}
