package io.damselfly.repl.rdb;

import io.damselfly.engine.command.Request;
import io.damselfly.engine.shard.Keyspace;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * DUMP and RESTORE's payload, as Redis 7.0 makes it, so keys move between Damselfly and Redis
 * with migration tools:
 *
 * <pre>
 * +-----------+------------------+------------------+---------------------+
 * | type byte | value (RDB body) | RDB version u16  | CRC-64 of all before |
 * |           |                  | little-endian    | u64 little-endian    |
 * +-----------+------------------+------------------+---------------------+
 * </pre>
 */
public final class DumpPayload {
    public static final String BAD_PAYLOAD = "ERR DUMP payload version or checksum are wrong";
    public static final String BAD_FORMAT = "ERR Bad data format";

    private DumpPayload() {
    }

    /** Serialises the value of the entry at {@code address}; on the shard's thread. */
    public static byte[] encode(Keyspace db, long address) {
        RdbOut out = new RdbOut(64);
        new ValueWriter().writeTypeAndValue(out, db, address);
        out.writeByte(Rdb.VERSION & 0xff);
        out.writeByte(Rdb.VERSION >>> 8);
        byte[] body = out.toByteArray();
        long crc = Crc64.update(0, body, 0, body.length);
        out.writeLongLE(crc);
        return out.toByteArray();
    }

    /**
     * Checks a payload and returns the writes that rebuild its value under {@code key}; throws
     * {@link IllegalArgumentException} with Redis's error text when it is not acceptable.
     */
    public static List<Request> decode(byte[] key, byte[] payload, boolean checkCrc) {
        int len = payload.length;
        if (len < 10) {
            throw new IllegalArgumentException(BAD_PAYLOAD);
        }
        int version = (payload[len - 10] & 0xff) | (payload[len - 9] & 0xff) << 8;
        if (version > Rdb.VERSION) {
            throw new IllegalArgumentException(BAD_PAYLOAD);
        }
        if (checkCrc) {
            long crc = Crc64.update(0, payload, 0, len - 8);
            long stored = 0;
            for (int i = 0; i < 8; i++) {
                stored |= (long) (payload[len - 8 + i] & 0xff) << (8 * i);
            }
            if (crc != stored) {
                throw new IllegalArgumentException(BAD_PAYLOAD);
            }
        }
        List<Request> writes = new ArrayList<>();
        try {
            RdbIn in = new RdbIn(new ByteArrayInputStream(payload, 0, len - 10), 4096);
            int type = in.readByte();
            int kind = RdbReader.kindOf(type, 0);
            KeyWrites w = new KeyWrites((r, size) -> writes.add(r)).begin(key, kind);
            RdbReader.readValue(in, type, 0, w);
            w.end(-1);
            if (!in.atEnd()) {
                throw new IllegalArgumentException(BAD_FORMAT);
            }
        } catch (IOException | RuntimeException e) {
            throw new IllegalArgumentException(BAD_FORMAT);
        }
        if (writes.isEmpty()) {
            throw new IllegalArgumentException(BAD_FORMAT); // an empty collection
        }
        return writes;
    }
}
