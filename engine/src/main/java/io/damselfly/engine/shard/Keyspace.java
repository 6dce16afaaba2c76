package io.damselfly.engine.shard;

import io.damselfly.engine.keyspace.Entry;
import io.damselfly.engine.keyspace.Hashing;
import io.damselfly.engine.keyspace.KeyTable;
import io.damselfly.engine.memory.Slab;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * One logical database on one shard, and the shard's single mutation path for it: every write
 * to a key goes through a method here, which lets the table stamp (and, during a snapshot,
 * serialise) the bucket first, counts the change, and records the write's replicated form in
 * the shard's journal when the command asks it to.
 *
 * <p>Lookups apply lazy expiry: a key past its deadline is deleted on access (journaled as
 * {@code DEL}, as Redis 7.0 propagates it) and reported missing. Owned by the shard thread.
 */
public final class Keyspace {
    public static final long NO_EXPIRE = -1;
    /** Keep the key's current deadline (SET ... KEEPTTL, APPEND, INCR ...). */
    public static final long KEEP_TTL = -2;

    private final Shard shard;
    private final int id;
    KeyTable table;

    Keyspace(Shard shard, int id, KeyTable table) {
        this.shard = shard;
        this.id = id;
        this.table = table;
    }

    public int id() {
        return id;
    }

    public Shard shard() {
        return shard;
    }

    public KeyTable table() {
        return table;
    }

    public long size() {
        return table.size();
    }

    public long expiringCount() {
        return table.expiringCount();
    }

    public long hash(byte[] key, int off, int len) {
        return Hashing.hash(key, off, len, shard.hashSeed);
    }

    /**
     * Reads the table lines a write of this key will read ({@link KeyTable#prefetch}); the caller
     * keeps the result (any sum of them) so that the reads stay.
     */
    public long prefetch(byte[] key, int off, int len) {
        return table.prefetch(hash(key, off, len));
    }

    // ------------------------------------------------------------------ lookups

    /**
     * Finds a live key for a read: counts a keyspace hit or miss and refreshes its access time.
     * Returns the entry's address, or 0.
     */
    public long lookupRead(byte[] key, int off, int len) {
        long address = lookup(key, off, len);
        if (address == 0) {
            shard.keyspaceMisses++;
        } else {
            shard.keyspaceHits++;
            touchAccess(address);
        }
        return address;
    }

    /** Finds a live key before a write; refreshes its access time. */
    public long lookupWrite(byte[] key, int off, int len) {
        long address = lookup(key, off, len);
        if (address != 0) {
            touchAccess(address);
        }
        return address;
    }

    /** Finds a live key without touching statistics or its access time (TYPE, TTL, OBJECT ...). */
    public long lookup(byte[] key, int off, int len) {
        long hash = hash(key, off, len);
        long address = table.find(key, off, len, hash);
        if (address != 0 && pastDeadline(address)) {
            if (deletesExpired()) {
                expireFound(address);
                return 0;
            }
            if (shard.reading) {
                return 0; // kept until the master deletes it, or the pause ends; gone for a reader
            }
        }
        return address;
    }

    /** Whether the key is still stored but its deadline has passed (WATCH's expiry checks). */
    public boolean isLogicallyExpired(byte[] key, int off, int len) {
        long address = table.find(key, off, len, hash(key, off, len));
        return address != 0 && expiredAt(address);
    }

    /** Whether the key exists, even if its deadline has passed and nobody deleted it yet. */
    public boolean containsIgnoringExpiry(byte[] key, int off, int len) {
        return table.find(key, off, len, hash(key, off, len)) != 0;
    }

    /** Whether the key is past its deadline and may be deleted for it here (not on a replica, nor while paused). */
    private boolean expiredAt(long address) {
        return deletesExpired() && pastDeadline(address);
    }

    /** Whether keys past their deadline are deleted here (not on a replica, which waits for its master's DEL, nor while paused). */
    private boolean deletesExpired() {
        return !shard.replicaMode && !shard.expiryHeld;
    }

    private boolean pastDeadline(long address) {
        MemorySegment page = page(address);
        long o = address & Slab.OFFSET_MASK;
        return (Entry.flags(page, o) & Entry.EXPIRES) != 0 && Entry.expireAt(page, o) <= shard.now;
    }

