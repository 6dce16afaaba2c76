package io.damselfly.server;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.Jedis;

import java.io.IOException;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Redis 7.0's request parser, case by case, over a real socket. */
class ProtocolTest {
    static TestServer server;

    @BeforeAll
    static void start() throws IOException {
        server = new TestServer();
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    /** Sends bytes; expects the given error line and then the connection closed. */
    private static void protocolError(String request, String error) throws IOException {
        try (TestServer.Raw r = server.raw(); Jedis bystander = server.jedis()) {
            bystander.set("bystander", "ok");
            r.send(request);
            assertEquals("-ERR Protocol error: " + error, r.line());
            assertTrue(r.closedByPeer(), "connection should be closed after a protocol error");
            assertEquals("ok", bystander.get("bystander"), "other clients are unaffected");
        }
    }

    @Test
    void emptyQueryAndSkippedMultibulks() throws IOException {
        try (TestServer.Raw r = server.raw()) {
            r.send("\r\n*0\r\n*-1\r\n*-10\r\nPING\r\n");
            assertEquals("+PONG", r.line());
        }
    }

    @Test
    void inlineCommands() throws IOException {
        try (TestServer.Raw r = server.raw()) {
            r.send("SET inline \"hello world\"\r\nGET inline\r\n");
            assertEquals("+OK", r.line());
            assertEquals("$11", r.line());
            assertEquals("hello world", r.line());
            r.send("ping\n");
            assertEquals("+PONG", r.line());
        }
    }

    @Test
    void errors() throws IOException {
        protocolError("*3000000000\r\n", "invalid multibulk length");
        protocolError("*abc\r\n", "invalid multibulk length");
        protocolError("*3\r\n$3\r\nSET\r\n$1\r\nx\r\nfooz\r\n", "expected '$', got 'f'");
        protocolError("*3\r\n$3\r\nSET\r\n$1\r\nx\r\n$-10\r\n", "invalid bulk length");
        protocolError("*3\r\n$3\r\nSET\r\n$1\r\nx\r\n$2000000000\r\n", "invalid bulk length");
        protocolError("*3\r\n$3\r\nSET\r\n$1\r\nx\r\n$blabla\r\n", "invalid bulk length");
        protocolError("*1\r\nfoo\r\n", "expected '$', got 'f'");
        protocolError("set \"\"\"test-key\"\"\" test-value\r\nping\r\n", "unbalanced quotes in request");
        protocolError("A".repeat(70_000), "too big inline request");
        protocolError("*" + "1".repeat(70_000), "too big mbulk count string");
        protocolError("*1\r\n$" + "1".repeat(70_000), "too big bulk count string");
    }

    @Test
    void desyncedStreamsAreCut() throws IOException {
        for (String seq : new String[] {"\u0000", "*\u0000", "$\u0000"}) {
            try (TestServer.Raw r = server.raw()) {
                r.send(seq);
                String line = null;
                try {
                    for (int i = 0; i < 200; i++) {
                        r.send("payload".repeat(200));
                    }
                } catch (IOException closed) {
                    // the server closed on us mid-stream: fine
                }
                line = r.line();
                assertTrue(line != null && line.contains("Protocol error"), "got " + line);
            }
        }
    }

    @Test
    void bulkOverTheConfiguredMaximumIsRefusedBeforeItArrives() throws IOException {
        try (Jedis admin = server.jedis()) {
            admin.configSet("proto-max-bulk-len", "1mb");
            try {
                protocolError("*3\r\n$3\r\nSET\r\n$1\r\nx\r\n$2000000\r\n", "invalid bulk length");
            } finally {
                admin.configSet("proto-max-bulk-len", "512mb");
            }
        }
    }

    @Test
    void announcedButUnsentBulkAllocatesNothingUpFront() throws IOException {
        try (TestServer.Raw r = server.raw(); Jedis admin = server.jedis()) {
            r.send("*3\r\n$3\r\nSET\r\n$3\r\nbig\r\n$500000000\r\nabc");
            TestServer.await("the client to be listed", java.time.Duration.ofSeconds(30),
                    () -> admin.clientList().contains("qbuf="));
            for (String line : admin.clientList().split("\n")) {
                if (line.contains("cmd=NULL")) {
                    long qbuf = Long.parseLong(line.replaceAll(".* qbuf=(\\d+) .*", "$1"));
                    long free = Long.parseLong(line.replaceAll(".* qbuf-free=(\\d+) .*", "$1"));
                    assertTrue(qbuf + free < 1_000_000, "query buffer grew to " + (qbuf + free));
                }
            }
        }
    }

    @Test
    void unauthenticatedLimits() throws IOException {
        try (TestServer locked = new TestServer("--requirepass", "secret")) {
            try (TestServer.Raw r = locked.raw()) {
                r.send("*11\r\n");
                assertEquals("-ERR Protocol error: unauthenticated multibulk length", r.line());
                assertTrue(r.closedByPeer());
            }
            try (TestServer.Raw r = locked.raw()) {
                r.send("*2\r\n$4\r\nAUTH\r\n$16385\r\n");
                assertEquals("-ERR Protocol error: unauthenticated bulk length", r.line());
                assertTrue(r.closedByPeer());
            }
            try (TestServer.Raw r = locked.raw()) {
                r.send("GET x\r\n");
                assertEquals("-NOAUTH Authentication required.", r.line());
                r.send("AUTH wrong\r\n");
                assertEquals("-WRONGPASS invalid username-password pair or user is disabled.", r.line());
                r.send("AUTH secret\r\n*11\r\n$4\r\nMSET\r\n$1\r\na\r\n$1\r\n1\r\n$1\r\nb\r\n$1\r\n2\r\n$1\r\nc\r\n$1\r\n3\r\n$1\r\nd\r\n$1\r\n4\r\n$1\r\ne\r\n$1\r\n5\r\n");
                assertEquals("+OK", r.line());
                assertEquals("+OK", r.line());
            }
        }
    }

    @Test
    void wrongArityAndUnknownCommands() throws IOException {
        try (TestServer.Raw r = server.raw()) {
            r.send("PING x y z\r\n");
            assertEquals("-ERR wrong number of arguments for 'ping' command", r.line());
            r.send("NOSUCH a b\r\n");
            assertEquals("-ERR unknown command 'NOSUCH', with args beginning with: 'a' 'b' ", r.line());
            r.send("CONFIG NOSUCH\r\n");
            assertEquals("-ERR unknown subcommand 'NOSUCH'. Try CONFIG HELP.", r.line());
            r.send("PING\r\n");
            assertEquals("+PONG", r.line());
        }
    }

    @Test
    void bigArgumentsArriveInPieces() throws IOException {
        try (TestServer.Raw r = server.raw(); Jedis j = server.jedis()) {
            int size = 5 * 1024 * 1024;
            r.send("*3\r\n$3\r\nSET\r\n$3\r\nbig\r\n$" + size + "\r\n");
            byte[] chunk = new byte[64 * 1024];
            java.util.Arrays.fill(chunk, (byte) 'x');
            for (int sent = 0; sent < size; sent += chunk.length) {
                r.send(java.util.Arrays.copyOf(chunk, Math.min(chunk.length, size - sent)));
            }
            r.send("\r\n");
            assertEquals("+OK", r.line());
            assertEquals(size, j.strlen("big"));
        }
    }
}
