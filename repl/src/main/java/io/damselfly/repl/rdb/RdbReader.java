package io.damselfly.repl.rdb;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Parses an RDB stream: the header, every opcode Redis 7.0 writes, and values in all their
 * encodings (plain, ziplist, listpack, intset, zipmap, quicklist of both versions, LZF and
 * integer strings, scores in binary and text), checking the CRC-64 at the end. Streams, modules
 * and functions are refused with an error naming them. Elements go to a {@link Handler} as
 * they are read, so memory holds one element (or one compact blob) at a time.
 */
public final class RdbReader {
    /** What the parser finds, in file order. */
    public interface Handler {
        default void aux(String key, String value) {
        }

        default void resizeDb(int db, long size, long expires) {
        }

        /** A key begins; returns where its elements go. {@code expireAt} is unix ms or -1. */
        Elements key(int db, byte[] key, int kind, long expireAt) throws IOException;

        /** The key's elements are all delivered. */
        default void endKey() throws IOException {
        }
    }

    /** The value kinds, whatever the encoding in the file. */
    public static final int STRING = 0;
    public static final int LIST = 1;
    public static final int SET = 2;
    public static final int ZSET = 3;
    public static final int HASH = 4;

    /** Receives a value's content. Hash fields and values, and sorted-set members and scores, come in pairs. */
    public interface Elements {
        void string(byte[] value) throws IOException;

        void element(byte[] e) throws IOException;

        void pair(byte[] field, byte[] value) throws IOException;

        void member(byte[] member, double score) throws IOException;
    }

    /** Elements nobody wants (an expired key being skipped). */
    public static final Elements DISCARD = new Elements() {
        public void string(byte[] v) {
        }

        public void element(byte[] e) {
        }

        public void pair(byte[] f, byte[] v) {
        }

        public void member(byte[] m, double s) {
        }
    };

    private static final long MAX_COUNT = 1L << 40;

    private RdbReader() {
    }

    /** Reads a whole RDB file; returns its version. */
    public static int read(RdbIn in, Handler h) throws IOException {
        byte[] magic = new byte[9];
        in.readFully(magic, 0, 9);
        String head = new String(magic, StandardCharsets.US_ASCII);
        if (!head.startsWith("REDIS")) {
            throw new RdbException(0, "wrong signature trying to load DB from file");
        }
        int version;
        try {
            version = Integer.parseInt(head.substring(5));
        } catch (NumberFormatException e) {
            throw new RdbException(5, "bad RDB version field");
        }
        if (version < 1 || version > Rdb.VERSION) {
            throw new RdbException(5, "can't handle RDB format version " + version);
        }
        int db = 0;
        long expireAt = -1;
        while (true) {
            long at = in.offset();
            int type = in.readByte();
            switch (type) {
                case Rdb.OPCODE_EXPIRETIME_MS -> {
                    expireAt = in.readLongLE(8);
                    continue;
                }
                case Rdb.OPCODE_EXPIRETIME -> {
                    expireAt = in.readLongLE(4) * 1000;
                    continue;
                }
                case Rdb.OPCODE_IDLE -> {
                    in.readLength();
                    continue;
                }
                case Rdb.OPCODE_FREQ -> {
                    in.readByte();
                    continue;
                }
                case Rdb.OPCODE_SELECTDB -> {
                    long n = in.readCount(Integer.MAX_VALUE);
                    db = (int) n;
                    continue;
                }
                case Rdb.OPCODE_RESIZEDB -> {
                    long size = in.readCount(MAX_COUNT);
                    long expires = in.readCount(MAX_COUNT);
                    h.resizeDb(db, size, expires);
                    continue;
                }
                case Rdb.OPCODE_AUX -> {
                    byte[] k = in.readString();
                    byte[] v = in.readString();
                    h.aux(new String(k, StandardCharsets.ISO_8859_1), new String(v, StandardCharsets.ISO_8859_1));
                    continue;
                }
                case Rdb.OPCODE_MODULE_AUX -> throw new RdbException(at, "module data is not supported by Damselfly");
                case Rdb.OPCODE_FUNCTION, Rdb.OPCODE_FUNCTION2 ->
                        throw new RdbException(at, "functions are not supported by Damselfly");
                case Rdb.OPCODE_EOF -> {
                    if (version >= 5) {
                        long expected = in.crc();
                        long stored = in.readLongLE(8);
                        if (stored != 0 && stored != expected) {
                            throw new RdbException(in.offset() - 8, "wrong RDB checksum");
                        }
                    }
                    return version;
                }
                default -> {
                    byte[] key = in.readString();
                    int kind = kindOf(type, at);
                    Elements e = h.key(db, key, kind, expireAt);
                    readValue(in, type, at, e);
                    h.endKey();
                    expireAt = -1;
                }
            }
        }
    }

