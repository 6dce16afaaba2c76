package io.damselfly.engine.keyspace;

import io.damselfly.engine.memory.Slab;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * One database's keys on one shard: an extendible hash table of fixed-size segments that grows
 * one segment at a time, so there is never a pause to rehash the whole table.
 *
 * <p>The top bits of a key's hash pick the segment through a directory; the low 6 bits pick its
 * home bucket, and the entry lives in the home bucket or the one after it. When both are full
 * the segment splits in two by the next hash bit; entries keep their bucket index, so a split
 * moves no entry between buckets and needs no entry read (the slot keeps 23 bits of hash).
 *
 * <pre>
 * segment: long[580]
 * [0, 512)    slots, 64 buckets x 8
 * [512, 576)  version stamp per bucket
 * [576]       local depth   [577] entries   [578] entries with a deadline   [579] spilled
 *
 * slot: 64 bits, 0 means empty
 *  63      62 ............. 40   39 ........................ 0
 * +-------+--------------------+--------------------------------+
 * |expires| hash bits 63..41    | slab address of the entry       |
 * +-------+--------------------+--------------------------------+
 * </pre>
 *
 * <p>Every change to a bucket goes through {@link #touch}, which runs the snapshot hook for a
 * bucket stamped below the current cut and then stamps it. Owned by one shard thread.
 */
public final class KeyTable {
    public static final int BUCKETS = 64;
    public static final int SLOTS_PER_BUCKET = 8;
    public static final int SLOTS = BUCKETS * SLOTS_PER_BUCKET;
    static final int VERSIONS = SLOTS;
    static final int DEPTH = VERSIONS + BUCKETS;
    static final int COUNT = DEPTH + 1;
    static final int EXPIRING = DEPTH + 2;
    static final int SPILLED = DEPTH + 3;
    static final int SEGMENT_LONGS = DEPTH + 4;

    static final int TAG_BITS = 23;
    static final int MAX_DEPTH = TAG_BITS;
    static final long TAG_MASK = (1L << TAG_BITS) - 1;
    static final int TAG_SHIFT = Slab.ADDRESS_BITS;
    public static final long ADDRESS_MASK = (1L << Slab.ADDRESS_BITS) - 1;
    public static final long EXPIRES_BIT = 1L << 63;

    private static final VarHandle LONG_NATIVE =
            MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.nativeOrder());
    private static final ValueLayout.OfLong SEG_LONG = ValueLayout.JAVA_LONG_UNALIGNED;

    private final Slab slab;
    private final Versions versions;
    private long[][] dir;
    private int globalDepth;
    private long size;
    private long expiring;
    private int segmentCount;

    /** Position of the last successful find or insert. */
    private long[] foundSegment;
    private int foundIndex;

    public KeyTable(Slab slab, Versions versions) {
        this.slab = slab;
        this.versions = versions;
        reset();
    }

    private void reset() {
        dir = new long[1][];
        dir[0] = newSegment(0);
        globalDepth = 0;
        segmentCount = 1;
        size = 0;
        expiring = 0;
        foundSegment = null;
    }

    private long[] newSegment(int depth) {
        long[] seg = new long[SEGMENT_LONGS];
        Arrays.fill(seg, VERSIONS, VERSIONS + BUCKETS, versions.current);
        seg[DEPTH] = depth;
        return seg;
    }

    public Slab slab() {
        return slab;
    }

    public long size() {
        return size;
    }

    public long expiringCount() {
        return expiring;
    }

    /** Bytes held by the table itself (segments and directory), not the entries. */
    public long tableBytes() {
        return (long) segmentCount * (SEGMENT_LONGS * 8L + 16) + dir.length * 4L + 16;
    }

    private int dirIndex(long hash) {
        return (int) ((hash >>> 1) >>> (63 - globalDepth));
    }

    /** Finds a key; returns its entry's address, or 0. Remembers the position for the *Found calls. */
    public long find(byte[] key, int off, int len, long hash) {
        long[] seg = dir[dirIndex(hash)];
        long tag = hash >>> (64 - TAG_BITS);
        if (seg[SPILLED] != 0) {
            return findSpilled(seg, tag, key, off, len);
        }
        int base = ((int) hash & (BUCKETS - 1)) << 3;
        for (int i = 0; i < 2 * SLOTS_PER_BUCKET; i++) {
            int idx = (base + i) & (SLOTS - 1);
            long s = seg[idx];
            if (s != 0 && ((s >>> TAG_SHIFT) & TAG_MASK) == tag && keyEquals(s & ADDRESS_MASK, key, off, len)) {
                foundSegment = seg;
                foundIndex = idx;
                return s & ADDRESS_MASK;
            }
        }
        foundSegment = null;
        return 0;
    }

    private long findSpilled(long[] seg, long tag, byte[] key, int off, int len) {
        for (int idx = 0; idx < SLOTS; idx++) {
            long s = seg[idx];
            if (s != 0 && ((s >>> TAG_SHIFT) & TAG_MASK) == tag && keyEquals(s & ADDRESS_MASK, key, off, len)) {
                foundSegment = seg;
                foundIndex = idx;
                return s & ADDRESS_MASK;
            }
        }
        foundSegment = null;
        return 0;
    }

    private boolean keyEquals(long address, byte[] key, int off, int len) {
        MemorySegment page = slab.page(address);
        long o = address & Slab.OFFSET_MASK;
        if (page.get(ValueLayout.JAVA_INT_UNALIGNED, o + Entry.KEY_LEN) != len) {
            return false;
        }
        long k = o + Entry.HEADER + ((page.get(ValueLayout.JAVA_BYTE, o + Entry.FLAGS) & Entry.EXPIRES) != 0 ? 8 : 0);
        int i = 0;
        for (; i + 8 <= len; i += 8) {
            if (page.get(SEG_LONG, k + i) != (long) LONG_NATIVE.get(key, off + i)) {
                return false;
            }
        }
        for (; i < len; i++) {
            if (page.get(ValueLayout.JAVA_BYTE, k + i) != key[off + i]) {
                return false;
            }
        }
        return true;
    }

    /**
     * Adds an entry for a key that {@link #find} just reported missing. The table may split a
     * segment to make room; the new position becomes the found position.
     */
    public void insert(long hash, long address, boolean expires) {
        for (;;) {
            int di = dirIndex(hash);
            long[] seg = dir[di];
            int home = (int) hash & (BUCKETS - 1);
            int idx = freeSlot(seg, home);
            if (idx < 0) {
                if (seg[DEPTH] < MAX_DEPTH) {
                    split(seg, di);
                    continue;
                }
                idx = anyFreeSlot(seg);
                if (idx < 0) {
                    throw new IllegalStateException("hash table segment full at maximum depth");
                }
                seg[SPILLED] = 1;
            }
            touch(seg, idx >>> 3);
            seg[idx] = (expires ? EXPIRES_BIT : 0) | ((hash >>> (64 - TAG_BITS)) << TAG_SHIFT) | address;
            seg[COUNT]++;
            size++;
            if (expires) {
                seg[EXPIRING]++;
                expiring++;
            }
            foundSegment = seg;
            foundIndex = idx;
            return;
        }
    }

    private static int freeSlot(long[] seg, int home) {
        int base = home << 3;
        for (int i = 0; i < SLOTS_PER_BUCKET; i++) {
            if (seg[base + i] == 0) {
                return base + i;
            }
        }
        int next = ((home + 1) & (BUCKETS - 1)) << 3;
        for (int i = 0; i < SLOTS_PER_BUCKET; i++) {
            if (seg[next + i] == 0) {
                return next + i;
            }
        }
        return -1;
    }

    private static int anyFreeSlot(long[] seg) {
        for (int idx = 0; idx < SLOTS; idx++) {
            if (seg[idx] == 0) {
                return idx;
            }
        }
        return -1;
    }

    private void split(long[] seg, int dirIndex) {
        int depth = (int) seg[DEPTH];
        if (depth == globalDepth) {
            long[][] bigger = new long[dir.length * 2][];
            for (int i = 0; i < dir.length; i++) {
                bigger[2 * i] = dir[i];
                bigger[2 * i + 1] = dir[i];
            }
            dir = bigger;
            globalDepth++;
            dirIndex = dirIndex * 2;
        }
        // Every bucket of the segment changes: a snapshot must have them all first.
        for (int b = 0; b < BUCKETS; b++) {
            touch(seg, b);
        }
        long[] sibling = newSegment(depth + 1);
        seg[DEPTH] = depth + 1;
        sibling[SPILLED] = seg[SPILLED];
        int bitShift = TAG_BITS - 1 - depth;
        for (int idx = 0; idx < SLOTS; idx++) {
            long s = seg[idx];
            if (s != 0 && ((s >>> (TAG_SHIFT + bitShift)) & 1) != 0) {
                sibling[idx] = s;
                seg[idx] = 0;
                seg[COUNT]--;
                sibling[COUNT]++;
                if (s < 0) {
                    seg[EXPIRING]--;
                    sibling[EXPIRING]++;
                }
            }
        }
        int span = 1 << (globalDepth - depth);
        int first = dirIndex & ~(span - 1);
        for (int i = first + span / 2; i < first + span; i++) {
            dir[i] = sibling;
        }
        segmentCount++;
    }

    private void touch(long[] seg, int bucket) {
        int v = VERSIONS + bucket;
        if (seg[v] < versions.cut) {
            versions.bucketsSerialisedAhead++;
            versions.hook.beforeChange(this, seg, bucket);
        }
        seg[v] = versions.current;
    }

    /** Stamps the found entry's bucket before the caller changes the entry in place. */
    public void touchFound() {
        touch(foundSegment, foundIndex >>> 3);
    }

    /** Points the found slot at a new entry (after the value moved to a new chunk). */
    public void replaceFound(long address, boolean expires) {
        long[] seg = foundSegment;
        touch(seg, foundIndex >>> 3);
        long s = seg[foundIndex];
        boolean had = s < 0;
        seg[foundIndex] = (expires ? EXPIRES_BIT : 0) | (s & (TAG_MASK << TAG_SHIFT)) | address;
        if (had != expires) {
            long delta = expires ? 1 : -1;
            seg[EXPIRING] += delta;
            expiring += delta;
        }
    }

    /** Removes the found entry's slot; the caller frees the entry. */
    public void removeFound() {
        long[] seg = foundSegment;
        touch(seg, foundIndex >>> 3);
        long s = seg[foundIndex];
        seg[foundIndex] = 0;
        seg[COUNT]--;
        size--;
        if (s < 0) {
            seg[EXPIRING]--;
            expiring--;
        }
        foundSegment = null;
    }

    /** Makes (segment, index) the found position, for a visitor that wants to change that entry. */
    public void select(long[] segment, int index) {
        foundSegment = segment;
        foundIndex = index;
    }

    /** Visits every occupied slot. The visitor must not change the table. */
    public void forEach(SlotVisitor visitor) {
        long[][] d = dir;
        for (int i = 0; i < d.length; i++) {
            long[] seg = d[i];
            if (firstIndexOf(seg, i) != i) {
                continue;
            }
            for (int idx = 0; idx < SLOTS; idx++) {
                long s = seg[idx];
                if (s != 0) {
                    visitor.visit(seg, idx, s);
                }
            }
        }
    }

    private int firstIndexOf(long[] seg, int dirIndex) {
        int span = 1 << (globalDepth - (int) seg[DEPTH]);
        return dirIndex & ~(span - 1);
    }

    /**
     * Visits one bucket of a scan and returns the cursor of the next, or 0 when the table is done.
     *
     * <p>A cursor is {@code prefix << 6 | bucket}, where prefix is a position in the 23-bit hash
     * prefix space. Segments only ever split, and a split keeps each entry in its bucket, so an
     * entry present from the start to the end of a scan is visited at least once.
     */
    public long scanBucket(long cursor, SlotVisitor visitor) {
        int prefix = (int) (cursor >>> 6) & (int) TAG_MASK;
        int bucket = (int) cursor & (BUCKETS - 1);
        int di = prefix >>> (TAG_BITS - globalDepth);
        long[] seg = dir[di];
        int base = bucket << 3;
        for (int i = 0; i < SLOTS_PER_BUCKET; i++) {
            long s = seg[base + i];
            if (s != 0) {
                visitor.visit(seg, base + i, s);
            }
        }
        if (bucket + 1 < BUCKETS) {
            return ((long) prefix << 6) | (bucket + 1);
        }
        int depth = (int) seg[DEPTH];
        int start = prefix & ~((1 << (TAG_BITS - depth)) - 1);
        long next = (long) start + (1L << (TAG_BITS - depth));
        return next >= (1L << TAG_BITS) ? 0 : next << 6;
    }

    /** Visits the slot of a uniformly chosen bucket position's next occupied slot, or nothing if empty. */
    public boolean randomSlot(long random, SlotVisitor visitor) {
        if (size == 0) {
            return false;
        }
        int di = (int) ((random >>> 1) >>> (63 - globalDepth));
        int start = (int) random & (SLOTS - 1);
        for (int n = 0; n < dir.length; n++) {
            long[] seg = dir[(di + n) & (dir.length - 1)];
            if (seg[COUNT] == 0) {
                continue;
            }
            for (int i = 0; i < SLOTS; i++) {
                int idx = (start + i) & (SLOTS - 1);
                long s = seg[idx];
                if (s != 0) {
                    visitor.visit(seg, idx, s);
                    return true;
                }
            }
        }
        return false;
    }

    /**
     * Visits up to {@code limit} slots that carry a deadline, starting at directory position
     * {@code cursor}; returns the next cursor (0 after a full pass). The visitor may remove the
     * visited slot through {@link #select} and {@link #removeFound}.
     */
    public int expiringScan(int cursor, int limit, SlotVisitor visitor) {
        int visited = 0;
        int di = cursor;
        while (di < dir.length && visited < limit) {
            long[] seg = dir[di];
            int first = firstIndexOf(seg, di);
            int span = 1 << (globalDepth - (int) seg[DEPTH]);
            if (first == di && seg[EXPIRING] > 0) {
                for (int idx = 0; idx < SLOTS; idx++) {
                    long s = seg[idx];
                    if (s < 0) {
                        visited++;
                        visitor.visit(seg, idx, s);
                    }
                }
            }
            di = first + span;
        }
        return di >= dir.length ? 0 : di;
    }

    /** Frees every entry and shrinks to one segment. */
    public void clear(boolean freeEntries) {
        if (freeEntries && size > 0) {
            forEach((seg, idx, s) -> slab.free(s & ADDRESS_MASK));
        }
        segmentCount = 0;
        reset();
    }

    /** Called for each visited slot with its segment, index and slot word. */
    @FunctionalInterface
    public interface SlotVisitor {
        void visit(long[] segment, int index, long slot);
    }

    public static long address(long slot) {
        return slot & ADDRESS_MASK;
    }

    public static int bucketOf(int index) {
        return index >>> 3;
    }

    /** Version stamp of a bucket of a segment. */
    public static long bucketVersion(long[] segment, int bucket) {
        return segment[VERSIONS + bucket];
    }

    /** Stamps a bucket the walker has just serialised. */
    public static void stampBucket(long[] segment, int bucket, long version) {
        segment[VERSIONS + bucket] = version;
    }
}
