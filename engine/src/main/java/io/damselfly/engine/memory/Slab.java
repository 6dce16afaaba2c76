package io.damselfly.engine.memory;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;

/**
 * Off-heap chunk allocator owned by one shard thread.
 *
 * <p>Small chunks (up to {@link #MAX_SMALL}) are carved from 1 MiB pages by size class and
 * recycled through one free list per class; a larger chunk gets a page of its own, released when
 * the chunk is freed. Keeping entries here leaves the garbage collector nothing to trace per key
 * and keeps the footprint near the payload (see DESIGN.md, "Keyspace").
 *
 * <p>An address is {@code page << 20 | offset}: 20 bits of page index and 20 bits of offset, so
 * it fits in 40 bits. Address 0 is never handed out (page 0 is reserved) and means "none".
 *
 * <pre>
 * chunk layout
 *  0        1
 * +--------+-----------------------------------------------+
 * | class  | owner's bytes (size of the class - 1)         |
 * +--------+-----------------------------------------------+
 * a free chunk keeps the address of the next free chunk of its class at offset 8
 * </pre>
 *
 * <p>Byte 0 of every chunk holds its class (255 for a chunk on its own page), written here so
 * that {@link #free(long)} needs no size. Memory comes from confined arenas: only the thread
 * that allocated a page may touch it, so the JVM itself enforces that a shard's data is never
 * read by another thread.
 */
public final class Slab {
    public static final int PAGE_SHIFT = 20;
    public static final int PAGE_SIZE = 1 << PAGE_SHIFT;
    public static final long OFFSET_MASK = PAGE_SIZE - 1;
    public static final int ADDRESS_BITS = 40;
    public static final int MAX_PAGES = 1 << (ADDRESS_BITS - PAGE_SHIFT);
    public static final int MAX_SMALL = 64 * 1024;
    public static final int LARGE_CLASS = 255;
    /** The exact-size class of hash table segments (see KeyTable), outside the size ladder. */
    public static final int SEGMENT_CLASS = 254;
    public static final int SEGMENT_BYTES = 4688;

    private static final int[] CLASS_SIZE = buildClasses();
    /** Size classes plus the segment class, which uses the last slot of the per-class arrays. */
    private static final int CLASSES = CLASS_SIZE.length + 1;
    private static final int SEGMENT_SLOT = CLASSES - 1;
    private static final ValueLayout.OfLong LONG = ValueLayout.JAVA_LONG_UNALIGNED;

    private MemorySegment[] pages = new MemorySegment[64];
    private Arena[] largeArenas = new Arena[64];
    private int pageCount = 1; // page 0 reserved so that address 0 means "none"
    private int[] freePages = new int[16];
    private int freePageCount;
    private Arena smallArena;

    private final long[] freeHead = new long[CLASSES];
    private final int[] bumpPage = new int[CLASSES];
    private final int[] bumpOffset = new int[CLASSES];

    private long usedBytes;
    private long reservedBytes;

    private static int[] buildClasses() {
        int[] sizes = new int[128];
        int n = 0;
        for (int s = 16; s <= 128; s += 8) {
            sizes[n++] = s;
        }
        for (int base = 128; base < MAX_SMALL; base <<= 1) {
            int step = base / 8;
            for (int i = 1; i <= 8; i++) {
                sizes[n++] = base + i * step;
            }
        }
        return Arrays.copyOf(sizes, n);
    }

    /** Size class index for a chunk of {@code size} bytes, or {@link #LARGE_CLASS}. */
    static int classOf(int size) {
        if (size <= 128) {
            return size <= 16 ? 0 : (size - 9) >> 3;
        }
        if (size > MAX_SMALL) {
            return LARGE_CLASS;
        }
        int log = 31 - Integer.numberOfLeadingZeros(size - 1); // size in (2^log, 2^(log+1)]
        int step = 1 << (log - 3);
        int within = (size - 1 - (1 << log)) / step; // 0..7
        return 15 + (log - 7) * 8 + within;
    }

    static int classSize(int cls) {
        return CLASS_SIZE[cls];
    }

    /** Bytes a chunk of {@code size} bytes really occupies. */
    public static long footprint(int size) {
        int cls = classOf(size);
        return cls == LARGE_CLASS ? roundToPage4k(size) : CLASS_SIZE[cls];
    }

    private static long roundToPage4k(long size) {
        return (size + 4095) & ~4095L;
    }

    private static int chunkSize(int slot) {
        return slot == SEGMENT_SLOT ? SEGMENT_BYTES : CLASS_SIZE[slot];
    }

    private static int slotOfClassByte(int cls) {
        return cls == SEGMENT_CLASS ? SEGMENT_SLOT : cls;
    }

    /** Allocates a chunk of at least {@code size} bytes (size at least 1). */
    public long allocate(int size) {
        int cls = classOf(size);
        if (cls == LARGE_CLASS) {
            return allocateLarge(size);
        }
        return allocateSlot(cls, cls);
    }

