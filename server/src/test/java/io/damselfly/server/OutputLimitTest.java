package io.damselfly.server;

import org.junit.jupiter.api.Test;
import redis.clients.jedis.Jedis;

import java.io.IOException;
import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class OutputLimitTest {
    @Test
    void aClientThatNeverReadsIsDisconnectedAtItsLimit() throws Exception {
        try (TestServer ts = new TestServer(); Jedis admin = ts.jedis()) {
            admin.configSet("client-output-buffer-limit", "normal 4mb 0 0");
            admin.set("blob", "x".repeat(100_000));
            boolean cut = false;
            try (TestServer.Raw r = ts.raw()) {
                r.socket.setReceiveBufferSize(4096);
                TestServer.await("the reader to be connected", Duration.ofSeconds(30),
                        () -> admin.clientList().split("\n").length == 2);
                byte[] get = "GET blob\r\n".repeat(50).getBytes();
                long start = System.nanoTime();
                try {
                    while (System.nanoTime() - start < 60_000_000_000L) {
                        r.send(get);
                        if (admin.clientList().split("\n").length == 1) {
                            cut = true;
                            break;
                        }
                    }
                } catch (IOException e) {
                    cut = true;
                }
            }
            assertTrue(cut, "the non-reading client should have been disconnected");
            assertEquals("PONG", admin.ping());
            TestServer.await("the client to disappear", Duration.ofSeconds(30),
                    () -> admin.clientList().split("\n").length == 1);
        }
    }
}
