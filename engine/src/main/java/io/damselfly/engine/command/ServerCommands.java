package io.damselfly.engine.command;

import io.damselfly.engine.config.Setting;
import io.damselfly.engine.exec.Client;
import io.damselfly.engine.exec.Tx;
import io.damselfly.engine.exec.TxPart;
import io.damselfly.engine.exec.Worker;
import io.damselfly.engine.keyspace.Glob;
import io.damselfly.engine.resp.Reply;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

import static io.damselfly.engine.command.CommandSpec.ADMIN;
import static io.damselfly.engine.command.CommandSpec.FAST;
import static io.damselfly.engine.command.CommandSpec.LOADING;
import static io.damselfly.engine.command.CommandSpec.NOSCRIPT;
import static io.damselfly.engine.command.CommandSpec.STALE;
import static io.damselfly.engine.command.CommandSpec.command;
import static io.damselfly.engine.command.CommandSpec.subcommand;

/** Server commands: INFO CONFIG COMMAND TIME LASTSAVE DEBUG SHUTDOWN MONITOR FUNCTION. */
public final class ServerCommands {
    private ServerCommands() {
    }

    public static void register(CommandTable t) {
        t.add(command("info", -1).flags(LOADING | STALE).group("server").since("1.0.0").acl("@slow", "@dangerous")
                .tips("nondeterministic_output", "request_policy:all_shards", "response_policy:special")
                .summary("Reports the server's state and statistics, by section.")
                .allShards(new InfoOp()).build());
        t.add(command("time", 1).flags(LOADING | STALE | FAST).group("server").since("2.6.0").acl("@fast")
                .tips("nondeterministic_output").summary("Returns the server's clock: unix seconds and microseconds.")
                .home(ServerCommands::time).build());
        t.add(command("lastsave", 1).flags(LOADING | STALE | FAST).group("server").since("1.0.0")
                .acl("@admin", "@fast", "@dangerous").tips("nondeterministic_output")
                .summary("Returns the unix time of the last successful save.")
                .home(c -> c.reply.integer(c.engine.lastSaveMs() / 1000)).build());
        t.add(command("shutdown", -1).flags(ADMIN | NOSCRIPT | LOADING | STALE | CommandSpec.NO_MULTI
                        | CommandSpec.SENTINEL | CommandSpec.ALLOW_BUSY).group("server").since("1.0.0")
                .acl("@admin", "@slow", "@dangerous").complexity("O(N) when saving, where N is the total number of keys in all databases when saving data, otherwise O(1)")
                .summary("Stops the server, saving first when save points are configured.")
                .home(ServerCommands::shutdown).build());
        t.add(command("monitor", 1).flags(ADMIN | NOSCRIPT | LOADING | STALE).group("server").since("1.0.0")
                .acl("@admin", "@slow", "@dangerous").summary("Streams every command the server runs to this connection.")
                .home(ServerCommands::monitor).build());
        CommandSpec.Builder config = command("config", -2).group("server").since("2.0.0").acl("@slow")
                .summary("Reads and changes settings at runtime.").complexity("Depends on subcommand.")
                .home(CommandContext::wrongArity);
        config.sub(subcommand("config", "get", -3).flags(ADMIN | NOSCRIPT | LOADING | STALE)
                .acl("@admin", "@slow", "@dangerous").since("2.0.0").complexity("O(N) when N is the number of configuration parameters provided")
                .summary("Returns the settings that match glob-style patterns.").home(ServerCommands::configGet));
        config.sub(subcommand("config", "set", -4).flags(ADMIN | NOSCRIPT | LOADING | STALE)
                .acl("@admin", "@slow", "@dangerous").since("2.0.0").complexity("O(N) when N is the number of configuration parameters provided")
                .summary("Changes one or more settings, all or none.").home(ServerCommands::configSet));
        config.sub(subcommand("config", "resetstat", 2).flags(ADMIN | NOSCRIPT | LOADING | STALE)
                .acl("@admin", "@slow", "@dangerous").since("2.0.0")
                .summary("Resets the statistics INFO reports.").allShards(new ResetStatOp()));
        config.sub(subcommand("config", "rewrite", 2).flags(ADMIN | NOSCRIPT | LOADING | STALE)
                .acl("@admin", "@slow", "@dangerous").since("2.8.0")
                .summary("Writes the running settings back to the config file.").home(ServerCommands::configRewrite));
        config.sub(subcommand("config", "help", 2).flags(LOADING | STALE).acl("@slow").since("5.0.0")
                .summary("Lists the CONFIG subcommands.").home(ServerCommands::configHelp));
        t.add(config.build());
        CommandSpec.Builder cmd = command("command", -1).flags(LOADING | STALE).group("server").since("2.8.13")
                .acl("@slow", "@connection").tips("nondeterministic_output_order")
                .summary("Describes the server's commands.").complexity("O(N) where N is the total number of Redis commands")
                .home(ServerCommands::commandAll);
        cmd.sub(subcommand("command", "count", 2).flags(LOADING | STALE).acl("@slow", "@connection").since("2.8.13")
                .summary("Counts the commands the server knows.").home(c -> c.reply.integer(c.engine.commands().commands().size())));
        cmd.sub(subcommand("command", "info", -2).flags(LOADING | STALE).acl("@slow", "@connection").since("2.8.13")
                .tips("nondeterministic_output_order").complexity("O(N) where N is the number of commands to look up")
                .summary("Describes commands: arity, flags, key positions, ACL categories.").home(ServerCommands::commandInfo));
        cmd.sub(subcommand("command", "docs", -2).flags(LOADING | STALE).acl("@slow", "@connection").since("7.0.0")
                .tips("nondeterministic_output_order").complexity("O(N) where N is the number of commands to look up")
                .summary("Returns the documentation of commands.").home(ServerCommands::commandDocs));
        cmd.sub(subcommand("command", "list", -2).flags(LOADING | STALE).acl("@slow", "@connection").since("7.0.0")
                .tips("nondeterministic_output_order").complexity("O(N) where N is the total number of Redis commands")
                .summary("Lists command names, optionally filtered.").home(ServerCommands::commandList));
        cmd.sub(subcommand("command", "getkeys", -3).flags(LOADING | STALE).acl("@slow", "@connection").since("2.8.13")
                .complexity("O(N) where N is the number of arguments to the command")
                .summary("Extracts the keys of a full command line.").home(c -> getKeys(c, false)));
        cmd.sub(subcommand("command", "getkeysandflags", -3).flags(LOADING | STALE).acl("@slow", "@connection")
                .since("7.0.0").complexity("O(N) where N is the number of arguments to the command")
                .summary("Extracts the keys of a full command line, with how it uses each.").home(c -> getKeys(c, true)));
        cmd.sub(subcommand("command", "help", 2).flags(LOADING | STALE).acl("@slow", "@connection").since("5.0.0")
                .summary("Lists the COMMAND subcommands.").home(ServerCommands::commandHelp));
        t.add(cmd.build());
        CommandSpec.Builder debug = command("debug", -2).flags(ADMIN | NOSCRIPT | LOADING | STALE | CommandSpec.PROTECTED)
                .group("server").since("1.0.0").acl("@admin", "@slow", "@dangerous")
                .summary("Inspects and perturbs the server, for tests and troubleshooting.")
                .complexity("Depends on subcommand.").home(ServerCommands::debug).openSubcommands()
                .sub(PersistenceCommands.debugReload())
                .sub(subcommand("debug", "populate", -3).flags(ADMIN | NOSCRIPT | CommandSpec.PROTECTED)
                        .acl("@admin", "@slow", "@dangerous").since("1.0.0")
                        .summary("Creates <count> string keys named <prefix>:<n> for tests and benchmarks.")
                        .allShards(new PopulateOp()));
        t.add(debug.build());
        CommandSpec.Builder function = command("function", -2).group("scripting").since("7.0.0").acl("@slow")
                .summary("Manages server-side functions (Damselfly keeps none).").complexity("Depends on subcommand.")
                .home(CommandContext::wrongArity);
        function.sub(subcommand("function", "flush", -2).flags(NOSCRIPT | CommandSpec.WRITE).acl("@write", "@slow", "@scripting")
                .since("7.0.0").summary("Deletes every function: there are none, so it succeeds at once.")
                .home(c -> {
                    if (c.req.argc() > 3 || (c.req.argc() == 3 && !c.req.is(2, "async") && !c.req.is(2, "sync"))) {
                        c.reply.error("ERR FUNCTION FLUSH only supports SYNC|ASYNC option");
                        return;
                    }
                    c.reply.ok();
                }));
        function.sub(subcommand("function", "list", -2).flags(NOSCRIPT).acl("@slow", "@scripting").since("7.0.0")
                .summary("Lists the function libraries: always none.").home(c -> c.reply.array(0)));
        t.add(function.build());
    }

