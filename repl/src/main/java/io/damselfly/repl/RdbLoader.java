package io.damselfly.repl;

import io.damselfly.engine.command.Request;
import io.damselfly.engine.exec.Engine;
import io.damselfly.engine.shard.Keyspace;
import io.damselfly.repl.rdb.RdbException;
import io.damselfly.repl.rdb.RdbIn;
import io.damselfly.repl.rdb.KeyWrites;
import io.damselfly.repl.rdb.RdbReader;

import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Loads an RDB stream into the shards. The file is parsed on the calling thread through one
 * bounded buffer; each key becomes the writes that build it (see {@link KeyWrites}), gathered per shard and posted to that
 * shard's thread in batches, so the shards build their values in parallel while the parser
 * goes on. Each shard has at most {@link #IN_FLIGHT} batches on their way: memory during a
 * load is the dataset plus the parser's buffer and those batches.
 */
public final class RdbLoader {
    static final int BATCH_BYTES = 128 * 1024;
    static final int IN_FLIGHT = 2;


    /** What a load found. */
    public record Result(long keysLoaded, long keysExpired, Map<String, String> aux, long bytes) {
    }

    private final Engine engine;
    private final boolean skipExpired;
    private final long now;
    private final Batch[] batches;
    private final Semaphore[] permits;
    private final AtomicReference<String> applyError = new AtomicReference<>();
    private final Map<String, String> aux = new LinkedHashMap<>();
    private long loaded;
    private long expired;

    /** Where a shard's keys go: its live databases, or shadow ones (see {@link #load(Engine, RdbIn, boolean, Target)}). */
    public interface Target {
        Keyspace db(io.damselfly.engine.exec.Worker w, int db);
    }

    private static final Target LIVE = (w, db) -> w.shard().db(db);
    private final Target target;

    private RdbLoader(Engine engine, boolean skipExpired, Target target) {
        this.engine = engine;
        this.target = target;
        this.skipExpired = skipExpired;
        this.now = System.currentTimeMillis();
        int n = engine.shards();
        this.batches = new Batch[n];
        this.permits = new Semaphore[n];
        for (int i = 0; i < n; i++) {
            batches[i] = new Batch();
            permits[i] = new Semaphore(IN_FLIGHT);
        }
    }

    /**
     * Loads {@code in} into an engine whose databases are empty; a master skips keys whose
     * deadline has passed, as Redis does. Throws with the offset on a corrupt or truncated
     * stream; the caller then discards what was loaded.
     */
    public static Result load(Engine engine, InputStream in, boolean skipExpired) throws IOException {
        return load(engine, new RdbIn(in, 64 * 1024), skipExpired);
    }

    /** The same, from a reader the caller keeps (a link reads on after the RDB). */
    public static Result load(Engine engine, RdbIn rin, boolean skipExpired) throws IOException {
        return load(engine, rin, skipExpired, LIVE);
    }

    /** The same, into the databases {@code target} names on each shard. */
    public static Result load(Engine engine, RdbIn rin, boolean skipExpired, Target target) throws IOException {
        RdbLoader l = new RdbLoader(engine, skipExpired, target);
        try {
            RdbReader.read(rin, l.new Keys(engine.settings().databases.number()));
        } finally {
            l.drain();
        }
        String error = l.applyError.get();
        if (error != null) {
            throw new RdbException(rin.offset(), "a key could not be built: " + error);
        }
        return new Result(l.loaded, l.expired, l.aux, rin.offset());
    }

    /** A shard's writes gathered for one hop. */
    private static final class Batch {
        /** A write ({@link Request}) or a plain string to store ({@link StringKey}). */
        List<Object> items = new ArrayList<>();
        List<Integer> dbs = new ArrayList<>();
        long bytes;
    }

    /**
     * A string key goes straight into the keyspace (the bulk of most dumps): no command
     * dispatch, and its deadline in the same step.
     */
    private record StringKey(byte[] key, byte[] value, long expireAt) {
    }

    private void add(int shard, int db, Object r, long size) throws IOException {
        Batch b = batches[shard];
        b.items.add(r);
        b.dbs.add(db);
        b.bytes += size;
        if (b.bytes >= BATCH_BYTES) {
            send(shard);
        }
    }

    private void send(int shard) throws IOException {
        Batch b = batches[shard];
        if (b.items.isEmpty()) {
            return;
        }
        batches[shard] = new Batch();
        try {
            permits[shard].acquire();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while loading");
        }
        engine.post(shard, w -> {
            try {
                for (int i = 0; i < b.items.size(); i++) {
                    Object item = b.items.get(i);
                    if (item instanceof StringKey s) {
                        target.db(w, b.dbs.get(i)).putString(s.key, 0, s.key.length, s.value, 0, s.value.length,
                                s.expireAt >= 0 ? s.expireAt : Keyspace.NO_EXPIRE);
                        continue;
                    }
                    String error = w.applyLocal(target.db(w, b.dbs.get(i)), (Request) item);
                    if (error != null) {
                        applyError.compareAndSet(null, error);
                    }
                }
            } finally {
                permits[shard].release();
            }
        });
    }

    /** Sends what is left and waits until every shard has applied everything. */
    private void drain() throws IOException {
        for (int s = 0; s < batches.length; s++) {
            send(s);
        }
        for (Semaphore p : permits) {
            p.acquireUninterruptibly(IN_FLIGHT);
            p.release(IN_FLIGHT);
        }
    }

    /** Routes each key's writes to its shard's batch. */
    private final class Keys implements RdbReader.Handler {
        private final long databases;
        private int db;
        private int shard;
        private final KeyWrites writes = new KeyWrites((r, size) -> add(shard, db, r, size));
        private long expireAt;
        private boolean skipping;

        Keys(long databases) {
            this.databases = databases;
        }

        @Override
        public void aux(String k, String v) {
            aux.put(k, v);
        }

        @Override
        public void resizeDb(int db, long size, long expires) {
            if (db < 0 || db >= databases || size <= 0) {
                return;
            }
            long perShard = size / engine.shards() + 1;
            for (int s = 0; s < engine.shards(); s++) {
                engine.post(s, w -> {
                    if (target.db(w, db).size() == 0) {
                        target.db(w, db).table().reserve(perShard);
                    }
                });
            }
        }

        @Override
        public RdbReader.Elements key(int db, byte[] key, int kind, long expireAt) throws IOException {
            if (db < 0 || db >= databases) {
                throw new IOException("the dump has keys in database " + db + " but the server has " + databases
                        + " databases (set 'databases' higher)");
            }
            if (skipExpired && expireAt >= 0 && expireAt < now) {
                expired++;
                skipping = true;
                return RdbReader.DISCARD;
            }
            skipping = false;
            this.db = db;
            this.shard = engine.shardOf(key, 0, key.length);
            this.expireAt = expireAt;
            if (kind == RdbReader.STRING) {
                stringKey = key;
                return string;
            }
            stringKey = null;
            return writes.begin(key, kind);
        }

        private byte[] stringKey;
        private final RdbReader.Elements string = new RdbReader.Elements() {
            public void string(byte[] value) throws IOException {
                add(shard, db, new StringKey(stringKey, value, expireAt), stringKey.length + value.length + 48);
            }

            public void element(byte[] e) {
                throw new IllegalStateException("a string has no elements");
            }

            public void pair(byte[] f, byte[] v) {
                throw new IllegalStateException("a string has no elements");
            }

            public void member(byte[] m, double s) {
                throw new IllegalStateException("a string has no elements");
            }
        };

        @Override
        public void endKey() throws IOException {
            if (!skipping) {
                if (stringKey == null) {
                    writes.end(expireAt);
                }
                loaded++;
            }
        }
    }
}