    /** Allocates a zeroed hash table segment of {@link #SEGMENT_BYTES} (byte 0 holds the class). */
    public long allocateSegment() {
        long address = allocateSlot(SEGMENT_SLOT, SEGMENT_CLASS);
        MemorySegment page = pages[(int) (address >>> PAGE_SHIFT)];
        long o = address & OFFSET_MASK;
        page.asSlice(o + 1, SEGMENT_BYTES - 1).fill((byte) 0);
        return address;
    }

    private long allocateSlot(int cls, int classByte) {
        long address = freeHead[cls];
        int chunk = chunkSize(cls);
        if (address != 0) {
            MemorySegment page = pages[(int) (address >>> PAGE_SHIFT)];
            freeHead[cls] = page.get(LONG, (address & OFFSET_MASK) + 8);
        } else {
            int page = bumpPage[cls];
            int offset = bumpOffset[cls];
            if (page == 0 || offset + chunk > PAGE_SIZE) {
                page = newSmallPage();
                offset = 0;
                bumpPage[cls] = page;
            }
            bumpOffset[cls] = offset + chunk;
            address = ((long) page << PAGE_SHIFT) | offset;
        }
        pages[(int) (address >>> PAGE_SHIFT)].set(ValueLayout.JAVA_BYTE, address & OFFSET_MASK, (byte) classByte);
        usedBytes += chunk;
        return address;
    }

    private long allocateLarge(int size) {
        Arena arena = Arena.ofConfined();
        long bytes = roundToPage4k(size);
        MemorySegment segment = arena.allocate(bytes, 64);
        int page = takePageIndex();
        pages[page] = segment;
        largeArenas[page] = arena;
        segment.set(ValueLayout.JAVA_BYTE, 0, (byte) LARGE_CLASS);
        usedBytes += bytes;
        reservedBytes += bytes;
        return (long) page << PAGE_SHIFT;
    }

    private int newSmallPage() {
        if (smallArena == null) {
            smallArena = Arena.ofConfined();
        }
        int page = takePageIndex();
        pages[page] = smallArena.allocate(PAGE_SIZE, 4096);
        reservedBytes += PAGE_SIZE;
        return page;
    }

    private int takePageIndex() {
        if (freePageCount > 0) {
            return freePages[--freePageCount];
        }
        if (pageCount == MAX_PAGES) {
            throw new OutOfMemoryError("slab address space exhausted");
        }
        if (pageCount == pages.length) {
            pages = Arrays.copyOf(pages, pages.length * 2);
            largeArenas = Arrays.copyOf(largeArenas, largeArenas.length * 2);
        }
        return pageCount++;
    }

    /** Returns a chunk to its class, or its page to the system for a large chunk. */
    public void free(long address) {
        int pageIndex = (int) (address >>> PAGE_SHIFT);
        MemorySegment page = pages[pageIndex];
        long offset = address & OFFSET_MASK;
        int cls = page.get(ValueLayout.JAVA_BYTE, offset) & 0xFF;
        if (cls == LARGE_CLASS) {
            long bytes = page.byteSize();
            usedBytes -= bytes;
            reservedBytes -= bytes;
            pages[pageIndex] = null;
            Arena arena = largeArenas[pageIndex];
            largeArenas[pageIndex] = null;
            arena.close();
            if (freePageCount == freePages.length) {
                freePages = Arrays.copyOf(freePages, freePages.length * 2);
            }
            freePages[freePageCount++] = pageIndex;
            return;
        }
        int slot = slotOfClassByte(cls);
        page.set(LONG, offset + 8, freeHead[slot]);
        freeHead[slot] = address;
        usedBytes -= chunkSize(slot);
    }

    /** Usable bytes of the chunk at {@code address}. */
    public long capacity(long address) {
        MemorySegment page = pages[(int) (address >>> PAGE_SHIFT)];
        int cls = page.get(ValueLayout.JAVA_BYTE, address & OFFSET_MASK) & 0xFF;
        return cls == LARGE_CLASS ? page.byteSize() : chunkSize(slotOfClassByte(cls));
    }

    /** The page holding {@code address}; offsets into it are {@code address & OFFSET_MASK}. */
    public MemorySegment page(long address) {
        return pages[(int) (address >>> PAGE_SHIFT)];
    }

    /** Frees everything at once. */
    public void clear() {
        for (int i = 1; i < pageCount; i++) {
            if (largeArenas[i] != null) {
                largeArenas[i].close();
                largeArenas[i] = null;
            }
            pages[i] = null;
        }
        if (smallArena != null) {
            smallArena.close();
            smallArena = null;
        }
        pageCount = 1;
        freePageCount = 0;
        Arrays.fill(freeHead, 0);
        Arrays.fill(bumpPage, 0);
        Arrays.fill(bumpOffset, 0);
        usedBytes = 0;
        reservedBytes = 0;
    }

    /** Bytes in chunks handed out and not yet freed (class-rounded). */
    public long usedBytes() {
        return usedBytes;
    }

    /** Bytes of pages taken from the system. */
    public long reservedBytes() {
        return reservedBytes;
    }
}
