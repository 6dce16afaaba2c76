package io.damselfly.engine.exec;

import io.damselfly.engine.command.CommandTable;
import io.damselfly.engine.config.Settings;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class InlineDriverTest {
    private final InlineDriver d = new InlineDriver(new Engine(new Settings(), CommandTable.standard(), 4));
    private final Client c = d.newClient(0);

    @Test
    void basicStringsAcrossShards() {
        assertEquals("+OK\r\n", d.callText(c, "SET", "a", "1"));
        assertEquals("$1\r\n1\r\n", d.callText(c, "GET", "a"));
        assertEquals("+OK\r\n", d.callText(c, "MSET", "k1", "v1", "k2", "v2", "k3", "v3", "k4", "v4"));
        assertEquals("*5\r\n$2\r\nv1\r\n$2\r\nv2\r\n$-1\r\n$2\r\nv3\r\n$2\r\nv4\r\n",
                d.callText(c, "MGET", "k1", "k2", "nope", "k3", "k4"));
        assertEquals(":3\r\n", d.callText(c, "DEL", "k1", "k2", "k3", "zz"));
        assertEquals(":1\r\n", d.callText(c, "EXISTS", "k4", "k1"));
        assertEquals(":0\r\n", d.callText(c, "MSETNX", "x1", "1", "k4", "2"));
        assertEquals(":0\r\n", d.callText(c, "EXISTS", "x1"));
        assertEquals(":1\r\n", d.callText(c, "MSETNX", "x1", "1", "x2", "2", "x3", "3"));
        assertEquals(":5\r\n", d.callText(c, "DBSIZE"));
        assertEquals(":11\r\n", d.callText(c, "INCRBY", "x1", "10"));
        assertEquals("+OK\r\n", d.callText(c, "RENAME", "x1", "renamed-somewhere-else"));
        assertEquals("$2\r\n11\r\n", d.callText(c, "GET", "renamed-somewhere-else"));
        assertEquals(":0\r\n", d.callText(c, "EXISTS", "x1"));
        assertEquals("-ERR no such key\r\n", d.callText(c, "RENAME", "x1", "y"));
        String keys = d.callText(c, "KEYS", "*");
        assertTrue(keys.startsWith("*5\r\n"), keys);
        String info = d.callText(c, "INFO", "keyspace");
        assertTrue(info.contains("db0:keys=5"), info);
    }

    @Test
    void pipelineKeepsOrderAcrossShards() {
        StringBuilder req = new StringBuilder();
        StringBuilder expected = new StringBuilder();
        for (int i = 0; i < 200; i++) {
            req.append(new String(InlineDriver.encode("SET", "key" + i, "v" + i)));
            req.append(new String(InlineDriver.encode("GET", "key" + i)));
            expected.append("+OK\r\n").append("$").append(("v" + i).length()).append("\r\nv").append(i).append("\r\n");
        }
        d.feed(c, req.toString().getBytes());
        assertEquals(expected.toString(), new String(d.drainOutput(c)));
    }

    @Test
    void errorsUseRedisTexts() {
        assertEquals("-ERR unknown command 'foo', with args beginning with: 'a' 'b' \r\n", d.callText(c, "foo", "a", "b"));
        assertEquals("-ERR wrong number of arguments for 'get' command\r\n", d.callText(c, "get"));
        d.callText(c, "SET", "s", "abc");
        assertEquals("-ERR value is not an integer or out of range\r\n", d.callText(c, "INCR", "s"));
        assertEquals("-ERR syntax error\r\n", d.callText(c, "SET", "s", "1", "NX", "XX"));
        assertEquals("-ERR unknown subcommand 'x'. Try CLIENT HELP.\r\n", d.callText(c, "CLIENT", "x"));
        assertEquals("-ERR wrong number of arguments for 'mset' command\r\n", d.callText(c, "MSET", "a", "b", "c"));
    }
}
