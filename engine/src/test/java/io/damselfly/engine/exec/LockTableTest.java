package io.damselfly.engine.exec;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class LockTableTest {
    private static byte[] key(int i) {
        return ("key:" + i).getBytes(StandardCharsets.UTF_8);
    }

    private static long hash(int db, int i) {
        byte[] k = key(i);
        return LockTable.lockHash(db, k, 0, k.length);
    }

    @Test
    void hashedLocksConflictLikeKeyLocks() {
        LockTable t = new LockTable();
        byte[] a = key(1);
        t.lockHashed(hash(0, 1), false);
        assertFalse(t.conflicts(0, a, 0, a.length, false), "shared with shared");
        assertTrue(t.conflicts(0, a, 0, a.length, true), "exclusive against shared");
        assertFalse(t.conflicts(1, a, 0, a.length, true), "another database");
        byte[] b = key(2);
        assertFalse(t.conflicts(0, b, 0, b.length, true), "another key");
        t.lockHashed(hash(0, 1), true);
        assertTrue(t.conflicts(0, a, 0, a.length, false), "shared against exclusive");
        t.unlockHashed(hash(0, 1), true);
        t.unlockHashed(hash(0, 1), false);
        assertFalse(t.conflicts(0, a, 0, a.length, true));
        assertTrue(t.isEmpty());
        assertFalse(t.shardBusy(true));
    }

    /** Random lock and unlock rounds across growth and tombstones, checked against counts kept aside. */
    @Test
    void churnKeepsEveryHolderCount() {
        LockTable t = new LockTable();
        Random rnd = new Random(7);
        Map<Integer, int[]> model = new HashMap<>();
        for (int round = 0; round < 200_000; round++) {
            int k = rnd.nextInt(3000);
            boolean exclusive = rnd.nextBoolean();
            int[] c = model.computeIfAbsent(k, x -> new int[2]);
            if (rnd.nextInt(3) > 0 || c[exclusive ? 1 : 0] == 0) {
                t.lockHashed(hash(0, k), exclusive);
                c[exclusive ? 1 : 0]++;
            } else {
                t.unlockHashed(hash(0, k), exclusive);
                c[exclusive ? 1 : 0]--;
            }
            if (round % 1000 == 0) {
                for (Map.Entry<Integer, int[]> e : model.entrySet()) {
                    byte[] kb = key(e.getKey());
                    int[] m = e.getValue();
                    assertEquals(m[1] > 0, t.conflicts(0, kb, 0, kb.length, false), "key " + e.getKey());
                    assertEquals(m[0] + m[1] > 0, t.conflicts(0, kb, 0, kb.length, true), "key " + e.getKey());
                }
            }
        }
        for (Map.Entry<Integer, int[]> e : model.entrySet()) {
            for (int i = 0; i < e.getValue()[0]; i++) {
                t.unlockHashed(hash(0, e.getKey()), false);
            }
            for (int i = 0; i < e.getValue()[1]; i++) {
                t.unlockHashed(hash(0, e.getKey()), true);
            }
        }
        assertTrue(t.isEmpty());
    }
}
