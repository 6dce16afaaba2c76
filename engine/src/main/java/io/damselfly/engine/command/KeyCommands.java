package io.damselfly.engine.command;

import io.damselfly.engine.exec.Tx;
import io.damselfly.engine.exec.TxPart;
import io.damselfly.engine.journal.Journal;
import io.damselfly.engine.keyspace.Entry;
import io.damselfly.engine.keyspace.Glob;
import io.damselfly.engine.keyspace.KeyTable;
import io.damselfly.engine.resp.ByteOutput;
import io.damselfly.engine.resp.Reply;
import io.damselfly.engine.shard.Keyspace;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

import static io.damselfly.engine.command.CommandSpec.FAST;
import static io.damselfly.engine.command.CommandSpec.READONLY;
import static io.damselfly.engine.command.CommandSpec.WRITE;
import static io.damselfly.engine.command.CommandSpec.command;
import static io.damselfly.engine.command.CommandSpec.subcommand;

/** The generic key commands: existence, deletion, expiry, renaming, copying, iteration. */
public final class KeyCommands {
    private static final byte[] DEL = Reply.ascii("DEL");
    private static final byte[] UNLINK = Reply.ascii("UNLINK");
    private static final byte[] SET = Reply.ascii("SET");
    private static final byte[] PXAT = Reply.ascii("PXAT");
    private static final byte[] PEXPIREAT = Reply.ascii("PEXPIREAT");
    private static final String NO_SUCH_KEY = "ERR no such key";
    private static final String SAME_OBJECT = "ERR source and destination objects are the same";
    private static final String DB_RANGE = "ERR DB index is out of range";

    private KeyCommands() {
    }

