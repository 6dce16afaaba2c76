package io.damselfly.engine.command;

import io.damselfly.engine.resp.Reply;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Redis 7.0's key specifications (COMMAND INFO's tenth element, COMMAND GETKEYSANDFLAGS): for
 * each command, which arguments are keys and what it does to each (read, overwrite, delete ...).
 * Damselfly finds keys with its own {@link CommandSpec} positions and finders; these are the flags
 * clients see, per key.
 */
public final class KeySpecs {
    public static final int RO = 1;
    public static final int RW = 1 << 1;
    public static final int OW = 1 << 2;
    public static final int RM = 1 << 3;
    public static final int ACCESS = 1 << 4;
    public static final int UPDATE = 1 << 5;
    public static final int INSERT = 1 << 6;
    public static final int DELETE = 1 << 7;
    public static final int NOT_KEY = 1 << 8;
    public static final int INCOMPLETE = 1 << 9;
    public static final int VARIABLE_FLAGS = 1 << 10;
    /** The flags' names, in the order Redis lists them. */
    private static final String[] NAMES = {"RO", "RW", "OW", "RM", "access", "update", "insert", "delete", "not_key",
        "incomplete", "variable_flags"};

    private static final int UNKNOWN = 0;
    private static final int INDEX = 1;
    private static final int KEYWORD = 2;
    private static final int RANGE = 1;
    private static final int KEYNUM = 2;

    /**
     * One key specification. Begin search: {@code INDEX} at {@code position}, or {@code KEYWORD}
     * {@code keyword} searched from {@code position} (negative: from the end, backwards). Find
     * keys: {@code RANGE} (a = lastkey, b = keystep, c = limit) or {@code KEYNUM} (a = keynumidx,
     * b = firstkey, c = keystep).
     */
    record Spec(int flags, int begin, int position, String keyword, int find, int a, int b, int c) {
    }