    static void time(CommandContext c) {
        long micros = Math.multiplyExact(System.currentTimeMillis(), 1000L) + (System.nanoTime() / 1000) % 1000;
        c.reply.array(2);
        c.reply.bulkLong(micros / 1_000_000);
        c.reply.bulkLong(micros % 1_000_000);
    }

    static void shutdown(CommandContext c) {
        Request r = c.req;
        boolean save = false;
        boolean noSave = false;
        boolean now = false;
        boolean force = false;
        boolean abort = false;
        for (int i = 1; i < r.argc(); i++) {
            if (r.is(i, "nosave")) {
                noSave = true;
            } else if (r.is(i, "save")) {
                save = true;
            } else if (r.is(i, "now")) {
                now = true;
            } else if (r.is(i, "force")) {
                force = true;
            } else if (r.is(i, "abort")) {
                abort = true;
            } else {
                c.syntaxError();
                return;
            }
        }
        if ((abort && r.argc() != 2) || (save && noSave)) {
            c.syntaxError();
            return;
        }
        if (abort) {
            c.reply.error("ERR No shutdown in progress.");
            return;
        }
        String error = c.engine.host().shutdown(save, noSave, now, force);
        if (error != null) {
            c.reply.error(error);
        }
        // On success the connection is closed without a reply, as Redis does.
    }