    public static void register(CommandTable t) {
        t.add(command("del", -2).flags(WRITE).keys(1, -1, 1).group("generic").since("1.0.0")
                .acl("@keyspace", "@write", "@slow").summary("Deletes keys.")
                .complexity("O(N) where N is the number of keys that will be removed.")
                .handler(c -> delete(c, false)).multi(new CountOp(CountOp.DEL)).build());
        t.add(command("unlink", -2).flags(WRITE | FAST).keys(1, -1, 1).group("generic").since("4.0.0")
                .acl("@keyspace", "@write", "@fast").summary("Deletes keys, freeing their memory in the background.")
                .complexity("O(1) for each key removed regardless of its size.")
                .handler(c -> delete(c, true)).multi(new CountOp(CountOp.UNLINK)).build());
        t.add(command("exists", -2).flags(READONLY | FAST).keys(1, -1, 1).group("generic").since("1.0.0")
                .acl("@keyspace", "@read", "@fast").summary("Counts how many of the given keys exist.")
                .complexity("O(N) where N is the number of keys to check.")
                .handler(KeyCommands::exists).multi(new CountOp(CountOp.EXISTS)).build());
        t.add(command("touch", -2).flags(READONLY | FAST).keys(1, -1, 1).group("generic").since("3.2.1")
                .acl("@keyspace", "@read", "@fast").summary("Refreshes the access time of keys; counts those that exist.")
                .complexity("O(N) where N is the number of keys that will be touched.")
                .handler(KeyCommands::touch).multi(new CountOp(CountOp.TOUCH)).build());
        t.add(command("type", 2).flags(READONLY | FAST).keys(1, 1, 1).group("generic").since("1.0.0")
                .acl("@keyspace", "@read", "@fast").summary("Names the type of value stored at a key.")
                .handler(KeyCommands::type).build());
        t.add(command("expire", -3).flags(WRITE | FAST).keys(1, 1, 1).group("generic").since("1.0.0")
                .acl("@keyspace", "@write", "@fast").summary("Sets a key's time to live in seconds.")
                .handler(c -> expire(c, true, true)).build());
        t.add(command("pexpire", -3).flags(WRITE | FAST).keys(1, 1, 1).group("generic").since("2.6.0")
                .acl("@keyspace", "@write", "@fast").summary("Sets a key's time to live in milliseconds.")
                .handler(c -> expire(c, false, true)).build());
        t.add(command("expireat", -3).flags(WRITE | FAST).keys(1, 1, 1).group("generic").since("1.2.0")
                .acl("@keyspace", "@write", "@fast").summary("Sets the unix time, in seconds, at which a key expires.")
                .handler(c -> expire(c, true, false)).build());
        t.add(command("pexpireat", -3).flags(WRITE | FAST).keys(1, 1, 1).group("generic").since("2.6.0")
                .acl("@keyspace", "@write", "@fast").summary("Sets the unix time, in milliseconds, at which a key expires.")
                .handler(c -> expire(c, false, false)).build());
        t.add(command("ttl", 2).flags(READONLY | FAST).keys(1, 1, 1).group("generic").since("1.0.0")
                .acl("@keyspace", "@read", "@fast").summary("Returns a key's remaining time to live in seconds.")
                .handler(c -> ttl(c, false, false)).build());
        t.add(command("pttl", 2).flags(READONLY | FAST).keys(1, 1, 1).group("generic").since("2.6.0")
                .acl("@keyspace", "@read", "@fast").summary("Returns a key's remaining time to live in milliseconds.")
                .handler(c -> ttl(c, true, false)).build());
        t.add(command("expiretime", 2).flags(READONLY | FAST).keys(1, 1, 1).group("generic").since("7.0.0")
                .acl("@keyspace", "@read", "@fast").summary("Returns the unix time, in seconds, at which a key expires.")
                .handler(c -> ttl(c, false, true)).build());
        t.add(command("pexpiretime", 2).flags(READONLY | FAST).keys(1, 1, 1).group("generic").since("7.0.0")
                .acl("@keyspace", "@read", "@fast").summary("Returns the unix time, in milliseconds, at which a key expires.")
                .handler(c -> ttl(c, true, true)).build());
        t.add(command("persist", 2).flags(WRITE | FAST).keys(1, 1, 1).group("generic").since("2.2.0")
                .acl("@keyspace", "@write", "@fast").summary("Removes a key's time to live.")
                .handler(KeyCommands::persist).build());
        t.add(command("rename", 3).flags(WRITE).keys(1, 2, 1).group("generic").since("1.0.0")
                .acl("@keyspace", "@write", "@slow").summary("Renames a key, replacing any key with the new name.")
                .handler(c -> rename(c, false)).multi(new MoveOp(MoveOp.RENAME)).build());
        t.add(command("renamenx", 3).flags(WRITE | FAST).keys(1, 2, 1).group("generic").since("1.0.0")
                .acl("@keyspace", "@write", "@fast").summary("Renames a key only when the new name is free.")
                .handler(c -> rename(c, true)).multi(new MoveOp(MoveOp.RENAMENX)).build());
        t.add(command("copy", -3).flags(WRITE | CommandSpec.DENYOOM).keys(1, 2, 1).group("generic").since("6.2.0")
                .acl("@keyspace", "@write", "@slow").summary("Copies a key's value to another key, optionally in another database.")
                .complexity("O(N) worst case for collections, where N is the number of nested items. O(1) for string values.")
                .handler(KeyCommands::copy).multi(new MoveOp(MoveOp.COPY)).build());
        t.add(command("move", 3).flags(WRITE | FAST).keys(1, 1, 1).group("generic").since("1.0.0")
                .acl("@keyspace", "@write", "@fast").summary("Moves a key to another database.")
                .handler(KeyCommands::move).build());
        t.add(command("keys", 2).flags(READONLY).group("generic").since("1.0.0")
                .acl("@keyspace", "@read", "@slow", "@dangerous").tips("request_policy:all_shards", "nondeterministic_output_order")
                .summary("Lists the keys that match a glob-style pattern.")
                .complexity("O(N) with N being the number of keys in the database")
                .allShards(new KeysOp()).build());
        t.add(command("dbsize", 1).flags(READONLY | FAST).group("server").since("1.0.0")
                .acl("@keyspace", "@read", "@fast").tips("request_policy:all_shards", "response_policy:agg_sum")
                .summary("Counts the keys in the selected database.")
                .allShards(new DbsizeOp()).build());
        t.add(command("randomkey", 1).flags(READONLY).group("generic").since("1.0.0")
                .acl("@keyspace", "@read", "@slow").tips("request_policy:all_shards", "nondeterministic_output")
                .summary("Returns a random key of the selected database.")
                .allShards(new RandomKeyOp()).build());
        t.add(command("scan", -2).flags(READONLY).group("generic").since("2.8.0")
                .acl("@keyspace", "@read", "@slow").tips("nondeterministic_output", "request_policy:special")
                .summary("Iterates over the keys of the selected database with a cursor.")
                .complexity("O(1) for every call. O(N) for a complete iteration.")
                .selected(KeyCommands::scanShard, KeyCommands::scan).build());
        t.add(command("flushdb", -1).flags(WRITE).group("server").since("1.0.0")
                .acl("@keyspace", "@write", "@slow", "@dangerous").tips("request_policy:all_shards", "response_policy:all_succeeded")
                .summary("Removes every key of the selected database.")
                .complexity("O(N) where N is the number of keys in the selected database")
                .allShards(new FlushOp(false)).build());
        t.add(command("flushall", -1).flags(WRITE).group("server").since("1.0.0")
                .acl("@keyspace", "@write", "@slow", "@dangerous").tips("request_policy:all_shards", "response_policy:all_succeeded")
                .summary("Removes every key of every database.")
                .complexity("O(N) where N is the total number of keys in all databases")
                .allShards(new FlushOp(true)).build());
        t.add(command("swapdb", 3).flags(WRITE | FAST).group("server").since("4.0.0")
                .acl("@keyspace", "@write", "@fast", "@dangerous").summary("Exchanges the contents of two databases.")
                .complexity("O(N) where N is the count of clients watching or blocking on keys from both databases.")
                .allShards(new SwapOp()).build());
        t.add(command("object", -2).group("generic").since("2.2.3").acl("@slow")
                .summary("Inspects how a key's value is stored.").complexity("Depends on subcommand.")
                .home(KeyCommands::objectHelpOnly)
                .sub(subcommand("object", "encoding", 3).flags(READONLY).keys(2, 2, 1).acl("@keyspace", "@read", "@slow")
                        .since("2.2.3").summary("Names the internal encoding of a key's value.")
                        .handler(c -> object(c, 0)))
                .sub(subcommand("object", "freq", 3).flags(READONLY).keys(2, 2, 1).acl("@keyspace", "@read", "@slow")
                        .since("4.0.0").summary("Returns the logarithmic access frequency counter of a key.")
                        .handler(c -> object(c, 1)))
                .sub(subcommand("object", "idletime", 3).flags(READONLY).keys(2, 2, 1).acl("@keyspace", "@read", "@slow")
                        .since("2.2.3").summary("Returns the seconds since a key was last accessed.")
                        .handler(c -> object(c, 2)))
                .sub(subcommand("object", "refcount", 3).flags(READONLY).keys(2, 2, 1).acl("@keyspace", "@read", "@slow")
                        .since("2.2.3").summary("Returns the reference count of a key's value.")
                        .handler(c -> object(c, 3)))
                .sub(subcommand("object", "help", 2).flags(CommandSpec.LOADING | CommandSpec.STALE).acl("@keyspace", "@slow")
                        .since("6.2.0").summary("Lists the OBJECT subcommands.").home(KeyCommands::objectHelp))
                .build());
        t.add(command("slowlog", -2).group("server").since("2.2.12").acl("@slow")
                .summary("Reads or clears the log of slow commands.").complexity("Depends on subcommand.")
                .home(KeyCommands::objectHelpOnly)
                .sub(subcommand("slowlog", "get", -2).flags(CommandSpec.ADMIN | CommandSpec.LOADING | CommandSpec.STALE)
                        .acl("@admin", "@slow", "@dangerous").since("2.2.12").tips("nondeterministic_output")
                        .complexity("O(N) where N is the number of entries returned")
                        .summary("Returns the newest entries of the slow log (10 unless a count is given; -1: all).")
                        .home(KeyCommands::slowlogGet))
                .sub(subcommand("slowlog", "len", 2).flags(CommandSpec.ADMIN | CommandSpec.LOADING | CommandSpec.STALE)
                        .acl("@admin", "@slow", "@dangerous").since("2.2.12").tips("nondeterministic_output")
                        .summary("Returns how many entries the slow log holds.")
                        .home(c -> c.reply.integer(c.engine.slowlog().size())))
                .sub(subcommand("slowlog", "reset", 2).flags(CommandSpec.ADMIN | CommandSpec.LOADING | CommandSpec.STALE)
                        .acl("@admin", "@slow", "@dangerous").since("2.2.12")
                        .summary("Empties the slow log.").home(c -> {
                            c.engine.slowlog().reset();
                            c.reply.ok();
                        }))
                .sub(subcommand("slowlog", "help", 2).flags(CommandSpec.LOADING | CommandSpec.STALE).acl("@slow")
                        .since("6.2.0").summary("Lists the SLOWLOG subcommands.").home(c -> ServerCommands.help(c,
                                "SLOWLOG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
                                "GET [<count>]",
                                "    The newest <count> entries (10 by default, -1: all). Each holds an id, the unix",
                                "    time it was logged, its duration in microseconds, the command's arguments, the",
                                "    client's address and the client's name.",
                                "LEN",
                                "    How many entries the slow log holds.",
                                "RESET",
                                "    Empty the slow log.",
                                "HELP",
                                "    This text.")))
                .build());
        long latencyFlags = CommandSpec.ADMIN | CommandSpec.NOSCRIPT | CommandSpec.LOADING | CommandSpec.STALE;
        t.add(command("latency", -2).group("server").since("2.8.13").acl("@slow")
                .summary("Reads or clears the latency monitor's events and the per-command latency histograms.")
                .complexity("Depends on subcommand.").home(KeyCommands::objectHelpOnly)
                .sub(subcommand("latency", "latest", 2).flags(latencyFlags).acl("@admin", "@slow", "@dangerous")
                        .since("2.8.13").tips("nondeterministic_output")
                        .summary("Returns each event's latest sample and its worst.").home(KeyCommands::latencyLatest))
                .sub(subcommand("latency", "history", 3).flags(latencyFlags).acl("@admin", "@slow", "@dangerous")
                        .since("2.8.13").tips("nondeterministic_output")
                        .summary("Returns an event's samples, oldest first.").home(KeyCommands::latencyHistory))
                .sub(subcommand("latency", "reset", -2).flags(latencyFlags).acl("@admin", "@slow", "@dangerous")
                        .since("2.8.13").summary("Forgets the events named, or all of them.").home(c -> {
                            List<String> names = new ArrayList<>();
                            for (int i = 2; i < c.req.argc(); i++) {
                                names.add(c.req.str(i));
                            }
                            c.reply.integer(c.engine.latency().reset(names));
                        }))
                .sub(subcommand("latency", "graph", 3).flags(latencyFlags).acl("@admin", "@slow", "@dangerous")
                        .since("2.8.13").tips("nondeterministic_output")
                        .summary("Draws an event's samples as text.").home(c -> {
                            String g = c.engine.latency().graph(c.req.str(2));
                            if (g == null) {
                                c.reply.error("ERR No samples available for event '" + c.req.str(2) + "'");
                            } else {
                                c.reply.verbatim(g);
                            }
                        }))
                .sub(subcommand("latency", "doctor", 2).flags(latencyFlags).acl("@admin", "@slow", "@dangerous")
                        .since("2.8.13").tips("nondeterministic_output")
                        .summary("Describes the events seen, in words, with advice.").home(c -> c.reply.verbatim(
                                c.engine.latency().doctor(c.engine.settings().latencyMonitorThreshold.number()))))
                .sub(subcommand("latency", "histogram", -2).flags(latencyFlags).acl("@admin", "@slow", "@dangerous")
                        .since("7.0.0").tips("nondeterministic_output")
                        .summary("Returns commands' call counts and latency distributions.")
                        .allShards(new LatencyHistogramOp()))
                .sub(subcommand("latency", "help", 2).flags(CommandSpec.LOADING | CommandSpec.STALE).acl("@slow")
                        .since("2.8.13").summary("Lists the LATENCY subcommands.").home(c -> ServerCommands.help(c,
                                "LATENCY <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
                                "DOCTOR",
                                "    What the monitor saw, in words, with advice.",
                                "GRAPH <event>",
                                "    The event's samples drawn as text.",
                                "HISTORY <event>",
                                "    The event's samples as [time, latency in ms], oldest first.",
                                "LATEST",
                                "    Each event's latest sample: [event, time, latency in ms, worst in ms].",
                                "RESET [<event> ...]",
                                "    Forget the events named, or all of them.",
                                "HISTOGRAM [<command> ...]",
                                "    Call counts and latency distributions (microseconds) of commands.",
                                "HELP",
                                "    This text.")))
                .build());
        t.add(command("memory", -2).group("server").since("4.0.0").acl("@slow")
                .summary("Reports on memory use.").complexity("Depends on subcommand.")
                .home(KeyCommands::objectHelpOnly)
                .sub(subcommand("memory", "usage", -3).flags(READONLY).keys(2, 2, 1).acl("@read", "@slow")
                        .since("4.0.0").summary("Estimates the bytes a key and its value take.")
                        .complexity("O(N) where N is the number of samples.").handler(KeyCommands::memoryUsage))
                .sub(subcommand("memory", "doctor", 2).acl("@slow").since("4.0.0")
                        .summary("Reports memory problems in words.").home(c -> c.reply.verbatim(
                                "No memory problems detected: Damselfly keeps its data off the garbage-collected heap.")))
                .sub(subcommand("memory", "malloc-stats", 2).acl("@slow").since("4.0.0")
                        .summary("Reports the allocator's statistics.").home(c -> c.reply.verbatim(
                                "Stats not supported for the current allocator")))
                .sub(subcommand("memory", "purge", 2).acl("@slow").since("4.0.0")
                        .summary("Asks the allocator to return free memory.").home(c -> c.reply.ok()))
                .sub(subcommand("memory", "help", 2).flags(CommandSpec.LOADING | CommandSpec.STALE).acl("@slow")
                        .since("4.0.0").summary("Lists the MEMORY subcommands.").home(KeyCommands::memoryHelp))
                .build());
    }

