package io.damselfly.engine.shard;

import io.damselfly.engine.journal.Journal;
import io.damselfly.engine.keyspace.KeyTable;
import io.damselfly.engine.keyspace.Versions;
import io.damselfly.engine.memory.Slab;

import java.lang.foreign.MemorySegment;

/**
 * One shard: the keys of the slots it owns, in every logical database, with their memory, the
 * bucket version clock, the journal and the statistics. Only its owning thread touches it.
 */
public final class Shard {
    private final int index;
    final Slab slab = new Slab();
    final Versions versions = new Versions();
    final Journal journal = new Journal();
    final ObjectTable objects = new ObjectTable();
    final long hashSeed;
    private final Keyspace[] dbs;

    /** Unix time in ms and LRU clock in seconds, refreshed by the owner before running commands. */
    long now;
    int lruClock;
    /** With an LFU maxmemory-policy the access field counts accesses instead of dating them. */
    boolean lfu;
    int lfuLogFactor = 10;
    int lfuDecayTime = 1;
    /** A replica does not expire keys itself; it waits for its master's DEL. */
    boolean replicaMode;

    long dirty;
    long expiredKeys;
    long keyspaceHits;
    long keyspaceMisses;
    long expireCycleSampled;
    long expireCycleExpired;

    private int expireDb;
    private int expireCursor;
    private final long[] expireCounts = new long[2];
    private ModificationListener listener;

    /**
     * Told about key changes, on the shard's thread, while the entry can still be read: the
     * worker wakes clients blocked on a key that appears and invalidates WATCHes.
     */
    public interface ModificationListener {
        /** A key is about to change or go. */
        void modified(Keyspace db, long address);

        /** A key was created, or its value replaced by a new one. */
        void added(Keyspace db, long address);

        /** A key that did not exist was created (keyspace event "new"); follows {@link #added}. */
        void created(Keyspace db, long address);

        /** A key is about to be deleted because its deadline passed (keyspace event "expired"). */
        void expired(Keyspace db, long address);

        /** A key is about to be deleted to free memory under maxmemory (keyspace event "evicted"). */
        default void evicted(Keyspace db, long address) {
        }

        /** A database is about to be emptied. */
        void flushing(Keyspace db);

        /** Two databases were swapped. */
        void swapped(Keyspace a, Keyspace b);
    }

    public Shard(int index, int databases, long hashSeed) {
        this.index = index;
        this.hashSeed = hashSeed;
        this.dbs = new Keyspace[databases];
        this.evictionCursors = new int[databases];
        for (int i = 0; i < databases; i++) {
            dbs[i] = new Keyspace(this, i, null);
        }
    }

    /**
     * Builds the tables, on the thread that will own the shard: their memory comes from confined
     * arenas, so from then on only that thread may touch them (the JVM enforces it).
     */
    public void start() {
        if (dbs[0].table == null) {
            for (Keyspace db : dbs) {
                db.table = new KeyTable(slab, versions, hashSeed);
            }
        }
    }

    public int index() {
        return index;
    }

    public int databases() {
        return dbs.length;
    }

    public Keyspace db(int i) {
        return dbs[i];
    }

    public Journal journal() {
        return journal;
    }

    public Versions versions() {
        return versions;
    }

    public Slab slab() {
        return slab;
    }

    public long now() {
        return now;
    }

    /** Sets the clock commands see: unix ms. */
    public void clock(long nowMs) {
        this.now = nowMs;
        this.lruClock = (int) (nowMs / 1000);
    }

    public int lruClock() {
        return lruClock;
    }

    /** Switches the meaning of the access field (maxmemory-policy), and the LFU parameters. */
    public void accessPolicy(boolean lfu, int logFactor, int decayTime) {
        this.lfu = lfu;
        this.lfuLogFactor = logFactor;
        this.lfuDecayTime = decayTime;
    }

    /** The access field of a fresh key: the LRU clock, or LFU's "now" with the initial counter. */
    int freshAccess() {
        return lfu ? (lfuMinutes() << 8) | io.damselfly.engine.keyspace.Entry.LFU_INIT : lruClock & 0xFFFFFF;
    }

    int lfuMinutes() {
        return (int) ((now / 60_000) & 0xFFFF);
    }

