package io.damselfly.engine.journal;

import io.damselfly.engine.command.CommandTable;
import io.damselfly.engine.config.Settings;
import io.damselfly.engine.exec.Client;
import io.damselfly.engine.exec.Engine;
import io.damselfly.engine.exec.InlineDriver;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The replicated form of every write command, as Redis 7.0 propagates it. */
class ReplicatedFormTest {
    record Rec(int shard, long lsn, int db, long txid, int parts, List<String> argv) {
        String line() {
            return String.join(" ", argv);
        }
    }

    private final Engine engine = new Engine(new Settings(), CommandTable.standard(), 4);
    private final InlineDriver d = new InlineDriver(engine);
    private final Client c = d.newClient(0);
    private final List<Rec> records = new ArrayList<>();

    @BeforeEach
    void attach() {
        for (int s = 0; s < engine.shards(); s++) {
            int shard = s;
            engine.worker(s).shard().journal().attach((lsn, db, txid, parts, hop, resp, off, len) ->
                    records.add(new Rec(shard, lsn, db, txid, parts, decode(resp, off, len))));
        }
    }

    static List<String> decode(byte[] b, int off, int len) {
        String s = new String(b, off, len, StandardCharsets.ISO_8859_1);
        List<String> out = new ArrayList<>();
        int p = s.indexOf("\r\n") + 2;
        int n = Integer.parseInt(s.substring(1, s.indexOf("\r\n")));
        for (int i = 0; i < n; i++) {
            int e = s.indexOf("\r\n", p);
            int l = Integer.parseInt(s.substring(p + 1, e));
            out.add(s.substring(e + 2, e + 2 + l));
            p = e + 2 + l + 2;
        }
        return out;
    }

    /** Runs a command and returns the lines it journaled. */
    private List<String> forms(String... args) {
        records.clear();
        d.call(c, args);
        List<String> lines = new ArrayList<>();
        for (Rec r : records) {
            lines.add(r.line());
        }
        return lines;
    }

    private String single(String... args) {
        List<String> f = forms(args);
        assertEquals(1, f.size(), "forms of " + String.join(" ", args) + ": " + f);
        return f.get(0);
    }

    private long deadlineOf(String line) {
        String[] w = line.split(" ");
        return Long.parseLong(w[w.length - 1]);
    }

    @Test
    void setFamily() {
        assertEquals("SET k v", single("SET", "k", "v"));
        long before = System.currentTimeMillis();
        String ex = single("SET", "k", "v", "EX", "10");
        assertTrue(ex.startsWith("SET k v PXAT "), ex);
        assertTrue(deadlineOf(ex) >= before + 9_000 && deadlineOf(ex) <= System.currentTimeMillis() + 10_000, ex);
        assertTrue(single("SET", "k", "v", "PX", "100", "GET").startsWith("SET k v PXAT "));
        assertEquals("SET k v2", single("SET", "k", "v2", "GET"));
        assertEquals("SET k v3 KEEPTTL", single("SET", "k", "v3", "KEEPTTL"));
        assertEquals("SET k v PXAT 99999999999999", single("SET", "k", "v", "PXAT", "99999999999999"));
        assertTrue(single("SET", "k", "v", "EXAT", "9999999999").endsWith("PXAT 9999999999000"));
        assertEquals(List.of(), forms("SET", "k", "v", "NX"));
        assertEquals(List.of(), forms("SETNX", "k", "v"));
        assertEquals("SETNX fresh v", single("SETNX", "fresh", "v"));
        assertTrue(single("SETEX", "k", "10", "v").startsWith("SET k v PXAT "));
        assertTrue(single("PSETEX", "k", "100", "v").startsWith("SET k v PXAT "));
        assertEquals("SET k v9", single("GETSET", "k", "v9"));
        assertEquals("DEL k", single("GETDEL", "k"));
        assertEquals(List.of(), forms("GETDEL", "k"));
    }