    static void monitor(CommandContext c) {
        if (c.client.hasFlag(Client.FLAG_MONITOR)) {
            return;
        }
        c.client.setFlag(Client.FLAG_MONITOR);
        c.engine.host().addMonitor(c.client);
        c.reply.ok();
    }

    // ------------------------------------------------------------------ INFO

    /**
     * DEBUG POPULATE count [prefix [size [RAND]]]: on every shard at once, the keys of the range
     * that hash to it. Keys that exist are left alone. As in Redis it writes nothing to the
     * journal (a replica gets the keys with its next full sync), and it holds each shard while
     * it runs, as Redis holds its one thread.
     */
    static final class PopulateOp implements MultiShardOp {
        @Override
        public int lockMode() {
            return LOCK_SHARD;
        }

        @Override
        public String precheck(Tx tx, int databases) {
            String refused = debugRefused(tx.engine(), tx.client());
            if (refused != null) {
                return refused;
            }
            Request r = tx.req;
            if (r.argc() > 6 || (r.argc() == 6 && !r.is(5, "rand"))) {
                return "ERR unknown subcommand or wrong number of arguments for 'populate'. Try DEBUG HELP.";
            }
            for (int i : new int[] {2, 4}) {
                if (i < r.argc()) {
                    if (!r.parseLong(i)) {
                        return CommandContext.NOT_INTEGER;
                    }
                    long v = r.longValue();
                    // no value may be larger than a bulk may be
                    if (v < 0 || (i == 4 && v > tx.engine().settings().protoMaxBulkLen.number())) {
                        return "ERR value is out of range, must be positive";
                    }
                }
            }
            return null;
        }

