package io.damselfly.repl.flow;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The replica's merge of multi-shard operations over its flows (lanes). */
class TxMergeTest {
    private final List<String> applied = new ArrayList<>();
    private final TxMerge merge = new TxMerge(2, new TxMerge.Apply() {
        @Override
        public void plain(TxMerge.Item it) {
            applied.add(text(it));
        }

        @Override
        public void operation(List<TxMerge.Item> records) {
            StringBuilder sb = new StringBuilder("op[");
            for (TxMerge.Item it : records) {
                sb.append(text(it)).append(' ');
            }
            applied.add(sb.toString().trim() + "]");
        }
    });

    private static String text(TxMerge.Item it) {
        return new String(it.payload, StandardCharsets.US_ASCII);
    }

    private void offer(int lane, byte kind, long txid, int parts, String what) throws Exception {
        TxMerge.Item it = new TxMerge.Item(kind, 0, txid, 0, parts, 0, what.getBytes(StandardCharsets.US_ASCII), lane);
        if (merge.offer(it)) {
            applied.add(text(it));
        }
    }

    @Test
    void anOperationAppliesOnceEveryShardEndedItsPartAndTheLaterRecordsWaitForIt() throws Exception {
        offer(0, Frames.RECORD, 7, 2, "t0");
        offer(0, Frames.END, 7, 2, "");
        offer(0, Frames.RECORD, 0, 1, "after-on-0"); // may touch t's keys: waits
        offer(1, Frames.RECORD, 0, 1, "free-on-1"); // lane 1 has not met t yet: goes at once
        assertEquals(List.of("free-on-1"), applied);
        offer(1, Frames.RECORD, 7, 2, "t1");
        offer(1, Frames.END, 7, 2, "");
        assertEquals(List.of("free-on-1", "op[t0 t1]", "after-on-0"), applied);
        assertTrue(merge.idle());
    }

    @Test
    void twoOperationsThatEndedInOppositeOrdersOnTwoShardsDoNotWaitOnEachOther() throws Exception {
        // shard 0: T and U write, T ends first; shard 1: U writes and ends, then T writes and ends
        offer(0, Frames.RECORD, 1, 2, "T0");
        offer(0, Frames.RECORD, 2, 2, "U0");
        offer(0, Frames.END, 1, 2, "");
        offer(0, Frames.END, 2, 2, ""); // queued behind T on lane 0, counted all the same
        offer(1, Frames.RECORD, 2, 2, "U1");
        offer(1, Frames.END, 2, 2, "");
        offer(1, Frames.RECORD, 1, 2, "T1");
        offer(1, Frames.END, 1, 2, "");
        assertEquals(List.of("op[U0 U1]", "op[T0 T1]"), applied);
        assertTrue(merge.idle());
    }

    @Test
    void anOperationWithoutRecordsHereLeavesNothingBehind() throws Exception {
        offer(0, Frames.END, 9, 2, ""); // a read-only MULTI over both shards
        offer(1, Frames.END, 9, 2, "");
        offer(0, Frames.RECORD, 0, 1, "x");
        assertEquals(List.of("x"), applied);
        assertTrue(merge.idle());
    }
}
