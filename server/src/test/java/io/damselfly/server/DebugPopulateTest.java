package io.damselfly.server;

import org.junit.jupiter.api.Test;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.commands.ProtocolCommand;
import redis.clients.jedis.exceptions.JedisDataException;

import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** DEBUG POPULATE as Redis 7.0 has it (count, prefix, size), plus RAND, over two shards. */
class DebugPopulateTest {
    private static final ProtocolCommand DEBUG = () -> "DEBUG".getBytes(StandardCharsets.US_ASCII);

    @Test
    void createsTheMissingKeysOfTheRangeOnEveryShard() throws Exception {
        try (TestServer ts = new TestServer("--threads", "2", "--enable-debug-command", "yes"); Jedis j = ts.jedis()) {
            j.set("key:3", "mine");
            assertEquals("OK", new String((byte[]) j.sendCommand(DEBUG, "POPULATE", "1000"), StandardCharsets.US_ASCII));
            assertEquals(1000, j.dbSize());
            assertEquals("value:999", j.get("key:999"));
            assertEquals("mine", j.get("key:3")); // an existing key is left alone
            j.sendCommand(DEBUG, "POPULATE", "3", "p", "3");
            assertEquals("val", j.get("p:2")); // cut to the size
            j.sendCommand(DEBUG, "POPULATE", "1", "z", "10");
            assertArrayEquals("value:0\0\0\0".getBytes(StandardCharsets.US_ASCII), j.get("z:0".getBytes(StandardCharsets.US_ASCII)));
            j.sendCommand(DEBUG, "POPULATE", "2", "r", "64", "RAND");
            assertEquals(64, j.strlen("r:1"));
            assertEquals(1000 + 3 + 1 + 2, j.dbSize());
            assertEquals("ERR value is out of range, must be positive",
                    assertThrows(JedisDataException.class, () -> j.sendCommand(DEBUG, "POPULATE", "-1")).getMessage());
            assertEquals("ERR value is not an integer or out of range",
                    assertThrows(JedisDataException.class, () -> j.sendCommand(DEBUG, "POPULATE", "many")).getMessage());
        }
    }

    @Test
    void isRefusedUnlessDebugIsEnabled() throws Exception {
        try (TestServer ts = new TestServer(); Jedis j = ts.jedis()) {
            JedisDataException e = assertThrows(JedisDataException.class, () -> j.sendCommand(DEBUG, "POPULATE", "10"));
            assertEquals(true, e.getMessage().startsWith("ERR DEBUG command not allowed."));
            assertEquals(0, j.dbSize());
            e = assertThrows(JedisDataException.class, () -> j.sendCommand(DEBUG, "RELOAD"));
            assertEquals(true, e.getMessage().startsWith("ERR DEBUG command not allowed."));
        }
    }
}
