package io.damselfly.engine.exec;

import java.util.Arrays;
import java.util.HashMap;

/**
 * A shard's intent locks: which keys scheduled multi-shard operations will read or write.
 * A single-shard command whose key is locked in a conflicting mode waits until the lock is
 * released; keys nobody locked run at once (no global lock). Shard thread only.
 */
final class LockTable {
    /** A locked key: database and bytes. */
    static final class Key {
        final int db;
        final byte[] bytes;
        final int hash;

        Key(int db, byte[] buf, int off, int len) {
            this(db, Arrays.copyOfRange(buf, off, off + len));
        }

        /** A key over these bytes (taken, not copied). */
        Key(int db, byte[] bytes) {
            this.db = db;
            this.bytes = bytes;
            this.hash = Arrays.hashCode(bytes) * 31 + db;
        }

        boolean matches(int db2, byte[] buf, int off, int len) {
            return db == db2 && Arrays.equals(bytes, 0, bytes.length, buf, off, off + len);
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Key k && k.db == db && Arrays.equals(k.bytes, bytes);
        }

        @Override
        public int hashCode() {
            return hash;
        }
    }

    /**
     * A key looked up in place, without copying it out of the request: a single-shard command
     * checks its keys against the locks while other operations hold some, on every request.
     * Its hash and equality match {@link Key}'s.
     */
    static final class Probe {
        int db;
        byte[] buf;
        int off;
        int len;
        int hash;

        Probe set(int db, byte[] buf, int off, int len) {
            this.db = db;
            this.buf = buf;
            this.off = off;
            this.len = len;
            int h = 1;
            for (int i = off, end = off + len; i < end; i++) {
                h = 31 * h + buf[i];
            }
            this.hash = h * 31 + db;
            return this;
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Key k && k.db == db && Arrays.equals(k.bytes, 0, k.bytes.length, buf, off, off + len);
        }

        @Override
        public int hashCode() {
            return hash;
        }
    }

    private final Probe probe = new Probe();

    /** [shared holders, exclusive holders] */
    private final HashMap<Key, int[]> keys = new HashMap<>();
    private int shardShared;
    private int shardExclusive;

    boolean isEmpty() {
        return keys.isEmpty() && hashedCount == 0 && shardShared == 0 && shardExclusive == 0;
    }

    // Locks by the key's 64-bit hash, for the many keys of a squashed pipeline (PipelineOp): no
    // object per key. Open addressing with linear probing, and deletion by shifting the entries
    // after a freed slot back (no tombstones, so the arrays are replaced only to grow). A slot
    // holds the hash and its shared and exclusive holders. Two keys with one hash share a lock:
    // a command may then wait for a key nobody locked, never run on one that is locked.
    private long[] hashes = new long[64];
    private int[] sharedHolders = new int[64];
    private int[] exclusiveHolders = new int[64];
    private int hashedCount;
    private static final long EMPTY = 0;

    /** The hash a key is locked by in {@link #lockHashed}; never {@link #EMPTY}. */
    static long lockHash(int db, byte[] buf, int off, int len) {
        long h = io.damselfly.engine.keyspace.Hashing.hash(buf, off, len, 0x9E3779B97F4A7C15L) + db * 0xC2B2AE3D27D4EB4FL;
        return h == EMPTY ? 1 : h;
    }

    private static int home(long h, int mask) {
        return (int) (h ^ (h >>> 32)) & mask;
    }

    void lockHashed(long h, boolean exclusive) {
        if ((hashedCount + 1) * 2 > hashes.length) {
            grow();
        }
        int mask = hashes.length - 1;
        for (int i = home(h, mask); ; i = (i + 1) & mask) {
            long v = hashes[i];
            if (v == h) {
                (exclusive ? exclusiveHolders : sharedHolders)[i]++;
                return;
            }
            if (v == EMPTY) {
                hashes[i] = h;
                sharedHolders[i] = exclusive ? 0 : 1;
                exclusiveHolders[i] = exclusive ? 1 : 0;
                hashedCount++;
                return;
            }
        }
    }

    void unlockHashed(long h, boolean exclusive) {
        int i = findHashed(h);
        (exclusive ? exclusiveHolders : sharedHolders)[i]--;
        if (sharedHolders[i] != 0 || exclusiveHolders[i] != 0) {
            return;
        }
        hashedCount--;
        int mask = hashes.length - 1;
        // shift back every later entry of the run whose home does not lie in (i, j]
        for (int j = (i + 1) & mask; hashes[j] != EMPTY; j = (j + 1) & mask) {
            int k = home(hashes[j], mask);
            boolean stays = i <= j ? (i < k && k <= j) : (i < k || k <= j);
            if (!stays) {
                hashes[i] = hashes[j];
                sharedHolders[i] = sharedHolders[j];
                exclusiveHolders[i] = exclusiveHolders[j];
                i = j;
            }
        }
        hashes[i] = EMPTY;
        sharedHolders[i] = 0;
        exclusiveHolders[i] = 0;
    }

    private int findHashed(long h) {
        int mask = hashes.length - 1;
        for (int i = home(h, mask); ; i = (i + 1) & mask) {
            long v = hashes[i];
            if (v == h) {
                return i;
            }
            if (v == EMPTY) {
                return -1;
            }
        }
    }

    private void grow() {
        long[] oldHashes = hashes;
        int[] oldShared = sharedHolders;
        int[] oldExclusive = exclusiveHolders;
        int size = oldHashes.length * 2;
        hashes = new long[size];
        sharedHolders = new int[size];
        exclusiveHolders = new int[size];
        int mask = size - 1;
        for (int j = 0; j < oldHashes.length; j++) {
            long h = oldHashes[j];
            if (h != EMPTY) {
                int i = home(h, mask);
                while (hashes[i] != EMPTY) {
                    i = (i + 1) & mask;
                }
                hashes[i] = h;
                sharedHolders[i] = oldShared[j];
                exclusiveHolders[i] = oldExclusive[j];
            }
        }
    }

    void lock(Key key, boolean exclusive) {
        int[] c = keys.computeIfAbsent(key, k -> new int[2]);
        c[exclusive ? 1 : 0]++;
    }

    void unlock(Key key, boolean exclusive) {
        int[] c = keys.get(key);
        c[exclusive ? 1 : 0]--;
        if (c[0] == 0 && c[1] == 0) {
            keys.remove(key);
        }
    }

    void lockShard(boolean exclusive) {
        if (exclusive) {
            shardExclusive++;
        } else {
            shardShared++;
        }
    }

    void unlockShard(boolean exclusive) {
        if (exclusive) {
            shardExclusive--;
        } else {
            shardShared--;
        }
    }

    /** Whether a command wanting the key in the given mode must wait. */
    boolean conflicts(int db, byte[] buf, int off, int len, boolean exclusive) {
        if (shardExclusive > 0 || (exclusive && shardShared > 0)) {
            return true;
        }
        if (hashedCount > 0) {
            int i = findHashed(lockHash(db, buf, off, len));
            if (i >= 0 && (exclusiveHolders[i] > 0 || (exclusive && sharedHolders[i] > 0))) {
                return true;
            }
        }
        if (keys.isEmpty()) {
            return false;
        }
        int[] c = keys.get(probe.set(db, buf, off, len));
        probe.buf = null;
        if (c == null) {
            return false;
        }
        return c[1] > 0 || (exclusive && c[0] > 0);
    }

    /** Whether any lock at all would make a keyless whole-shard command wait. */
    boolean shardBusy(boolean exclusive) {
        return shardExclusive > 0 || (exclusive && (shardShared > 0 || !keys.isEmpty() || hashedCount > 0));
    }
}
