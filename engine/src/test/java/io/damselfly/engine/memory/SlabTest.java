package io.damselfly.engine.memory;

import org.junit.jupiter.api.Test;

import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SlabTest {
    @Test
    void classesCoverEverySizeWithLittleWaste() {
        for (int size = 1; size <= Slab.MAX_SMALL; size++) {
            int cls = Slab.classOf(size);
            int chunk = Slab.classSize(cls);
            assertTrue(chunk >= size, "class too small for " + size);
            if (cls > 0) {
                assertTrue(Slab.classSize(cls - 1) < size, "a smaller class fits " + size);
            }
            assertTrue(chunk <= Math.max(16, size + size / 8 + 8), "waste too large for " + size);
        }
        assertEquals(Slab.LARGE_CLASS, Slab.classOf(Slab.MAX_SMALL + 1));
    }

    @Test
    void chunksDoNotOverlapAndAreRecycled() {
        Slab slab = new Slab();
        Random random = new Random(7);
        List<long[]> live = new ArrayList<>();
        for (int round = 0; round < 20_000; round++) {
            if (!live.isEmpty() && random.nextInt(3) == 0) {
                long[] chunk = live.remove(random.nextInt(live.size()));
                long pattern = chunk[2];
                var page = slab.page(chunk[0]);
                long o = chunk[0] & Slab.OFFSET_MASK;
                for (int i = 8; i + 8 <= chunk[1]; i += 8) {
                    assertEquals(pattern, page.get(ValueLayout.JAVA_LONG_UNALIGNED, o + i), "chunk was overwritten");
                }
                slab.free(chunk[0]);
            } else {
                int size = random.nextInt(10) == 0 ? 16 + random.nextInt(200_000) : 16 + random.nextInt(300);
                long address = slab.allocate(size);
                long pattern = random.nextLong();
                var page = slab.page(address);
                long o = address & Slab.OFFSET_MASK;
                for (int i = 8; i + 8 <= size; i += 8) {
                    page.set(ValueLayout.JAVA_LONG_UNALIGNED, o + i, pattern);
                }
                live.add(new long[] {address, size, pattern});
            }
        }
        Set<Long> addresses = new HashSet<>();
        for (long[] chunk : live) {
            assertTrue(addresses.add(chunk[0]));
        }
        long before = slab.reservedBytes();
        for (long[] chunk : live) {
            slab.free(chunk[0]);
        }
        assertEquals(0, slab.usedBytes());
        assertTrue(slab.reservedBytes() <= before);
        slab.clear();
        assertEquals(0, slab.reservedBytes());
    }
}