    @Test
    void getex() {
        d.call(c, "SET", "k", "v");
        assertTrue(single("GETEX", "k", "EX", "100").startsWith("PEXPIREAT k "));
        assertEquals("PERSIST k", single("GETEX", "k", "PERSIST"));
        assertEquals(List.of(), forms("GETEX", "k", "PERSIST"));
        assertEquals(List.of(), forms("GETEX", "k"));
        assertEquals("DEL k", single("GETEX", "k", "PXAT", "1"));
    }

    @Test
    void publishIsPropagated() {
        assertEquals("PUBLISH ch hello", single("PUBLISH", "ch", "hello"));
    }

    @Test
    void counters() {
        assertEquals("INCR n", single("INCR", "n"));
        assertEquals("DECR n", single("DECR", "n"));
        assertEquals("INCRBY n 5", single("INCRBY", "n", "5"));
        assertEquals("DECRBY n 2", single("DECRBY", "n", "2"));
        assertEquals("SET n 4.5 KEEPTTL", single("INCRBYFLOAT", "n", "1.5"));
        assertEquals(List.of(), forms("INCR", "nope", "extra"));
    }

    @Test
    void editing() {
        assertEquals("APPEND s abc", single("APPEND", "s", "abc"));
        assertEquals("SETRANGE s 5 xy", single("SETRANGE", "s", "5", "xy"));
        assertEquals("SETBIT b 7 1", single("SETBIT", "b", "7", "1"));
        assertEquals(List.of(), forms("SETBIT", "b", "7", "1"), "a SETBIT that changes nothing is not replicated");
        assertEquals("BITFIELD b SET u8 8 5 INCRBY u8 8 1", single("BITFIELD", "b", "SET", "u8", "8", "5", "INCRBY", "u8", "8", "1"));
        assertEquals(List.of(), forms("BITFIELD", "b", "SET", "u8", "8", "6"), "nor a BITFIELD that changes nothing");
        assertEquals(List.of(), forms("BITFIELD", "b", "GET", "u8", "8"));
        assertEquals(List.of(), forms("BITFIELD_RO", "b", "GET", "u8", "8"));
        assertEquals("BITFIELD b OVERFLOW FAIL INCRBY u8 64 300", single("BITFIELD", "b", "OVERFLOW", "FAIL", "INCRBY", "u8", "64", "300"),
                "a BITFIELD that only grew the string goes as it is: the replica grows it the same way");
        d.call(c, "SET", "{t}a", "x");
        assertEquals("BITOP OR {t}d {t}a {t}b", single("BITOP", "OR", "{t}d", "{t}a", "{t}b"));
    }

    @Test
    void expiry() {
        d.call(c, "SET", "k", "v");
        String e = single("EXPIRE", "k", "100");
        assertTrue(e.startsWith("PEXPIREAT k "), e);
        assertTrue(single("PEXPIRE", "k", "500000", "GT").matches("PEXPIREAT k \\d+ GT"));
        assertEquals("PEXPIREAT k 99999999999000", single("EXPIREAT", "k", "99999999999"));
        assertEquals("PEXPIREAT k 99999999999999", single("PEXPIREAT", "k", "99999999999999"));
        assertEquals("PERSIST k", single("PERSIST", "k"));
        assertEquals(List.of(), forms("PERSIST", "k"));
        assertEquals("DEL k", single("EXPIRE", "k", "-1"));
        assertEquals(List.of(), forms("EXPIRE", "k", "10"));
    }

    @Test
    void lazilyExpiredKeyBecomesDel() throws InterruptedException {
        d.call(c, "SET", "k", "v", "PX", "1");
        Thread.sleep(5);
        d.tick();
        assertEquals("DEL k", single("GET", "k"));
    }

    @Test
    void keyCommands() {
        d.call(c, "SET", "{x}a", "1");
        assertEquals("RENAME {x}a {x}b", single("RENAME", "{x}a", "{x}b"));
        assertEquals("RENAMENX {x}b {x}c", single("RENAMENX", "{x}b", "{x}c"));
        assertEquals("COPY {x}c {x}d", single("COPY", "{x}c", "{x}d"));
        assertEquals("MOVE {x}d 3", single("MOVE", "{x}d", "3"));
        assertEquals("DEL {x}c {x}zz", single("DEL", "{x}c", "{x}zz"));
        assertEquals(List.of(), forms("DEL", "{x}c"));
        d.call(c, "SET", "u", "1");
        assertEquals("UNLINK u", single("UNLINK", "u"));
    }

