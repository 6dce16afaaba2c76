package io.damselfly.engine.exec;

import io.damselfly.engine.command.Request;

import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;

/**
 * SLOWLOG: the commands that ran at least {@code slowlog-log-slower-than} microseconds, newest
 * first, at most {@code slowlog-max-len} of them, for the whole server as in Redis. Any worker
 * adds to it under this object's monitor; that costs nothing on the request path, which only
 * compares a duration with the threshold. An entry keeps what Redis keeps: at most 32 arguments
 * (the last one then says how many more there were), each cut to 128 bytes, and secrets
 * (AUTH's and HELLO's passwords, sensitive CONFIG SET values) as {@code (redacted)}.
 */
public final class SlowLog {
    static final int MAX_ARGS = 32;
    static final int MAX_ARG_BYTES = 128;
    private static final byte[] REDACTED = "(redacted)".getBytes(StandardCharsets.US_ASCII);

    /** One logged command. */
    public record Entry(long id, long unixSeconds, long micros, byte[][] args, String peer, String name) {
    }

    private final ArrayDeque<Entry> entries = new ArrayDeque<>();
    private long nextId;

    /** Logs a command that took {@code micros}; {@code maxLen} is slowlog-max-len now. */
    synchronized void add(Request r, String command, long micros, String peer, String name, long maxLen) {
        entries.addFirst(new Entry(nextId++, System.currentTimeMillis() / 1000, micros, args(r, command), peer,
                name == null ? "" : name));
        while (entries.size() > maxLen) {
            entries.removeLast();
        }
    }

    public synchronized int size() {
        return entries.size();
    }

    public synchronized void reset() {
        entries.clear();
    }

    /** The newest {@code count} entries, newest first. */
    public synchronized List<Entry> newest(long count) {
        List<Entry> out = new ArrayList<>((int) Math.min(count, entries.size()));
        Iterator<Entry> it = entries.iterator();
        while (out.size() < count && it.hasNext()) {
            out.add(it.next());
        }
        return out;
    }

    private static byte[][] args(Request r, String command) {
        int argc = r.argc();
        int kept = Math.min(argc, MAX_ARGS);
        byte[][] out = new byte[kept][];
        for (int i = 0; i < kept; i++) {
            if (kept != argc && i == kept - 1) {
                out[i] = ("... (" + (argc - kept + 1) + " more arguments)").getBytes(StandardCharsets.US_ASCII);
            } else if (redacted(r, command, i)) {
                out[i] = REDACTED;
            } else if (r.len(i) > MAX_ARG_BYTES) {
                byte[] head = new byte[MAX_ARG_BYTES];
                System.arraycopy(r.buf(), r.off(i), head, 0, MAX_ARG_BYTES);
                byte[] tail = ("... (" + (r.len(i) - MAX_ARG_BYTES) + " more bytes)").getBytes(StandardCharsets.US_ASCII);
                byte[] a = new byte[head.length + tail.length];
                System.arraycopy(head, 0, a, 0, head.length);
                System.arraycopy(tail, 0, a, head.length, tail.length);
                out[i] = a;
            } else {
                out[i] = r.copy(i);
            }
        }
        return out;
    }

    /** Whether argument {@code i} is a secret Redis leaves out of its logs. */
    private static boolean redacted(Request r, String command, int i) {
        switch (command) {
            case "auth":
                return i >= 1;
            case "hello":
                // HELLO [protover [AUTH username password] [SETNAME name]]
                for (int j = 2; j + 2 < r.argc(); j++) {
                    if (r.is(j, "auth")) {
                        return i == j + 1 || i == j + 2;
                    }
                }
                return false;
            case "config|set":
                // CONFIG SET name value [name value ...]: the values of secret settings
                return i >= 3 && (i - 3) % 2 == 0
                        && (r.is(i - 1, "requirepass") || r.is(i - 1, "masterauth") || r.is(i - 1, "masteruser"));
            default:
                return false;
        }
    }
}
