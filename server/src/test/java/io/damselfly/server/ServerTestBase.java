package io.damselfly.server;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import redis.clients.jedis.Jedis;

import java.io.IOException;

/**
 * One embedded server (3 shards) per test class; each test gets a fresh connection to an empty
 * server, and three keys known to live on three different shards.
 */
abstract class ServerTestBase {
    static TestServer server;
    /** Keys on three different shards. */
    static String[] spread;
    Jedis j;
    Calls c;

    @BeforeAll
    static void startServer() throws IOException {
        server = new TestServer();
        spread = AtomicityTest.keysOnDistinctShards(server.server, 3);
    }

    @AfterAll
    static void stopServer() {
        server.close();
    }

    @BeforeEach
    void connectToEmptyServer() {
        j = server.jedis();
        j.flushAll();
        c = new Calls(j);
    }

    @AfterEach
    void disconnect() {
        j.close();
    }
}