    /** SLOWLOG GET [count]: id, unix time, microseconds, arguments, client address, client name per entry. */
    static void slowlogGet(CommandContext c) {
        Request r = c.req;
        if (r.argc() > 3) {
            c.reply.error("ERR unknown subcommand or wrong number of arguments for '" + r.str(1) + "'. Try SLOWLOG HELP.");
            return;
        }
        long count = 10;
        if (r.argc() == 3) {
            if (!r.parseLong(2) || r.longValue() < -1) {
                c.reply.error("ERR count should be greater than or equal to -1");
                return;
            }
            count = r.longValue() == -1 ? Long.MAX_VALUE : r.longValue();
        }
        java.util.List<io.damselfly.engine.exec.SlowLog.Entry> entries = c.engine.slowlog().newest(count);
        c.reply.array(entries.size());
        for (io.damselfly.engine.exec.SlowLog.Entry e : entries) {
            c.reply.array(6);
            c.reply.integer(e.id());
            c.reply.integer(e.unixSeconds());
            c.reply.integer(e.micros());
            c.reply.array(e.args().length);
            for (byte[] a : e.args()) {
                c.reply.bulk(a);
            }
            c.reply.bulk(e.peer());
            c.reply.bulk(e.name());
        }
    }

    static void latencyLatest(CommandContext c) {
        List<io.damselfly.engine.exec.LatencyMonitor.Latest> all = c.engine.latency().latest();
        c.reply.array(all.size());
        for (io.damselfly.engine.exec.LatencyMonitor.Latest l : all) {
            c.reply.array(4);
            c.reply.bulk(l.event());
            c.reply.integer(l.unixSeconds());
            c.reply.integer(l.ms());
            c.reply.integer(l.maxMs());
        }
    }