    /** The value kind of an RDB type, or an error naming a type Damselfly does not load. */
    public static int kindOf(int type, long at) throws RdbException {
        return switch (type) {
            case Rdb.TYPE_STRING -> STRING;
            case Rdb.TYPE_LIST, Rdb.TYPE_LIST_ZIPLIST, Rdb.TYPE_LIST_QUICKLIST, Rdb.TYPE_LIST_QUICKLIST_2 -> LIST;
            case Rdb.TYPE_SET, Rdb.TYPE_SET_INTSET -> SET;
            case Rdb.TYPE_ZSET, Rdb.TYPE_ZSET_2, Rdb.TYPE_ZSET_ZIPLIST, Rdb.TYPE_ZSET_LISTPACK -> ZSET;
            case Rdb.TYPE_HASH, Rdb.TYPE_HASH_ZIPMAP, Rdb.TYPE_HASH_ZIPLIST, Rdb.TYPE_HASH_LISTPACK -> HASH;
            case Rdb.TYPE_STREAM_LISTPACKS, Rdb.TYPE_STREAM_LISTPACKS_2, Rdb.TYPE_MODULE, Rdb.TYPE_MODULE_2 ->
                    throw new RdbException(at, "values of type " + Rdb.typeName(type) + " are not supported by Damselfly");
            default -> throw new RdbException(at, "unknown RDB value type " + type);
        };
    }