    private void touchAccess(long address) {
        MemorySegment page = page(address);
        long o = address & Slab.OFFSET_MASK;
        Entry.setAccess(page, o, shard.accessed(Entry.access(page, o)));
    }

    /** Deletes the found (expired) entry: journals DEL, counts it, frees it. */
    private void expireFound(long address) {
        MemorySegment page = page(address);
        long o = address & Slab.OFFSET_MASK;
        if (shard.journal.enabled()) {
            long ko = Entry.keyOffset(page, o);
            int klen = Entry.keyLen(page, o);
            // inside a multi-shard operation the DEL belongs to it: it precedes the operation's
            // later writes to the key on a replica as it did here
            shard.journal.begin(id, 2).arg(DEL).arg(page, ko, klen).end();
        }
        shard.keyModified(this, address);
        shard.keyExpired(this, address);
        table.removeFound();
        shard.release(address);
        shard.expiredKeys++;
        shard.dirty++;
    }

    private static final byte[] DEL = {'D', 'E', 'L'};

    /**
     * Eviction: deletes the entry at a slot just sampled (nothing changed since), as Redis
     * evicts: journals DEL, tells watchers and the "evicted" keyspace event, counts it.
     */
    void evictAt(long segment, int index, long address) {
        MemorySegment page = page(address);
        long o = address & Slab.OFFSET_MASK;
        if (shard.journal.enabled()) {
            shard.journal.begin(id, 2).arg(DEL).arg(page, Entry.keyOffset(page, o), Entry.keyLen(page, o)).end();
        }
        table.select(segment, index);
        shard.keyModified(this, address);
        shard.keyEvicted(this, address);
        table.removeFound();
        shard.release(address);
        shard.evictedKeys++;
        shard.dirty++;
    }

    /** Active expiry: deletes up to {@code limit} expired keys found from the cursor on. */
    int expireCycle(int cursor, int limit, long[] counts) {
        return table.expiringScan(cursor, limit, (seg, idx, slot) -> {
            counts[0]++;
            long address = KeyTable.address(slot);
            if (expiredAt(address)) {
                table.select(seg, idx);
                expireFound(address);
                counts[1]++;
            }
        });
    }

    // ------------------------------------------------------------------ entry access

    public MemorySegment page(long address) {
        return shard.slab.page(address);
    }

    public static long offset(long address) {
        return address & Slab.OFFSET_MASK;
    }

    public int type(long address) {
        return Entry.type(page(address), offset(address));
    }

    public long expireAt(long address) {
        return Entry.expireAt(page(address), offset(address));
    }

    public int valueLength(long address) {
        return Entry.valueLen(page(address), offset(address));
    }

    public long valueOffset(long address) {
        return Entry.valueOffset(page(address), offset(address));
    }

    public byte[] copyValue(long address) {
        return Entry.copyValue(page(address), offset(address));
    }

    public byte[] copyKey(long address) {
        return Entry.copyKey(page(address), offset(address));
    }

    // ------------------------------------------------------------------ the mutation path

    /**
     * Stores a string value under a key, creating or replacing it.
     *
     * @param expireAt absolute deadline in unix ms, {@link #NO_EXPIRE}, or {@link #KEEP_TTL}
     * @return the new entry's address
     */
    public long putString(byte[] key, int koff, int klen, byte[] value, int voff, int vlen, long expireAt) {
        long address = allocateValue(key, koff, klen, Entry.TYPE_STRING, vlen, expireAt);
        MemorySegment page = page(address);
        MemorySegment.copy(value, voff, page, ValueLayout.JAVA_BYTE, valueOffset(address), vlen);
        return address;
    }