    /**
     * Per command (full name), its specifications in order: "flags / begin search / find keys".
     * The facts of Redis 7.0.15's command table.
     */
    private static final String TABLE = """
            append rw,insert / index 1 / range 0 1 0
            bitcount ro,access / index 1 / range 0 1 0
            bitfield rw,update,access,variable_flags / index 1 / range 0 1 0
            bitfield_ro ro,access / index 1 / range 0 1 0
            bitop ow,update / index 2 / range 0 1 0
            bitop ro,access / index 3 / range -1 1 0
            bitpos ro,access / index 1 / range 0 1 0
            blmove rw,access,delete / index 1 / range 0 1 0
            blmove rw,insert / index 2 / range 0 1 0
            blmpop rw,access,delete / index 2 / keynum 0 1 1
            blpop rw,access,delete / index 1 / range -2 1 0
            brpop rw,access,delete / index 1 / range -2 1 0
            brpoplpush rw,access,delete / index 1 / range 0 1 0
            brpoplpush rw,insert / index 2 / range 0 1 0
            bzmpop rw,access,delete / index 2 / keynum 0 1 1
            bzpopmax rw,access,delete / index 1 / range -2 1 0
            bzpopmin rw,access,delete / index 1 / range -2 1 0
            copy ro,access / index 1 / range 0 1 0
            copy ow,update / index 2 / range 0 1 0
            decr rw,access,update / index 1 / range 0 1 0
            decrby rw,access,update / index 1 / range 0 1 0
            del rm,delete / index 1 / range -1 1 0
            dump ro,access / index 1 / range 0 1 0
            eval rw,access,update / index 2 / keynum 0 1 1
            eval_ro ro,access / index 2 / keynum 0 1 1
            evalsha rw,access,update / index 2 / keynum 0 1 1
            evalsha_ro ro,access / index 2 / keynum 0 1 1
            exists ro / index 1 / range -1 1 0
            expire rw,update / index 1 / range 0 1 0
            expireat rw,update / index 1 / range 0 1 0
            expiretime ro,access / index 1 / range 0 1 0
            fcall rw,access,update / index 2 / keynum 0 1 1
            fcall_ro ro,access / index 2 / keynum 0 1 1
            geoadd rw,update / index 1 / range 0 1 0
            geodist ro,access / index 1 / range 0 1 0
            geohash ro,access / index 1 / range 0 1 0
            geopos ro,access / index 1 / range 0 1 0
            georadius ro,access / index 1 / range 0 1 0
            georadius ow,update / keyword STORE 6 / range 0 1 0
            georadius ow,update / keyword STOREDIST 6 / range 0 1 0
            georadius_ro ro,access / index 1 / range 0 1 0
            georadiusbymember ro,access / index 1 / range 0 1 0
            georadiusbymember ow,update / keyword STORE 5 / range 0 1 0
            georadiusbymember ow,update / keyword STOREDIST 5 / range 0 1 0
            georadiusbymember_ro ro,access / index 1 / range 0 1 0
            geosearch ro,access / index 1 / range 0 1 0
            geosearchstore ow,update / index 1 / range 0 1 0
            geosearchstore ro,access / index 2 / range 0 1 0
            get ro,access / index 1 / range 0 1 0
            getbit ro,access / index 1 / range 0 1 0
            getdel rw,access,delete / index 1 / range 0 1 0
            getex rw,access,update / index 1 / range 0 1 0
            getrange ro,access / index 1 / range 0 1 0
            getset rw,access,update / index 1 / range 0 1 0
            hdel rw,delete / index 1 / range 0 1 0
            hexists ro / index 1 / range 0 1 0
            hget ro,access / index 1 / range 0 1 0
            hgetall ro,access / index 1 / range 0 1 0
            hincrby rw,access,update / index 1 / range 0 1 0
            hincrbyfloat rw,access,update / index 1 / range 0 1 0
            hkeys ro,access / index 1 / range 0 1 0
            hlen ro / index 1 / range 0 1 0
            hmget ro,access / index 1 / range 0 1 0
            hmset rw,update / index 1 / range 0 1 0
            hrandfield ro,access / index 1 / range 0 1 0
            hscan ro,access / index 1 / range 0 1 0
            hset rw,update / index 1 / range 0 1 0
            hsetnx rw,insert / index 1 / range 0 1 0
            hstrlen ro / index 1 / range 0 1 0
            hvals ro,access / index 1 / range 0 1 0
            incr rw,access,update / index 1 / range 0 1 0
            incrby rw,access,update / index 1 / range 0 1 0
            incrbyfloat rw,access,update / index 1 / range 0 1 0
            lcs ro,access / index 1 / range 1 1 0
            lindex ro,access / index 1 / range 0 1 0
            linsert rw,insert / index 1 / range 0 1 0
            llen ro / index 1 / range 0 1 0
            lmove rw,access,delete / index 1 / range 0 1 0
            lmove rw,insert / index 2 / range 0 1 0
            lmpop rw,access,delete / index 1 / keynum 0 1 1
            lpop rw,access,delete / index 1 / range 0 1 0
            lpos ro,access / index 1 / range 0 1 0
            lpush rw,insert / index 1 / range 0 1 0
            lpushx rw,insert / index 1 / range 0 1 0
            lrange ro,access / index 1 / range 0 1 0
            lrem rw,delete / index 1 / range 0 1 0
            lset rw,update / index 1 / range 0 1 0
            ltrim rw,delete / index 1 / range 0 1 0
            memory|usage ro / index 2 / range 0 1 0
            mget ro,access / index 1 / range -1 1 0
            migrate rw,access,delete / index 3 / range 0 1 0
            migrate rw,access,delete,incomplete / keyword KEYS -2 / range -1 1 0
            move rw,access,update / index 1 / range 0 1 0
            mset ow,update / index 1 / range -1 2 0
            msetnx ow,insert / index 1 / range -1 2 0
            object|encoding ro / index 2 / range 0 1 0
            object|freq ro / index 2 / range 0 1 0
            object|idletime ro / index 2 / range 0 1 0
            object|refcount ro / index 2 / range 0 1 0
            persist rw,update / index 1 / range 0 1 0
            pexpire rw,update / index 1 / range 0 1 0
            pexpireat rw,update / index 1 / range 0 1 0
            pexpiretime ro,access / index 1 / range 0 1 0
            pfadd rw,insert / index 1 / range 0 1 0
            pfcount rw,access / index 1 / range -1 1 0
            pfdebug rw,access / index 2 / range 0 1 0
            pfmerge rw,access,insert / index 1 / range 0 1 0
            pfmerge ro,access / index 2 / range -1 1 0
            psetex ow,update / index 1 / range 0 1 0
            pttl ro,access / index 1 / range 0 1 0
            rename rw,access,delete / index 1 / range 0 1 0
            rename ow,update / index 2 / range 0 1 0
            renamenx rw,access,delete / index 1 / range 0 1 0
            renamenx ow,insert / index 2 / range 0 1 0
            restore ow,update / index 1 / range 0 1 0
            restore-asking ow,update / index 1 / range 0 1 0
            rpop rw,access,delete / index 1 / range 0 1 0
            rpoplpush rw,access,delete / index 1 / range 0 1 0
            rpoplpush rw,insert / index 2 / range 0 1 0
            rpush rw,insert / index 1 / range 0 1 0
            rpushx rw,insert / index 1 / range 0 1 0
            sadd rw,insert / index 1 / range 0 1 0
            scard ro / index 1 / range 0 1 0
            sdiff ro,access / index 1 / range -1 1 0
            sdiffstore ow,update / index 1 / range 0 1 0
            sdiffstore ro,access / index 2 / range -1 1 0
            set rw,access,update,variable_flags / index 1 / range 0 1 0
            setbit rw,access,update / index 1 / range 0 1 0
            setex ow,update / index 1 / range 0 1 0
            setnx ow,insert / index 1 / range 0 1 0
            setrange rw,update / index 1 / range 0 1 0
            sinter ro,access / index 1 / range -1 1 0
            sintercard ro,access / index 1 / keynum 0 1 1
            sinterstore rw,update / index 1 / range 0 1 0
            sinterstore ro,access / index 2 / range -1 1 0
            sismember ro / index 1 / range 0 1 0
            smembers ro,access / index 1 / range 0 1 0
            smismember ro,access / index 1 / range 0 1 0
            smove rw,access,delete / index 1 / range 0 1 0
            smove rw,insert / index 2 / range 0 1 0
            sort ro,access / index 1 / range 0 1 0
            sort ro,access / unknown / unknown
            sort ow,update / unknown / unknown
            sort_ro ro,access / index 1 / range 0 1 0
            sort_ro ro,access / unknown / unknown
            spop rw,access,delete / index 1 / range 0 1 0
            spublish not_key / index 1 / range 0 1 0
            srandmember ro,access / index 1 / range 0 1 0
            srem rw,delete / index 1 / range 0 1 0
            sscan ro,access / index 1 / range 0 1 0
            ssubscribe not_key / index 1 / range -1 1 0
            strlen ro / index 1 / range 0 1 0
            substr ro,access / index 1 / range 0 1 0
            sunion ro,access / index 1 / range -1 1 0
            sunionstore ow,update / index 1 / range 0 1 0
            sunionstore ro,access / index 2 / range -1 1 0
            sunsubscribe not_key / index 1 / range -1 1 0
            touch ro / index 1 / range -1 1 0
            ttl ro,access / index 1 / range 0 1 0
            type ro / index 1 / range 0 1 0
            unlink rm,delete / index 1 / range -1 1 0
            watch ro / index 1 / range -1 1 0
            xack rw,update / index 1 / range 0 1 0
            xadd rw,update / index 1 / range 0 1 0
            xautoclaim rw,delete / index 1 / range 0 1 0
            xclaim rw,update / index 1 / range 0 1 0
            xdel rw,delete / index 1 / range 0 1 0
            xgroup|create rw,insert / index 2 / range 0 1 0
            xgroup|createconsumer rw,insert / index 2 / range 0 1 0
            xgroup|delconsumer rw,delete / index 2 / range 0 1 0
            xgroup|destroy rw,delete / index 2 / range 0 1 0
            xgroup|setid rw,update / index 2 / range 0 1 0
            xinfo|consumers ro,access / index 2 / range 0 1 0
            xinfo|groups ro,access / index 2 / range 0 1 0
            xinfo|stream ro,access / index 2 / range 0 1 0
            xlen ro / index 1 / range 0 1 0
            xpending ro,access / index 1 / range 0 1 0
            xrange ro,access / index 1 / range 0 1 0
            xread ro,access / keyword STREAMS 1 / range -1 1 2
            xreadgroup ro,access / keyword STREAMS 4 / range -1 1 2
            xrevrange ro,access / index 1 / range 0 1 0
            xsetid rw,update / index 1 / range 0 1 0
            xtrim rw,delete / index 1 / range 0 1 0
            zadd rw,update / index 1 / range 0 1 0
            zcard ro / index 1 / range 0 1 0
            zcount ro,access / index 1 / range 0 1 0
            zdiff ro,access / index 1 / keynum 0 1 1
            zdiffstore ow,update / index 1 / range 0 1 0
            zdiffstore ro,access / index 2 / keynum 0 1 1
            zincrby rw,access,update / index 1 / range 0 1 0
            zinter ro,access / index 1 / keynum 0 1 1
            zintercard ro,access / index 1 / keynum 0 1 1
            zinterstore ow,update / index 1 / range 0 1 0
            zinterstore ro,access / index 2 / keynum 0 1 1
            zlexcount ro,access / index 1 / range 0 1 0
            zmpop rw,access,delete / index 1 / keynum 0 1 1
            zmscore ro,access / index 1 / range 0 1 0
            zpopmax rw,access,delete / index 1 / range 0 1 0
            zpopmin rw,access,delete / index 1 / range 0 1 0
            zrandmember ro,access / index 1 / range 0 1 0
            zrange ro,access / index 1 / range 0 1 0
            zrangebylex ro,access / index 1 / range 0 1 0
            zrangebyscore ro,access / index 1 / range 0 1 0
            zrangestore ow,update / index 1 / range 0 1 0
            zrangestore ro,access / index 2 / range 0 1 0
            zrank ro,access / index 1 / range 0 1 0
            zrem rw,delete / index 1 / range 0 1 0
            zremrangebylex rw,delete / index 1 / range 0 1 0
            zremrangebyrank rw,delete / index 1 / range 0 1 0
            zremrangebyscore rw,delete / index 1 / range 0 1 0
            zrevrange ro,access / index 1 / range 0 1 0
            zrevrangebylex ro,access / index 1 / range 0 1 0
            zrevrangebyscore ro,access / index 1 / range 0 1 0
            zrevrank ro,access / index 1 / range 0 1 0
            zscan ro,access / index 1 / range 0 1 0
            zscore ro,access / index 1 / range 0 1 0
            zunion ro,access / index 1 / keynum 0 1 1
            zunionstore ow,update / index 1 / range 0 1 0
            zunionstore ro,access / index 2 / keynum 0 1 1
            """;

