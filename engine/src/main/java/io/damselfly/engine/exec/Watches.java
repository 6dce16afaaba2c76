package io.damselfly.engine.exec;

import io.damselfly.engine.shard.Keyspace;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * One shard's WATCH registry: which clients watch which of its keys. A write to a watched key
 * marks those clients' watches dirty, with Redis 7.0's rule for a key that had already expired
 * when it was watched (its removal is no change; a later write is). Owner thread only.
 */
final class Watches {
    /** One client's watch of one key. */
    static final class Entry {
        final Watch watch;
        boolean expiredAtWatch;

        Entry(Watch watch, boolean expiredAtWatch) {
            this.watch = watch;
            this.expiredAtWatch = expiredAtWatch;
        }
    }

    private final HashMap<LockTable.Key, ArrayList<Entry>> byKey = new HashMap<>();

    boolean isEmpty() {
        return byKey.isEmpty();
    }

    void add(LockTable.Key key, Watch w, boolean expiredAtWatch) {
        ArrayList<Entry> list = byKey.computeIfAbsent(key, k -> new ArrayList<>(2));
        for (Entry e : list) {
            if (e.watch == w) {
                return;
            }
        }
        list.add(new Entry(w, expiredAtWatch));
    }

    /** Forgets every entry of the watch. */
    void remove(Watch w) {
        Iterator<ArrayList<Entry>> it = byKey.values().iterator();
        while (it.hasNext()) {
            ArrayList<Entry> list = it.next();
            list.removeIf(e -> e.watch == w);
            if (list.isEmpty()) {
                it.remove();
            }
        }
    }

    /** The key changed, was created or went away. */
    void touched(LockTable.Key key) {
        List<Entry> list = byKey.get(key);
        if (list == null) {
            return;
        }
        for (Entry e : list) {
            if (e.expiredAtWatch) {
                e.expiredAtWatch = false; // removing a key that had already expired changes nothing
            } else {
                e.watch.dirty = true;
            }
        }
    }

    /** FLUSHDB or FLUSHALL of a database: watchers of keys that exist there are touched. */
    void flushing(Keyspace db) {
        for (Map.Entry<LockTable.Key, ArrayList<Entry>> m : byKey.entrySet()) {
            LockTable.Key k = m.getKey();
            if (k.db == db.id() && db.containsIgnoringExpiry(k.bytes, 0, k.bytes.length)) {
                for (Entry e : m.getValue()) {
                    if (e.expiredAtWatch) {
                        e.expiredAtWatch = false;
                    } else {
                        e.watch.dirty = true;
                    }
                }
            }
        }
    }

    /** SWAPDB: a watched key of either database is touched if it exists in either. */
    void swapped(Keyspace a, Keyspace b) {
        for (Map.Entry<LockTable.Key, ArrayList<Entry>> m : byKey.entrySet()) {
            LockTable.Key k = m.getKey();
            if (k.db != a.id() && k.db != b.id()) {
                continue;
            }
            if (a.containsIgnoringExpiry(k.bytes, 0, k.bytes.length) || b.containsIgnoringExpiry(k.bytes, 0, k.bytes.length)) {
                for (Entry e : m.getValue()) {
                    e.watch.dirty = true;
                }
            }
        }
    }

    /**
     * EXEC's check on this shard: a key of the watch that was live when watched and has expired
     * since (deleted or not) makes the transaction fail.
     */
    boolean expiredSince(Watch w, Worker worker) {
        for (Map.Entry<LockTable.Key, ArrayList<Entry>> m : byKey.entrySet()) {
            for (Entry e : m.getValue()) {
                if (e.watch == w && !e.expiredAtWatch) {
                    LockTable.Key k = m.getKey();
                    if (worker.shard().db(k.db).isLogicallyExpired(k.bytes, 0, k.bytes.length)) {
                        return true;
                    }
                }
            }
        }
        return false;
    }
}