    /** Two keys that live on different shards. */
    private String[] keysOnTwoShards() {
        String a = "a";
        for (int i = 0; ; i++) {
            String b = "b" + i;
            byte[] ab = a.getBytes(StandardCharsets.UTF_8);
            byte[] bb = b.getBytes(StandardCharsets.UTF_8);
            if (engine.shardOf(ab, 0, ab.length) != engine.shardOf(bb, 0, bb.length)) {
                return new String[] {a, b};
            }
        }
    }

    @Test
    void crossShardMsetStaysOneOperationWithATransactionId() {
        String[] k = keysOnTwoShards();
        records.clear();
        d.call(c, "MSET", k[0], "1", k[1], "2");
        assertEquals(2, records.size(), records.toString());
        Rec r0 = records.get(0);
        Rec r1 = records.get(1);
        assertNotEquals(0, r0.txid());
        assertEquals(r0.txid(), r1.txid());
        assertEquals(2, r0.parts());
        assertEquals(2, r1.parts());
        assertNotEquals(r0.shard(), r1.shard());
        List<String> merged = new ArrayList<>(List.of("MSET"));
        for (Rec r : records) {
            assertEquals("MSET", r.argv().get(0));
            merged.addAll(r.argv().subList(1, r.argv().size()));
        }
        assertEquals(5, merged.size());
        assertTrue(merged.containsAll(List.of(k[0], "1", k[1], "2")));
        // a single-shard write carries no transaction id
        records.clear();
        d.call(c, "SET", k[0], "3");
        assertEquals(0, records.get(0).txid());
        assertEquals(1, records.get(0).parts());
    }

    @Test
    void crossShardDeleteRenameAndFlush() {
        String[] k = keysOnTwoShards();
        d.call(c, "MSET", k[0], "1", k[1], "2");
        records.clear();
        d.call(c, "DEL", k[0], k[1]);
        assertEquals(2, records.size());
        assertEquals(records.get(0).txid(), records.get(1).txid());
        d.call(c, "SET", k[0], "v");
        records.clear();
        d.call(c, "RENAME", k[0], k[1]);
        List<String> lines = new ArrayList<>();
        for (Rec r : records) {
            lines.add(r.line());
        }
        assertTrue(lines.contains("DEL " + k[0]), lines.toString());
        assertTrue(lines.contains("SET " + k[1] + " v"), lines.toString());
        records.clear();
        d.call(c, "FLUSHALL");
        assertEquals(4, records.size());
        for (Rec r : records) {
            assertEquals("FLUSHALL", r.line());
            assertEquals(4, r.parts());
        }
        records.clear();
        d.call(c, "SWAPDB", "0", "1");
        assertEquals(4, records.size());
        assertEquals("SWAPDB 0 1", records.get(0).line());
    }

    @Test
    void hashes() {
        assertEquals("HSET h f v", single("HSET", "h", "f", "v"));
        assertEquals("HMSET h a 1 b 2", single("HMSET", "h", "a", "1", "b", "2"));
        assertEquals("HSETNX h new 1", single("HSETNX", "h", "new", "1"));
        assertEquals(List.of(), forms("HSETNX", "h", "new", "2"));
        assertEquals("HINCRBY h a 2", single("HINCRBY", "h", "a", "2"));
        assertEquals("HSET h a 4.5", single("HINCRBYFLOAT", "h", "a", "1.5"));
        assertEquals("HDEL h f nope", single("HDEL", "h", "f", "nope"));
        assertEquals(List.of(), forms("HDEL", "h", "nope"));
    }

