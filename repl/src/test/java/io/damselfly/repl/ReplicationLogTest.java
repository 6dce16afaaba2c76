package io.damselfly.repl;

import io.damselfly.engine.journal.JournalSink;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The merge of the shards' journals into one stream: multi-shard operations written once and
 * whole, a shard's later records after them, operations that ran in different orders on two
 * shards without waiting on each other, and two shard threads appending at once.
 */
class ReplicationLogTest {
    private static byte[] resp(String... args) {
        StringBuilder sb = new StringBuilder("*").append(args.length).append("\r\n");
        for (String a : args) {
            sb.append('$').append(a.length()).append("\r\n").append(a).append("\r\n");
        }
        return sb.toString().getBytes(StandardCharsets.US_ASCII);
    }

    private static void put(JournalSink sink, long txid, int hop, String... args) {
        byte[] r = resp(args);
        sink.append(0, 0, txid, txid == 0 ? 1 : 2, hop, r, 0, r.length);
    }

    /** The whole stream as commands ("SET a 1"), SELECTs included. */
    private static List<String> commands(ReplicationLog log) throws InterruptedException {
        ReplicationLog.Feed f = new ReplicationLog.Feed() {
            @Override
            public String describe() {
                return "test";
            }

            @Override
            protected void close() {
            }
        };
        log.attach(f, 0);
        byte[] buf = new byte[16 << 20];
        int n = 0;
        int got;
        while ((got = log.read(f, buf, n)) > 0) {
            n += got;
        }
        log.detach(f);
        List<String> out = new ArrayList<>();
        int p = 0;
        while (p < n) {
            int argc = 0;
            p++; // '*'
            while (buf[p] != '\r') {
                argc = argc * 10 + (buf[p++] - '0');
            }
            p += 2;
            StringBuilder cmd = new StringBuilder();
            for (int i = 0; i < argc; i++) {
                int len = 0;
                p++; // '$'
                while (buf[p] != '\r') {
                    len = len * 10 + (buf[p++] - '0');
                }
                p += 2;
                cmd.append(i == 0 ? "" : " ").append(new String(buf, p, len, StandardCharsets.US_ASCII));
                p += len + 2;
            }
            out.add(cmd.toString());
        }
        return out;
    }

    private static ReplicationLog started(int shards) {
        ReplicationLog log = new ReplicationLog(shards);
        log.limits(64 << 20, 0); // the whole stream stays readable from offset 0
        log.cut(0, 1, null); // the stream starts with a cut on every shard
        for (int s = 1; s < shards; s++) {
            log.cut(s, 1, null);
        }
        for (int s = 0; s < shards; s++) {
            log.sink(s).endPart(1, 2);
        }
        log.transactionDone(1);
        return log;
    }

    @Test
    void aCrossShardMsetIsWrittenOnceAfterItsCoordinatorSaysSo() throws Exception {
        ReplicationLog log = started(2);
        JournalSink a = log.sink(0);
        JournalSink b = log.sink(1);
        put(a, 7, 0, "MSET", "x", "1");
        put(b, 0, 0, "SET", "other", "1"); // shard 1, before its part: goes in at once
        put(b, 7, 0, "MSET", "y", "2");
        a.endPart(7, 2);
        put(a, 0, 0, "SET", "x", "3"); // after the part ended: may touch x, waits behind the MSET
        b.endPart(7, 2);
        assertEquals(List.of("SELECT 0", "SET other 1"), commands(log));
        log.transactionDone(7);
        assertEquals(List.of("SELECT 0", "SET other 1", "MSET x 1 y 2", "SET x 3"), commands(log));
    }

    @Test
    void longerOperationsAreWrappedInMultiExecAndFlushallIsWrittenOnce() throws Exception {
        ReplicationLog log = started(2);
        put(log.sink(0), 8, 0, "INCRBY", "from", "-1");
        put(log.sink(1), 8, 1, "INCRBY", "to", "1");
        put(log.sink(0), 8, 1, "DEL", "tmp");
        log.sink(0).endPart(8, 2);
        log.sink(1).endPart(8, 2);
        log.transactionDone(8);
        put(log.sink(0), 9, 0, "FLUSHALL");
        put(log.sink(1), 9, 0, "FLUSHALL");
        log.sink(0).endPart(9, 2);
        log.sink(1).endPart(9, 2);
        log.transactionDone(9);
        assertEquals(List.of("SELECT 0", "MULTI", "INCRBY from -1", "INCRBY to 1", "DEL tmp", "EXEC", "FLUSHALL"),
                commands(log));
    }