        @Override
        public void step(CommandContext c, TxPart part, int hop) {
            Request r = c.req;
            r.parseLong(2);
            long count = r.longValue();
            byte[] prefix = r.argc() > 3 ? r.copy(3) : KEY_PREFIX;
            int size = -1;
            if (r.argc() > 4) {
                r.parseLong(4);
                size = (int) r.longValue();
            }
            boolean random = r.argc() > 5;
            io.damselfly.engine.exec.Engine engine = c.engine;
            int here = c.shard.index();
            boolean oneShard = engine.shards() == 1;
            byte[] key = new byte[prefix.length + 21];
            System.arraycopy(prefix, 0, key, 0, prefix.length);
            key[prefix.length] = ':';
            byte[] value = new byte[Math.max(size, VALUE_PREFIX.length + 20)];
            System.arraycopy(VALUE_PREFIX, 0, value, 0, VALUE_PREFIX.length);
            java.util.SplittableRandom rnd = random ? new java.util.SplittableRandom() : null;
            for (long n = 0; n < count; n++) {
                int klen = prefix.length + 1 + digits(n, key, prefix.length + 1);
                if (!oneShard && engine.shardOf(key, 0, klen) != here) {
                    continue;
                }
                if (c.db.lookupWrite(key, 0, klen) != 0) {
                    continue;
                }
                int vlen;
                if (random) {
                    vlen = size;
                    for (int i = 0; i < vlen; i++) {
                        value[i] = (byte) rnd.nextInt(256);
                    }
                } else {
                    int text = VALUE_PREFIX.length + digits(n, value, VALUE_PREFIX.length);
                    if (size < 0) {
                        vlen = text;
                    } else {
                        vlen = size;
                        java.util.Arrays.fill(value, Math.min(text, size), size, (byte) 0);
                    }
                }
                c.db.putString(key, 0, klen, value, 0, vlen, io.damselfly.engine.shard.Keyspace.NO_EXPIRE);
            }
        }

        @Override
        public void reply(Tx tx, Reply reply) {
            reply.ok();
        }

        private static final byte[] KEY_PREFIX = {'k', 'e', 'y'};
        private static final byte[] VALUE_PREFIX = {'v', 'a', 'l', 'u', 'e', ':'};

        /** Writes {@code n} in decimal at {@code at}; returns how many digits. */
        private static int digits(long n, byte[] out, int at) {
            int len = 1;
            for (long m = n; m >= 10; m /= 10) {
                len++;
            }
            for (int i = at + len - 1; i >= at; i--) {
                out[i] = (byte) ('0' + n % 10);
                n /= 10;
            }
            return len;
        }
    }

    /** An operation that reads every worker's statistics, each on its own thread, without locks. */
    abstract static class GatherStats implements MultiShardOp {
        @Override
        public int lockMode() {
            return LOCK_NONE;
        }

        @Override
        public void step(CommandContext c, TxPart part, int hop) {
            part.payload = c.worker.stats(wantsLatencies(c.req));
        }

        /** Whether the request needs the workers' latency histograms (copying them is not free). */
        abstract boolean wantsLatencies(Request r);

        /** What each worker reported, in the order of the participants. */
        static List<Worker.Stats> gathered(Tx tx) {
            List<Worker.Stats> stats = new ArrayList<>();
            for (int i = 0; i < tx.participantCount(); i++) {
                stats.add((Worker.Stats) tx.participant(i).payload);
            }
            return stats;
        }
    }

    static final class InfoOp extends GatherStats {
        @Override
        boolean wantsLatencies(Request r) {
            return Info.sections(r, 1).contains("latencystats");
        }

        @Override
        public void reply(Tx tx, Reply reply) {
            List<Worker.Stats> stats = gathered(tx);
            Set<String> wanted = Info.sections(tx.req, 1);
            reply.verbatim(Info.render(tx.spec() == null ? null : engineOf(tx), null, wanted, stats));
        }
    }

    private static io.damselfly.engine.exec.Engine engineOf(Tx tx) {
        return tx.engine();
    }

    static final class ResetStatOp implements MultiShardOp {
        @Override
        public int lockMode() {
            return LOCK_NONE;
        }

        @Override
        public void step(CommandContext c, TxPart part, int hop) {
            c.worker.resetStats();
        }

        @Override
        public void reply(Tx tx, Reply reply) {
            tx.engine().resetNetworkStats();
            reply.ok();
        }
    }

    // ------------------------------------------------------------------ CONFIG

    static void configGet(CommandContext c) {
        Request r = c.req;
        List<String> patterns = new ArrayList<>();
        for (int i = 2; i < r.argc(); i++) {
            patterns.add(r.str(i));
        }
        Map<String, String> found = c.engine.settings().configGet(patterns);
        c.reply.map(found.size());
        for (Map.Entry<String, String> e : found.entrySet()) {
            c.reply.bulk(e.getKey());
            c.reply.bulk(e.getValue() == null ? "" : e.getValue());
        }
    }

    static void configSet(CommandContext c) {
        Request r = c.req;
        if (r.argc() % 2 != 0) {
            c.wrongArity();
            return;
        }
        List<String[]> pairs = new ArrayList<>();
        for (int i = 2; i < r.argc(); i += 2) {
            pairs.add(new String[] {r.lower(i), r.str(i + 1)});
        }
        String error = c.engine.settings().configSet(pairs);
        if (error != null) {
            c.reply.error(error);
        } else {
            c.reply.ok();
        }
    }

