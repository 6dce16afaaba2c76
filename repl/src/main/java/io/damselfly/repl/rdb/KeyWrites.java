package io.damselfly.repl.rdb;

import io.damselfly.engine.command.Request;
import io.damselfly.engine.resp.Numbers;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Turns a value read from RDB into the writes that build it on a shard: SET for a string,
 * RPUSH, SADD, HSET or ZADD in groups of {@link #GROUP} elements for a collection, then
 * PEXPIREAT for a deadline. The shard runs them through its own commands, which choose the
 * encodings by the configured thresholds, as Redis converts on load.
 */
public final class KeyWrites implements RdbReader.Elements {
    public static final int GROUP = 64;

    /** Receives each write and its approximate size in bytes. */
    @FunctionalInterface
    public interface Out {
        void accept(Request write, long bytes) throws IOException;
    }

    private static final byte[] SET = bytes("SET");
    private static final byte[] RPUSH = bytes("RPUSH");
    private static final byte[] SADD = bytes("SADD");
    private static final byte[] HSET = bytes("HSET");
    private static final byte[] ZADD = bytes("ZADD");
    private static final byte[] PEXPIREAT = bytes("PEXPIREAT");

    private final Out out;
    private byte[] key;
    private byte[] command;
    private final List<byte[]> args = new ArrayList<>();
    private long argBytes;

    public KeyWrites(Out out) {
        this.out = out;
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }

    /** Starts a key of a value kind ({@link RdbReader#STRING} ...). */
    public KeyWrites begin(byte[] key, int kind) {
        this.key = key;
        this.command = switch (kind) {
            case RdbReader.LIST -> RPUSH;
            case RdbReader.SET -> SADD;
            case RdbReader.HASH -> HSET;
            case RdbReader.ZSET -> ZADD;
            default -> SET;
        };
        args.clear();
        argBytes = 0;
        return this;
    }

    /** Ends the key: the last group, then its deadline (unix ms, or -1 for none). */
    public void end(long expireAt) throws IOException {
        flush();
        if (expireAt >= 0) {
            out.accept(Request.of(PEXPIREAT, key, Long.toString(expireAt).getBytes(StandardCharsets.US_ASCII)),
                    key.length + 32);
        }
    }

    private void flush() throws IOException {
        if (args.isEmpty()) {
            return;
        }
        byte[][] a = new byte[args.size() + 2][];
        a[0] = command;
        a[1] = key;
        for (int i = 0; i < args.size(); i++) {
            a[i + 2] = args.get(i);
        }
        out.accept(Request.of(a), argBytes + key.length);
        args.clear();
        argBytes = 0;
    }

    private void arg(byte[] b) {
        args.add(b);
        argBytes += b.length + 8;
    }

    @Override
    public void string(byte[] value) throws IOException {
        arg(value);
        flush();
    }

    @Override
    public void element(byte[] e) throws IOException {
        arg(e);
        if (args.size() >= GROUP) {
            flush();
        }
    }

    @Override
    public void pair(byte[] field, byte[] value) throws IOException {
        arg(field);
        arg(value);
        if (args.size() >= 2 * GROUP) {
            flush();
        }
    }

    @Override
    public void member(byte[] member, double score) throws IOException {
        arg(Numbers.formatDouble(score).getBytes(StandardCharsets.US_ASCII));
        arg(member);
        if (args.size() >= 2 * GROUP) {
            flush();
        }
    }
}