    /** The access field after one more access. */
    int accessed(int access) {
        if (!lfu) {
            return lruClock & 0xFFFFFF;
        }
        int counter = lfuDecayed(access);
        if (counter < 255) {
            double r = java.util.concurrent.ThreadLocalRandom.current().nextDouble();
            double base = Math.max(0, counter - io.damselfly.engine.keyspace.Entry.LFU_INIT);
            if (r < 1.0 / (base * lfuLogFactor + 1)) {
                counter++;
            }
        }
        return (lfuMinutes() << 8) | counter;
    }

    /** The LFU counter of an access field, decayed by the minutes since it was last touched. */
    public int lfuDecayed(int access) {
        int last = access >>> 8;
        int counter = access & 0xFF;
        int nowMin = lfuMinutes();
        int elapsed = nowMin >= last ? nowMin - last : 65535 - last + nowMin;
        int periods = lfuDecayTime > 0 ? elapsed / lfuDecayTime : 0;
        return periods > counter ? 0 : counter - periods;
    }

    /** Seconds since an LRU access field was stamped. */
    public long idleSeconds(int access) {
        int clock = lruClock & 0xFFFFFF;
        return clock >= access ? clock - access : (0xFFFFFF - access) + clock;
    }

    public boolean isReplica() {
        return replicaMode;
    }

    public void replicaMode(boolean on) {
        this.replicaMode = on;
    }

    /** Clients are paused (CLIENT PAUSE, FAILOVER, REPLTAKEOVER): keys past their deadline are not deleted meanwhile. */
    boolean expiryHeld;

    public void holdExpiry(boolean on) {
        this.expiryHeld = on;
    }

    /**
     * A read-only command runs: where keys past their deadline are kept (a replica, a pause), it
     * does not see them, as a reader of Redis does not; a write and a replica's stream do.
     */
    boolean reading;

    /** Marks the start ({@code true}) and the end of a read-only command; returns the mark before. */
    public boolean reading(boolean on) {
        boolean was = reading;
        reading = on;
        return was;
    }

    public void listener(ModificationListener listener) {
        this.listener = listener;
    }

    /** Tags the journal records that follow as parts of a multi-shard operation (txid 0 ends it). */
    public void journalTransaction(long txid, int parts, int hop) {
        journal.transaction(txid, parts, hop);
    }

    /** {@link #journalTransaction} of an operation journaled loose (see {@code JournalSink#appendLoose}). */
    public void journalLooseTransaction(long txid, int parts, int hop) {
        journal.looseTransaction(txid, parts, hop);
    }

    void keyModified(Keyspace db, long address) {
        if (listener != null) {
            listener.modified(db, address);
        }
    }

    void keyCreated(Keyspace db, long address) {
        if (listener != null) {
            listener.created(db, address);
        }
    }

    void keyExpired(Keyspace db, long address) {
        if (listener != null) {
            listener.expired(db, address);
        }
    }

    void keyEvicted(Keyspace db, long address) {
        if (listener != null) {
            listener.evicted(db, address);
        }
    }

    void keyAdded(Keyspace db, long address) {
        if (listener != null) {
            listener.added(db, address);
        }
    }

    void flushing(Keyspace db) {
        if (listener != null) {
            listener.flushing(db);
        }
    }

    void release(long address) {
        MemorySegment page = slab.page(address);
        long o = address & io.damselfly.engine.memory.Slab.OFFSET_MASK;
        if ((io.damselfly.engine.keyspace.Entry.flags(page, o) & io.damselfly.engine.keyspace.Entry.HANDLE) != 0) {
            objects.remove(page.get(java.lang.foreign.ValueLayout.JAVA_INT_UNALIGNED,
                    io.damselfly.engine.keyspace.Entry.valueOffset(page, o)));
        }
        slab.free(address);
    }

    // ------------------------------------------------------------------ memory and eviction

    /** Handles of large values about to change in place, measured again once the command ran. */
    private int[] touchedObjects = new int[16];
    private int touchedCount;
    long evictedKeys;
    private final java.util.SplittableRandom evictionRandom = new java.util.SplittableRandom();
    /** Per database: where the next volatile sample starts (an expiring scan's cursor). */
    private final int[] evictionCursors;

    void touchObject(int handle) {
        if (touchedCount == touchedObjects.length) {
            // a command touching this many values: the ones before the last have changed already
            int last = touchedObjects[touchedCount - 1];
            touchedCount--;
            reaccountTouched();
            touchedObjects[touchedCount++] = last;
        }
        touchedObjects[touchedCount++] = handle;
    }

