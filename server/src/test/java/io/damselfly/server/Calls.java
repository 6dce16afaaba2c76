package io.damselfly.server;

import redis.clients.jedis.Jedis;
import redis.clients.jedis.exceptions.JedisDataException;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** Sends any command through Jedis and gives the reply back as strings, longs and lists. */
final class Calls {
    private final Jedis j;

    Calls(Jedis j) {
        this.j = j;
    }

    /** The reply, with bulk and status strings as String, integers as Long, arrays as List. */
    Object call(String... args) {
        String[] rest = Arrays.copyOfRange(args, 1, args.length);
        return decode(j.sendCommand(TestServer.cmd(args[0]), rest));
    }

    String str(String... args) {
        return (String) call(args);
    }

    long num(String... args) {
        return (Long) call(args);
    }

    @SuppressWarnings("unchecked")
    List<Object> list(String... args) {
        return (List<Object>) call(args);
    }

    /** Asserts the command fails with exactly this error text. */
    void error(String expected, String... args) {
        JedisDataException e = assertThrows(JedisDataException.class, () -> call(args));
        assertEquals(expected, e.getMessage(), String.join(" ", args));
    }

    static Object decode(Object o) {
        if (o instanceof byte[] b) {
            return new String(b, StandardCharsets.UTF_8);
        }
        if (o instanceof List<?> l) {
            List<Object> out = new ArrayList<>(l.size());
            for (Object e : l) {
                out.add(decode(e));
            }
            return out;
        }
        return o;
    }

    static List<Object> of(Object... items) {
        return Arrays.asList(items);
    }
}