    static void latencyHistory(CommandContext c) {
        List<io.damselfly.engine.exec.LatencyMonitor.Sample> samples = c.engine.latency().history(c.req.str(2));
        c.reply.array(samples.size());
        for (io.damselfly.engine.exec.LatencyMonitor.Sample s : samples) {
            c.reply.array(2);
            c.reply.integer(s.unixSeconds());
            c.reply.integer(s.ms());
        }
    }

    /**
     * LATENCY HISTOGRAM [command ...]: per command, its calls and its latency distribution as
     * cumulative counts under power-of-two microsecond bounds. Every worker's histograms are
     * gathered on its own thread and merged here. A command's runs are timed one call in 16
     * (more when SLOWLOG times them), so the counts are scaled to its exact number of calls.
     */
    static final class LatencyHistogramOp extends ServerCommands.GatherStats {
        @Override
        boolean wantsLatencies(Request r) {
            return true;
        }

        @Override
        public void reply(Tx tx, Reply reply) {
            List<io.damselfly.engine.exec.Worker.Stats> stats = gathered(tx);
            java.util.TreeMap<Integer, org.HdrHistogram.Histogram> merged = Info.latencies(stats);
            CommandTable table = tx.engine().commands();
            java.util.LinkedHashSet<Integer> ids = new java.util.LinkedHashSet<>();
            Request r = tx.req;
            if (r.argc() == 2) {
                ids.addAll(merged.keySet());
            } else {
                for (int i = 2; i < r.argc(); i++) {
                    String name = r.lower(i);
                    CommandSpec spec = name.contains("|") ? table.lookupFull(name) : table.lookup(name);
                    if (spec == null) {
                        continue; // unknown: skipped, as Redis does
                    }
                    if (spec.subcommands() != null && !spec.subcommands().isEmpty()) {
                        for (CommandSpec sub : spec.subcommands().values()) {
                            if (merged.containsKey(sub.id())) {
                                ids.add(sub.id());
                            }
                        }
                    } else if (merged.containsKey(spec.id())) {
                        ids.add(spec.id());
                    }
                }
            }
            reply.map(ids.size());
            for (int id : ids) {
                org.HdrHistogram.Histogram h = merged.get(id);
                long calls = 0;
                for (io.damselfly.engine.exec.Worker.Stats s : stats) {
                    calls += s.calls[id];
                }
                calls = Math.max(calls, 1);
                long timed = Math.max(1, h.getTotalCount());
                List<long[]> buckets = new ArrayList<>();
                long previous = 0;
                for (org.HdrHistogram.HistogramIterationValue v : h.logarithmicBucketValues(1024, 2)) {
                    long cumulative = Math.min(calls, Math.round((double) v.getTotalCountToThisValue() * calls / timed));
                    if (cumulative > previous) {
                        buckets.add(new long[] {v.getValueIteratedTo() / 1000, cumulative});
                    }
                    previous = cumulative;
                }
                reply.bulk(table.byId(id).fullName());
                reply.map(2);
                reply.bulk("calls");
                reply.integer(calls);
                reply.bulk("histogram_usec");
                reply.map(buckets.size());
                for (long[] b : buckets) {
                    reply.integer(b[0]);
                    reply.integer(b[1]);
                }
            }
        }
    }

    static void memoryUsage(CommandContext c) {
        Request r = c.req;
        for (int j = 3; j < r.argc(); j++) {
            if (r.is(j, "samples") && j + 1 < r.argc()) {
                if (!r.parseLong(j + 1)) {
                    c.notInteger();
                    return;
                }
                if (r.longValue() < 0) {
                    c.syntaxError();
                    return;
                }
                j++;
            } else {
                c.syntaxError();
                return;
            }
        }
        long a = c.db.lookup(r.buf(), r.off(2), r.len(2));
        if (a == 0) {
            c.reply.nullBulk();
        } else {
            c.reply.integer(c.db.memoryUsage(a));
        }
    }

    static void memoryHelp(CommandContext c) {
        ServerCommands.help(c, new String[] {
            "MEMORY <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
            "DOCTOR",
            "    Reports memory problems, in words.",
            "MALLOC-STATS",
            "    The allocator's own statistics.",
            "PURGE",
            "    Asks the allocator to hand free memory back.",
            "USAGE <key> [SAMPLES <count>]",
            "    Estimated bytes that <key> and its value take.",
            "HELP",
            "    This text.",
        });
    }

    // ------------------------------------------------------------------ DEL EXISTS TOUCH TYPE

    static void delete(CommandContext c, boolean unlink) {
        Request r = c.req;
        long n = 0;
        for (int i = 1; i < r.argc(); i++) {
            if (c.db.delete(r.buf(), r.off(i), r.len(i))) {
                n++;
                c.notify(Events.GENERIC, Events.DEL, i);
            }
        }
        c.reply.integer(n);
        if (n > 0) {
            c.journalVerbatim();
        }
    }

    static void exists(CommandContext c) {
        Request r = c.req;
        long n = 0;
        for (int i = 1; i < r.argc(); i++) {
            if (c.db.lookup(r.buf(), r.off(i), r.len(i)) != 0) {
                n++;
            }
        }
        c.reply.integer(n);
    }

    static void touch(CommandContext c) {
        Request r = c.req;
        long n = 0;
        for (int i = 1; i < r.argc(); i++) {
            if (c.db.lookupWrite(r.buf(), r.off(i), r.len(i)) != 0) {
                n++;
            }
        }
        c.reply.integer(n);
    }

    /** DEL, UNLINK, EXISTS and TOUCH across shards: each shard counts, the reply sums. */
    static final class CountOp implements MultiShardOp {
        static final int DEL = 0;
        static final int UNLINK = 1;
        static final int EXISTS = 2;
        static final int TOUCH = 3;
        private final int kind;

        CountOp(int kind) {
            this.kind = kind;
        }