    /** Whether large values changed since the last {@link #reaccountTouched}. */
    public boolean hasTouchedObjects() {
        return touchedCount > 0;
    }

    /** After a command: the large values it changed in place count their new size. */
    public void reaccountTouched() {
        for (int i = 0; i < touchedCount; i++) {
            objects.reaccount(touchedObjects[i]);
        }
        touchedCount = 0;
    }

    /**
     * The bytes this shard's data holds, as maxmemory counts them: every slab chunk in use (keys,
     * values, compact collections, the tables' segments) and the estimate of its large values.
     */
    public long datasetBytes() {
        return slab.usedBytes() + objects.bytes();
    }

    public long evictedKeys() {
        return evictedKeys;
    }

    /** maxmemory-policy, as numbers. */
    public static final int EVICT_NONE = 0;
    public static final int EVICT_LRU = 1;
    public static final int EVICT_LFU = 2;
    public static final int EVICT_RANDOM = 3;
    public static final int EVICT_TTL = 4;

    /**
     * Deletes keys chosen by the policy until the data takes at most {@code limit} bytes, at
     * most {@code maxKeys} of them. Each round samples {@code samples} keys of every database
     * that has candidates (only keys with a deadline when {@code volatileOnly}) and deletes the
     * best by the policy: the longest idle (LRU), the least used (LFU), the nearest deadline
     * (TTL), or any (random), as Redis approximates it. Returns false when the data is still
     * over the limit and no key could be chosen (nothing volatile under a volatile policy).
     */
    public boolean evict(long limit, int policy, boolean volatileOnly, int samples, int maxKeys) {
        for (int n = 0; n < maxKeys && datasetBytes() > limit; n++) {
            if (!evictOne(policy, volatileOnly, samples)) {
                return false;
            }
        }
        return true;
    }

    // one round's sampling state, read by the one visitor (no lambda per round)
    private Keyspace sampleDb;
    private int samplePolicy;
    private int sampleLimit;
    private int sampled;
    private Keyspace bestDb;
    private long bestSegment;
    private int bestIndex;
    private long bestAddress;
    private long bestScore;
    private final KeyTable.SlotVisitor sampler = (seg, idx, slot) -> {
        if (sampled >= sampleLimit) {
            return; // an expiring scan visits a whole segment
        }
        sampled++;
        long address = KeyTable.address(slot);
        long score = score(address, samplePolicy);
        if (score > bestScore) {
            bestScore = score;
            bestDb = sampleDb;
            bestSegment = seg;
            bestIndex = idx;
            bestAddress = address;
        }
    };

    private boolean evictOne(int policy, boolean volatileOnly, int samples) {
        bestDb = null;
        bestScore = Long.MIN_VALUE;
        samplePolicy = policy;
        sampleLimit = samples;
        for (Keyspace db : dbs) {
            if (db.size() == 0 || volatileOnly && db.expiringCount() == 0) {
                continue;
            }
            sampleDb = db;
            sampled = 0;
            int i = db.id();
            if (volatileOnly) {
                // from the cursor to the end, then once more from the start if that held none
                for (int pass = 0; pass < 2 && sampled == 0; pass++) {
                    evictionCursors[i] = db.table.expiringScan(evictionCursors[i], samples, sampler);
                }
            } else {
                for (int k = 0; k < samples; k++) {
                    db.table.randomSlot(evictionRandom.nextLong(), sampler); // one slot per call
                }
            }
        }
        if (bestDb == null) {
            return false;
        }
        bestDb.evictAt(bestSegment, bestIndex, bestAddress);
        return true;
    }

    /** Higher is evicted first. */
    private long score(long address, int policy) {
        MemorySegment page = slab.page(address);
        long o = address & io.damselfly.engine.memory.Slab.OFFSET_MASK;
        return switch (policy) {
            case EVICT_LRU -> idleSeconds(io.damselfly.engine.keyspace.Entry.access(page, o));
            case EVICT_LFU -> 255 - lfuDecayed(io.damselfly.engine.keyspace.Entry.access(page, o));
            case EVICT_TTL -> io.damselfly.engine.keyspace.Entry.expires(page, o)
                    ? -io.damselfly.engine.keyspace.Entry.expireAt(page, o) : Long.MIN_VALUE + 1;
            default -> 0;
        };
    }

    public long keyCount() {
        long n = 0;
        for (Keyspace db : dbs) {
            n += db.size();
        }
        return n;
    }