    private static final Map<String, Spec[]> SPECS = parse();

    private KeySpecs() {
    }

    private static Map<String, Spec[]> parse() {
        Map<String, List<Spec>> m = new HashMap<>();
        for (String line : TABLE.strip().split("\n")) {
            String[] parts = line.strip().split(" / ");
            String[] head = parts[0].split(" ");
            int flags = 0;
            for (String f : head[1].split(",")) {
                for (int i = 0; i < NAMES.length; i++) {
                    if (NAMES[i].equalsIgnoreCase(f)) {
                        flags |= 1 << i;
                    }
                }
            }
            String[] bs = parts[1].split(" ");
            String[] fk = parts[2].split(" ");
            int begin = bs[0].equals("index") ? INDEX : bs[0].equals("keyword") ? KEYWORD : UNKNOWN;
            int position = begin == INDEX ? Integer.parseInt(bs[1]) : begin == KEYWORD ? Integer.parseInt(bs[2]) : 0;
            int find = fk[0].equals("range") ? RANGE : fk[0].equals("keynum") ? KEYNUM : UNKNOWN;
            int a = find == UNKNOWN ? 0 : Integer.parseInt(fk[1]);
            int b = find == UNKNOWN ? 0 : Integer.parseInt(fk[2]);
            int c = find == UNKNOWN ? 0 : Integer.parseInt(fk[3]);
            m.computeIfAbsent(head[0], k -> new ArrayList<>())
                    .add(new Spec(flags, begin, position, begin == KEYWORD ? bs[1] : null, find, a, b, c));
        }
        Map<String, Spec[]> out = new HashMap<>();
        m.forEach((k, v) -> out.put(k, v.toArray(new Spec[0])));
        return out;
    }