        @Override
        public void step(CommandContext c, TxPart part, int hop) {
            Request r = c.req;
            byte[] b = r.buf();
            long n = 0;
            Journal j = null;
            int deleted = 0;
            for (int k = 0; k < part.keyCount(); k++) {
                int a = part.keyArg(k);
                boolean hit = switch (kind) {
                    case DEL, UNLINK -> c.db.delete(b, r.off(a), r.len(a));
                    case EXISTS -> c.db.lookup(b, r.off(a), r.len(a)) != 0;
                    default -> c.db.lookupWrite(b, r.off(a), r.len(a)) != 0;
                };
                if (hit) {
                    n++;
                    if (kind <= UNLINK) {
                        part.record(deleted++, a);
                        c.notify(Events.GENERIC, Events.DEL, a);
                    }
                }
            }
            part.result = n;
            if (deleted > 0 && (j = c.journalIfEnabled()) != null) {
                j.begin(c.db.id(), 1 + deleted).arg(kind == DEL ? KeyCommands.DEL : KeyCommands.UNLINK);
                for (int k = 0; k < deleted; k++) {
                    int a = part.marks[k];
                    j.arg(b, r.off(a), r.len(a));
                }
                j.end();
            }
        }

        @Override
        public void reply(Tx tx, Reply reply) {
            long sum = 0;
            for (int i = 0; i < tx.participantCount(); i++) {
                sum += tx.participant(i).result;
            }
            reply.integer(sum);
        }
    }

    static String typeName(int type) {
        return switch (type) {
            case Entry.TYPE_STRING -> "string";
            case Entry.TYPE_LIST -> "list";
            case Entry.TYPE_SET -> "set";
            case Entry.TYPE_ZSET -> "zset";
            case Entry.TYPE_HASH -> "hash";
            case Entry.TYPE_STREAM -> "stream";
            default -> "none";
        };
    }

    static void type(CommandContext c) {
        Request r = c.req;
        long a = c.db.lookup(r.buf(), r.off(1), r.len(1));
        c.reply.simple(a == 0 ? "none" : typeName(c.db.type(a)));
    }

    // ------------------------------------------------------------------ expiry

    static void expire(CommandContext c, boolean seconds, boolean relative) {
        Request r = c.req;
        byte[] b = r.buf();
        boolean nx = false;
        boolean xx = false;
        boolean gt = false;
        boolean lt = false;
        for (int j = 3; j < r.argc(); j++) {
            if (r.is(j, "nx")) {
                nx = true;
            } else if (r.is(j, "xx")) {
                xx = true;
            } else if (r.is(j, "gt")) {
                gt = true;
            } else if (r.is(j, "lt")) {
                lt = true;
            } else {
                c.reply.error("ERR Unsupported option " + r.str(j));
                return;
            }
        }
        if ((nx && xx) || (nx && gt) || (nx && lt)) {
            c.reply.error("ERR NX and XX, GT or LT options at the same time are not compatible");
            return;
        }
        if (gt && lt) {
            c.reply.error("ERR GT and LT options at the same time are not compatible");
            return;
        }
        if (!r.parseLong(2)) {
            c.notInteger();
            return;
        }
        long when = r.longValue();
        if (seconds) {
            if (when > Long.MAX_VALUE / 1000 || when < Long.MIN_VALUE / 1000) {
                invalidExpire(c);
                return;
            }
            when *= 1000;
        }
        long base = relative ? c.now() : 0;
        if (when > Long.MAX_VALUE - base) {
            invalidExpire(c);
            return;
        }
        when += base;
        long a = c.db.lookupWrite(b, r.off(1), r.len(1));
        if (a == 0) {
            c.reply.integer(0);
            return;
        }
        long current = c.db.expireAt(a);
        if ((nx && current != -1) || (xx && current == -1) || (gt && (when <= current || current == -1))
                || (lt && current != -1 && when >= current)) {
            c.reply.integer(0);
            return;
        }
        Journal j = c.journalIfEnabled();
        if (when <= c.now() && !c.shard.isReplica()) {
            c.db.delete(b, r.off(1), r.len(1));
            c.reply.integer(1);
            c.notify(Events.GENERIC, Events.DEL, 1);
            if (j != null) {
                boolean lazy = c.engine.settings().lazyfreeLazyExpire.bool();
                j.begin(c.db.id(), 2).arg(lazy ? UNLINK : DEL).arg(b, r.off(1), r.len(1)).end();
            }
            return;
        }
        c.db.setExpire(b, r.off(1), r.len(1), a, when);
        c.reply.integer(1);
        c.notify(Events.GENERIC, Events.EXPIRE, 1);
        if (j != null) {
            j.begin(c.db.id(), r.argc()).arg(PEXPIREAT).arg(b, r.off(1), r.len(1)).arg(when);
            for (int i = 3; i < r.argc(); i++) {
                j.arg(b, r.off(i), r.len(i));
            }
            j.end();
        }
    }

    private static void invalidExpire(CommandContext c) {
        c.reply.error("ERR invalid expire time in '" + c.spec.fullName() + "' command");
    }

    static void ttl(CommandContext c, boolean ms, boolean absolute) {
        Request r = c.req;
        long a = c.db.lookup(r.buf(), r.off(1), r.len(1));
        if (a == 0) {
            c.reply.integer(-2);
            return;
        }
        long at = c.db.expireAt(a);
        if (at < 0) {
            c.reply.integer(-1);
            return;
        }
        long ttl = absolute ? at : at - c.now();
        if (ttl < 0) {
            ttl = 0;
        }
        c.reply.integer(ms ? ttl : (ttl + 500) / 1000);
    }

    static void persist(CommandContext c) {
        Request r = c.req;
        byte[] b = r.buf();
        long a = c.db.lookupWrite(b, r.off(1), r.len(1));
        if (a == 0 || c.db.expireAt(a) < 0) {
            c.reply.integer(0);
            return;
        }
        c.db.setExpire(b, r.off(1), r.len(1), a, Keyspace.NO_EXPIRE);
        c.reply.integer(1);
        c.journalVerbatim();
        c.notify(Events.GENERIC, Events.PERSIST, 1);
    }

    // ------------------------------------------------------------------ RENAME COPY MOVE

    static void rename(CommandContext c, boolean nx) {
        Request r = c.req;
        byte[] b = r.buf();
        long src = c.db.lookupWrite(b, r.off(1), r.len(1));
        if (src == 0) {
            c.reply.error(NO_SUCH_KEY);
            return;
        }
        if (r.equalArgs(1, 2)) {
            if (nx) {
                c.reply.integer(0);
            } else {
                c.reply.ok();
            }
            return;
        }
        if (c.db.lookupWrite(b, r.off(2), r.len(2)) != 0 && nx) {
            c.reply.integer(0);
            return;
        }
        src = c.db.lookup(b, r.off(1), r.len(1));
        c.db.copyEntry(src, b, r.off(2), r.len(2), Keyspace.KEEP_TTL);
        c.db.delete(b, r.off(1), r.len(1));
        c.notify(Events.GENERIC, Events.RENAME_FROM, 1);
        c.notify(Events.GENERIC, Events.RENAME_TO, 2);
        if (nx) {
            c.reply.integer(1);
        } else {
            c.reply.ok();
        }
        c.journalVerbatim();
    }

