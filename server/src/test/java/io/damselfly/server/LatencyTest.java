package io.damselfly.server;

import org.junit.jupiter.api.Test;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.commands.ProtocolCommand;
import redis.clients.jedis.exceptions.JedisDataException;

import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The latency monitor (LATENCY LATEST, HISTORY, GRAPH, DOCTOR, RESET) and the per-command
 * latency histograms (LATENCY HISTOGRAM, INFO latencystats), with Redis 7.0's reply shapes,
 * gathered over two shards.
 */
class LatencyTest {
    private static final ProtocolCommand LATENCY = () -> "LATENCY".getBytes(StandardCharsets.US_ASCII);
    private static final ProtocolCommand DEBUG = () -> "DEBUG".getBytes(StandardCharsets.US_ASCII);

    private static String text(Object o) {
        return new String((byte[]) o, StandardCharsets.UTF_8);
    }

    /** LATENCY HISTOGRAM (RESP2: a flat list) as command -> calls. */
    @SuppressWarnings("unchecked")
    private static Map<String, Long> histogram(Jedis j, String... commands) {
        String[] args = new String[commands.length + 1];
        args[0] = "HISTOGRAM";
        System.arraycopy(commands, 0, args, 1, commands.length);
        List<Object> flat = (List<Object>) j.sendCommand(LATENCY, args);
        Map<String, Long> out = new HashMap<>();
        for (int i = 0; i < flat.size(); i += 2) {
            List<Object> fields = (List<Object>) flat.get(i + 1);
            assertEquals("calls", text(fields.get(0)));
            assertEquals("histogram_usec", text(fields.get(2)));
            List<Object> buckets = (List<Object>) fields.get(3);
            assertFalse(buckets.isEmpty());
            long calls = (Long) fields.get(1);
            assertEquals(calls, (Long) buckets.get(buckets.size() - 1), "the last bucket holds every call");
            out.put(text(flat.get(i)), calls);
        }
        return out;
    }

    @Test
    void histogramsCountEveryCallPerCommandOverBothShards() throws Exception {
        try (TestServer ts = new TestServer("--threads", "2"); Jedis j = ts.jedis()) {
            j.configResetStat();
            for (int i = 0; i < 40; i++) {
                j.set("k" + i, "v"); // keys on both shards
            }
            j.get("k1");
            j.clientId();
            j.clientList();
            Map<String, Long> all = histogram(j);
            assertEquals(40L, all.get("set"));
            assertEquals(1L, all.get("get"));
            assertEquals(Map.of("client|id", 1L, "client|list", 1L), histogram(j, "client"));
            assertEquals(Map.of("set", 40L, "get", 1L), histogram(j, "nosuch", "set", "get", "zadd"));

            String info = j.info("latencystats");
            assertTrue(info.matches("(?s).*latency_percentiles_usec_set:p50=\\d+\\.\\d{3},p99=\\d+\\.\\d{3},p99\\.9=\\d+\\.\\d{3}\r\n.*"), info);
            j.configSet("latency-tracking-info-percentiles", "50 90");
            assertTrue(j.info("latencystats").contains("latency_percentiles_usec_get:p50="), "get");
            assertTrue(j.info("latencystats").matches("(?s).*usec_get:p50=[0-9.]+,p90=[0-9.]+\r\n.*"));
        }
    }

    @SuppressWarnings("unchecked")
    @Test
    void eventsOverTheThresholdAreKeptPerSecond() throws Exception {
        try (TestServer ts = new TestServer("--threads", "2", "--enable-debug-command", "yes"); Jedis j = ts.jedis()) {
            assertEquals(List.of(), j.sendCommand(LATENCY, "LATEST"));
            j.configSet("latency-monitor-threshold", "100");
            j.sendCommand(DEBUG, "SLEEP", "0.05"); // under the threshold
            assertEquals(List.of(), j.sendCommand(LATENCY, "LATEST"));
            j.sendCommand(DEBUG, "SLEEP", "0.2");
            List<Object> latest = (List<Object>) j.sendCommand(LATENCY, "LATEST");
            assertEquals(1, latest.size());
            List<Object> event = (List<Object>) latest.get(0);
            assertEquals("command", text(event.get(0)));
            assertTrue(Math.abs(System.currentTimeMillis() / 1000 - (Long) event.get(1)) <= 60);
            assertTrue((Long) event.get(2) >= 200 && (Long) event.get(3) >= 200, latest.toString());
            List<Object> history = (List<Object>) j.sendCommand(LATENCY, "HISTORY", "command");
            assertEquals(1, history.size());
            assertEquals(List.of(), j.sendCommand(LATENCY, "HISTORY", "nosuch"));
            assertTrue(text(j.sendCommand(LATENCY, "GRAPH", "command")).startsWith("command - high "));
            assertTrue(text(j.sendCommand(LATENCY, "DOCTOR")).contains("command"));
            assertEquals(0L, j.sendCommand(LATENCY, "RESET", "nosuch"));
            assertEquals(1L, j.sendCommand(LATENCY, "RESET"));
            assertEquals(List.of(), j.sendCommand(LATENCY, "LATEST"));
            JedisDataException e = assertThrows(JedisDataException.class, () -> j.sendCommand(LATENCY, "GRAPH", "command"));
            assertEquals("ERR No samples available for event 'command'", e.getMessage());
            e = assertThrows(JedisDataException.class, () -> j.sendCommand(LATENCY, "HELP", "x"));
            assertEquals("ERR wrong number of arguments for 'latency|help' command", e.getMessage());
        }
    }
}