    /** The command's specifications, or null when Redis has none for it (or does not have it). */
    static Spec[] of(CommandSpec s) {
        return SPECS.get(s.fullName().toLowerCase(Locale.ROOT));
    }

    /**
     * COMMAND INFO's legacy key range and movablekeys flag, derived from the specifications as
     * Redis derives them: one index-and-range spec is the range as it is; several are glued where
     * they are consecutive ranges of step 1, and any other spec (keyword, keynum, unknown, step
     * above 1, out of order) or an incomplete one makes the command movablekeys.
     */
    record Legacy(int first, int last, int step, boolean movable) {
    }

    static Legacy legacy(Spec[] specs) {
        if (specs.length == 1 && specs[0].begin() == INDEX && specs[0].find() == RANGE) {
            Spec s = specs[0];
            return new Legacy(s.position(), s.a() >= 0 ? s.a() + s.position() : s.a(), s.b(),
                    (s.flags() & INCOMPLETE) != 0);
        }
        boolean movable = false;
        int first = Integer.MAX_VALUE;
        int last = 0;
        int previousLast = 0;
        for (Spec s : specs) {
            if (s.begin() != INDEX || s.find() != RANGE || s.b() != 1
                    || (previousLast != 0 && previousLast != s.position() - 1)) {
                movable = true;
                continue;
            }
            movable |= (s.flags() & INCOMPLETE) != 0;
            first = Math.min(first, s.position());
            int abs = s.a() >= 0 ? s.a() + s.position() : s.a();
            last = Integer.compareUnsigned(last, abs) > 0 ? last : abs; // a negative one (from the end) wins
            previousLast = last;
        }
        return first == Integer.MAX_VALUE ? new Legacy(0, 0, 0, true) : new Legacy(first, last, 1, movable);
    }

