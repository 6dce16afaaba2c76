package io.damselfly.engine.command;

import io.damselfly.engine.journal.Journal;
import io.damselfly.engine.keyspace.Entry;
import io.damselfly.engine.resp.Numbers;
import io.damselfly.engine.resp.Reply;
import io.damselfly.engine.shard.Keyspace;
import io.damselfly.engine.types.HashValue;
import io.damselfly.engine.types.IntSet;
import io.damselfly.engine.types.Members;
import io.damselfly.engine.types.Pack;
import io.damselfly.engine.types.QuickList;
import io.damselfly.engine.types.SetValue;
import io.damselfly.engine.types.ZSetValue;

import java.util.ArrayList;
import java.util.List;

/**
 * Journals a key's whole content as commands: {@code DEL key}, then the type's own write in
 * batches ({@code SET}, {@code RPUSH}, {@code SADD}, {@code HSET}, {@code ZADD}), then
 * {@code PEXPIREAT} when it has a deadline. Multi-shard operations whose destination shard
 * cannot replay the command itself (a cross-shard SUNIONSTORE, RENAME or COPY of a collection)
 * journal their effect this way.
 */
final class Rebuild {
    /** Elements (or pairs) per journaled command, as Redis's AOF rewrite batches them. */
    static final int BATCH = 64;

    private static final byte[] DEL = Reply.ascii("DEL");
    private static final byte[] SET = Reply.ascii("SET");
    private static final byte[] RPUSH = Reply.ascii("RPUSH");
    private static final byte[] SADD = Reply.ascii("SADD");
    private static final byte[] HSET = Reply.ascii("HSET");
    private static final byte[] ZADD = Reply.ascii("ZADD");
    private static final byte[] PEXPIREAT = Reply.ascii("PEXPIREAT");

    private Rebuild() {
    }

    /** Journals {@code DEL key} (a key that a write removed without running DEL). */
    static void journalDel(CommandContext c, Keyspace db, byte[] key) {
        Journal j = c.journalIfEnabled();
        if (j != null) {
            j.begin(db.id(), 2).arg(DEL).arg(key, 0, key.length).end();
        }
    }

    /** Journals the key's current content in {@code db} (just {@code DEL} when it is missing). */
    static void journal(CommandContext c, Keyspace db, byte[] key, int koff, int klen) {
        Journal j = c.journalIfEnabled();
        if (j == null) {
            return;
        }
        j.begin(db.id(), 2).arg(DEL).arg(key, koff, klen).end();
        long a = db.lookup(key, koff, klen);
        if (a == 0) {
            return;
        }
        List<byte[]> words = new ArrayList<>();
        byte[] command;
        int group;
        switch (db.type(a)) {
            case Entry.TYPE_STRING -> {
                command = SET;
                group = 1;
                words.add(db.copyValue(a));
            }
            case Entry.TYPE_LIST -> {
                command = RPUSH;
                group = 1;
                ((QuickList) db.object(a)).forEach(0, (b, o, l) -> words.add(java.util.Arrays.copyOfRange(b, o, o + l)));
            }
            case Entry.TYPE_SET -> {
                command = SADD;
                group = 1;
                if (db.isObject(a)) {
                    ((SetValue) db.object(a)).map.forEach(n -> words.add(n.key));
                } else {
                    for (long v : IntSet.values(db.page(a), db.valueOffset(a))) {
                        words.add(Numbers.toBytes(v));
                    }
                }
            }
            case Entry.TYPE_HASH -> {
                command = HSET;
                group = 2;
                if (db.isObject(a)) {
                    ((HashValue) db.object(a)).map.forEach(n -> {
                        words.add(n.key);
                        words.add((byte[]) n.value);
                    });
                } else {
                    Pack.Cursor cur = new Pack.Cursor().of(db.page(a), db.valueOffset(a), db.valueLength(a));
                    while (cur.next()) {
                        words.add(cur.element());
                    }
                }
            }
            case Entry.TYPE_ZSET -> {
                command = ZADD;
                group = 2;
                Members m = db.isObject(a) ? Members.map(((ZSetValue) db.object(a)).dict)
                        : Members.zsetPack(db.page(a), db.valueOffset(a), db.valueLength(a));
                m.forEach((b, o, l, score) -> {
                    words.add(Numbers.formatDouble(score).getBytes(java.nio.charset.StandardCharsets.US_ASCII));
                    words.add(java.util.Arrays.copyOfRange(b, o, o + l));
                    return true;
                });
            }
            default -> throw new IllegalStateException("no rebuild for type " + db.type(a));
        }
        int per = BATCH * group;
        for (int from = 0; from < words.size(); from += per) {
            int to = Math.min(words.size(), from + per);
            j.begin(db.id(), 2 + to - from).arg(command).arg(key, koff, klen);
            for (int i = from; i < to; i++) {
                j.arg(words.get(i));
            }
            j.end();
        }
        long at = db.expireAt(a);
        if (at >= 0) {
            j.begin(db.id(), 3).arg(PEXPIREAT).arg(key, koff, klen).arg(at).end();
        }
    }
}
