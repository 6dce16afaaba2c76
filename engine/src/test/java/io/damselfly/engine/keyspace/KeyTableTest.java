package io.damselfly.engine.keyspace;

import io.damselfly.engine.memory.Slab;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class KeyTableTest {
    private final Slab slab = new Slab();
    private final Versions versions = new Versions();
    private final KeyTable table = new KeyTable(slab, versions, 42);

    private static byte[] key(int i) {
        return ("key:" + i).getBytes(StandardCharsets.UTF_8);
    }

    private long hash(byte[] k) {
        return Hashing.hash(k, 0, k.length, 42);
    }

    private long put(byte[] k) {
        long h = hash(k);
        assertEquals(0, table.find(k, 0, k.length, h));
        long address = slab.allocate(Entry.size(k.length, 0, false));
        long ko = Entry.init(slab.page(address), address & Slab.OFFSET_MASK, 0, k.length, 0, -1, 0);
        java.lang.foreign.MemorySegment.copy(k, 0, slab.page(address), java.lang.foreign.ValueLayout.JAVA_BYTE, ko, k.length);
        table.insert(h, address, false);
        return address;
    }

    @Test
    void growsSegmentBySegmentAndFindsEveryKey() {
        Map<Integer, Long> addresses = new HashMap<>();
        for (int i = 0; i < 200_000; i++) {
            addresses.put(i, put(key(i)));
        }
        assertEquals(200_000, table.size());
        for (int i = 0; i < 200_000; i++) {
            byte[] k = key(i);
            assertEquals(addresses.get(i), table.find(k, 0, k.length, hash(k)));
        }
        byte[] missing = key(-1);
        assertEquals(0, table.find(missing, 0, missing.length, hash(missing)));
        // deletes
        for (int i = 0; i < 200_000; i += 2) {
            byte[] k = key(i);
            long a = table.find(k, 0, k.length, hash(k));
            table.removeFound();
            slab.free(a);
        }
        assertEquals(100_000, table.size());
        for (int i = 0; i < 200_000; i++) {
            byte[] k = key(i);
            long a = table.find(k, 0, k.length, hash(k));
            assertEquals(i % 2 == 1, a != 0, "key " + i);
        }
    }

    @Test
    void aSlotsTagSharesNoBitWithTheDirectoryOrTheHomeBucket() {
        // Keys in one segment share their directory prefix; a tag made of those bits would tell
        // them apart less and less as the table deepens, and every false match reads an entry.
        Random r = new Random(5);
        for (int n = 0; n < 1_000; n++) {
            long h = r.nextLong();
            for (int bit = 0; bit < 64; bit++) {
                boolean tagBit = bit >= KeyTable.TAG_FROM && bit < KeyTable.TAG_FROM + KeyTable.TAG_BITS;
                assertEquals(tagBit, KeyTable.tagOf(h) != KeyTable.tagOf(h ^ (1L << bit)), "bit " + bit);
            }
        }
        assertTrue(KeyTable.TAG_FROM + KeyTable.TAG_BITS <= 64 - KeyTable.PREFIX_BITS);
        assertTrue(KeyTable.TAG_FROM >= Integer.numberOfTrailingZeros(KeyTable.BUCKETS));
    }

    @Test
    void churnAcrossSplitsKeepsEveryPresentKeyFindable() {
        // removals leave a home's span as wide as it was; splits recompute it from the entries
        Random r = new Random(11);
        Map<Integer, Long> present = new HashMap<>();
        for (int round = 0; round < 300_000; round++) {
            int i = r.nextInt(120_000);
            byte[] k = key(i);
            long a = table.find(k, 0, k.length, hash(k));
            assertEquals(present.getOrDefault(i, 0L), a, "key " + i);
            if (a != 0) {
                table.removeFound();
                slab.free(a);
                present.remove(i);
            } else {
                present.put(i, put(k));
            }
        }
        assertEquals(present.size(), table.size());
        for (int i = 0; i < 120_000; i++) {
            byte[] k = key(i);
            assertEquals(present.getOrDefault(i, 0L), table.find(k, 0, k.length, hash(k)), "key " + i);
        }
    }

    @Test
    void segmentsFillWellBeforeTheySplit() {
        double lowest = 1;
        double highest = 0;
        for (int i = 0; i < 600_000; i++) {
            put(key(i));
            if ((i + 1) % 50_000 == 0) {
                double load = (double) table.size() / ((long) table.segmentCount() * KeyTable.SLOTS);
                lowest = Math.min(lowest, load);
                highest = Math.max(highest, load);
            }
        }
        // just after a wave of splits about half the slots are used; just before one, most
        assertTrue(lowest > 0.45, "load fell to " + lowest);
        assertTrue(highest > 0.72, "load never passed " + highest);
    }

    @Test
    void scanVisitsEveryKeyPresentThroughoutDespiteGrowth() {
        for (int i = 0; i < 5_000; i++) {
            put(key(i));
        }
        Set<Long> seen = new HashSet<>();
        long cursor = 0;
        int next = 5_000;
        int calls = 0;
        do {
            cursor = table.scanBucket(cursor, (seg, idx, slot) -> seen.add(KeyTable.address(slot)));
            // keep growing while the scan runs: splits happen under it
            for (int j = 0; j < 20; j++) {
                put(key(next++));
            }
            calls++;
        } while (cursor != 0);
        assertTrue(calls > 10);
        for (int i = 0; i < 5_000; i++) {
            byte[] k = key(i);
            assertTrue(seen.contains(table.find(k, 0, k.length, hash(k))), "scan missed key " + i);
        }
    }

    @Test
    void writesStampBucketsAndRunTheHookOnceBeforeTheFirstChangeAfterACut() {
        for (int i = 0; i < 3_000; i++) {
            put(key(i));
        }
        List<Long> hooked = new ArrayList<>();
        long cut = versions.beginCut((t, seg, bucket) -> {
            hooked.add(t.bucketVersion(seg, bucket));
            t.stampBucket(seg, bucket, versions.cut());
        });
        byte[] k = key(17);
        table.find(k, 0, k.length, hash(k));
        table.touchFound();
        assertEquals(1, hooked.size());
        assertTrue(hooked.get(0) < cut);
        table.find(k, 0, k.length, hash(k));
        table.touchFound();
        assertEquals(1, hooked.size(), "a bucket is serialised once per cut");
        // growth: inserting many keys splits segments, which serialises their buckets first
        for (int i = 3_000; i < 20_000; i++) {
            put(key(i));
        }
        assertTrue(hooked.size() > 64);
        assertEquals(hooked.size(), versions.bucketsSerialisedAhead());
        versions.endCut();
        int before = hooked.size();
        put(key(-5));
        assertEquals(before, hooked.size());
    }

    @Test
    void expiringScanFindsOnlyKeysWithDeadlines() {
        Random random = new Random(3);
        Set<Long> withDeadline = new HashSet<>();
        for (int i = 0; i < 10_000; i++) {
            byte[] k = key(i);
            long h = hash(k);
            table.find(k, 0, k.length, h);
            boolean expires = random.nextInt(10) == 0;
            long address = slab.allocate(Entry.size(k.length, 0, expires));
            Entry.init(slab.page(address), address & Slab.OFFSET_MASK, expires ? Entry.EXPIRES : 0, k.length, 0, 5, 0);
            table.insert(h, address, expires);
            if (expires) {
                withDeadline.add(address);
            }
        }
        assertEquals(withDeadline.size(), table.expiringCount());
        Set<Long> found = new HashSet<>();
        int cursor = 0;
        do {
            cursor = table.expiringScan(cursor, 50, (seg, idx, slot) -> found.add(KeyTable.address(slot)));
        } while (cursor != 0);
        assertEquals(withDeadline, found);
        assertNotEquals(0, table.tableBytes());
        assertFalse(found.isEmpty());
    }
}
