package io.damselfly.engine.exec;

import io.damselfly.engine.command.Request;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;

/**
 * One worker's blocked clients, in two roles. As a shard: who waits on which of its keys, in
 * blocking order, and which of those keys filled since the last command (served after it, in
 * the order they filled, as Redis does). As a home: the deadlines of its own clients that wait,
 * so the proactor sleeps exactly until the next one. Owner thread only.
 */
final class Blocking {
    private final HashMap<LockTable.Key, ArrayList<Waiter>> waiting = new HashMap<>();
    private final LinkedHashSet<LockTable.Key> ready = new LinkedHashSet<>();
    private final ArrayList<Waiter> timed = new ArrayList<>();
    /** No tracked deadline is earlier (it may be later: untracking does not raise it). */
    private long earliest = Long.MAX_VALUE;
    private int registered;

    // ------------------------------------------------------------------ shard side

    boolean anyWaiting() {
        return registered > 0;
    }

    /** Queues the waiter on each of the given keys (argument indices of its request) once. */
    void register(Waiter w, Request r, int[] keyArgs, int n) {
        for (int k = 0; k < n; k++) {
            int a = keyArgs[k];
            LockTable.Key key = new LockTable.Key(w.db, r.buf(), r.off(a), r.len(a));
            ArrayList<Waiter> q = waiting.computeIfAbsent(key, x -> new ArrayList<>());
            if (!q.contains(w)) {
                int at = q.size();
                while (at > 0 && before(w, q.get(at - 1))) {
                    at--;
                }
                q.add(at, w);
                registered++;
            }
        }
    }

    /**
     * Whether {@code a} stands before {@code b} in line: the one dispatched first at its home,
     * except that homes poll their sockets at different moments, so two commands dispatched
     * within {@link #SAME_MOMENT_NS} of each other cannot be told apart by time; the older
     * connection goes first then (clients that block together are usually opened in order).
     * The window covers how far one proactor's reading can lag another's on a loaded machine:
     * with two cores shared by two proactors, the JIT and the clients, a proactor waits for a
     * core for 2-3 ms at times (measured with the BRPOPLPUSH ordering stress, where a 2 ms
     * window misordered one round in a few hundred).
     */
    static boolean before(Waiter a, Waiter b) {
        long d = a.stamp - b.stamp;
        if (Math.abs(d) < SAME_MOMENT_NS) {
            return a.client.id() < b.client.id();
        }
        return d < 0;
    }

    static final long SAME_MOMENT_NS = 10_000_000;

    /** Drops the waiter from every queue of this shard (it timed out, left, or was served). */
    void unregister(Waiter w) {
        Iterator<ArrayList<Waiter>> it = waiting.values().iterator();
        while (it.hasNext()) {
            ArrayList<Waiter> q = it.next();
            if (q.remove(w)) {
                registered--;
            }
            if (q.isEmpty()) {
                it.remove();
            }
        }
    }

    /** Whether anyone waits on the key; the listener asks before it builds one. */
    boolean isWaitedOn(LockTable.Key key) {
        return waiting.containsKey(key);
    }

    /** The key was created (or replaced) with a value someone may be waiting for; true if someone does. */
    boolean signal(LockTable.Key key) {
        if (!waiting.containsKey(key)) {
            return false;
        }
        ready.add(key);
        return true;
    }

    /** The key appeared: served through the usual wait even if nobody is registered on it yet. */
    void signalAlways(LockTable.Key key) {
        ready.add(key);
    }

    /** Every waited-on key of a database, for SWAPDB (the caller checks which exist). */
    List<LockTable.Key> keysOf(int db) {
        List<LockTable.Key> out = new ArrayList<>();
        for (LockTable.Key k : waiting.keySet()) {
            if (k.db == db) {
                out.add(k);
            }
        }
        return out;
    }

    void forEachReady(java.util.function.Consumer<LockTable.Key> action) {
        ready.forEach(action);
    }

    boolean hasReady() {
        return !ready.isEmpty();
    }

    /** Takes the key that filled first. */
    LockTable.Key nextReady() {
        Iterator<LockTable.Key> it = ready.iterator();
        LockTable.Key k = it.next();
        it.remove();
        return k;
    }

    /** The first waiter still waiting on the key (stale ones are dropped), or null. */
    Waiter first(LockTable.Key key) {
        ArrayList<Waiter> q = waiting.get(key);
        while (q != null && !q.isEmpty()) {
            Waiter w = q.get(0);
            if (w.waiting()) {
                return w;
            }
            q.remove(0);
            registered--;
        }
        if (q != null) {
            waiting.remove(key);
        }
        return null;
    }

    // ------------------------------------------------------------------ home side

    void track(Waiter w) {
        timed.add(w);
        if (w.deadline != 0 && w.deadline < earliest) {
            earliest = w.deadline;
        }
    }

    /** Forgets a waiter's deadline; false if it was not tracked (already expired). */
    boolean untrackIfPresent(Waiter w) {
        return timed.remove(w);
    }

    int blockedClients() {
        return timed.size();
    }

    /** The earliest deadline of this home's waiting clients, or Long.MAX_VALUE. */
    long nextDeadline() {
        return earliest;
    }

    /** Removes and returns the waiters whose deadline has passed. */
    List<Waiter> expired(long nowMs) {
        if (nowMs < earliest) {
            return List.of();
        }
        List<Waiter> out = null;
        long next = Long.MAX_VALUE;
        for (int i = 0; i < timed.size(); ) {
            Waiter w = timed.get(i);
            if (w.deadline != 0 && w.deadline <= nowMs) {
                if (out == null) {
                    out = new ArrayList<>();
                }
                out.add(w);
                timed.set(i, timed.get(timed.size() - 1));
                timed.remove(timed.size() - 1);
            } else {
                if (w.deadline != 0 && w.deadline < next) {
                    next = w.deadline;
                }
                i++;
            }
        }
        earliest = next;
        return out == null ? List.of() : out;
    }
}