    static void configRewrite(CommandContext c) {
        try {
            c.engine.settings().rewrite();
            c.reply.ok();
        } catch (IllegalStateException e) {
            c.reply.error("ERR " + e.getMessage());
        } catch (IOException e) {
            c.reply.error("ERR Rewriting config file: " + e.getMessage());
        }
    }

    static void configHelp(CommandContext c) {
        help(c, "CONFIG <subcommand> [<arg> ...]. Subcommands:",
                "GET <pattern> [<pattern> ...]",
                "    Settings whose names match the glob-style patterns, with their values.",
                "SET <name> <value> [<name> <value> ...]",
                "    Change settings; all of them or none.",
                "RESETSTAT",
                "    Reset the statistics INFO reports.",
                "REWRITE",
                "    Write the running settings into the config file.",
                "HELP",
                "    This text.");
    }

    static void help(CommandContext c, String... lines) {
        c.reply.array(lines.length);
        for (String l : lines) {
            c.reply.simple(l);
        }
    }

    // ------------------------------------------------------------------ COMMAND

    static void commandAll(CommandContext c) {
        List<CommandSpec> all = c.engine.commands().commands();
        c.reply.array(all.size());
        for (CommandSpec s : all) {
            commandInfo(c.reply, s);
        }
    }

    static void commandInfo(CommandContext c) {
        Request r = c.req;
        if (r.argc() == 2) {
            commandAll(c);
            return;
        }
        c.reply.array(r.argc() - 2);
        for (int i = 2; i < r.argc(); i++) {
            CommandSpec s = c.engine.commands().lookupFull(r.str(i));
            if (s == null) {
                c.reply.nullArray();
            } else {
                commandInfo(c.reply, s);
            }
        }
    }

    private static void flagSet(Reply reply, long flags) {
        int n = 0;
        for (String[] f : CommandSpec.FLAG_NAMES) {
            if ((flags & Long.parseLong(f[1])) != 0) {
                n++;
            }
        }
        reply.set(n);
        for (String[] f : CommandSpec.FLAG_NAMES) {
            if ((flags & Long.parseLong(f[1])) != 0) {
                reply.simple(f[0]);
            }
        }
    }

    static void commandInfo(Reply reply, CommandSpec s) {
        reply.array(10);
        reply.bulk(s.fullName());
        reply.integer(s.arity());
        KeySpecs.Spec[] specs = KeySpecs.of(s);
        KeySpecs.Legacy legacy = specs == null ? null : KeySpecs.legacy(specs);
        boolean movable = legacy != null ? legacy.movable() : s.hasKeyFinder();
        long flags = s.flags() | (movable ? CommandSpec.MOVABLE_KEYS : 0);
        flagSet(reply, flags);
        int first = s.firstKey();
        int last = s.lastKey();
        int step = s.keyStep();
        if (legacy != null) {
            first = legacy.first();
            last = legacy.last();
            step = legacy.step();
        } else if (s.hasKeyFinder() && first == 0) {
            first = 1;
            last = -1;
            step = 2;
        }
        reply.integer(first);
        reply.integer(last);
        reply.integer(step);
        reply.set(s.aclCategories().length);
        for (String a : s.aclCategories()) {
            reply.simple(a);
        }
        reply.set(s.tips().length);
        for (String tip : s.tips()) {
            reply.bulk(tip);
        }
        if (specs != null) {
            KeySpecs.reply(reply, specs);
        } else if (first > 0) {
            reply.set(1);
            reply.map(3);
            reply.bulk("flags");
            boolean write = s.has(CommandSpec.WRITE);
            reply.set(2);
            reply.simple(write ? "RW" : "RO");
            reply.simple(write ? "update" : "access");
            reply.bulk("begin_search");
            reply.map(2);
            reply.bulk("type");
            reply.bulk("index");
            reply.bulk("spec");
            reply.map(1);
            reply.bulk("index");
            reply.integer(first);
            reply.bulk("find_keys");
            reply.map(2);
            reply.bulk("type");
            reply.bulk("range");
            reply.bulk("spec");
            reply.map(3);
            reply.bulk("lastkey");
            reply.integer(last < 0 ? last : last - first);
            reply.bulk("keystep");
            reply.integer(step);
            reply.bulk("limit");
            reply.integer(0);
        } else {
            reply.set(0);
        }
        reply.array(s.subcommands().size());
        for (CommandSpec sub : s.subcommands().values()) {
            commandInfo(reply, sub);
        }
    }

