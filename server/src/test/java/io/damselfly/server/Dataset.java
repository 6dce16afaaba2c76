package io.damselfly.server;

import io.damselfly.repl.rdb.RdbIn;
import io.damselfly.repl.rdb.RdbReader;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.params.ScanParams;
import redis.clients.jedis.resps.ScanResult;
import redis.clients.jedis.resps.Tuple;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * A dataset with every type on both sides of every encoding threshold, binary keys and values,
 * deadlines and several databases; and readers that render a whole dataset (from a server, or
 * from an RDB file) as one comparable map: "db key" to "type content ttl?".
 */
final class Dataset {
    static final int[] DBS = {0, 1, 5, 15};
    private static final HexFormat HEX = HexFormat.of();

    private Dataset() {
    }

    static byte[] b(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    /** Writes the dataset through a client (Damselfly or redis-server). */
    static void fill(Jedis j) {
        Random r = new Random(42);
        for (int db : DBS) {
            j.select(db);
            String p = "db" + db + ":";
            j.set(b(p + "int"), b("12345"));
            j.set(b(p + "neg"), b("-7"));
            j.set(b(p + "big-int"), b("9223372036854775807"));
            byte[] all = new byte[256];
            for (int i = 0; i < 256; i++) {
                all[i] = (byte) i;
            }
            j.set(new byte[] {0, (byte) 0xff, 'k', '\r', '\n', (byte) db}, all);
            j.set(b(p + "empty"), new byte[0]);
            byte[] rnd = new byte[100_000];
            r.nextBytes(rnd);
            j.set(b(p + "random"), rnd);
            j.set(b(p + "compressible"), b("a".repeat(10_000)));
            j.setex(b(p + "ttl-string"), 1000, b("expires"));
            j.rpush(b(p + "list-small"), b("a"), b("1"), b("-2"), b("x".repeat(70)), new byte[] {0, 1, 2});
            for (int i = 0; i < 3000; i += 100) {
                byte[][] batch = new byte[100][];
                for (int k = 0; k < 100; k++) {
                    batch[k] = b((i + k) % 3 == 0 ? Integer.toString(i + k) : "element-" + (i + k));
                }
                j.rpush(b(p + "list-large"), batch);
            }
            j.rpush(b(p + "list-fat"), b("y".repeat(20_000)), b("z"));
            j.sadd(b(p + "set-ints"), b("1"), b("2"), b("3"), b("-40000"), b("9223372036854775807"), b("-9223372036854775808"));
            for (int i = 0; i < 600; i += 100) {
                byte[][] batch = new byte[100][];
                for (int k = 0; k < 100; k++) {
                    batch[k] = b(Integer.toString(i + k));
                }
                j.sadd(b(p + "set-ints-large"), batch);
            }
            j.sadd(b(p + "set-strings"), b("a"), b("b"), b("c"), new byte[] {(byte) 0xfe});
            for (int i = 0; i < 1000; i += 100) {
                byte[][] batch = new byte[100][];
                for (int k = 0; k < 100; k++) {
                    batch[k] = b("member-" + (i + k));
                }
                j.sadd(b(p + "set-large"), batch);
            }
            j.hset(b(p + "hash-small"), Map.of(b("f1"), b("v1"), b("f2"), b("2"), b("n"), b("-5")));
            j.hset(b(p + "hash-long-value"), Map.of(b("f"), b("v".repeat(100))));
            for (int i = 0; i < 1000; i += 100) {
                Map<byte[], byte[]> m = new java.util.HashMap<>();
                for (int k = 0; k < 100; k++) {
                    m.put(b("field-" + (i + k)), b(Integer.toString((i + k) * 7)));
                }
                j.hset(b(p + "hash-large"), m);
            }
            j.expire(b(p + "hash-large"), 2000);
            j.zadd(b(p + "zset-small"), Map.of(b("a"), 1.0, b("b"), 2.5, b("c"), -3.5e10, b("inf"),
                    Double.POSITIVE_INFINITY, b("-inf"), Double.NEGATIVE_INFINITY, b("tiny"), 0.1));
            for (int i = 0; i < 500; i += 100) {
                Map<byte[], Double> m = new java.util.HashMap<>();
                for (int k = 0; k < 100; k++) {
                    m.put(b("m-" + (i + k)), (i + k) / 3.0);
                }
                j.zadd(b(p + "zset-large"), m);
            }
            j.zadd(b(p + "zset-long-member"), 1, b("m".repeat(100)));
        }
        j.select(0);
    }

    private static String hex(byte[] b) {
        return HEX.formatHex(b);
    }

    /** Every key of the databases in {@link #DBS} (and any other) as "type content ttl?", keyed "db key". */
    static TreeMap<String, String> read(Jedis j) {
        TreeMap<String, String> out = new TreeMap<>();
        for (int db = 0; db < 16; db++) {
            j.select(db);
            byte[] cursor = ScanParams.SCAN_POINTER_START_BINARY;
            do {
                ScanResult<byte[]> page = j.scan(cursor, new ScanParams().count(1000));
                for (byte[] key : page.getResult()) {
                    out.put(db + " " + hex(key), render(j, key));
                }
                cursor = page.getCursorAsBytes();
            } while (!java.util.Arrays.equals(cursor, ScanParams.SCAN_POINTER_START_BINARY));
        }
        j.select(0);
        return out;
    }

    /**
     * Fails unless the two datasets are equal, naming only the keys that differ (at most 10, each
     * value cut to 200 characters): a whole dataset in an assertion message is megabytes long.
     */
    static void assertSame(TreeMap<String, String> expected, TreeMap<String, String> actual, String what) {
        if (expected.equals(actual)) {
            return;
        }
        java.util.List<String> diff = new java.util.ArrayList<>();
        java.util.TreeSet<String> keys = new java.util.TreeSet<>(expected.keySet());
        keys.addAll(actual.keySet());
        int differing = 0;
        for (String k : keys) {
            String e = expected.get(k);
            String a = actual.get(k);
            if (!java.util.Objects.equals(e, a)) {
                differing++;
                if (diff.size() < 10) {
                    diff.add(k + ": expected " + cut(e) + ", was " + cut(a));
                }
            }
        }
        throw new AssertionError(what + ": " + differing + " of " + keys.size() + " keys differ (db hex-key): " + diff);
    }

    private static String cut(String v) {
        return v == null ? "(none)" : v.length() <= 200 ? v : v.substring(0, 200) + "... (" + v.length() + " chars)";
    }

    private static String render(Jedis j, byte[] key) {
        String type = j.type(key);
        String content = switch (type) {
            case "string" -> hex(j.get(key));
            case "list" -> {
                List<String> l = new ArrayList<>();
                for (byte[] e : j.lrange(key, 0, -1)) {
                    l.add(hex(e));
                }
                yield l.toString();
            }
            case "set" -> {
                TreeSet<String> s = new TreeSet<>();
                for (byte[] e : j.smembers(key)) {
                    s.add(hex(e));
                }
                yield s.toString();
            }
            case "hash" -> {
                TreeMap<String, String> m = new TreeMap<>();
                for (Map.Entry<byte[], byte[]> e : j.hgetAll(key).entrySet()) {
                    m.put(hex(e.getKey()), hex(e.getValue()));
                }
                yield m.toString();
            }
            case "zset" -> {
                List<String> l = new ArrayList<>();
                for (Tuple t : j.zrangeWithScores(key, 0, -1)) {
                    l.add(hex(t.getBinaryElement()) + "=" + t.getScore());
                }
                yield l.toString();
            }
            default -> "?";
        };
        return type + " " + content + (j.pttl(key) > 0 ? " ttl" : "");
    }

    /** The same rendering, from an RDB file read directly. */
    static TreeMap<String, String> readRdb(Path file) throws IOException {
        TreeMap<String, String> out = new TreeMap<>();
        try (InputStream in = Files.newInputStream(file)) {
            RdbReader.read(new RdbIn(in, 65536), new RdbReader.Handler() {
                String id;
                String type;
                boolean ttl;
                final List<String> items = new ArrayList<>();
                final TreeMap<String, String> pairs = new TreeMap<>();

                @Override
                public RdbReader.Elements key(int db, byte[] key, int kind, long expireAt) {
                    id = db + " " + hex(key);
                    type = switch (kind) {
                        case RdbReader.LIST -> "list";
                        case RdbReader.SET -> "set";
                        case RdbReader.HASH -> "hash";
                        case RdbReader.ZSET -> "zset";
                        default -> "string";
                    };
                    ttl = expireAt >= 0;
                    items.clear();
                    pairs.clear();
                    return new RdbReader.Elements() {
                        public void string(byte[] v) {
                            items.add(hex(v));
                        }

                        public void element(byte[] e) {
                            items.add(hex(e));
                        }

                        public void pair(byte[] f, byte[] v) {
                            pairs.put(hex(f), hex(v));
                        }

                        public void member(byte[] m, double s) {
                            items.add(hex(m) + "=" + s);
                        }
                    };
                }

                @Override
                public void endKey() {
                    String content = switch (type) {
                        case "string" -> items.get(0);
                        case "set" -> new TreeSet<>(items).toString();
                        case "hash" -> pairs.toString();
                        case "zset" -> {
                            List<String> sorted = new ArrayList<>(items);
                            sorted.sort(java.util.Comparator.comparingDouble((String x) -> Double.parseDouble(
                                    x.substring(x.indexOf('=') + 1))).thenComparing(x -> x.substring(0, x.indexOf('='))));
                            yield sorted.toString();
                        }
                        default -> items.toString();
                    };
                    out.put(id, type + " " + content + (ttl ? " ttl" : ""));
                }
            });
        }
        return out;
    }
}