    /**
     * Creates or replaces a key with a value of {@code valueLen} bytes of the given type, whose
     * content the caller writes at {@link #valueOffset} right away. Reuses the key's chunk when
     * the new entry fits in it.
     */
    public long allocateValue(byte[] key, int koff, int klen, int type, long valueLen, long expireAt) {
        int typeFlags = type;
        long hash = hash(key, koff, klen);
        long old = table.find(key, koff, klen, hash);
        if (old != 0 && expireAt == KEEP_TTL && expiredAt(old)) {
            expireFound(old);
            old = 0;
            table.find(key, koff, klen, hash);
        }
        if (expireAt == KEEP_TTL) {
            expireAt = old != 0 ? expireAt(old) : NO_EXPIRE;
        }
        boolean expires = expireAt >= 0;
        int size = Entry.size(klen, valueLen, expires);
        shard.dirty++;
        if (old != 0) {
            shard.keyModified(this, old);
            MemorySegment oldPage = page(old);
            long oo = offset(old);
            boolean hadExpire = Entry.expires(oldPage, oo);
            int oldType = Entry.type(oldPage, oo);
            if (hadExpire == expires && Entry.type(oldPage, oo) == Entry.TYPE_STRING && typeFlags == Entry.TYPE_STRING
                    && (Entry.flags(oldPage, oo) & Entry.HANDLE) == 0
                    && Slab.footprint(size) == shard.slab.capacity(old)
                    && Entry.isLong(oldPage, oo) == !Entry.fitsCompact(klen, valueLen)) {
                // same chunk, same header form: the key stays where it is
                table.touchFound();
                Entry.init(oldPage, oo, typeFlags | (expires ? Entry.EXPIRES : 0), klen, (int) valueLen, expireAt,
                        shard.freshAccess());
                return old;
            }
            long address = shard.slab.allocate(size);
            long ko = Entry.init(page(address), offset(address), typeFlags | (expires ? Entry.EXPIRES : 0), klen,
                    (int) valueLen, expireAt, shard.freshAccess());
            MemorySegment.copy(key, koff, page(address), ValueLayout.JAVA_BYTE, ko, klen);
            table.replaceFound(address, expires);
            shard.release(old);
            int newType = typeFlags & Entry.TYPE_MASK;
            if ((newType == Entry.TYPE_LIST || newType == Entry.TYPE_ZSET) && newType != oldType) {
                // a key replaced by one of another type may be one clients wait for; a list or
                // sorted set rewritten in place (a compact one after a push or a pop) is not
                shard.keyAdded(this, address);
            }
            return address;
        }
        long address = shard.slab.allocate(size);
        long ko = Entry.init(page(address), offset(address), typeFlags | (expires ? Entry.EXPIRES : 0), klen,
                (int) valueLen, expireAt, shard.freshAccess());
        MemorySegment.copy(key, koff, page(address), ValueLayout.JAVA_BYTE, ko, klen);
        table.insert(hash, address, expires);
        shard.keyAdded(this, address);
        shard.keyCreated(this, address);
        return address;
    }

    /**
     * Resizes the string at {@code address} (found just before by a lookup of the same key) to
     * {@code newLen} bytes, keeping its prefix and deadline and zero-filling any growth. Grows
     * in place when the chunk has room; otherwise moves to a chunk with headroom so that
     * repeated appends stay amortised O(1).
     */
    public long resizeString(byte[] key, int koff, int klen, long address, long newLen) {
        MemorySegment page = page(address);
        long o = offset(address);
        int oldLen = Entry.valueLen(page, o);
        boolean expires = Entry.expires(page, o);
        shard.dirty++;
        shard.keyModified(this, address);
        long hash = hash(key, koff, klen);
        table.find(key, koff, klen, hash);
        long vo = Entry.valueOffset(page, o);
        if (Entry.canHoldValue(page, o, newLen) && shard.slab.capacity(address) >= (vo - o) + newLen) {
            table.touchFound();
            if (newLen > oldLen) {
                page.asSlice(vo + oldLen, newLen - oldLen).fill((byte) 0);
            }
            Entry.setValueLen(page, o, (int) newLen);
            Entry.markRaw(page, o);
            return address;
        }
        int size = Entry.size(klen, newLen, expires);
        long headroom = newLen > oldLen && oldLen > 0 ? Math.min(newLen, 1 << 20) : 0;
        long moved = shard.slab.allocate((int) Math.min((long) size + headroom, Integer.MAX_VALUE - 64));
        MemorySegment np = page(moved);
        long no = offset(moved);
        long ko = Entry.init(np, no, (Entry.flags(page, o) & ~Entry.LONG) | Entry.RAW, klen, (int) newLen,
                Entry.expireAt(page, o), Entry.access(page, o));
        long copy = klen + Math.min(oldLen, newLen);
        MemorySegment.copy(page, Entry.keyOffset(page, o), np, ko, copy);
        if (newLen > oldLen) {
            np.asSlice(ko + klen + oldLen, newLen - oldLen).fill((byte) 0);
        }
        table.replaceFound(moved, expires);
        shard.release(address);
        return moved;
    }

