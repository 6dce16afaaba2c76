package io.damselfly.engine.exec;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The latency monitor (LATENCY LATEST, HISTORY, RESET, GRAPH, DOCTOR): for each event
 * ({@code command}, {@code fast-command}, {@code expire-cycle}) that took at least
 * {@code latency-monitor-threshold} ms, the last 160 seconds that had one, keeping the worst
 * sample of each second, and the worst ever. Server-wide as in Redis; any worker adds under
 * this object's monitor, and only events over the threshold get here.
 */
public final class LatencyMonitor {
    static final int SAMPLES = 160;

    /** One sample: a second (unix time) and the worst latency in it, in ms. */
    public record Sample(long unixSeconds, long ms) {
    }

    /** An event's latest sample and its worst ever. */
    public record Latest(String event, long unixSeconds, long ms, long maxMs) {
    }

    private static final class Series {
        final long[] seconds = new long[SAMPLES];
        final long[] ms = new long[SAMPLES];
        int next;
        long max;
    }

    private final Map<String, Series> events = new LinkedHashMap<>();

    synchronized void add(String event, long ms) {
        Series s = events.computeIfAbsent(event, e -> new Series());
        long now = System.currentTimeMillis() / 1000;
        s.max = Math.max(s.max, ms);
        int prev = (s.next + SAMPLES - 1) % SAMPLES;
        if (s.seconds[prev] == now) {
            s.ms[prev] = Math.max(s.ms[prev], ms);
            return;
        }
        s.seconds[s.next] = now;
        s.ms[s.next] = ms;
        s.next = (s.next + 1) % SAMPLES;
    }

    public synchronized List<Latest> latest() {
        List<Latest> out = new ArrayList<>();
        events.forEach((name, s) -> {
            int last = (s.next + SAMPLES - 1) % SAMPLES;
            out.add(new Latest(name, s.seconds[last], s.ms[last], s.max));
        });
        return out;
    }

    /** An event's samples, oldest first (empty for an event never seen). */
    public synchronized List<Sample> history(String event) {
        List<Sample> out = new ArrayList<>();
        Series s = events.get(event);
        if (s != null) {
            for (int i = 0; i < SAMPLES; i++) {
                int at = (s.next + i) % SAMPLES;
                if (s.seconds[at] != 0) {
                    out.add(new Sample(s.seconds[at], s.ms[at]));
                }
            }
        }
        return out;
    }

    /** Forgets the events named (all when none is); returns how many it forgot. */
    public synchronized int reset(List<String> names) {
        if (names.isEmpty()) {
            int n = events.size();
            events.clear();
            return n;
        }
        int n = 0;
        for (String e : names) {
            if (events.remove(e) != null) {
                n++;
            }
        }
        return n;
    }

    /** LATENCY GRAPH: the event's samples as columns of '#', the worst at full height; null if none. */
    public synchronized String graph(String event) {
        List<Sample> samples = history(event);
        if (samples.isEmpty()) {
            return null;
        }
        long hi = 0;
        long lo = Long.MAX_VALUE;
        for (Sample s : samples) {
            hi = Math.max(hi, s.ms());
            lo = Math.min(lo, s.ms());
        }
        StringBuilder sb = new StringBuilder();
        sb.append(event).append(" - high ").append(hi).append(" ms, low ").append(lo).append(" ms (all time high ")
                .append(events.get(event).max).append(" ms)\n");
        sb.append("-".repeat(Math.max(10, samples.size()))).append('\n');
        int rows = 8;
        for (int row = rows; row >= 1; row--) {
            for (Sample s : samples) {
                sb.append(hi > 0 && s.ms() * rows >= (long) row * hi ? '#' : (row == 1 ? '_' : ' '));
            }
            sb.append('\n');
        }
        long now = System.currentTimeMillis() / 1000;
        sb.append("columns, oldest first: one per second that had a sample; the newest was ")
                .append(now - samples.get(samples.size() - 1).unixSeconds()).append(" s ago\n");
        return sb.toString();
    }

    /** LATENCY DOCTOR: what was seen, per event, and what usually helps. */
    public synchronized String doctor(long thresholdMs) {
        if (thresholdMs <= 0 && events.isEmpty()) {
            return "The latency monitor is off (latency-monitor-threshold is 0), so there is nothing to report.\n"
                    + "Turn it on with CONFIG SET latency-monitor-threshold <ms> to record events that take at least that long.\n";
        }
        if (events.isEmpty()) {
            return "No event took " + thresholdMs + " ms or more since the monitor started or was last reset.\n";
        }
        StringBuilder sb = new StringBuilder("Events that took at least the threshold (" + thresholdMs + " ms):\n\n");
        int n = 1;
        for (Map.Entry<String, Series> e : events.entrySet()) {
            List<Sample> samples = history(e.getKey());
            long sum = 0;
            for (Sample s : samples) {
                sum += s.ms();
            }
            sb.append(n++).append(". ").append(e.getKey()).append(": ").append(samples.size())
                    .append(" seconds with a sample, average of their worst ")
                    .append(String.format(Locale.ROOT, "%.0f", samples.isEmpty() ? 0.0 : (double) sum / samples.size()))
                    .append(" ms, worst ever ").append(e.getValue().max).append(" ms.\n");
        }
        sb.append("\nWhat usually helps:\n");
        if (events.containsKey("command")) {
            sb.append("- command: find the slow calls with SLOWLOG GET; commands over big collections (KEYS, SMEMBERS,\n"
                    + "  LRANGE 0 -1, SORT ...) scale with their size: use SCAN and ranges instead.\n");
        }
        if (events.containsKey("fast-command")) {
            sb.append("- fast-command: an O(1) command took long, so the thread was held up by something else:\n"
                    + "  a garbage collection (see the JVM's GC log) or a machine with more busy threads than cores.\n");
        }
        if (events.containsKey("expire-cycle")) {
            sb.append("- expire-cycle: many keys expired at once; spread their deadlines, or lower active-expire-effort.\n");
        }
        return sb.toString();
    }
}
