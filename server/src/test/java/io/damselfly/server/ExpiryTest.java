package io.damselfly.server;

import org.junit.jupiter.api.Test;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.Pipeline;

import java.io.IOException;
import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

class ExpiryTest {
    private static long field(String info, String name) {
        for (String line : info.split("\r\n")) {
            if (line.startsWith(name + ":")) {
                return Long.parseLong(line.substring(name.length() + 1).trim());
            }
        }
        throw new AssertionError("no " + name + " in INFO");
    }

    @Test
    void unreadKeysAreReclaimedByActiveExpiry() throws IOException {
        try (TestServer ts = new TestServer(); Jedis j = ts.jedis()) {
            int n = 20_000;
            Pipeline p = j.pipelined();
            for (int i = 0; i < n; i++) {
                p.setex("ttl:" + i, 1, "v");
            }
            p.set("keeper", "stays");
            p.sync();
            // on a loaded machine some keys may already have expired by now: stored = live + expired,
            // both read in one INFO (each shard reports its pair in one step)
            String info = j.info();
            long live = Long.parseLong(info.split("db0:keys=")[1].split(",")[0]);
            assertEquals(n + 1, live + field(info, "expired_keys"));
            TestServer.await("active expiry to reclaim every key", Duration.ofSeconds(60),
                    () -> field(j.info("stats"), "expired_keys") >= n && j.dbSize() == 1);
            assertEquals("stays", j.get("keeper"));
        }
    }

    @Test
    void expiredKeysAreGoneOnAccess() throws Exception {
        try (TestServer ts = new TestServer(); Jedis j = ts.jedis()) {
            j.configSet("hz", "1");
            j.psetex("short", 50, "v");
            Thread.sleep(200);
            assertNull(j.get("short"));
            assertEquals(-2, j.ttl("short"));
        }
    }
}
