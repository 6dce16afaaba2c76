package io.damselfly.engine.exec;

import io.damselfly.engine.command.CommandContext;
import io.damselfly.engine.resp.Reply;

/**
 * What the engine's persistence commands need from the module that saves and loads the
 * dataset (repl's RDB persistence): SAVE, BGSAVE and DEBUG RELOAD run as one transaction over
 * every shard whose step is the snapshot's cut; DUMP and RESTORE encode and decode one value.
 * The engine knows neither the file format nor the snapshot machinery.
 */
public interface Persistence {
    int SAVE = 0;
    int BGSAVE = 1;
    int BGSAVE_SCHEDULE = 2;
    int RELOAD = 3;

    /**
     * On the coordinator, before the cut is scheduled: returns an error reply, or null. It may
     * decide there is nothing to cut (BGSAVE SCHEDULE behind a running save) and say so in
     * {@code tx.flag}.
     */
    String prepare(Tx tx, int kind);

    /** On every shard's thread, at the cut: the point in the transaction order the image shows. */
    void cut(Tx tx, Worker worker);

    /** On the coordinator after the cut: starts writing; true when the reply waits for the end. */
    boolean started(Tx tx);

    /**
     * On the coordinator, for an operation {@link #prepare} made no cut for ({@code tx.flag}):
     * true when its reply waits for work it handed elsewhere, which calls {@link Tx#resume()}.
     */
    default boolean elsewhere(Tx tx) {
        return false;
    }

    void reply(Tx tx, Reply reply);

    /** DUMP: the key's serialised value (Redis's payload), for the entry at {@code address}. */
    byte[] dump(CommandContext c, long address);

    /**
     * RESTORE's payload check and decoding: returns the commands that rebuild the value (as
     * requests for {@link Worker#applyLocal}), or throws {@link IllegalArgumentException} with
     * the error text.
     */
    java.util.List<io.damselfly.engine.command.Request> restore(byte[] key, byte[] payload);

    /** The INFO persistence section. */
    String info(long dirty);

    /** The unix ms of the last successful save (LASTSAVE). */
    long lastSaveMs();

    /** Redis 7.0's INFO persistence fields, in its order (no fork and no AOF: those stay at rest). */
    static String fields(boolean loading, long changes, boolean bgsave, long lastSaveMs, boolean lastBgsaveOk,
                         long lastBgsaveSeconds, long currentBgsaveSeconds, long saves, long loadExpired,
                         long loadLoaded) {
        return "loading:" + (loading ? 1 : 0) + "\r\n"
                + "async_loading:0\r\n"
                + "current_cow_peak:0\r\n"
                + "current_cow_size:0\r\n"
                + "current_cow_size_age:0\r\n"
                + "current_fork_perc:0.00\r\n"
                + "current_save_keys_processed:0\r\n"
                + "current_save_keys_total:0\r\n"
                + "rdb_changes_since_last_save:" + changes + "\r\n"
                + "rdb_bgsave_in_progress:" + (bgsave ? 1 : 0) + "\r\n"
                + "rdb_last_save_time:" + lastSaveMs / 1000 + "\r\n"
                + "rdb_last_bgsave_status:" + (lastBgsaveOk ? "ok" : "err") + "\r\n"
                + "rdb_last_bgsave_time_sec:" + lastBgsaveSeconds + "\r\n"
                + "rdb_current_bgsave_time_sec:" + currentBgsaveSeconds + "\r\n"
                + "rdb_saves:" + saves + "\r\n"
                + "rdb_last_cow_size:0\r\n"
                + "rdb_last_load_keys_expired:" + loadExpired + "\r\n"
                + "rdb_last_load_keys_loaded:" + loadLoaded + "\r\n"
                + "aof_enabled:0\r\n"
                + "aof_rewrite_in_progress:0\r\n"
                + "aof_rewrite_scheduled:0\r\n"
                + "aof_last_rewrite_time_sec:-1\r\n"
                + "aof_current_rewrite_time_sec:-1\r\n"
                + "aof_last_bgrewrite_status:ok\r\n"
                + "aof_rewrites:0\r\n"
                + "aof_rewrites_consecutive_failures:0\r\n"
                + "aof_last_write_status:ok\r\n"
                + "aof_last_cow_size:0\r\n"
                + "module_fork_in_progress:0\r\n"
                + "module_fork_last_cow_size:0\r\n";
    }
}