    @Test
    void aSquashedPipelineGoesInInTheClientsOrderUnwrapped() throws Exception {
        // a client's pipelined run over two shards (journaled loose): each shard journals its
        // commands with their place in the run; the stream gets them in that order, as plain
        // commands (a pipeline is not a transaction), once the run finished everywhere
        ReplicationLog log = started(2);
        JournalSink a = log.sink(0);
        JournalSink b = log.sink(1);
        loose(b, 14, 1, "SET", "y", "1");
        loose(a, 14, 0, "SET", "x", "1");
        loose(a, 14, 2, "SET", "x", "2");
        loose(b, 14, 3, "INCR", "y");
        a.endLoosePart(14, 2);
        b.endLoosePart(14, 2);
        assertEquals(List.of(), commands(log));
        log.transactionDone(14);
        assertEquals(List.of("SELECT 0", "SET x 1", "SET y 1", "SET x 2", "INCR y"), commands(log));
    }

    private static void loose(JournalSink sink, long txid, int hop, String... args) {
        byte[] r = resp(args);
        sink.appendLoose(0, 0, txid, 2, hop, r, 0, r.length);
    }

    @Test
    void operationsThatRanInDifferentOrdersOnTwoShardsDoNotWaitOnEachOther() throws Exception {
        // t1 and t2 touch different keys; shard 0 ran t1 then t2, shard 1 ran t2 then t1, all
        // while both held their locks (no part ended): nothing may wait on anything
        ReplicationLog log = started(2);
        put(log.sink(0), 11, 0, "SET", "a1", "1");
        put(log.sink(0), 12, 0, "SET", "a2", "2");
        put(log.sink(1), 12, 0, "SET", "b2", "2");
        put(log.sink(1), 11, 0, "SET", "b1", "1");
        for (long t : new long[] {11, 12}) {
            log.sink(0).endPart(t, 2);
            log.sink(1).endPart(t, 2);
        }
        log.transactionDone(12);
        log.transactionDone(11);
        List<String> out = commands(log);
        assertTrue(out.containsAll(List.of("MULTI", "SET a1 1", "SET b1 1", "SET a2 2", "SET b2 2")), out.toString());
        assertEquals(9, out.size(), out.toString()); // SELECT, two MULTI/2 records/EXEC blocks
        assertTrue(log.mergeState().contains("damselfly_repl_held_operations:0"), log.mergeState());
    }

    @Test
    void twoShardThreadsAppendingAtOnceKeepEveryShardsOrderAndEveryOperationWhole() throws Exception {
        ReplicationLog log = started(2);
        int rounds = 20_000;
        CyclicBarrier parted = new CyclicBarrier(2);
        CyclicBarrier ended = new CyclicBarrier(2);
        AtomicLong nextTx = new AtomicLong(100);
        AtomicReference<Throwable> failure = new AtomicReference<>();
        long[] txOfRound = new long[rounds];
        for (int i = 0; i < rounds; i++) {
            txOfRound[i] = nextTx.getAndIncrement();
        }
        Thread[] shards = new Thread[2];
        for (int s = 0; s < 2; s++) {
            int shard = s;
            shards[s] = Thread.ofPlatform().start(() -> {
                try {
                    JournalSink sink = log.sink(shard);
                    for (int i = 0; i < rounds; i++) {
                        put(sink, 0, 0, "SET", "s" + shard, Integer.toString(i));
                        if (i % 10 == 0) { // a cross-shard MSET every tenth round
                            long t = txOfRound[i];
                            put(sink, t, 0, "MSET", "m" + shard, Integer.toString(i));
                            parted.await();
                            sink.endPart(t, 2);
                            ended.await();
                            if (shard == 0) {
                                log.transactionDone(t); // the coordinator, after every part
                            }
                        }
                    }
                } catch (Throwable e) {
                    failure.compareAndSet(null, e);
                }
            });
        }
        for (Thread t : shards) {
            t.join(120_000);
        }
        assertNull(failure.get());
        List<String> out = commands(log);
        int[] last = {-1, -1};
        int msets = 0;
        for (String c : out) {
            String[] w = c.split(" ");
            if (w[0].equals("SET")) {
                int shard = w[1].charAt(1) - '0';
                int i = Integer.parseInt(w[2]);
                assertEquals(last[shard] + 1, i, "shard " + shard + " out of order at " + c);
                last[shard] = i;
            } else if (w[0].equals("MSET")) {
                assertEquals(5, w.length, c); // both parts, once
                int i = Integer.parseInt(w[2]);
                assertEquals(w[2], w[4], c);
                // every record a shard wrote before its part is already in; none after it yet
                assertTrue(last[0] == i && last[1] == i, c + " out of place: last SETs " + last[0] + "/" + last[1]);
                msets++;
            }
        }
        assertEquals(rounds - 1, last[0]);
        assertEquals(rounds - 1, last[1]);
        assertEquals(rounds / 10, msets);
    }
}
