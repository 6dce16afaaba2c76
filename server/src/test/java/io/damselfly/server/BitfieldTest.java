package io.damselfly.server;

import org.junit.jupiter.api.Test;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.exceptions.JedisDataException;

import java.nio.file.Files;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * BITFIELD and BITFIELD_RO: their error texts, and the same replies and resulting strings as a
 * real redis-server 7.0 for random operations of every width, offset form and overflow mode,
 * sent to both side by side.
 */
class BitfieldTest {
    private static final String TYPE = "ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is.";
    private static final String OFFSET = "ERR bit offset is not an integer or out of range";

    @Test
    void errorsChangeNothing() throws Exception {
        try (TestServer s = new TestServer(); Jedis j = s.jedis()) {
            Calls c = new Calls(j);
            c.error(TYPE, "bitfield", "k", "get", "u64", "0");
            c.error(TYPE, "bitfield", "k", "get", "i65", "0");
            c.error(TYPE, "bitfield", "k", "get", "x8", "0");
            c.error(TYPE, "bitfield", "k", "get", "i", "0");
            c.error(TYPE, "bitfield", "k", "get", "i0", "0");
            c.error(OFFSET, "bitfield", "k", "get", "u8", "-1");
            c.error(OFFSET, "bitfield", "k", "get", "u8", "#");
            c.error(OFFSET, "bitfield", "k", "get", "u8", "4294967296");
            c.error(OFFSET, "bitfield", "k", "get", "u8", "#999999999999999999");
            c.error("ERR Invalid OVERFLOW type specified", "bitfield", "k", "overflow", "wrapx", "set", "u8", "0", "1");
            c.error("ERR syntax error", "bitfield", "k", "set", "u8", "0");
            c.error("ERR syntax error", "bitfield", "k", "foo", "u8", "0");
            c.error("ERR value is not an integer or out of range", "bitfield", "k", "set", "u8", "0", "x");
            // a later operation's error fails the whole command: the SET before it did not happen
            c.error(TYPE, "bitfield", "k", "set", "u8", "0", "255", "get", "u99", "0");
            assertEquals(0L, c.num("exists", "k"));
            c.error("ERR BITFIELD_RO only supports the GET subcommand", "bitfield_ro", "k", "get", "u8", "0", "set", "u8", "0", "1");
            c.error("ERR wrong number of arguments for 'bitfield_ro' command", "bitfield_ro");
            assertEquals(List.of(), c.list("bitfield", "k"));
            assertEquals(0L, c.num("exists", "k"));
            j.lpush("list", "a");
            c.error("WRONGTYPE Operation against a key holding the wrong kind of value", "bitfield", "list", "get", "u8", "0");
            c.error("WRONGTYPE Operation against a key holding the wrong kind of value", "bitfield", "list", "set", "u8", "0", "1");
        }
    }

    @Test
    void basicFormsAndOverflow() throws Exception {
        try (TestServer s = new TestServer(); Jedis j = s.jedis()) {
            Calls c = new Calls(j);
            assertEquals(Calls.of(0L, 0L), c.list("bitfield", "bits", "set", "i8", "0", "-100", "set", "u8", "#1", "200"));
            assertEquals(Calls.of(-100L, 200L, 39L), c.list("bitfield_ro", "bits", "get", "i8", "0", "get", "u8", "8", "get", "u6", "0")); // 0x9C: 100111
            assertEquals(Calls.of(-128L), c.list("bitfield", "bits", "incrby", "i8", "0", "-28"));
            assertEquals(Calls.of(127L), c.list("bitfield", "bits", "incrby", "i8", "0", "-1")); // wraps by default
            assertEquals(Calls.of(255L, 0L), c.list("bitfield", "bits", "overflow", "sat", "incrby", "u8", "8", "100",
                    "incrby", "u8", "#2", "-1"));
            assertEquals(Arrays.asList(null, 255L), c.list("bitfield", "bits", "overflow", "fail", "incrby", "u8", "8", "1",
                    "get", "u8", "8"));
            assertEquals(3L, j.strlen("bits"));
            assertEquals(Calls.of(0L), c.list("bitfield", "wide", "set", "i64", "100", "-1"));
            assertEquals(21L, j.strlen("wide")); // grown to the farthest bit written, 163: 163 / 8 + 1 bytes
            assertEquals(Calls.of(-1L, Long.MAX_VALUE), c.list("bitfield", "wide", "get", "i64", "100", "get", "u63", "101"));
        }
    }

    @Test
    void sameRepliesAndStringsAsRedis() throws Exception {
        try (RealRedis redis = new RealRedis(Files.createTempDirectory("bitfield-redis"));
             TestServer s = new TestServer();
             Jedis r = redis.jedis(); Jedis d = s.jedis()) {
            SplittableRandom rnd = new SplittableRandom(20261123);
            Calls cr = new Calls(r);
            Calls cd = new Calls(d);
            String[] modes = {"wrap", "sat", "fail"};
            for (int round = 0; round < 3000; round++) {
                List<String> cmd = new ArrayList<>(List.of(rnd.nextInt(8) == 0 ? "bitfield_ro" : "bitfield", "bf" + rnd.nextInt(3)));
                int ops = 1 + rnd.nextInt(4);
                for (int k = 0; k < ops; k++) {
                    if (rnd.nextInt(4) == 0) {
                        cmd.addAll(List.of("overflow", modes[rnd.nextInt(3)]));
                    }
                    boolean signed = rnd.nextBoolean();
                    int bits = 1 + rnd.nextInt(signed ? 64 : 63);
                    String type = (signed ? "i" : "u") + bits;
                    String offset = rnd.nextInt(3) == 0 ? "#" + rnd.nextInt(6) : Integer.toString(rnd.nextInt(160));
                    int op = rnd.nextInt(3);
                    if (op == 0) {
                        cmd.addAll(List.of("get", type, offset));
                    } else {
                        cmd.addAll(List.of(op == 1 ? "set" : "incrby", type, offset, Long.toString(value(rnd, bits))));
                    }
                }
                String[] args = cmd.toArray(new String[0]);
                assertEquals(reply(cr, args), reply(cd, args), String.join(" ", args));
                assertArrayEquals(r.get(args[1].getBytes()), d.get(args[1].getBytes()), "after " + String.join(" ", args));
            }
            for (int k = 0; k < 3; k++) {
                assertArrayEquals(r.get(("bf" + k).getBytes()), d.get(("bf" + k).getBytes()), "bf" + k);
            }
        }
    }

    /** Values around the edges of a field's range, and anywhere. */
    private static long value(SplittableRandom rnd, int bits) {
        return switch (rnd.nextInt(6)) {
            case 0 -> rnd.nextLong();
            case 1 -> (bits >= 63 ? Long.MAX_VALUE : 1L << bits) - rnd.nextInt(3);
            case 2 -> -(bits >= 63 ? Long.MAX_VALUE : 1L << (bits - 1)) - rnd.nextInt(3);
            case 3 -> rnd.nextBoolean() ? Long.MIN_VALUE : Long.MAX_VALUE;
            default -> rnd.nextInt(-300, 300);
        };
    }

    private static Object reply(Calls c, String[] args) {
        try {
            return c.call(args);
        } catch (JedisDataException e) {
            return "error: " + e.getMessage();
        }
    }
}