    /** Key flags as Redis writes them: a set of status strings. */
    static void replyFlags(Reply reply, int flags) {
        reply.set(Integer.bitCount(flags));
        for (int i = 0; i < NAMES.length; i++) {
            if ((flags & (1 << i)) != 0) {
                reply.simple(NAMES[i]);
            }
        }
    }

    /** COMMAND INFO's key specifications. */
    static void reply(Reply reply, Spec[] specs) {
        reply.set(specs.length);
        for (Spec s : specs) {
            reply.map(3);
            reply.bulk("flags");
            replyFlags(reply, s.flags());
            reply.bulk("begin_search");
            reply.map(2);
            reply.bulk("type");
            if (s.begin() == INDEX) {
                reply.bulk("index");
                reply.bulk("spec");
                reply.map(1);
                reply.bulk("index");
                reply.integer(s.position());
            } else if (s.begin() == KEYWORD) {
                reply.bulk("keyword");
                reply.bulk("spec");
                reply.map(2);
                reply.bulk("keyword");
                reply.bulk(s.keyword());
                reply.bulk("startfrom");
                reply.integer(s.position());
            } else {
                reply.bulk("unknown");
                reply.bulk("spec");
                reply.map(0);
            }
            reply.bulk("find_keys");
            reply.map(2);
            reply.bulk("type");
            if (s.find() == RANGE) {
                reply.bulk("range");
                reply.bulk("spec");
                reply.map(3);
                reply.bulk("lastkey");
                reply.integer(s.a());
                reply.bulk("keystep");
                reply.integer(s.b());
                reply.bulk("limit");
                reply.integer(s.c());
            } else if (s.find() == KEYNUM) {
                reply.bulk("keynum");
                reply.bulk("spec");
                reply.map(3);
                reply.bulk("keynumidx");
                reply.integer(s.a());
                reply.bulk("firstkey");
                reply.integer(s.b());
                reply.bulk("keystep");
                reply.integer(s.c());
            } else {
                reply.bulk("unknown");
                reply.bulk("spec");
                reply.map(0);
            }
        }
    }