    /** Parsed COPY options: {destination db, replace ? 1 : 0}, or null after an error reply. */
    private static int[] copyOptions(Request r, int currentDb, int databases, Reply reply) {
        int dbid = currentDb;
        boolean replace = false;
        for (int j = 3; j < r.argc(); j++) {
            int more = r.argc() - j - 1;
            if (r.is(j, "replace")) {
                replace = true;
            } else if (r.is(j, "db") && more >= 1) {
                if (!r.parseLong(j + 1) || r.longValue() > Integer.MAX_VALUE || r.longValue() < Integer.MIN_VALUE) {
                    reply.error(CommandContext.NOT_INTEGER);
                    return null;
                }
                if (r.longValue() < 0 || r.longValue() >= databases) {
                    reply.error(DB_RANGE);
                    return null;
                }
                dbid = (int) r.longValue();
                j++;
            } else {
                reply.error(CommandContext.SYNTAX);
                return null;
            }
        }
        return new int[] {dbid, replace ? 1 : 0};
    }

    static void copy(CommandContext c) {
        Request r = c.req;
        byte[] b = r.buf();
        int[] opts = copyOptions(r, c.db.id(), c.shard.databases(), c.reply);
        if (opts == null) {
            return;
        }
        Keyspace dst = c.shard.db(opts[0]);
        if (dst == c.db && r.equalArgs(1, 2)) {
            c.reply.error(SAME_OBJECT);
            return;
        }
        long src = c.db.lookupRead(b, r.off(1), r.len(1));
        if (src == 0) {
            c.reply.integer(0);
            return;
        }
        if (dst.lookupWrite(b, r.off(2), r.len(2)) != 0 && opts[1] == 0) {
            c.reply.integer(0);
            return;
        }
        src = c.db.lookup(b, r.off(1), r.len(1));
        dst.copyEntry(src, b, r.off(2), r.len(2), Keyspace.KEEP_TTL);
        c.reply.integer(1);
        c.journalVerbatim();
        c.notify(dst, Events.GENERIC, Events.COPY_TO, 2);
    }

    static void move(CommandContext c) {
        Request r = c.req;
        byte[] b = r.buf();
        if (!r.parseLong(2) || r.longValue() > Integer.MAX_VALUE || r.longValue() < Integer.MIN_VALUE) {
            c.notInteger();
            return;
        }
        long dbid = r.longValue();
        if (dbid < 0 || dbid >= c.shard.databases()) {
            c.reply.error(DB_RANGE);
            return;
        }
        Keyspace dst = c.shard.db((int) dbid);
        if (dst == c.db) {
            c.reply.error(SAME_OBJECT);
            return;
        }
        long src = c.db.lookupWrite(b, r.off(1), r.len(1));
        if (src == 0 || dst.lookupWrite(b, r.off(1), r.len(1)) != 0) {
            c.reply.integer(0);
            return;
        }
        src = c.db.lookup(b, r.off(1), r.len(1));
        dst.copyEntry(src, b, r.off(1), r.len(1), Keyspace.KEEP_TTL);
        c.db.delete(b, r.off(1), r.len(1));
        c.reply.integer(1);
        c.journalVerbatim();
        c.notify(Events.GENERIC, Events.MOVE_FROM, 1);
        c.notify(dst, Events.GENERIC, Events.MOVE_TO, 1);
    }

    /**
     * RENAME, RENAMENX and COPY across shards. Hop 0 reads the source (and, for RENAMENX and
     * COPY, checks the destination); the coordinator decides; hop 1 writes the destination and
     * (for a rename) deletes the source. Each shard journals its own effect.
     */
    static final class MoveOp implements MultiShardOp {
        static final int RENAME = 0;
        static final int RENAMENX = 1;
        static final int COPY = 2;
        private final int kind;

        MoveOp(int kind) {
            this.kind = kind;
        }

        @Override
        public String precheck(Tx tx, int databases) {
            if (kind != COPY) {
                return null;
            }
            ByteOutput sink = new ByteOutput(64);
            Reply errors = new Reply(null).target(sink, 2);
            int[] opts = copyOptions(tx.req, tx.db(), databases, errors);
            if (opts == null) {
                String text = new String(sink.array(), 1, sink.size() - 3, java.nio.charset.StandardCharsets.UTF_8);
                return text;
            }
            tx.value = opts[0];
            tx.flag = opts[1] == 1;
            return null;
        }

        @Override
        public boolean isLast(Tx tx, int hop) {
            return hop == 1;
        }

        @Override
        public void step(CommandContext c, TxPart part, int hop) {
            Request r = c.req;
            byte[] b = r.buf();
            int arg = part.keyArg(0);
            Tx tx = part.tx();
            Keyspace target = kind == COPY && arg == 2 ? c.shard.db((int) tx.value) : c.db;
            if (hop == 0) {
                if (arg == 1) {
                    long src = kind == COPY ? c.db.lookupRead(b, r.off(1), r.len(1)) : c.db.lookupWrite(b, r.off(1), r.len(1));
                    part.result = src == 0 ? -1 : 0;
                    part.payload = src == 0 ? null : c.db.snapshot(src);
                } else {
                    part.result = target.lookupWrite(b, r.off(2), r.len(2)) != 0 ? 1 : 0;
                }
                return;
            }
            Journal j = c.journalIfEnabled();
            if (arg == 1) {
                if (kind != COPY) {
                    c.db.delete(b, r.off(1), r.len(1));
                    c.notify(Events.GENERIC, Events.RENAME_FROM, 1);
                    if (j != null) {
                        j.begin(c.db.id(), 2).arg(DEL).arg(b, r.off(1), r.len(1)).end();
                    }
                }
                return;
            }
            Keyspace.EntryCopy copy = (Keyspace.EntryCopy) tx.payload;
            target.restoreEntry(b, r.off(2), r.len(2), copy);
            c.notify(target, Events.GENERIC, kind == COPY ? Events.COPY_TO : Events.RENAME_TO, 2);
            if (j != null && copy.type() == Entry.TYPE_STRING) {
                if (copy.expireAt() >= 0) {
                    j.begin(target.id(), 5).arg(SET).arg(b, r.off(2), r.len(2)).arg(copy.value()).arg(PXAT)
                            .arg(copy.expireAt()).end();
                } else {
                    j.begin(target.id(), 3).arg(SET).arg(b, r.off(2), r.len(2)).arg(copy.value()).end();
                }
            }
        }

