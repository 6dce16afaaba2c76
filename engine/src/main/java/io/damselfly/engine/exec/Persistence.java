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
}