    /**
     * The flags of the key at argument {@code key} of {@code args} (argument 0: the command's
     * name), as COMMAND GETKEYSANDFLAGS reports them: from the specification whose keys include
     * it, or, where the flags depend on the arguments (SET, BITFIELD, SORT), as Redis decides
     * them. -1 when no specification covers it.
     */
    static int flagsOf(CommandSpec cmd, Request args, int key) {
        String name = cmd.fullName().toLowerCase(Locale.ROOT);
        switch (name) {
            case "set" -> {
                for (int i = 3; i < args.argc(); i++) {
                    if (args.is(i, "get")) {
                        return RW | ACCESS | UPDATE;
                    }
                }
                return OW | UPDATE;
            }
            case "bitfield" -> {
                return bitfieldReadsOnly(args) ? RO | ACCESS : RW | ACCESS | UPDATE;
            }
            case "sort", "sort_ro" -> {
                return key == 1 ? RO | ACCESS : OW | UPDATE;
            }
            default -> {
            }
        }
        Spec[] specs = SPECS.get(name);
        if (specs == null) {
            return -1;
        }
        for (Spec s : specs) {
            if ((s.flags() & NOT_KEY) == 0 && covers(s, args, key)) {
                return s.flags();
            }
        }
        return -1;
    }

    private static boolean bitfieldReadsOnly(Request args) {
        for (int i = 2; i < args.argc(); i++) {
            int left = args.argc() - i - 1;
            if (args.is(i, "get") && left >= 2) {
                i += 2;
            } else if (args.is(i, "overflow") && left >= 1) {
                i += 1;
            } else {
                return false; // a SET, an INCRBY, or a syntax error: not read-only
            }
        }
        return true;
    }

    /** Whether the specification, evaluated over {@code args} as Redis does, finds argument {@code key}. */
    private static boolean covers(Spec s, Request args, int key) {
        int argc = args.argc();
        int first = 0;
        if (s.begin() == INDEX) {
            first = s.position();
        } else if (s.begin() == KEYWORD) {
            int start = s.position() > 0 ? s.position() : argc + s.position();
            int end = s.position() > 0 ? argc - 1 : 1;
            for (int i = start; i != end; i = start <= end ? i + 1 : i - 1) {
                if (i >= argc || i < 1) {
                    break;
                }
                if (args.is(i, s.keyword().toLowerCase(Locale.ROOT))) {
                    first = i + 1;
                    break;
                }
            }
            if (first == 0) {
                return false;
            }
        } else {
            return false;
        }
        int last;
        int step;
        if (s.find() == RANGE) {
            step = s.b();
            if (s.a() >= 0) {
                last = first + s.a();
            } else if (s.c() == 0) {
                last = argc + s.a();
            } else {
                last = first + ((argc - first) / s.c() + s.a());
            }
        } else if (s.find() == KEYNUM) {
            step = s.c();
            if (first + s.a() >= argc || !args.parseLong(first + s.a()) || args.longValue() < 0
                    || args.longValue() > argc) {
                return false;
            }
            long n = args.longValue();
            first += s.b();
            last = first + (int) n - 1;
        } else {
            return false;
        }
        if (last >= argc || last < first || first >= argc || step <= 0) {
            return false;
        }
        return key >= first && key <= last && (key - first) % step == 0;
    }
}