        @Override
        public int afterHop(Tx tx, int hop) {
            TxPart src = null;
            TxPart dst = null;
            for (int i = 0; i < tx.participantCount(); i++) {
                TxPart p = tx.participant(i);
                if (p.keyArg(0) == 1) {
                    src = p;
                } else {
                    dst = p;
                }
            }
            if (src.result < 0) {
                tx.error = kind == COPY ? null : NO_SUCH_KEY;
                tx.flag = false;
                tx.value = 0;
                tx.payload = null;
                return DONE;
            }
            boolean dstExists = dst.result > 0;
            if ((kind == RENAMENX && dstExists) || (kind == COPY && dstExists && !tx.flag)) {
                tx.payload = null;
                tx.value = 0;
                tx.flag = false;
                return DONE;
            }
            tx.payload = src.payload;
            tx.flag = true;
            return NEXT;
        }

        @Override
        public void reply(Tx tx, Reply reply) {
            if (tx.error != null) {
                reply.error(tx.error);
            } else if (kind == RENAME) {
                reply.ok();
            } else {
                reply.integer(tx.flag ? 1 : 0);
            }
        }
    }

    // ------------------------------------------------------------------ KEYS DBSIZE RANDOMKEY SCAN

    static final class KeysOp implements MultiShardOp {
        @Override
        public int lockMode() {
            return LOCK_NONE;
        }

        @Override
        public void step(CommandContext c, TxPart part, int hop) {
            Request r = c.req;
            byte[] p = r.buf();
            int po = r.off(1);
            int pl = r.len(1);
            boolean all = pl == 1 && p[po] == '*';
            Keyspace db = c.db;
            long now = c.now();
            long[] count = {0};
            db.table().forEach((seg, idx, slot) -> {
                long a = KeyTable.address(slot);
                MemorySegment page = db.page(a);
                long o = Keyspace.offset(a);
                long at = Entry.expireAt(page, o);
                if (at >= 0 && at <= now) {
                    return; // past its deadline: not listed, also where it is kept (a replica, a pause)
                }
                byte[] key = Entry.copyKey(page, o);
                if (all || Glob.match(p, po, pl, key, 0, key.length, false)) {
                    c.reply.bulk(key);
                    count[0]++;
                }
            });
            part.result = count[0];
        }

        @Override
        public void reply(Tx tx, Reply reply) {
            long total = 0;
            for (int i = 0; i < tx.participantCount(); i++) {
                total += tx.participant(i).result;
            }
            reply.array(total);
            for (int i = 0; i < tx.participantCount(); i++) {
                reply.output().write(tx.participant(i).out);
            }
        }
    }

    static final class DbsizeOp implements MultiShardOp {
        @Override
        public int lockMode() {
            return LOCK_NONE;
        }

        @Override
        public void step(CommandContext c, TxPart part, int hop) {
            part.result = c.db.size();
        }

        @Override
        public void reply(Tx tx, Reply reply) {
            long total = 0;
            for (int i = 0; i < tx.participantCount(); i++) {
                total += tx.participant(i).result;
            }
            reply.integer(total);
        }
    }

    static final class RandomKeyOp implements MultiShardOp {
        @Override
        public int lockMode() {
            return LOCK_NONE;
        }

        @Override
        public void step(CommandContext c, TxPart part, int hop) {
            Keyspace db = c.db;
            part.payload = null;
            for (int attempt = 0; attempt < 100 && db.size() > 0; attempt++) {
                long[] found = {0};
                db.table().randomSlot(ThreadLocalRandom.current().nextLong(),
                        (seg, idx, slot) -> found[0] = KeyTable.address(slot));
                if (found[0] == 0) {
                    break;
                }
                byte[] key = db.copyKey(found[0]);
                if (db.lookup(key, 0, key.length) != 0) {
                    part.payload = key;
                    break;
                }
            }
            part.result = db.size();
        }

        @Override
        public void reply(Tx tx, Reply reply) {
            long total = 0;
            for (int i = 0; i < tx.participantCount(); i++) {
                if (tx.participant(i).payload != null) {
                    total += Math.max(1, tx.participant(i).result);
                }
            }
            if (total == 0) {
                reply.nullBulk();
                return;
            }
            long pick = ThreadLocalRandom.current().nextLong(total);
            for (int i = 0; i < tx.participantCount(); i++) {
                TxPart p = tx.participant(i);
                if (p.payload == null) {
                    continue;
                }
                pick -= Math.max(1, p.result);
                if (pick < 0) {
                    reply.bulk((byte[]) p.payload);
                    return;
                }
            }
        }
    }

    /** Cursor layout: shard index above {@link #SCAN_SHARD_SHIFT} bits of the shard table's own cursor. */
    static final int SCAN_SHARD_SHIFT = 29;

    static int scanShard(Request r, int shards) {
        long cursor = parseCursor(r, 1);
        if (cursor < 0) {
            return -1;
        }
        long s = cursor >>> SCAN_SHARD_SHIFT;
        return s >= shards ? -1 : (int) s;
    }

    /** The cursor argument as an unsigned number that fits in 63 bits, or -1. */
    static long parseCursor(Request r, int i) {
        int len = r.len(i);
        if (len == 0 || len > 19) {
            return -1;
        }
        long v = 0;
        byte[] b = r.buf();
        for (int k = r.off(i); k < r.off(i) + len; k++) {
            int d = b[k] - '0';
            if (d < 0 || d > 9) {
                return -1;
            }
            v = v * 10 + d;
        }
        return v;
    }

