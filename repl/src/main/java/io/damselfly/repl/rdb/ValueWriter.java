package io.damselfly.repl.rdb;

import io.damselfly.engine.keyspace.Entry;
import io.damselfly.engine.shard.Keyspace;
import io.damselfly.engine.types.HashValue;
import io.damselfly.engine.types.IntSet;
import io.damselfly.engine.types.Members;
import io.damselfly.engine.types.Pack;
import io.damselfly.engine.types.QuickList;
import io.damselfly.engine.types.SetValue;
import io.damselfly.engine.types.ZSetValue;

import java.lang.foreign.MemorySegment;

/**
 * Serialises a key's value as RDB, on the thread that owns its shard. It writes the plain
 * encodings (string, list, set, hash, ZSET_2 with binary scores), which Redis 7.0 loads and
 * converts to its compact ones by its own thresholds. Collections spill between elements, so a
 * value of any size streams through a bounded buffer.
 */
public final class ValueWriter {
    private final Pack.Cursor cursor = new Pack.Cursor();

    /** The RDB type byte for an entry of the engine's type. */
    public static int rdbType(int entryType) {
        return switch (entryType) {
            case Entry.TYPE_STRING -> Rdb.TYPE_STRING;
            case Entry.TYPE_LIST -> Rdb.TYPE_LIST;
            case Entry.TYPE_SET -> Rdb.TYPE_SET;
            case Entry.TYPE_ZSET -> Rdb.TYPE_ZSET_2;
            case Entry.TYPE_HASH -> Rdb.TYPE_HASH;
            default -> throw new IllegalStateException("no RDB type for entry type " + entryType);
        };
    }

    /** Writes one key: its deadline opcode when it has one, the type, the key, the value. */
    public void writeEntry(RdbOut out, Keyspace acc, long address) {
        MemorySegment page = acc.page(address);
        long o = Keyspace.offset(address);
        long at = Entry.expireAt(page, o);
        if (at >= 0) {
            out.writeByte(Rdb.OPCODE_EXPIRETIME_MS);
            out.writeLongLE(at);
        }
        int type = Entry.type(page, o);
        out.writeByte(rdbType(type));
        out.writeString(page, Entry.keyOffset(page, o), Entry.keyLen(page, o));
        writeValue(out, acc, address, type);
    }

    /** Writes the type byte and the value (a DUMP payload's body). */
    public void writeTypeAndValue(RdbOut out, Keyspace acc, long address) {
        int type = acc.type(address);
        out.writeByte(rdbType(type));
        writeValue(out, acc, address, type);
    }

    private void writeValue(RdbOut out, Keyspace acc, long address, int type) {
        switch (type) {
            case Entry.TYPE_STRING -> out.writeString(acc.page(address), acc.valueOffset(address), acc.valueLength(address));
            case Entry.TYPE_LIST -> {
                QuickList list = (QuickList) acc.object(address);
                out.writeLength(list.size());
                list.forEach(0, (b, off, len) -> {
                    out.writeString(b, off, len);
                    out.maybeSpill();
                    return true;
                });
            }
            case Entry.TYPE_SET -> {
                if (acc.isObject(address)) {
                    SetValue set = (SetValue) acc.object(address);
                    out.writeLength(set.map.size());
                    set.map.forEach(n -> {
                        out.writeString(n.key);
                        out.maybeSpill();
                    });
                } else {
                    long[] values = IntSet.values(acc.page(address), acc.valueOffset(address));
                    out.writeLength(values.length);
                    for (long v : values) {
                        out.writeString(Long.toString(v));
                    }
                }
            }
            case Entry.TYPE_HASH -> {
                if (acc.isObject(address)) {
                    HashValue hash = (HashValue) acc.object(address);
                    out.writeLength(hash.map.size());
                    hash.map.forEach(n -> {
                        out.writeString(n.key);
                        out.writeString((byte[]) n.value);
                        out.maybeSpill();
                    });
                } else {
                    MemorySegment page = acc.page(address);
                    Pack.Cursor c = cursor.of(page, acc.valueOffset(address), acc.valueLength(address));
                    out.writeLength(c.count() / 2);
                    while (c.next()) {
                        out.writeString(page, c.elemOff, c.elemLen);
                    }
                }
            }
            case Entry.TYPE_ZSET -> {
                Members m = acc.isObject(address) ? Members.map(((ZSetValue) acc.object(address)).dict)
                        : Members.zsetPack(acc.page(address), acc.valueOffset(address), acc.valueLength(address));
                out.writeLength(m.size());
                m.forEach((b, off, len, score) -> {
                    out.writeString(b, off, len);
                    out.writeBinaryDouble(score);
                    out.maybeSpill();
                    return true;
                });
            }
            default -> throw new IllegalStateException("no RDB encoding for entry type " + type);
        }
    }
}
