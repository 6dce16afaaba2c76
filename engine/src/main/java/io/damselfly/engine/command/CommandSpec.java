package io.damselfly.engine.command;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * A command as data plus a function: its name, arity, flags and key positions (what COMMAND
 * INFO reports), its documentation (COMMAND DOCS), where it runs, and its implementation. The
 * dispatcher, the transaction planner and the journal all read the same spec.
 */
public final class CommandSpec {
    // Redis 7.0 command flags, in the order COMMAND INFO lists them.
    public static final long WRITE = 1L;
    public static final long READONLY = 1L << 1;
    public static final long DENYOOM = 1L << 2;
    public static final long ADMIN = 1L << 4;
    public static final long PUBSUB = 1L << 5;
    public static final long NOSCRIPT = 1L << 6;
    public static final long BLOCKING = 1L << 8;
    public static final long LOADING = 1L << 9;
    public static final long STALE = 1L << 10;
    public static final long SKIP_MONITOR = 1L << 11;
    public static final long SKIP_SLOWLOG = 1L << 12;
    public static final long ASKING = 1L << 13;
    public static final long FAST = 1L << 14;
    public static final long NO_AUTH = 1L << 15;
    public static final long MAY_REPLICATE = 1L << 16;
    public static final long SENTINEL = 1L << 17;
    public static final long ONLY_SENTINEL = 1L << 18;
    public static final long NO_MANDATORY_KEYS = 1L << 19;
    public static final long PROTECTED = 1L << 20;
    public static final long NO_ASYNC_LOADING = 1L << 23;
    public static final long NO_MULTI = 1L << 24;
    public static final long MOVABLE_KEYS = 1L << 25;
    public static final long ALLOW_BUSY = 1L << 26;

    static final String[][] FLAG_NAMES = {
            {"write", "1"}, {"readonly", "2"}, {"denyoom", "4"}, {"admin", "16"}, {"pubsub", "32"},
            {"noscript", "64"}, {"blocking", "256"}, {"loading", "512"}, {"stale", "1024"},
            {"skip_monitor", "2048"}, {"skip_slowlog", "4096"}, {"asking", "8192"}, {"fast", "16384"},
            {"no_auth", "32768"}, {"may_replicate", "65536"}, {"no_mandatory_keys", "524288"},
            {"no_async_loading", "8388608"}, {"no_multi", "16777216"}, {"movablekeys", "33554432"},
            {"allow_busy", "67108864"},
    };

    /** Where a command runs. */
    public enum Route {
        /** On the client's own thread: no keys, or connection and server state. */
        HOME,
        /** On the shard that owns its keys; across shards through its {@link MultiShardOp}. */
        KEYS,
        /** On every shard, through its {@link MultiShardOp}. */
        ALL,
        /** On the shard its {@link ShardSelector} names. */
        SELECTED,
    }

    /** The implementation: runs on the thread that owns the shard in {@code ctx}. */
    @FunctionalInterface
    public interface Handler {
        void execute(CommandContext ctx);
    }

    /** Finds a command's key arguments when fixed positions cannot say (numkeys, options). */
    @FunctionalInterface
    public interface KeyFinder {
        /** Writes the argument indices of the keys into {@code out}; returns how many, or -1 on a syntax error. */
        int find(Request req, int[] out);
    }

    /** Picks the shard a {@link Route#SELECTED} command runs on, or -1 to reject it with a syntax error. */
    @FunctionalInterface
    public interface ShardSelector {
        int select(Request req, int shards);
    }

    final String name;
    final String fullName;
    final int arity;
    final long flags;
    final int firstKey;
    final int lastKey;
    final int keyStep;
    final String group;
    final String since;
    final String summary;
    final String complexity;
    final String[] aclCategories;
    final String[] tips;
    final Route route;
    final Handler handler;
    final MultiShardOp multi;
    final KeyFinder keyFinder;
    final ShardSelector selector;
    final Map<String, CommandSpec> subcommands = new LinkedHashMap<>();
    CommandSpec parent;
    int id;
    /** (P|S)SUBSCRIBE and (P|S)UNSUBSCRIBE: their confirmations are pushes, sent even under CLIENT REPLY OFF. */
    private final boolean subscription;

    private final boolean openSubcommands;

    /** Whether a subcommand not in {@link #subcommands} goes to this command's own handler (DEBUG). */
    public boolean openSubcommands() {
        return openSubcommands;
    }

    private CommandSpec(Builder b) {
        this.name = b.name;
        this.fullName = b.parent == null ? b.name : b.parent + "|" + b.name;
        this.subscription = b.parent == null && b.name.endsWith("subscribe");
        this.openSubcommands = b.openSubcommands;
        this.arity = b.arity;
        this.flags = b.flags;
        this.firstKey = b.firstKey;
        this.lastKey = b.lastKey;
        this.keyStep = b.keyStep;
        this.group = b.group;
        this.since = b.since;
        this.summary = b.summary;
        this.complexity = b.complexity;
        this.aclCategories = b.acl;
        this.tips = b.tips;
        this.route = b.route;
        this.handler = b.handler;
        this.multi = b.multi;
        this.keyFinder = b.keyFinder;
        this.selector = b.selector;
    }

    /**
     * An operation over every shard that the server runs for itself and no client can name
     * (a snapshot's cut for a replica): not in any table, so it has no id and no statistics.
     */
    public static CommandSpec internal(String name, MultiShardOp op) {
        CommandSpec spec = command(name, 1).allShards(op).build();
        spec.id = -1;
        return spec;
    }