    static void scan(CommandContext c) {
        Request r = c.req;
        long cursor = parseCursor(r, 1);
        if (cursor < 0) {
            c.reply.error("ERR invalid cursor");
            return;
        }
        long count = 10;
        byte[] pattern = null;
        String type = null;
        for (int j = 2; j < r.argc(); j++) {
            int more = r.argc() - j - 1;
            if (r.is(j, "count") && more >= 1) {
                if (!r.parseLong(j + 1)) {
                    c.notInteger();
                    return;
                }
                count = r.longValue();
                if (count < 1) {
                    c.syntaxError();
                    return;
                }
                j++;
            } else if (r.is(j, "match") && more >= 1) {
                pattern = r.copy(j + 1);
                j++;
            } else if (r.is(j, "type") && more >= 1) {
                type = r.lower(j + 1);
                j++;
            } else {
                c.syntaxError();
                return;
            }
        }
        int shards = c.engine.shards();
        long shardIndex = cursor >>> SCAN_SHARD_SHIFT;
        if (shardIndex != c.shard.index() && !(shardIndex >= shards && c.shard.index() == 0)) {
            // the cursor names no shard of ours: start over, as Redis does with a bogus cursor
            cursor = 0;
        }
        long tableCursor = cursor & ((1L << SCAN_SHARD_SHIFT) - 1);
        Keyspace db = c.db;
        List<byte[]> keys = new ArrayList<>();
        long visitedBuckets = 0;
        long maxBuckets = Math.max(count, 1) * 10;
        do {
            tableCursor = db.table().scanBucket(tableCursor, (seg, idx, slot) -> keys.add(db.copyKey(KeyTable.address(slot))));
            visitedBuckets++;
        } while (tableCursor != 0 && keys.size() < count && visitedBuckets < maxBuckets);
        long next;
        if (tableCursor != 0) {
            next = ((long) c.shard.index() << SCAN_SHARD_SHIFT) | tableCursor;
        } else if (c.shard.index() + 1 < shards) {
            next = (long) (c.shard.index() + 1) << SCAN_SHARD_SHIFT;
        } else {
            next = 0;
        }
        List<byte[]> out = new ArrayList<>(keys.size());
        for (byte[] key : keys) {
            long a = db.lookup(key, 0, key.length);
            if (a == 0) {
                continue;
            }
            if (pattern != null && !Glob.match(pattern, 0, pattern.length, key, 0, key.length, false)) {
                continue;
            }
            if (type != null && !typeName(db.type(a)).equals(type)) {
                continue;
            }
            out.add(key);
        }
        c.reply.array(2);
        c.reply.bulk(Long.toUnsignedString(next));
        c.reply.array(out.size());
        for (byte[] key : out) {
            c.reply.bulk(key);
        }
    }

    // ------------------------------------------------------------------ FLUSHDB FLUSHALL SWAPDB

    static final class FlushOp implements MultiShardOp {
        private final boolean all;

        FlushOp(boolean all) {
            this.all = all;
        }

        @Override
        public int lockMode() {
            return LOCK_SHARD;
        }

        @Override
        public String precheck(Tx tx, int databases) {
            Request r = tx.req;
            if (r.argc() > 2 || (r.argc() == 2 && !r.is(1, "async") && !r.is(1, "sync"))) {
                return CommandContext.SYNTAX;
            }
            return null;
        }

        @Override
        public void step(CommandContext c, TxPart part, int hop) {
            if (all) {
                c.shard.flushAll();
            } else {
                c.db.flush();
            }
            c.journalVerbatim();
        }

        @Override
        public void reply(Tx tx, Reply reply) {
            reply.ok();
        }
    }

    static final class SwapOp implements MultiShardOp {
        @Override
        public int lockMode() {
            return LOCK_SHARD;
        }

        @Override
        public String precheck(Tx tx, int databases) {
            Request r = tx.req;
            if (!r.parseLong(1) || r.longValue() > Integer.MAX_VALUE || r.longValue() < Integer.MIN_VALUE) {
                return "ERR invalid first DB index";
            }
            long a = r.longValue();
            if (!r.parseLong(2) || r.longValue() > Integer.MAX_VALUE || r.longValue() < Integer.MIN_VALUE) {
                return "ERR invalid second DB index";
            }
            long b = r.longValue();
            if (a < 0 || a >= databases || b < 0 || b >= databases) {
                return DB_RANGE;
            }
            tx.value = a << 32 | b;
            return null;
        }

        @Override
        public void step(CommandContext c, TxPart part, int hop) {
            long v = part.tx().value;
            int a = (int) (v >>> 32);
            int b = (int) v;
            if (a != b) {
                c.shard.swap(a, b);
            }
            c.journalVerbatim();
        }

        @Override
        public void reply(Tx tx, Reply reply) {
            reply.ok();
        }
    }

    // ------------------------------------------------------------------ OBJECT

    static void object(CommandContext c, int what) {
        Request r = c.req;
        long a = c.db.lookup(r.buf(), r.off(2), r.len(2));
        if (a == 0) {
            c.reply.nullBulk();
            return;
        }
        String policy = c.engine.settings().maxmemoryPolicy.value();
        boolean lfu = policy.endsWith("lfu");
        switch (what) {
            case 0 -> c.reply.bulk(encoding(c.db, a));
            case 1 -> {
                if (!lfu) {
                    c.reply.error("ERR An LFU maxmemory policy is not selected, access frequency not tracked. "
                            + "Please note that when switching between policies at runtime LRU and LFU data will "
                            + "take some time to adjust.");
                    return;
                }
                c.reply.integer(c.db.frequency(a));
            }
            case 2 -> {
                if (lfu) {
                    c.reply.error("ERR An LFU maxmemory policy is selected, idle time not tracked. Please note "
                            + "that when switching between policies at runtime LRU and LFU data will take some "
                            + "time to adjust.");
                    return;
                }
                c.reply.integer(c.db.idleSeconds(a));
            }
            default -> c.reply.integer(1);
        }
    }

    /** OBJECT ENCODING of a value, with Redis 7.0's names. */
    static String encoding(Keyspace db, long a) {
        int type = db.type(a);
        switch (type) {
            case Entry.TYPE_LIST:
                return "quicklist";
            case Entry.TYPE_SET:
                return db.isObject(a) ? "hashtable" : "intset";
            case Entry.TYPE_HASH:
                return db.isObject(a) ? "hashtable" : "listpack";
            case Entry.TYPE_ZSET:
                return db.isObject(a) ? "skiplist" : "listpack";
            case Entry.TYPE_STRING:
                break;
            default:
                return "raw";
        }
        int len = db.valueLength(a);
        if (db.isRaw(a)) {
            return "raw";
        }
        if (len <= 20 && len > 0) {
            byte[] v = db.copyValue(a);
            if (io.damselfly.engine.resp.Numbers.parseLong(v, 0, v.length, new io.damselfly.engine.resp.Numbers.LongResult())) {
                return "int";
            }
        }
        return len <= 44 ? "embstr" : "raw";
    }

    static void objectHelpOnly(CommandContext c) {
        c.wrongArity();
    }

    static void objectHelp(CommandContext c) {
        String[] lines = {
            "OBJECT <subcommand> [<arg> ...]. Subcommands:",
            "ENCODING <key>",
            "    How the value at <key> is stored (embstr, int, raw, listpack ...).",
            "FREQ <key>",
            "    The logarithmic access counter of <key> (LFU policies only).",
            "IDLETIME <key>",
            "    Seconds since <key> was last read or written (LRU policies only).",
            "REFCOUNT <key>",
            "    How many references the value at <key> has.",
            "HELP",
            "    This text.",
        };
        ServerCommands.help(c, lines);
    }
}