    static void commandDocs(CommandContext c) {
        Request r = c.req;
        List<CommandSpec> specs = new ArrayList<>();
        if (r.argc() == 2) {
            specs.addAll(c.engine.commands().commands());
        } else {
            for (int i = 2; i < r.argc(); i++) {
                CommandSpec s = c.engine.commands().lookupFull(r.str(i));
                if (s != null) {
                    specs.add(s);
                }
            }
        }
        c.reply.map(specs.size());
        for (CommandSpec s : specs) {
            c.reply.bulk(s.fullName());
            docs(c.reply, s);
        }
    }

    private static void docs(Reply reply, CommandSpec s) {
        int n = 4 + (s.subcommands().isEmpty() ? 0 : 1);
        reply.map(n);
        reply.bulk("summary");
        reply.bulk(s.summary());
        reply.bulk("since");
        reply.bulk(s.since());
        reply.bulk("group");
        reply.bulk(s.group());
        reply.bulk("complexity");
        reply.bulk(s.complexity());
        if (!s.subcommands().isEmpty()) {
            reply.bulk("subcommands");
            reply.map(s.subcommands().size());
            for (CommandSpec sub : s.subcommands().values()) {
                reply.bulk(sub.fullName());
                docs(reply, sub);
            }
        }
    }

    static void commandList(CommandContext c) {
        Request r = c.req;
        String aclcat = null;
        String pattern = null;
        String module = null;
        if (r.argc() == 5 && r.is(2, "filterby")) {
            if (r.is(3, "aclcat")) {
                aclcat = "@" + r.lower(4);
            } else if (r.is(3, "pattern")) {
                pattern = r.str(4);
            } else if (r.is(3, "module")) {
                module = r.str(4);
            } else {
                c.syntaxError();
                return;
            }
        } else if (r.argc() != 2) {
            c.syntaxError();
            return;
        }
        List<String> names = new ArrayList<>();
        for (CommandSpec s : c.engine.commands().commands()) {
            collect(s, names, aclcat, pattern, module);
        }
        c.reply.array(names.size());
        for (String name : names) {
            c.reply.bulk(name);
        }
    }

    private static void collect(CommandSpec s, List<String> out, String aclcat, String pattern, String module) {
        boolean ok = module == null;
        if (aclcat != null) {
            ok = false;
            for (String a : s.aclCategories()) {
                if (a.equals(aclcat)) {
                    ok = true;
                }
            }
        }
        if (pattern != null) {
            ok = Glob.match(pattern.toLowerCase(Locale.ROOT), s.fullName());
        }
        if (ok) {
            out.add(s.fullName());
        }
        for (CommandSpec sub : s.subcommands().values()) {
            collect(sub, out, aclcat, pattern, module);
        }
    }

    static void getKeys(CommandContext c, boolean withFlags) {
        Request r = c.req;
        CommandSpec s = c.engine.commands().lookup(r.buf(), r.off(2), r.len(2));
        if (s != null && !s.subcommands().isEmpty() && r.argc() > 3) {
            s = s.subcommands().get(r.lower(3));
        }
        if (s == null) {
            c.reply.error("ERR Invalid command specified");
            return;
        }
        if (s.route() != CommandSpec.Route.KEYS) {
            c.reply.error("ERR The command has no key arguments");
            return;
        }
        int argc = r.argc() - 2;
        if (!s.checkArity(argc)) {
            c.reply.error("ERR Invalid number of arguments specified for command");
            return;
        }
        int[] offs = new int[argc];
        int[] lens = new int[argc];
        for (int i = 0; i < argc; i++) {
            offs[i] = r.off(i + 2);
            lens[i] = r.len(i + 2);
        }
        Request sub = new Request().set(r.buf(), offs, lens, 0, argc);
        int[] keys = new int[argc];
        int n = s.keys(sub, keys);
        if (n < 0) {
            c.reply.error("ERR Invalid arguments specified for command");
            return;
        }
        c.reply.array(n);
        for (int k = 0; k < n; k++) {
            if (withFlags) {
                c.reply.array(2);
                c.reply.bulk(r.buf(), sub.off(keys[k]), sub.len(keys[k]));
                int flags = KeySpecs.flagsOf(s, sub, keys[k]);
                if (flags < 0) { // a command of Damselfly's own
                    flags = s.has(CommandSpec.WRITE) ? KeySpecs.RW | KeySpecs.UPDATE : KeySpecs.RO | KeySpecs.ACCESS;
                }
                KeySpecs.replyFlags(c.reply, flags & ~KeySpecs.VARIABLE_FLAGS);
            } else {
                c.reply.bulk(r.buf(), sub.off(keys[k]), sub.len(keys[k]));
            }
        }
    }