    public static Builder command(String name, int arity) {
        return new Builder(name.toLowerCase(Locale.ROOT), arity, null);
    }

    /** A subcommand of {@code parent}; its full name is "parent|name". */
    public static Builder subcommand(String parent, String name, int arity) {
        return new Builder(name.toLowerCase(Locale.ROOT), arity, parent.toLowerCase(Locale.ROOT));
    }

    public String name() {
        return name;
    }

    /** "get", or "client|list" for a subcommand. */
    public String fullName() {
        return fullName;
    }

    public int arity() {
        return arity;
    }

    public long flags() {
        return flags;
    }

    public boolean subscription() {
        return subscription;
    }

    public boolean has(long flag) {
        return (flags & flag) != 0;
    }

    public int firstKey() {
        return firstKey;
    }

    public int lastKey() {
        return lastKey;
    }

    public int keyStep() {
        return keyStep;
    }

    public String group() {
        return group;
    }

    public String since() {
        return since;
    }

    public String summary() {
        return summary;
    }

    public String complexity() {
        return complexity;
    }

    public String[] aclCategories() {
        return aclCategories;
    }

    public String[] tips() {
        return tips;
    }

    public Route route() {
        return route;
    }

    public Handler handler() {
        return handler;
    }

    public MultiShardOp multi() {
        return multi;
    }

    public ShardSelector selector() {
        return selector;
    }

    public Map<String, CommandSpec> subcommands() {
        return subcommands;
    }

    public CommandSpec parent() {
        return parent;
    }

    public int id() {
        return id;
    }

    public boolean hasKeyFinder() {
        return keyFinder != null;
    }

    public boolean checkArity(int argc) {
        return arity > 0 ? argc == arity : argc >= -arity;
    }

    /**
     * Writes the argument indices of the request's keys into {@code out} and returns how many,
     * or -1 when the arguments are malformed (the handler then reports the exact error).
     */
    public int keys(Request req, int[] out) {
        if (keyFinder != null) {
            return keyFinder.find(req, out);
        }
        if (firstKey == 0) {
            return 0;
        }
        int argc = req.argc();
        int last = lastKey < 0 ? argc + lastKey : lastKey;
        int n = 0;
        for (int i = firstKey; i <= last && i < argc; i += keyStep) {
            out[n++] = i;
        }
        return n;
    }

    /** Builder; see {@link CommandTable} for how families register their commands. */
    public static final class Builder {
        private final String name;
        private final int arity;
        private final String parent;
        private long flags;
        private int firstKey;
        private int lastKey;
        private int keyStep;
        private String group = "generic";
        private String since = "1.0.0";
        private String summary = "";
        private String complexity = "O(1)";
        private String[] acl = new String[0];
        private String[] tips = new String[0];
        private Route route = Route.HOME;
        private Handler handler;
        private MultiShardOp multi;
        private boolean openSubcommands;

        /** Subcommands not listed run the command's own handler (DEBUG's many, of which one is multi-shard). */
        public Builder openSubcommands() {
            this.openSubcommands = true;
            return this;
        }
        private KeyFinder keyFinder;
        private ShardSelector selector;
        private final java.util.List<CommandSpec> subs = new java.util.ArrayList<>();

        private Builder(String name, int arity, String parent) {
            this.name = name;
            this.arity = arity;
            this.parent = parent;
        }

        public Builder flags(long f) {
            this.flags |= f;
            return this;
        }

        /** Fixed key positions; also routes the command by its keys. */
        public Builder keys(int first, int last, int step) {
            this.firstKey = first;
            this.lastKey = last;
            this.keyStep = step;
            this.route = Route.KEYS;
            return this;
        }

        public Builder keyFinder(KeyFinder finder) {
            this.keyFinder = finder;
            this.route = Route.KEYS;
            return this;
        }

        public Builder group(String g) {
            this.group = g;
            return this;
        }

        public Builder since(String s) {
            this.since = s;
            return this;
        }

        public Builder summary(String s) {
            this.summary = s;
            return this;
        }

        public Builder complexity(String c) {
            this.complexity = c;
            return this;
        }

        public Builder acl(String... categories) {
            this.acl = categories;
            return this;
        }

        public Builder tips(String... t) {
            this.tips = t;
            return this;
        }

        public Builder home(Handler h) {
            this.route = Route.HOME;
            this.handler = h;
            return this;
        }

        public Builder handler(Handler h) {
            this.handler = h;
            return this;
        }

        /** How the command runs when its keys span shards, or on every shard. */
        public Builder multi(MultiShardOp op) {
            this.multi = op;
            return this;
        }

        public Builder allShards(MultiShardOp op) {
            this.multi = op;
            this.route = Route.ALL;
            return this;
        }

        public Builder selected(ShardSelector s, Handler h) {
            this.selector = s;
            this.handler = h;
            this.route = Route.SELECTED;
            return this;
        }

        /** Adds a subcommand made with {@link CommandSpec#subcommand}. */
        public Builder sub(Builder sub) {
            subs.add(sub.build());
            return this;
        }

        public CommandSpec build() {
            CommandSpec spec = new CommandSpec(this);
            for (CommandSpec s : subs) {
                s.parent = spec;
                spec.subcommands.put(s.name, s);
            }
            return spec;
        }
    }
}