    /** Reads one value of RDB type {@code type} (the type byte already consumed at {@code at}). */
    public static void readValue(RdbIn in, int type, long at, Elements e) throws IOException {
        switch (type) {
            case Rdb.TYPE_STRING -> e.string(in.readString());
            case Rdb.TYPE_LIST, Rdb.TYPE_SET -> {
                long n = in.readCount(MAX_COUNT);
                for (long i = 0; i < n; i++) {
                    e.element(in.readString());
                }
            }
            case Rdb.TYPE_ZSET, Rdb.TYPE_ZSET_2 -> {
                long n = in.readCount(MAX_COUNT);
                for (long i = 0; i < n; i++) {
                    byte[] m = in.readString();
                    double score = type == Rdb.TYPE_ZSET_2 ? in.readBinaryDouble() : in.readStringDouble();
                    if (Double.isNaN(score)) {
                        throw in.error("sorted set score is not a number");
                    }
                    e.member(m, score);
                }
            }
            case Rdb.TYPE_HASH -> {
                long n = in.readCount(MAX_COUNT);
                for (long i = 0; i < n; i++) {
                    byte[] f = in.readString();
                    e.pair(f, in.readString());
                }
            }
            case Rdb.TYPE_LIST_QUICKLIST, Rdb.TYPE_LIST_QUICKLIST_2 -> {
                long nodes = in.readCount(MAX_COUNT);
                for (long i = 0; i < nodes; i++) {
                    int container = Rdb.QUICKLIST_NODE_PACKED;
                    if (type == Rdb.TYPE_LIST_QUICKLIST_2) {
                        container = (int) in.readCount(2);
                    }
                    long nodeAt = in.offset();
                    byte[] blob = in.readString();
                    if (container == Rdb.QUICKLIST_NODE_PLAIN) {
                        e.element(blob);
                    } else {
                        blob(blob, nodeAt, type == Rdb.TYPE_LIST_QUICKLIST_2, false, false, e);
                    }
                }
            }
            default -> {
                kindOf(type, at);
                long blobAt = in.offset();
                byte[] blob = in.readString();
                switch (type) {
                    case Rdb.TYPE_LIST_ZIPLIST -> blob(blob, blobAt, false, false, false, e);
                    case Rdb.TYPE_SET_INTSET -> {
                        try {
                            Packed.intset(blob, x -> rethrow(() -> e.element(x)));
                        } catch (IllegalArgumentException ex) {
                            throw new RdbException(blobAt, "corrupt intset: " + ex.getMessage());
                        }
                    }
                    case Rdb.TYPE_ZSET_ZIPLIST -> blob(blob, blobAt, false, true, true, e);
                    case Rdb.TYPE_ZSET_LISTPACK -> blob(blob, blobAt, true, true, true, e);
                    case Rdb.TYPE_HASH_ZIPLIST -> blob(blob, blobAt, false, true, false, e);
                    case Rdb.TYPE_HASH_LISTPACK -> blob(blob, blobAt, true, true, false, e);
                    case Rdb.TYPE_HASH_ZIPMAP -> {
                        List<byte[]> items = new ArrayList<>();
                        try {
                            Packed.zipmap(blob, items::add);
                        } catch (IllegalArgumentException ex) {
                            throw new RdbException(blobAt, "corrupt zipmap: " + ex.getMessage());
                        }
                        for (int i = 0; i + 1 < items.size(); i += 2) {
                            e.pair(items.get(i), items.get(i + 1));
                        }
                    }
                    default -> throw new RdbException(at, "unknown RDB value type " + type);
                }
            }
        }
    }

    /** The elements of a ziplist or listpack; pairs for hashes, member and score for sorted sets. */
    private static void blob(byte[] blob, long at, boolean listpack, boolean pairs, boolean zset, Elements e)
            throws IOException {
        List<byte[]> items = new ArrayList<>();
        try {
            if (listpack) {
                Packed.listpack(blob, items::add);
            } else {
                Packed.ziplist(blob, items::add);
            }
        } catch (IllegalArgumentException ex) {
            throw new RdbException(at, "corrupt " + (listpack ? "listpack" : "ziplist") + ": " + ex.getMessage());
        }
        if (!pairs) {
            for (byte[] x : items) {
                e.element(x);
            }
            return;
        }
        if (items.size() % 2 != 0) {
            throw new RdbException(at, "odd number of elements in a " + (zset ? "sorted set" : "hash"));
        }
        for (int i = 0; i < items.size(); i += 2) {
            if (zset) {
                double score = parseScore(new String(items.get(i + 1), StandardCharsets.US_ASCII));
                if (Double.isNaN(score)) {
                    throw new RdbException(at, "bad sorted set score");
                }
                e.member(items.get(i), score);
            } else {
                e.pair(items.get(i), items.get(i + 1));
            }
        }
    }

    /** A score as Redis writes it in text: a number, "inf" or "-inf"; NaN when it is neither. */
    static double parseScore(String s) {
        switch (s.toLowerCase(java.util.Locale.ROOT)) {
            case "inf", "+inf", "infinity", "+infinity":
                return Double.POSITIVE_INFINITY;
            case "-inf", "-infinity":
                return Double.NEGATIVE_INFINITY;
            default:
                try {
                    return Double.parseDouble(s);
                } catch (NumberFormatException e) {
                    return Double.NaN;
                }
        }
    }

    private interface IoAction {
        void run() throws IOException;
    }

    private static void rethrow(IoAction a) {
        try {
            a.run();
        } catch (IOException ex) {
            throw new java.io.UncheckedIOException(ex);
        }
    }
}