    @Test
    void setsPopAsRemovals() {
        assertEquals("SADD s a", single("SADD", "s", "a"));
        assertEquals(List.of(), forms("SADD", "s", "a"));
        assertEquals("SREM s a", single("SPOP", "s"));
        d.call(c, "SADD", "s", "x", "y", "z");
        String srem = single("SPOP", "s", "2");
        assertTrue(srem.startsWith("SREM s ") && srem.split(" ").length == 4, srem);
        assertEquals("DEL s", single("SPOP", "s", "10"));
        d.call(c, "SADD", "{t}a", "m");
        assertEquals("SMOVE {t}a {t}b m", single("SMOVE", "{t}a", "{t}b", "m"));
        assertEquals("SINTERSTORE {t}d {t}b {t}b", single("SINTERSTORE", "{t}d", "{t}b", "{t}b"));
    }

    @Test
    void listsAndBlockingPopsAsThePopTheyDid() {
        assertEquals("RPUSH l a b c d e", single("RPUSH", "l", "a", "b", "c", "d", "e"));
        assertEquals("LPOP l", single("BLPOP", "l", "0"));
        assertEquals("RPOP l", single("BRPOP", "none", "l", "0"));
        assertEquals("LPOP l 2", single("LMPOP", "1", "l", "LEFT", "COUNT", "2"));
        assertEquals("RPOP l 1", single("BLMPOP", "0", "1", "l", "RIGHT", "COUNT", "5"));
        assertEquals(List.of(), forms("LPOP", "l"));
        d.call(c, "RPUSH", "{t}l", "1", "2", "3");
        assertEquals("LMOVE {t}l {t}m LEFT RIGHT", single("BLMOVE", "{t}l", "{t}m", "LEFT", "RIGHT", "0"));
        assertEquals("RPOPLPUSH {t}l {t}m", single("BRPOPLPUSH", "{t}l", "{t}m", "0"));
        assertEquals("LSET {t}m 0 z", single("LSET", "{t}m", "0", "z"));
        assertEquals("LTRIM {t}m 0 0", single("LTRIM", "{t}m", "0", "0"));
    }

    @Test
    void sortedSetsAndTheirPops() {
        assertEquals("ZADD z 1 a 2 b 3 c", single("ZADD", "z", "1", "a", "2", "b", "3", "c"));
        assertEquals(List.of(), forms("ZADD", "z", "NX", "5", "a"));
        assertEquals("ZINCRBY z 1 a", single("ZINCRBY", "z", "1", "a"));
        assertEquals("ZPOPMIN z", single("BZPOPMIN", "z", "0"));
        assertEquals("ZPOPMAX z 1", single("ZMPOP", "1", "z", "MAX"));
        assertEquals("ZPOPMIN z 1", single("BZMPOP", "0", "1", "z", "MIN", "COUNT", "9"));
        assertEquals(List.of(), forms("ZPOPMIN", "z"));
    }

    @Test
    void crossShardStoresRebuildTheDestination() {
        String[] k = keysOnTwoShards();
        d.call(c, "SADD", k[0], "1", "2");
        d.call(c, "SET", k[1], "old");
        records.clear();
        d.call(c, "SUNIONSTORE", k[1], k[0]);
        List<String> lines = new ArrayList<>();
        for (Rec r : records) {
            lines.add(r.line());
        }
        assertEquals(List.of("DEL " + k[1], "SADD " + k[1] + " 1 2"), lines);
        d.call(c, "ZADD", k[0] + "z", "1", "m");
        records.clear();
        d.call(c, "ZUNIONSTORE", k[1], "2", k[0], k[0]);
        lines.clear();
        for (Rec r : records) {
            lines.add(r.line());
        }
        assertEquals(List.of("DEL " + k[1], "ZADD " + k[1] + " 2 1 2 2"), lines);
    }

    @Test
    void lsnsIncreasePerShard() {
        for (int i = 0; i < 50; i++) {
            d.call(c, "SET", "k" + i, "v");
        }
        long[] last = new long[engine.shards()];
        records.clear();
        for (int i = 0; i < 50; i++) {
            d.call(c, "SET", "k" + i, "w");
        }
        for (Rec r : records) {
            assertTrue(r.lsn() > last[r.shard()]);
            last[r.shard()] = r.lsn();
        }
    }
}