    static void commandHelp(CommandContext c) {
        help(c, "COMMAND <subcommand> [<arg> ...]. Subcommands:",
                "(no subcommand)",
                "    Describe every command.",
                "COUNT",
                "    How many commands there are.",
                "INFO [<command-name> ...]",
                "    Describe the named commands (all when none is named).",
                "DOCS [<command-name> ...]",
                "    Documentation of the named commands (all when none is named).",
                "LIST [FILTERBY (MODULE <name>|ACLCAT <category>|PATTERN <glob>)]",
                "    Command names, optionally filtered.",
                "GETKEYS <full-command>",
                "    The keys a command line would touch.",
                "GETKEYSANDFLAGS <full-command>",
                "    The keys a command line would touch, and how.",
                "HELP",
                "    This text.");
    }

    // ------------------------------------------------------------------ DEBUG

    /** Why enable-debug-command refuses DEBUG to this client, or null when it allows it. */
    static String debugRefused(io.damselfly.engine.exec.Engine engine, Client client) {
        String mode = engine.settings().enableDebugCommand.value();
        boolean local = client.address().startsWith("127.") || client.address().startsWith("[::1]")
                || client.address().isEmpty();
        if (mode.equals("no") || (mode.equals("local") && !local)) {
            return "ERR DEBUG command not allowed. If the enable-debug-command option is set to \"local\", "
                    + "you can run it from a local connection, otherwise you need to set this option in the "
                    + "configuration file, and then restart the server.";
        }
        return null;
    }

    static void debug(CommandContext c) {
        Request r = c.req;
        String refused = debugRefused(c.engine, c.client);
        if (refused != null) {
            c.reply.error(refused);
            return;
        }
        String sub = r.lower(1);
        switch (sub) {
            case "sleep" -> {
                double seconds = r.argc() > 2 ? r.parseDouble(2) : 0;
                if (Double.isNaN(seconds)) {
                    c.reply.error(CommandContext.NOT_FLOAT);
                    return;
                }
                try {
                    Thread.sleep((long) (seconds * 1000));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                c.reply.ok();
            }
            case "set-active-expire" -> {
                if (r.argc() != 3) {
                    c.syntaxError();
                    return;
                }
                c.engine.activeExpire(!r.is(2, "0"));
                c.reply.ok();
            }
            case "help" -> help(c, "DEBUG <subcommand> [<arg> ...]. Subcommands:",
                    "SLEEP <seconds>",
                    "    Stop serving this connection's shard for a while.",
                    "RELOAD [NOSAVE]",
                    "    Save the dataset, empty the server and load the dump file again.",
                    "SET-ACTIVE-EXPIRE <0|1>",
                    "    Turn the background deletion of expired keys off or on.",
                    "POPULATE <count> [<prefix> [<size> [RAND]]]",
                    "    Create string keys <prefix>:0 .. <prefix>:<count-1> (prefix \"key\") that do not exist yet, with",
                    "    values \"value:<n>\", cut or padded with zero bytes to <size>, or <size> random bytes (RAND).",
                    "    Like Redis, it is not replicated.",
                    "HELP",
                    "    This text.");
            default -> c.reply.error("ERR unknown subcommand '" + r.str(1) + "'. Try DEBUG HELP.");
        }
    }

    /** A setting's value, for callers that only have the name. */
    static String setting(CommandContext c, String name) {
        Setting s = c.engine.settings().get(name);
        return s == null ? null : s.value();
    }
}