    /**
     * Empty databases beside the live ones, for a full sync that keeps serving the old dataset
     * until the new one is complete (repl-diskless-load swapdb). Same slab: memory is counted
     * once; the old entries are freed one by one when the new ones take over.
     */
    public Keyspace[] shadowDatabases() {
        Keyspace[] shadow = new Keyspace[dbs.length];
        for (int i = 0; i < dbs.length; i++) {
            shadow[i] = new Keyspace(this, i, new KeyTable(slab, versions, hashSeed));
        }
        return shadow;
    }

    /** The shadow databases become the live ones; the old contents are freed. */
    public void adoptShadow(Keyspace[] shadow) {
        for (int i = 0; i < dbs.length; i++) {
            KeyTable old = dbs[i].table;
            flushing(dbs[i]); // WATCHes of the old contents fire
            dbs[i].table = shadow[i].table;
            shadow[i].table = old;
            old.snapshotAll(); // a snapshot in progress takes what it has not written yet
            shadow[i].table.clear(this::release);
        }
        dirty++;
    }

    /** Frees shadow databases that will not be used (a full sync that failed). */
    public void dropShadow(Keyspace[] shadow) {
        for (Keyspace k : shadow) {
            k.table.clear(this::release);
        }
    }

    /**
     * Swaps the contents of two databases (SWAPDB), on this shard. During a snapshot both
     * tables first give it every bucket it has not written yet: a native flow carries its
     * shard's entries after the journal records made before them, and a replica applies an
     * entry of a swapped database that came after the SWAPDB record before or after its own
     * SWAPDB (which waits for every flow's part), so no such entry may come after it.
     */
    public void swap(int a, int b) {
        dbs[a].table.snapshotAll();
        dbs[b].table.snapshotAll();
        KeyTable t = dbs[a].table;
        dbs[a].table = dbs[b].table;
        dbs[b].table = t;
        dirty++;
        if (listener != null) {
            listener.swapped(dbs[a], dbs[b]);
        }
    }

    /** Removes every key in every database and returns all memory. */
    public void flushAll() {
        for (Keyspace db : dbs) {
            dirty += db.size();
            flushing(db);
        }
        for (Keyspace db : dbs) {
            db.table.snapshotAll(); // a snapshot in progress takes what it has not written yet
        }
        slab.clear();
        objects.clear();
        for (Keyspace db : dbs) {
            db.table.clear(null); // fresh segments from the emptied slab
        }
    }

    /**
     * One slice of active expiry: samples keys with deadlines from a rotating cursor and deletes
     * the expired ones, up to {@code budget} samples. Returns how many keys it expired.
     */
    public long activeExpire(int budget) {
        long expired = 0;
        int databasesVisited = 0;
        while (budget > 0 && databasesVisited <= dbs.length) {
            Keyspace db = dbs[expireDb];
            if (db.expiringCount() == 0) {
                expireCursor = 0;
                expireDb = (expireDb + 1) % dbs.length;
                databasesVisited++;
                continue;
            }
            expireCounts[0] = 0;
            expireCounts[1] = 0;
            expireCursor = db.expireCycle(expireCursor, budget, expireCounts);
            budget -= (int) Math.max(1, expireCounts[0]);
            expired += expireCounts[1];
            expireCycleSampled += expireCounts[0];
            expireCycleExpired += expireCounts[1];
            if (expireCursor == 0) {
                expireDb = (expireDb + 1) % dbs.length;
                databasesVisited++;
            }
        }
        return expired;
    }

    public long dirty() {
        return dirty;
    }

    /** Counts changes beyond those the keyspace's own calls counted (a command that makes several). */
    public void addDirty(long n) {
        dirty += n;
    }

    public long expiredKeys() {
        return expiredKeys;
    }

    public long keyspaceHits() {
        return keyspaceHits;
    }

    public long keyspaceMisses() {
        return keyspaceMisses;
    }

    public void resetStats() {
        expiredKeys = 0;
        keyspaceHits = 0;
        keyspaceMisses = 0;
        expireCycleSampled = 0;
        expireCycleExpired = 0;
    }

    /** Bytes this shard holds: entries and table segments (class-rounded, in the slab). */
    public long usedMemory() {
        return datasetBytes();
    }

    /** Bytes of memory pages this shard took from the system. */
    public long reservedMemory() {
        return slab.reservedBytes();
    }

    /** Frees all memory; the shard is unusable afterwards. */
    public void close() {
        slab.clear();
    }
}
