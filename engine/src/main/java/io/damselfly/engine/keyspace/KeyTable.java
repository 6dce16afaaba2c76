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
 * home bucket, and the entry lives in a window of buckets from there. When the window is full
 * the segment splits in two by the next hash bit; entries keep their bucket index, so a split
 * moves no entry between buckets. The slot keeps 18 other bits of the hash as a tag, so a
 * lookup reads an entry (a cache miss) only when its tag matches: about one slot in 260,000.
 * The tag's bits are disjoint from the directory's, so a deep table compares as well as a
 * shallow one; the price is that a split hashes its entries' keys again to learn their next
 * directory bit.
 *
 * <p>Segments live in the shard's slab, off the heap, like the entries: the garbage collector
 * sees only the directory, and growth allocates nothing on the heap but a new directory when
 * it doubles.
 *
 * <pre>
 * segment: 4688 bytes in the slab (class {@link Slab#SEGMENT_CLASS})
 *  0       1       2         3     4 .. 5     6 .. 7         8 .. 15   16 .. 79            80 .. 4687
 * +-------+-------+---------+-----+----------+--------------+--------+-------------------+------------------------+
 * | class | depth | spilled | pad | count u16| expiring u16 | unused | 64 home spans, u8 | 64 buckets of 72 bytes |
 * +-------+-------+---------+-----+----------+--------------+--------+-------------------+------------------------+
 * bucket b (at 80 + 72b): slots 8b .. 8b+7 (i64 each), then its version (i64), so that a write
 * that reads a bucket's slots finds its version in the same or the next cache line; span byte
 * h: the buckets from bucket h on that hold entries whose home is h (0: none), so a lookup
 * reads no further. The spans sit beside the header that a lookup reads anyway.
 *
 * slot: 64 bits, 0 means empty
 *  63      62 .. 58               57 ........... 40   39 ........................ 0
 * +-------+----------------------+------------------+--------------------------------+
 * |expires| buckets from home    | hash bits 23..6  | slab address of the entry       |
 * +-------+----------------------+------------------+--------------------------------+
 * </pre>
 *
 * <p>Every change to a bucket goes through {@link #touch}, which runs the snapshot hook for a
 * bucket stamped below the current cut and then stamps it. Owned by one shard thread.
 */
public final class KeyTable {
    public static final int BUCKETS = 64;
    public static final int SLOTS_PER_BUCKET = 8;
    public static final int SLOTS = BUCKETS * SLOTS_PER_BUCKET;
    /** Buckets an entry normally lives in, from its home bucket on. */
    public static final int WINDOW = 4;
    /** Buckets an entry may live in when its window is full (its home's span then reaches it). */
    public static final int REACH = 24;
    static final int DEPTH = 1;
    static final int SPILLED = 2;
    static final int COUNT = 4;
    static final int EXPIRING = 6;
    static final int SPAN_BASE = 16;
    static final int BUCKET_BASE = SPAN_BASE + BUCKETS;
    static final int BUCKET_BYTES = SLOTS_PER_BUCKET * 8 + 8;

    /** Directory bits at most: the hash prefix space of segments and of scan cursors. */
    static final int PREFIX_BITS = 18;
    static final int MAX_DEPTH = PREFIX_BITS;
    /** Hash bits a slot keeps: bits 23..6, below the home bucket's and far from the directory's. */
    static final int TAG_BITS = 18;
    static final int TAG_FROM = 6;
    static final long PREFIX_MASK = (1L << PREFIX_BITS) - 1;
    static final long TAG_MASK = (1L << TAG_BITS) - 1;
    static final int TAG_SHIFT = Slab.ADDRESS_BITS;
    static final int HOME_SHIFT = TAG_SHIFT + TAG_BITS;
    static final long HOME_MASK = 31;
    public static final long ADDRESS_MASK = (1L << Slab.ADDRESS_BITS) - 1;
    public static final long EXPIRES_BIT = 1L << 63;

    private static final VarHandle LONG_NATIVE =
            MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.nativeOrder());
    private static final ValueLayout.OfLong SLOT = ValueLayout.JAVA_LONG;
    private static final ValueLayout.OfLong ULONG = ValueLayout.JAVA_LONG_UNALIGNED;
    private static final ValueLayout.OfShort U16 = ValueLayout.JAVA_SHORT;

    private final Slab slab;
    private final Versions versions;
    private final long hashSeed;
    private long[] dir;
    private int globalDepth;
    private long size;
    private long expiring;
    private int segmentCount;

    /** Position of the last successful find or insert: segment address and slot index. */
    private long foundSegment;
    private int foundIndex;

    /** A table whose keys are hashed with {@code hashSeed} ({@link Hashing}), which its splits use too. */
    public KeyTable(Slab slab, Versions versions, long hashSeed) {
        this.slab = slab;
        this.versions = versions;
        this.hashSeed = hashSeed;
        reset();
    }

    private void reset() {
        dir = new long[1];
        dir[0] = newSegment(0);
        globalDepth = 0;
        segmentCount = 1;
        size = 0;
        expiring = 0;
        foundSegment = 0;
    }

    private long newSegment(int depth) {
        long seg = slab.allocateSegment();
        MemorySegment page = slab.page(seg);
        long base = seg & Slab.OFFSET_MASK;
        page.set(ValueLayout.JAVA_BYTE, base + DEPTH, (byte) depth);
        long v = versions.current;
        for (int b = 0; b < BUCKETS; b++) {
            page.set(SLOT, base + versionAt(b), v);
        }
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

    /** Bytes the table itself holds: its segments and directory (entries not included). */
    public long tableBytes() {
        return (long) segmentCount * Slab.SEGMENT_BYTES + dir.length * 8L + 16;
    }

    /** Segments in the table (for the heap footprint: only the directory is on the heap). */
    public int segmentCount() {
        return segmentCount;
    }

    private int dirIndex(long hash) {
        return (int) ((hash >>> 1) >>> (63 - globalDepth));
    }

    // ------------------------------------------------------------------ segment fields

    private static int depth(MemorySegment page, long base) {
        return page.get(ValueLayout.JAVA_BYTE, base + DEPTH);
    }

    private static boolean spilled(MemorySegment page, long base) {
        return page.get(ValueLayout.JAVA_BYTE, base + SPILLED) != 0;
    }

    private static int count(MemorySegment page, long base) {
        return page.get(U16, base + COUNT) & 0xFFFF;
    }

    private static void addCount(MemorySegment page, long base, int delta) {
        page.set(U16, base + COUNT, (short) (count(page, base) + delta));
    }

    private static int expiringIn(MemorySegment page, long base) {
        return page.get(U16, base + EXPIRING) & 0xFFFF;
    }

    private static void addExpiring(MemorySegment page, long base, int delta) {
        page.set(U16, base + EXPIRING, (short) (expiringIn(page, base) + delta));
    }

    /** Buckets from {@code home} on that hold its entries: a lookup's whole range. */
    private static int span(MemorySegment page, long base, int home) {
        return page.get(ValueLayout.JAVA_BYTE, base + SPAN_BASE + home);
    }

    private static void widenSpan(MemorySegment page, long base, int home, int distance) {
        if (distance >= span(page, base, home)) {
            page.set(ValueLayout.JAVA_BYTE, base + SPAN_BASE + home, (byte) (distance + 1));
        }
    }

    /** Offset in the segment of slot {@code idx} (bucket idx / 8). */
    private static long slotAt(int idx) {
        return BUCKET_BASE + (long) BUCKET_BYTES * (idx >>> 3) + 8L * (idx & (SLOTS_PER_BUCKET - 1));
    }

    /** Offset in the segment of a bucket's version stamp, right after its slots. */
    private static long versionAt(int bucket) {
        return BUCKET_BASE + (long) BUCKET_BYTES * bucket + 8L * SLOTS_PER_BUCKET;
    }

    private static long slot(MemorySegment page, long base, int idx) {
        return page.get(SLOT, base + slotAt(idx));
    }

    private static void setSlot(MemorySegment page, long base, int idx, long value) {
        page.set(SLOT, base + slotAt(idx), value);
    }

    /** The slot word at (segment, index), for a snapshot hook that serialises a bucket. */
    public long slotAt(long segment, int index) {
        return slot(slab.page(segment), segment & Slab.OFFSET_MASK, index);
    }

    /** Version stamp of a bucket. */
    public long bucketVersion(long segment, int bucket) {
        return slab.page(segment).get(SLOT, (segment & Slab.OFFSET_MASK) + versionAt(bucket));
    }

    /** Stamps a bucket the walker has just serialised. */
    public void stampBucket(long segment, int bucket, long version) {
        slab.page(segment).set(SLOT, (segment & Slab.OFFSET_MASK) + versionAt(bucket), version);
    }

    // ------------------------------------------------------------------ lookup

    /** Finds a key; returns its entry's address, or 0. Remembers the position for the *Found calls. */
    public long find(byte[] key, int off, int len, long hash) {
        long seg = dir[dirIndex(hash)];
        MemorySegment page = slab.page(seg);
        long base = seg & Slab.OFFSET_MASK;
        long tag = tagOf(hash);
        int home = (int) hash & (BUCKETS - 1);
        int first;
        int slots;
        if (spilled(page, base)) {
            first = 0; // a segment that filled at the maximum depth: entries may be anywhere
            slots = SLOTS;
        } else {
            first = home << 3;
            slots = span(page, base, home) * SLOTS_PER_BUCKET;
        }
        for (int i = 0; i < slots; i++) {
            int idx = (first + i) & (SLOTS - 1);
            long s = slot(page, base, idx);
            if (s != 0 && ((s >>> TAG_SHIFT) & TAG_MASK) == tag && keyEquals(s & ADDRESS_MASK, key, off, len)) {
                foundSegment = seg;
                foundIndex = idx;
                return s & ADDRESS_MASK;
            }
        }
        foundSegment = 0;
        return 0;
    }

    /**
     * Reads the lines that a find or insert of {@code hash} reads first: the segment's header with
     * the home's span, and the window of buckets from the home (each from its first slot to its
     * version: a home's span is about a window at 60-80% fill). A caller with a
     * batch of keys runs this over a stretch of them before it applies them, so that their cache
     * misses overlap instead of coming one after another (the loads of different keys do not
     * depend on each other). Returns a sum of what it read, for the caller to keep: the loads stay.
     */
    public long prefetch(long hash) {
        long seg = dir[dirIndex(hash)];
        MemorySegment page = slab.page(seg);
        long base = seg & Slab.OFFSET_MASK;
        int home = (int) hash & (BUCKETS - 1);
        long read = span(page, base, home);
        for (int i = 0; i < WINDOW; i++) {
            int b = (home + i) & (BUCKETS - 1);
            read += slot(page, base, b << 3) + page.get(SLOT, base + versionAt(b));
        }
        return read;
    }

    private boolean keyEquals(long address, byte[] key, int off, int len) {
        MemorySegment page = slab.page(address);
        long o = address & Slab.OFFSET_MASK;
        if (Entry.keyLen(page, o) != len) {
            return false;
        }
        long k = Entry.keyOffset(page, o);
        int i = 0;
        for (; i + 8 <= len; i += 8) {
            if (page.get(ULONG, k + i) != (long) LONG_NATIVE.get(key, off + i)) {
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

    // ------------------------------------------------------------------ changes

    /**
     * Adds an entry for a key that {@link #find} just reported missing. The table may split a
     * segment to make room; the new position becomes the found position.
     */
    public void insert(long hash, long address, boolean expires) {
        for (;;) {
            int di = dirIndex(hash);
            long seg = dir[di];
            MemorySegment page = slab.page(seg);
            long base = seg & Slab.OFFSET_MASK;
            int home = (int) hash & (BUCKETS - 1);
            int idx = freeSlot(page, base, home, WINDOW);
            if (idx < 0) {
                idx = freeSlot(page, base, home, REACH);
            }
            if (idx < 0) {
                if (depth(page, base) < MAX_DEPTH) {
                    split(seg, di);
                    continue;
                }
                idx = anyFreeSlot(page, base);
                if (idx < 0) {
                    throw new IllegalStateException("hash table segment full at maximum depth");
                }
                page.set(ValueLayout.JAVA_BYTE, base + SPILLED, (byte) 1);
            }
            touch(page, base, seg, idx >>> 3);
            int distance = ((idx >>> 3) - home) & (BUCKETS - 1);
            if (distance < REACH) {
                widenSpan(page, base, home, distance);
            } else {
                // a spilled segment's entry far from home: lookups there read every slot, and a
                // spilled segment is at the maximum depth, so no split recomputes spans from it
                distance = 0;
            }
            setSlot(page, base, idx, (expires ? EXPIRES_BIT : 0) | ((long) distance << HOME_SHIFT)
                    | (tagOf(hash) << TAG_SHIFT) | address);
            addCount(page, base, 1);
            size++;
            if (expires) {
                addExpiring(page, base, 1);
                expiring++;
            }
            foundSegment = seg;
            foundIndex = idx;
            return;
        }
    }

    static long tagOf(long hash) {
        return (hash >>> TAG_FROM) & TAG_MASK;
    }

    /** The directory bit that decides an entry's side when a segment at {@code depth} splits. */
    private long splitBit(long address, int depth) {
        MemorySegment page = slab.page(address);
        long o = address & Slab.OFFSET_MASK;
        long hash = Hashing.hash(page, Entry.keyOffset(page, o), Entry.keyLen(page, o), hashSeed);
        return (hash >>> (63 - depth)) & 1;
    }

    private static int freeSlot(MemorySegment page, long base, int home, int buckets) {
        int first = home << 3;
        for (int i = 0; i < buckets * SLOTS_PER_BUCKET; i++) {
            int idx = (first + i) & (SLOTS - 1);
            if (slot(page, base, idx) == 0) {
                return idx;
            }
        }
        return -1;
    }

    private static int anyFreeSlot(MemorySegment page, long base) {
        for (int idx = 0; idx < SLOTS; idx++) {
            if (slot(page, base, idx) == 0) {
                return idx;
            }
        }
        return -1;
    }

    private void split(long seg, int dirIndex) {
        MemorySegment page = slab.page(seg);
        long base = seg & Slab.OFFSET_MASK;
        int depth = depth(page, base);
        if (depth == globalDepth) {
            doubleDirectory();
            dirIndex = dirIndex * 2;
        }
        // Every bucket of the segment changes: a snapshot must have them all first.
        for (int b = 0; b < BUCKETS; b++) {
            touch(page, base, seg, b);
        }
        long sibling = newSegment(depth + 1);
        page = slab.page(seg); // the allocation may have grown the page table
        MemorySegment spage = slab.page(sibling);
        long sbase = sibling & Slab.OFFSET_MASK;
        page.set(ValueLayout.JAVA_BYTE, base + DEPTH, (byte) (depth + 1));
        spage.set(ValueLayout.JAVA_BYTE, sbase + SPILLED, page.get(ValueLayout.JAVA_BYTE, base + SPILLED));
        int moved = 0;
        int movedExpiring = 0;
        for (int idx = 0; idx < SLOTS; idx++) {
            long s = slot(page, base, idx);
            if (s != 0 && splitBit(s & ADDRESS_MASK, depth) != 0) {
                setSlot(spage, sbase, idx, s);
                setSlot(page, base, idx, 0);
                moved++;
                if (s < 0) {
                    movedExpiring++;
                }
            }
        }
        recomputeSpans(page, base);
        recomputeSpans(spage, sbase);
        addCount(page, base, -moved);
        addCount(spage, sbase, moved);
        addExpiring(page, base, -movedExpiring);
        addExpiring(spage, sbase, movedExpiring);
        int span = 1 << (globalDepth - depth);
        int first = dirIndex & ~(span - 1);
        for (int i = first + span / 2; i < first + span; i++) {
            dir[i] = sibling;
        }
        segmentCount++;
    }

    /**
     * Grows the table ahead of about {@code entries} keys (a dump's RESIZEDB hint), to segments
     * about three quarters full, so that a load does not split segments one insert at a time.
     * The directory doubles to the target depth first, so no split below doubles it again.
     */
    public void reserve(long entries) {
        long segments = Math.max(1, (entries + SLOTS * 3 / 4 - 1) / (SLOTS * 3 / 4));
        int target = Math.min(MAX_DEPTH - 4, 64 - Long.numberOfLeadingZeros(segments - 1));
        while (globalDepth < target) {
            doubleDirectory();
        }
        for (int i = 0; i < dir.length; i++) {
            while (depth(slab.page(dir[i]), dir[i] & Slab.OFFSET_MASK) < target) {
                split(dir[i], i);
            }
        }
    }

    /** Doubles the directory: every segment is then named by two neighbouring entries. */
    private void doubleDirectory() {
        long[] bigger = new long[dir.length * 2];
        for (int i = 0; i < dir.length; i++) {
            bigger[2 * i] = dir[i];
            bigger[2 * i + 1] = dir[i];
        }
        dir = bigger;
        globalDepth++;
    }

    /** Sets each home's span to what the segment's entries imply (a removal leaves a span wide). */
    private static void recomputeSpans(MemorySegment page, long base) {
        page.asSlice(base + SPAN_BASE, BUCKETS).fill((byte) 0);
        for (int idx = 0; idx < SLOTS; idx++) {
            long s = slot(page, base, idx);
            if (s != 0) {
                int distance = (int) ((s >>> HOME_SHIFT) & HOME_MASK);
                widenSpan(page, base, ((idx >>> 3) - distance) & (BUCKETS - 1), distance);
            }
        }
    }

    private void touch(MemorySegment page, long base, long seg, int bucket) {
        long at = base + versionAt(bucket);
        if (page.get(SLOT, at) < versions.cut) {
            versions.bucketsSerialisedAhead++;
            versions.hook.beforeChange(this, seg, bucket);
        }
        page.set(SLOT, at, versions.current);
    }

    /**
     * One step of a snapshot walk: if the bucket at {@code cursor} is stamped below
     * {@code cutVersion}, hands it to the hook (which serialises it for every cut missing it)
     * and stamps it. Returns the next cursor, 0 when the table is done. Cursors are those of
     * {@link #scanBucket}: a split keeps entries in their bucket and stamps the whole segment
     * first, so a bucket revisited after a split is already stamped and skipped.
     */
    public long snapshotStep(long cursor, long cutVersion) {
        int prefix = (int) (cursor >>> 6) & (int) PREFIX_MASK;
        int bucket = (int) cursor & (BUCKETS - 1);
        int di = prefix >>> (PREFIX_BITS - globalDepth);
        long seg = dir[di];
        MemorySegment page = slab.page(seg);
        long base = seg & Slab.OFFSET_MASK;
        long at = base + versionAt(bucket);
        if (page.get(SLOT, at) < cutVersion) {
            versions.bucketsWalked++;
            versions.hook.beforeChange(this, seg, bucket);
            page = slab.page(seg);
            page.set(SLOT, at, versions.current);
        }
        return nextCursor(prefix, bucket, page, base);
    }

    /**
     * Hands every bucket still below the newest cut to the hook, before the table is emptied
     * or its memory released (FLUSHDB, FLUSHALL during a snapshot).
     */
    public void snapshotAll() {
        if (versions.cut == Long.MIN_VALUE) {
            return;
        }
        long[] d = dir;
        for (int i = 0; i < d.length; i++) {
            long seg = d[i];
            if (firstIndexOf(seg, i) != i) {
                continue;
            }
            for (int b = 0; b < BUCKETS; b++) {
                touch(slab.page(seg), seg & Slab.OFFSET_MASK, seg, b);
            }
        }
    }

    /** Stamps the found entry's bucket before the caller changes the entry in place. */
    public void touchFound() {
        long seg = foundSegment;
        touch(slab.page(seg), seg & Slab.OFFSET_MASK, seg, foundIndex >>> 3);
    }

    /** Points the found slot at a new entry (after the value moved to a new chunk). */
    public void replaceFound(long address, boolean expires) {
        long seg = foundSegment;
        MemorySegment page = slab.page(seg);
        long base = seg & Slab.OFFSET_MASK;
        touch(page, base, seg, foundIndex >>> 3);
        long s = slot(page, base, foundIndex);
        boolean had = s < 0;
        setSlot(page, base, foundIndex, (expires ? EXPIRES_BIT : 0) | (s & ~EXPIRES_BIT & ~ADDRESS_MASK) | address);
        if (had != expires) {
            int delta = expires ? 1 : -1;
            addExpiring(page, base, delta);
            expiring += delta;
        }
    }

    /** Removes the found entry's slot; the caller frees the entry. */
    public void removeFound() {
        long seg = foundSegment;
        MemorySegment page = slab.page(seg);
        long base = seg & Slab.OFFSET_MASK;
        touch(page, base, seg, foundIndex >>> 3);
        long s = slot(page, base, foundIndex);
        setSlot(page, base, foundIndex, 0);
        addCount(page, base, -1);
        size--;
        if (s < 0) {
            addExpiring(page, base, -1);
            expiring--;
        }
        foundSegment = 0;
    }

    /** Makes (segment, index) the found position, for a visitor that wants to change that entry. */
    public void select(long segment, int index) {
        foundSegment = segment;
        foundIndex = index;
    }

    // ------------------------------------------------------------------ iteration

    /** Called for each visited slot with its segment, index and slot word. */
    @FunctionalInterface
    public interface SlotVisitor {
        void visit(long segment, int index, long slot);
    }

    private int firstIndexOf(long seg, int dirIndex) {
        int span = 1 << (globalDepth - depth(slab.page(seg), seg & Slab.OFFSET_MASK));
        return dirIndex & ~(span - 1);
    }

    /** Visits every occupied slot. The visitor must not change the table. */
    public void forEach(SlotVisitor visitor) {
        long[] d = dir;
        for (int i = 0; i < d.length; i++) {
            long seg = d[i];
            if (firstIndexOf(seg, i) != i) {
                continue;
            }
            MemorySegment page = slab.page(seg);
            long base = seg & Slab.OFFSET_MASK;
            for (int idx = 0; idx < SLOTS; idx++) {
                long s = slot(page, base, idx);
                if (s != 0) {
                    visitor.visit(seg, idx, s);
                }
            }
        }
    }

    /**
     * Visits one bucket of a scan and returns the cursor of the next, or 0 when the table is done.
     *
     * <p>A cursor is {@code prefix << 6 | bucket}, where prefix is a position in the 18-bit hash
     * prefix space. Segments only ever split, and a split keeps each entry in its bucket, so an
     * entry present from the start to the end of a scan is visited at least once.
     */
    public long scanBucket(long cursor, SlotVisitor visitor) {
        int prefix = (int) (cursor >>> 6) & (int) PREFIX_MASK;
        int bucket = (int) cursor & (BUCKETS - 1);
        int di = prefix >>> (PREFIX_BITS - globalDepth);
        long seg = dir[di];
        MemorySegment page = slab.page(seg);
        long base = seg & Slab.OFFSET_MASK;
        int first = bucket << 3;
        for (int i = 0; i < SLOTS_PER_BUCKET; i++) {
            long s = slot(page, base, first + i);
            if (s != 0) {
                visitor.visit(seg, first + i, s);
            }
        }
        return nextCursor(prefix, bucket, page, base);
    }

    /** The scan cursor after bucket {@code bucket} of the segment at {@code prefix}; 0 after the last. */
    private static long nextCursor(int prefix, int bucket, MemorySegment page, long base) {
        if (bucket + 1 < BUCKETS) {
            return ((long) prefix << 6) | (bucket + 1);
        }
        int depth = depth(page, base);
        int start = prefix & ~((1 << (PREFIX_BITS - depth)) - 1);
        long next = (long) start + (1L << (PREFIX_BITS - depth));
        return next >= (1L << PREFIX_BITS) ? 0 : next << 6;
    }

    /** Visits the first occupied slot from a random position, or nothing if the table is empty. */
    public boolean randomSlot(long random, SlotVisitor visitor) {
        if (size == 0) {
            return false;
        }
        int di = (int) ((random >>> 1) >>> (63 - globalDepth));
        int start = (int) random & (SLOTS - 1);
        for (int n = 0; n < dir.length; n++) {
            long seg = dir[(di + n) & (dir.length - 1)];
            MemorySegment page = slab.page(seg);
            long base = seg & Slab.OFFSET_MASK;
            if (count(page, base) == 0) {
                continue;
            }
            for (int i = 0; i < SLOTS; i++) {
                int idx = (start + i) & (SLOTS - 1);
                long s = slot(page, base, idx);
                if (s != 0) {
                    visitor.visit(seg, idx, s);
                    return true;
                }
            }
        }
        return false;
    }

    /**
     * Visits the slots that carry a deadline, segment by segment from directory position
     * {@code cursor}, until at least {@code limit} were visited; returns the next cursor (0 after
     * a full pass). The visitor may remove the visited slot through {@link #select} and
     * {@link #removeFound}.
     */
    public int expiringScan(int cursor, int limit, SlotVisitor visitor) {
        int visited = 0;
        int di = cursor;
        while (di < dir.length && visited < limit) {
            long seg = dir[di];
            MemorySegment page = slab.page(seg);
            long base = seg & Slab.OFFSET_MASK;
            int span = 1 << (globalDepth - depth(page, base));
            int first = di & ~(span - 1);
            if (first == di && expiringIn(page, base) > 0) {
                for (int idx = 0; idx < SLOTS; idx++) {
                    long s = slot(page, base, idx);
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

    /**
     * Empties the table. With a {@code release} every entry goes to it and every segment back to
     * the slab; with null, the caller is about to clear the whole slab.
     */
    public void clear(java.util.function.LongConsumer release) {
        snapshotAll();
        if (release != null) {
            if (size > 0) {
                forEach((seg, idx, s) -> release.accept(s & ADDRESS_MASK));
            }
            long[] d = dir;
            long[] unique = new long[segmentCount];
            int n = 0;
            for (int i = 0; i < d.length; i++) {
                if (firstIndexOf(d[i], i) == i) {
                    unique[n++] = d[i];
                }
            }
            for (int i = 0; i < n; i++) {
                slab.free(unique[i]);
            }
        }
        reset();
    }

    public static long address(long slot) {
        return slot & ADDRESS_MASK;
    }

    public static int bucketOf(int index) {
        return index >>> 3;
    }

    /** Directory length, for tests of growth. */
    int directorySize() {
        return dir.length;
    }

    /** A copy of the directory, for diagnostics. */
    long[] directory() {
        return Arrays.copyOf(dir, dir.length);
    }
}
