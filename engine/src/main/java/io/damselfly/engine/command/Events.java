package io.damselfly.engine.command;

import io.damselfly.engine.config.KeyspaceEvents;
import io.damselfly.engine.resp.Reply;

/** Keyspace event names as Redis publishes them, and their classes. */
public final class Events {
    static final int GENERIC = KeyspaceEvents.GENERIC;
    static final int STRING = KeyspaceEvents.STRING;
    static final int LIST = KeyspaceEvents.LIST;
    static final int SET = KeyspaceEvents.SET;
    static final int HASH = KeyspaceEvents.HASH;
    static final int ZSET = KeyspaceEvents.ZSET;

    static final byte[] DEL = Reply.ascii("del");
    static final byte[] RESTORE = Reply.ascii("restore");
    public static final byte[] EXPIRED = Reply.ascii("expired");
    public static final byte[] EVICTED = Reply.ascii("evicted");
    public static final byte[] NEW = Reply.ascii("new");
    static final byte[] EXPIRE = Reply.ascii("expire");
    static final byte[] PERSIST = Reply.ascii("persist");
    static final byte[] RENAME_FROM = Reply.ascii("rename_from");
    static final byte[] RENAME_TO = Reply.ascii("rename_to");
    static final byte[] MOVE_FROM = Reply.ascii("move_from");
    static final byte[] MOVE_TO = Reply.ascii("move_to");
    static final byte[] COPY_TO = Reply.ascii("copy_to");
    static final byte[] SET_ = Reply.ascii("set");
    static final byte[] SETRANGE = Reply.ascii("setrange");
    static final byte[] INCRBY = Reply.ascii("incrby");
    static final byte[] INCRBYFLOAT = Reply.ascii("incrbyfloat");
    static final byte[] APPEND = Reply.ascii("append");
    static final byte[] SETBIT = Reply.ascii("setbit");
    static final byte[] LPUSH = Reply.ascii("lpush");
    static final byte[] RPUSH = Reply.ascii("rpush");
    static final byte[] LPOP = Reply.ascii("lpop");
    static final byte[] RPOP = Reply.ascii("rpop");
    static final byte[] LINSERT = Reply.ascii("linsert");
    static final byte[] LSET = Reply.ascii("lset");
    static final byte[] LTRIM = Reply.ascii("ltrim");
    static final byte[] LREM = Reply.ascii("lrem");
    static final byte[] SORTSTORE = Reply.ascii("sortstore");
    static final byte[] HSET = Reply.ascii("hset");
    static final byte[] HDEL = Reply.ascii("hdel");
    static final byte[] HINCRBY = Reply.ascii("hincrby");
    static final byte[] HINCRBYFLOAT = Reply.ascii("hincrbyfloat");
    static final byte[] SADD = Reply.ascii("sadd");
    static final byte[] SREM = Reply.ascii("srem");
    static final byte[] SPOP = Reply.ascii("spop");
    static final byte[] SINTERSTORE = Reply.ascii("sinterstore");
    static final byte[] SUNIONSTORE = Reply.ascii("sunionstore");
    static final byte[] SDIFFSTORE = Reply.ascii("sdiffstore");
    static final byte[] ZADD = Reply.ascii("zadd");
    static final byte[] ZINCR = Reply.ascii("zincr");
    static final byte[] ZREM = Reply.ascii("zrem");
    static final byte[] ZREMRANGEBYRANK = Reply.ascii("zremrangebyrank");
    static final byte[] ZREMRANGEBYSCORE = Reply.ascii("zremrangebyscore");
    static final byte[] ZREMRANGEBYLEX = Reply.ascii("zremrangebylex");
    static final byte[] ZPOPMIN = Reply.ascii("zpopmin");
    static final byte[] ZPOPMAX = Reply.ascii("zpopmax");
    static final byte[] ZUNIONSTORE = Reply.ascii("zunionstore");
    static final byte[] ZINTERSTORE = Reply.ascii("zinterstore");
    static final byte[] ZDIFFSTORE = Reply.ascii("zdiffstore");
    static final byte[] ZRANGESTORE = Reply.ascii("zrangestore");

    private Events() {
    }
}
