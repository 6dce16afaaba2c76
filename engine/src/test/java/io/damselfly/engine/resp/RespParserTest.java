package io.damselfly.engine.resp;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class RespParserTest {
    private static final long MAX_BULK = 512L * 1024 * 1024;

    /** Parses everything in {@code input}; returns each command's args joined by '|', or "ERR:text". */
    private static List<String> parseAll(String input, boolean auth, long maxBulk) {
        byte[] buf = input.getBytes(StandardCharsets.ISO_8859_1);
        RespParser p = new RespParser();
        List<String> out = new ArrayList<>();
        for (;;) {
            int st = p.parse(buf, buf.length, maxBulk, auth);
            if (st == RespParser.INCOMPLETE) {
                return out;
            }
            if (st == RespParser.ERROR) {
                out.add("ERR:" + p.error());
                return out;
            }
            StringBuilder sb = new StringBuilder();
            for (int i = 0; i < p.argc(); i++) {
                if (i > 0) {
                    sb.append('|');
                }
                sb.append(new String(buf, p.argOffsets()[i], p.argLengths()[i], StandardCharsets.ISO_8859_1));
            }
            out.add(sb.toString());
        }
    }

    private static List<String> parseAll(String input) {
        return parseAll(input, false, MAX_BULK);
    }

    @Test
    void multibulkAndPipelining() {
        assertEquals(List.of("SET|k|v", "GET|k"), parseAll("*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n*2\r\n$3\r\nGET\r\n$1\r\nk\r\n"));
        assertEquals(List.of("GET|"), parseAll("*2\r\n$3\r\nGET\r\n$0\r\n\r\n"));
    }

    @Test
    void incompleteInputWaitsForMore() {
        String full = "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$5\r\nhello\r\n";
        for (int cut = 0; cut < full.length(); cut++) {
            assertEquals(List.of(), parseAll(full.substring(0, cut)), "cut at " + cut);
        }
    }

    @Test
    void resumesAcrossReads() {
        byte[] all = "*2\r\n$3\r\nGET\r\n$10\r\n0123456789\r\n".getBytes(StandardCharsets.ISO_8859_1);
        RespParser p = new RespParser();
        for (int limit = 1; limit < all.length; limit++) {
            assertEquals(RespParser.INCOMPLETE, p.parse(all, limit, MAX_BULK, false));
        }
        assertEquals(RespParser.COMMAND, p.parse(all, all.length, MAX_BULK, false));
        assertEquals("0123456789", new String(all, p.argOffsets()[1], p.argLengths()[1], StandardCharsets.ISO_8859_1));
    }

    @Test
    void emptyAndNegativeMultibulkAreSkipped() {
        assertEquals(List.of("PING"), parseAll("*0\r\n*-1\r\n*-10\r\n*1\r\n$4\r\nPING\r\n"));
        assertEquals(List.of("PING"), parseAll("\r\nPING\r\n"));
    }

    @Test
    void inlineCommands() {
        assertEquals(List.of("SET|a b|c"), parseAll("SET \"a b\" c\r\n"));
        assertEquals(List.of("SET|k|it's"), parseAll("SET k 'it\\'s'\n"));
        assertEquals(List.of("ECHO|a\nb\u0001"), parseAll("ECHO \"a\\nb\\x01\"\r\n"));
        assertEquals(List.of("PING"), parseAll("   \r\n  PING  \r\n"));
    }

    @Test
    void protocolErrorsUseRedisTexts() {
        assertEquals(List.of("ERR:Protocol error: invalid multibulk length"), parseAll("*3000000000\r\n"));
        assertEquals(List.of("ERR:Protocol error: invalid multibulk length"), parseAll("*abc\r\n"));
        assertEquals(List.of("ERR:Protocol error: expected '$', got 'f'"), parseAll("*3\r\n$3\r\nSET\r\n$1\r\nx\r\nfooz\r\n"));
        assertEquals(List.of("ERR:Protocol error: invalid bulk length"), parseAll("*3\r\n$3\r\nSET\r\n$1\r\nx\r\n$-10\r\n"));
        assertEquals(List.of("ERR:Protocol error: invalid bulk length"), parseAll("*3\r\n$3\r\nSET\r\n$1\r\nx\r\n$2000000000\r\n", false, MAX_BULK));
        assertEquals(List.of("ERR:Protocol error: invalid bulk length"), parseAll("*3\r\n$3\r\nSET\r\n$1\r\nx\r\n$blabla\r\n"));
        assertEquals(List.of("ERR:Protocol error: expected '$', got 'f'"), parseAll("*1\r\nfoo\r\n"));
        assertEquals(List.of("ERR:Protocol error: unbalanced quotes in request"), parseAll("set \"\"\"test-key\"\"\" test-value\r\n"));
        assertEquals(List.of("ERR:Protocol error: unbalanced quotes in request"), parseAll("set \"abc\r\n"));
        String big = "A".repeat(65 * 1024);
        assertEquals(List.of("ERR:Protocol error: too big inline request"), parseAll(big));
        assertEquals(List.of("ERR:Protocol error: too big mbulk count string"), parseAll("*" + big));
        assertEquals(List.of("ERR:Protocol error: too big bulk count string"), parseAll("*1\r\n$" + big));
    }

    @Test
    void unauthenticatedLimits() {
        StringBuilder eleven = new StringBuilder("*11\r\n");
        assertEquals(List.of("ERR:Protocol error: unauthenticated multibulk length"), parseAll(eleven.toString(), true, MAX_BULK));
        assertEquals(List.of("ERR:Protocol error: unauthenticated bulk length"), parseAll("*2\r\n$4\r\nAUTH\r\n$16385\r\n", true, MAX_BULK));
        assertEquals(List.of(), parseAll("*11\r\n", false, MAX_BULK));
    }

    @Test
    void bulkLargerThanTheConfiguredMaximumIsRefusedBeforeItArrives() {
        assertEquals(List.of("ERR:Protocol error: invalid bulk length"), parseAll("*2\r\n$3\r\nGET\r\n$1048577\r\n", false, 1024 * 1024));
        // announced but not sent: the parser keeps waiting without needing the bytes
        RespParser p = new RespParser();
        byte[] head = "*2\r\n$3\r\nSET\r\n$100000000\r\n".getBytes(StandardCharsets.ISO_8859_1);
        assertEquals(RespParser.INCOMPLETE, p.parse(head, head.length, MAX_BULK, false));
        assertTrue(p.pendingBytes(head.length) >= 100_000_000);
    }

    @Test
    void shiftKeepsPartialCommand() {
        byte[] buf = "xxxx*2\r\n$3\r\nGET\r\n$3\r\nabc\r\n".getBytes(StandardCharsets.ISO_8859_1);
        RespParser p = new RespParser();
        // pretend the first 4 bytes were consumed by an earlier inline command
        assertEquals(RespParser.INCOMPLETE, p.parse(buf, 0, MAX_BULK, false));
        byte[] moved = new byte[buf.length];
        System.arraycopy(buf, 4, moved, 0, buf.length - 4);
        assertEquals(RespParser.INCOMPLETE, p.parse(moved, 10, MAX_BULK, false));
        assertEquals(RespParser.COMMAND, p.parse(moved, buf.length - 4, MAX_BULK, false));
        assertEquals("abc", new String(moved, p.argOffsets()[1], p.argLengths()[1], StandardCharsets.ISO_8859_1));
    }
}