    /** Deletes a key if present and live; returns whether it was there. */
    public boolean delete(byte[] key, int off, int len) {
        long address = lookup(key, off, len);
        if (address == 0) {
            return false;
        }
        shard.keyModified(this, address);
        table.removeFound();
        shard.release(address);
        shard.dirty++;
        return true;
    }

    /**
     * Sets or clears the deadline of the key at {@code address}, found just before by a lookup
     * of the same key. {@code expireAt} {@link #NO_EXPIRE} removes it.
     */
    public long setExpire(byte[] key, int koff, int klen, long address, long expireAt) {
        MemorySegment page = page(address);
        long o = offset(address);
        boolean had = Entry.expires(page, o);
        boolean wants = expireAt >= 0;
        shard.dirty++;
        shard.keyModified(this, address);
        long hash = hash(key, koff, klen);
        table.find(key, koff, klen, hash);
        if (had && wants) {
            table.touchFound();
            Entry.setExpireAt(page, o, expireAt);
            return address;
        }
        if (!had && !wants) {
            return address;
        }
        int klen2 = Entry.keyLen(page, o);
        int vlen = Entry.valueLen(page, o);
        int size = Entry.size(klen2, vlen, wants);
        long moved = shard.slab.allocate(size);
        MemorySegment np = page(moved);
        long no = offset(moved);
        int flags = (Entry.flags(page, o) & ~(Entry.EXPIRES | Entry.LONG)) | (wants ? Entry.EXPIRES : 0);
        long ko = Entry.init(np, no, flags, klen2, vlen, expireAt, Entry.access(page, o));
        MemorySegment.copy(page, Entry.keyOffset(page, o), np, ko, (long) klen2 + vlen);
        table.replaceFound(moved, wants);
        shard.slab.free(address); // the moved entry keeps the old one's large value, if any
        return moved;
    }

    /**
     * Copies an entry (from any database of this shard) to {@code key} here, replacing what is
     * there; keeps the deadline unless {@code expireAt} overrides it (KEEP_TTL keeps the source's).
     * A large value is copied deeply.
     */
    public long copyEntry(long source, byte[] key, int koff, int klen, long expireAt) {
        EntryCopy copy = snapshot(source, true);
        long at = expireAt == KEEP_TTL ? copy.expireAt() : expireAt;
        return restoreEntry(key, koff, klen, new EntryCopy(copy.type(), copy.value(), copy.object(), at));
    }

    /**
     * A key's value and metadata, detached from the shard, to move it to another shard or
     * database: the bytes of a compact value, or a large value's object.
     */
    public record EntryCopy(int type, byte[] value, Object object, long expireAt) {
    }

    /** Detaches a copy of an entry; a large value is deep-copied when {@code deep}, else shared. */
    public EntryCopy snapshot(long address, boolean deep) {
        MemorySegment page = page(address);
        long o = offset(address);
        Object obj = null;
        byte[] value = null;
        if ((Entry.flags(page, o) & Entry.HANDLE) != 0) {
            obj = shard.objects.get(handle(page, o));
            if (deep && obj instanceof LargeValue lv) {
                obj = lv.copy();
            }
        } else {
            value = Entry.copyValue(page, o);
        }
        return new EntryCopy(Entry.type(page, o), value, obj, Entry.expireAt(page, o));
    }

    public EntryCopy snapshot(long address) {
        return snapshot(address, true);
    }

    public long restoreEntry(byte[] key, int koff, int klen, EntryCopy copy) {
        if (copy.object() != null) {
            return putObject(key, koff, klen, copy.type(), copy.object(), copy.expireAt() < 0 ? NO_EXPIRE : copy.expireAt());
        }
        return restoreEntry(key, koff, klen, copy.type(), copy.value(), copy.expireAt());
    }

    // ------------------------------------------------------------------ collections

    private static int handle(MemorySegment page, long o) {
        return page.get(ValueLayout.JAVA_INT_UNALIGNED, Entry.valueOffset(page, o));
    }

