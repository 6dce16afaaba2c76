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
        return keys.isEmpty() && shardShared == 0 && shardExclusive == 0;
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
        return shardExclusive > 0 || (exclusive && (shardShared > 0 || !keys.isEmpty()));
    }
}