    /** Whether the entry's value is a large value (an object behind a handle). */
    public boolean isObject(long address) {
        return (Entry.flags(page(address), offset(address)) & Entry.HANDLE) != 0;
    }

    /** The large value of an entry that {@link #isObject}. */
    public Object object(long address) {
        MemorySegment page = page(address);
        return shard.objects.get(handle(page, offset(address)));
    }

    /**
     * Stores a large value under a key, creating or replacing it; the shard keeps the object and
     * the entry holds its handle.
     */
    public long putObject(byte[] key, int koff, int klen, int type, Object value, long expireAt) {
        int h = shard.objects.add(value);
        long address = allocateValue(key, koff, klen, type | Entry.HANDLE, 4, expireAt);
        page(address).set(ValueLayout.JAVA_INT_UNALIGNED, valueOffset(address), h);
        return address;
    }

    /** Stores a value in its compact encoding (bytes in the entry), creating or replacing the key. */
    public long putCompact(byte[] key, int koff, int klen, int type, byte[] value, int off, int len, long expireAt) {
        long address = allocateValue(key, koff, klen, type, len, expireAt);
        MemorySegment.copy(value, off, page(address), ValueLayout.JAVA_BYTE, valueOffset(address), len);
        return address;
    }

    /**
     * Announces that the large value at {@code address} (just found for {@code key}) is about to
     * change in place: a snapshot takes the bucket first, watchers learn of it, the change counts.
     */
    public void beforeChange(byte[] key, int koff, int klen, long address) {
        shard.dirty++;
        shard.keyModified(this, address);
        MemorySegment page = page(address);
        long o = offset(address);
        if ((Entry.flags(page, o) & Entry.HANDLE) != 0) {
            shard.touchObject(page.get(ValueLayout.JAVA_INT_UNALIGNED, Entry.valueOffset(page, o)));
        }
        table.find(key, koff, klen, hash(key, koff, klen));
        table.touchFound();
    }

    /** MEMORY USAGE: the entry's chunk, its table slot and any large value it refers to. */
    public long memoryUsage(long address) {
        long m = shard.slab.capacity(address) + 8;
        if (isObject(address) && object(address) instanceof LargeValue lv) {
            m += lv.memory();
        }
        return m;
    }

    /**
     * RESTORE's IDLETIME or FREQ: dates the key's last access {@code idleSeconds} back (LRU
     * policies), or sets its LFU counter; -1 leaves that part alone.
     */
    public void setAccessFrom(long address, long idleSeconds, int freq) {
        MemorySegment page = page(address);
        long o = offset(address);
        if (shard.lfu && freq >= 0) {
            Entry.setAccess(page, o, (shard.lfuMinutes() << 8) | freq);
        } else if (!shard.lfu && idleSeconds >= 0) {
            long clock = shard.lruClock & 0xFFFFFF;
            long at = clock - Math.min(idleSeconds, 0xFFFFFF);
            Entry.setAccess(page, o, (int) (at < 0 ? at + 0xFFFFFF : at));
        }
    }

    /** OBJECT IDLETIME: seconds since the key was last accessed. */
    public long idleSeconds(long address) {
        return shard.idleSeconds(Entry.access(page(address), offset(address)));
    }

    /** OBJECT FREQ: the key's LFU counter, decayed to now. */
    public int frequency(long address) {
        return shard.lfuDecayed(Entry.access(page(address), offset(address)));
    }

    /** Whether the string was edited in place (OBJECT ENCODING reports raw). */
    public boolean isRaw(long address) {
        return (Entry.flags(page(address), offset(address)) & Entry.RAW) != 0;
    }

    /** Inserts an entry from its parts (a value moved from another shard or database). */
    public long restoreEntry(byte[] key, int koff, int klen, int type, byte[] value, long expireAt) {
        long address = allocateValue(key, koff, klen, type, value.length, expireAt < 0 ? NO_EXPIRE : expireAt);
        MemorySegment.copy(value, 0, page(address), ValueLayout.JAVA_BYTE, valueOffset(address), value.length);
        return address;
    }

    /** Removes every key of this database. */
    public void flush() {
        shard.dirty += table.size();
        shard.flushing(this);
        table.clear(shard::release);
    }
}
