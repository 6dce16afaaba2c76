package io.damselfly.engine.config;

import io.damselfly.engine.keyspace.Glob;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The one settings table: serves the command line, the config file (redis.conf syntax),
 * CONFIG GET/SET/REWRITE and INFO. Names are Redis's; Damselfly's own settings have names of
 * the same style. Validated once before launch ({@link #conclude}); reads are lock-free, and
 * CONFIG SET calls are serialised on this object.
 */
public final class Settings {
    private final Map<String, Setting> byName = new LinkedHashMap<>();
    private final List<Setting> all = new ArrayList<>();
    private Path configFile;

    public final Setting port;
    public final Setting bind;
    public final Setting threads;
    public final Setting databases;
    public final Setting requirepass;
    public final Setting maxclients;
    public final Setting protoMaxBulkLen;
    public final Setting clientQueryBufferLimit;
    public final Setting clientOutputBufferLimit;
    public final Setting hz;
    public final Setting slowlogLogSlowerThan;
    public final Setting slowlogMaxLen;
    public final Setting latencyMonitorThreshold;
    public final Setting latencyTracking;
    public final Setting dir;
    public final Setting dbfilename;
    public final Setting save;
    public final Setting timeout;
    public final Setting idleSpinMicros;
    public final Setting replySpinMicros;
    public final Setting pipelineSquash;
    public final Setting enableDebugCommand;
    public final Setting lazyfreeLazyExpire;
    public final Setting lazyfreeLazyUserDel;
    public final Setting lazyfreeLazyUserFlush;
    public final Setting maxmemory;
    public final Setting maxmemoryPolicy;
    public final Setting lfuLogFactor;
    public final Setting lfuDecayTime;
    public final Setting activeExpireEffort;
    public final Setting loglevel;
    public final Setting logfile;
    public final Setting pidfile;
    public final Setting tcpKeepalive;
    public final Setting hashMaxListpackEntries;
    public final Setting hashMaxListpackValue;
    public final Setting setMaxIntsetEntries;
    public final Setting zsetMaxListpackEntries;
    public final Setting zsetMaxListpackValue;
    public final Setting listMaxListpackSize;
    /** Keyspace notification classes; {@link Setting#number()} is the {@link KeyspaceEvents} bit set. */
    public final Setting notifyKeyspaceEvents;

    public Settings() {
        port = num("port", 6379, 0, 65535, false, Setting.IMMUTABLE);
        bind = text("bind", "127.0.0.1", v -> v.isBlank() ? "Too many bind addresses specified." : null,
                Setting.IMMUTABLE | Setting.MULTI_ARG);
        threads = num("threads", Runtime.getRuntime().availableProcessors(), 1, 1024, false, Setting.IMMUTABLE);
        idleSpinMicros = num("idle-spin-us", 0, 0, 1_000_000, false, 0);
        replySpinMicros = num("reply-spin-us", 50, 0, 1_000_000, false, 0);
        pipelineSquash = num("pipeline-squash", 3, 0, 1_000_000, false, 0);
        databases = num("databases", 16, 1, Integer.MAX_VALUE, false, Setting.IMMUTABLE);
        requirepass = text("requirepass", "", null, Setting.SENSITIVE);
        maxclients = num("maxclients", 10000, 1, Integer.MAX_VALUE, false, 0);
        protoMaxBulkLen = num("proto-max-bulk-len", 512L * 1024 * 1024, 1024 * 1024, Long.MAX_VALUE, true, 0);
        clientQueryBufferLimit = num("client-query-buffer-limit", 1024L * 1024 * 1024, 1024 * 1024,
                Long.MAX_VALUE, true, 0);
        clientOutputBufferLimit = text("client-output-buffer-limit",
                "normal 1073741824 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60",
                ClientOutputLimits::validate, Setting.MULTI_ARG);
        hz = num("hz", 10, 1, 500, false, 0);
        text("dynamic-hz", "yes", null, 0);
        timeout = num("timeout", 0, 0, Integer.MAX_VALUE, false, 0);
        tcpKeepalive = num("tcp-keepalive", 300, 0, Integer.MAX_VALUE, false, 0);
        num("tcp-backlog", 511, 0, Integer.MAX_VALUE, false, Setting.IMMUTABLE);
        dir = text("dir", System.getProperty("user.dir"), Settings::validateDir, 0);
        dbfilename = text("dbfilename", "dump.rdb",
                v -> v.contains("/") ? "dbfilename can't be a path, just a filename" : null, 0);
        save = text("save", "3600 1 300 100 60 10000", Settings::validateSave, Setting.MULTI_ARG);
        bool("appendonly", false, 0);
        text("appendfilename", "appendonly.aof", null, Setting.IMMUTABLE);
        choice("appendfsync", "everysec", new String[] {"always", "everysec", "no"}, 0);
        loglevel = choice("loglevel", "notice", new String[] {"debug", "verbose", "notice", "warning"}, 0);
        logfile = text("logfile", "", null, Setting.IMMUTABLE);
        pidfile = text("pidfile", "", null, Setting.IMMUTABLE);
        bool("daemonize", false, Setting.IMMUTABLE);
        bool("protected-mode", true, 0);
        enableDebugCommand = choice("enable-debug-command", "no", new String[] {"no", "yes", "local"}, Setting.IMMUTABLE);
        maxmemory = num("maxmemory", 0, 0, Long.MAX_VALUE, true, 0);
        maxmemoryPolicy = choice("maxmemory-policy", "noeviction", new String[] {"volatile-lru", "volatile-lfu",
                "volatile-random", "volatile-ttl", "allkeys-lru", "allkeys-lfu", "allkeys-random", "noeviction"}, 0);
        num("maxmemory-samples", 5, 1, 64, false, 0);
        lfuLogFactor = num("lfu-log-factor", 10, 0, Integer.MAX_VALUE, false, 0);
        lfuDecayTime = num("lfu-decay-time", 1, 0, Integer.MAX_VALUE, false, 0);
        bool("lazyfree-lazy-eviction", false, 0);
        lazyfreeLazyExpire = bool("lazyfree-lazy-expire", false, 0);
        bool("lazyfree-lazy-server-del", false, 0);
        lazyfreeLazyUserDel = bool("lazyfree-lazy-user-del", false, 0);
        lazyfreeLazyUserFlush = bool("lazyfree-lazy-user-flush", false, 0);
        activeExpireEffort = num("active-expire-effort", 1, 1, 10, false, 0);
        notifyKeyspaceEvents = register(new KeyspaceEvents("notify-keyspace-events", 0));
        latencyTracking = bool("latency-tracking", true, 0);
        text("latency-tracking-info-percentiles", "50 99 99.9", null, Setting.MULTI_ARG);
        num("io-threads", 1, 1, 128, false, Setting.IMMUTABLE);
        bool("io-threads-do-reads", false, Setting.IMMUTABLE);
        slowlogLogSlowerThan = num("slowlog-log-slower-than", 10000, -1, Long.MAX_VALUE, false, 0);
        slowlogMaxLen = num("slowlog-max-len", 128, 0, Long.MAX_VALUE, false, 0);
        latencyMonitorThreshold = num("latency-monitor-threshold", 0, 0, Long.MAX_VALUE, false, 0);
        bool("activerehashing", true, 0);
        bool("stop-writes-on-bgsave-error", true, 0);
        bool("rdbcompression", true, 0);
        bool("rdbchecksum", true, 0);
        num("rdb-key-save-delay", 0, Integer.MIN_VALUE, Integer.MAX_VALUE, false, 0);
        num("snapshot-cpu-percent", 1, 1, 100, false, 0);
        bool("replica-read-only", true, 0, "slave-read-only");
        bool("replica-serve-stale-data", true, 0, "slave-serve-stale-data");
        text("masterauth", "", null, 0);
        text("replicaof", "", Settings::validateReplicaOf, Setting.MULTI_ARG | Setting.IMMUTABLE, "slaveof");
        text("masteruser", "", null, 0);
        num("repl-timeout", 60, 1, Integer.MAX_VALUE, false, 0);
        num("repl-backlog-size", 1024 * 1024, 1, Long.MAX_VALUE, true, 0);
        num("repl-backlog-ttl", 3600, 0, Integer.MAX_VALUE, false, 0);
        num("repl-ping-replica-period", 10, 1, Integer.MAX_VALUE, false, 0, "repl-ping-slave-period");
        bool("repl-diskless-sync", true, 0);
        num("repl-diskless-sync-delay", 5, 0, Integer.MAX_VALUE, false, 0);
        num("repl-diskless-sync-max-replicas", 0, 0, Integer.MAX_VALUE, false, 0);
        choice("repl-diskless-load", "disabled", new String[] {"disabled", "on-empty-db", "swapdb"}, 0);
        bool("repl-disable-tcp-nodelay", false, 0);
        num("replica-priority", 100, 0, Integer.MAX_VALUE, false, 0, "slave-priority");
        text("replica-announce-ip", "", null, 0, "slave-announce-ip");
        num("replica-announce-port", 0, 0, 65535, false, 0, "slave-announce-port");
        bool("replica-announced", true, 0);
        bool("replica-lazy-flush", false, 0, "slave-lazy-flush");
        bool("replica-ignore-maxmemory", true, 0, "slave-ignore-maxmemory");
        num("min-replicas-to-write", 0, 0, Integer.MAX_VALUE, false, 0, "min-slaves-to-write");
        num("min-replicas-max-lag", 10, 0, Integer.MAX_VALUE, false, 0, "min-slaves-max-lag");
        bool("replica-refuse-empty-master", false, 0);
        // native replication between Damselfly nodes (docs/replication-native.md)
        choice("replication-protocol", "auto", new String[] {"auto", "redis"}, 0);
        num("shard-backlog-size", 1024 * 1024, 16 * 1024, Long.MAX_VALUE, true, 0);
        num("shard-backlog-ttl", 3600, 0, Integer.MAX_VALUE, false, 0);
        num("replica-flow-max-lag", 64L * 1024 * 1024, 1024 * 1024, Long.MAX_VALUE, true, 0);
        num("replica-flow-timeout", 10_000, 10, Integer.MAX_VALUE, false, 0);
        num("replica-marker-period", 1000, 10, Integer.MAX_VALUE, false, 0);
        bool("rdb-del-sync-files", false, 0);
        num("loading-process-events-interval-bytes", 2 * 1024 * 1024, 1024, Integer.MAX_VALUE, false, 0);
        bool("cluster-enabled", false, Setting.IMMUTABLE);
        text("unixsocket", "", null, Setting.IMMUTABLE);
        num("unixsocketperm", 0, 0, 0777, false, Setting.IMMUTABLE);
        bool("always-show-logo", false, Setting.IMMUTABLE);
        bool("set-proc-title", true, Setting.IMMUTABLE);
        text("oom-score-adj-values", "0 200 800", null, Setting.MULTI_ARG);
        choice("oom-score-adj", "no", new String[] {"no", "yes", "relative", "absolute"}, 0);
        bool("jemalloc-bg-thread", true, 0);
        bool("activedefrag", false, 0);
        bool("crash-log-enabled", true, 0);
        bool("crash-memcheck-enabled", true, 0);
        bool("disable-thp", true, Setting.IMMUTABLE);
        choice("supervised", "no", new String[] {"upstart", "systemd", "auto", "no"}, Setting.IMMUTABLE);
        choice("enable-protected-configs", "no", new String[] {"no", "yes", "local"}, Setting.IMMUTABLE);
        choice("enable-module-command", "no", new String[] {"no", "yes", "local"}, Setting.IMMUTABLE);
        num("lua-time-limit", 5000, 0, Long.MAX_VALUE, false, 0, "busy-reply-threshold");
        hashMaxListpackEntries = num("hash-max-listpack-entries", 512, 0, Long.MAX_VALUE, true, 0,
                "hash-max-ziplist-entries");
        hashMaxListpackValue = num("hash-max-listpack-value", 64, 0, Long.MAX_VALUE, true, 0, "hash-max-ziplist-value");
        setMaxIntsetEntries = num("set-max-intset-entries", 512, 0, Long.MAX_VALUE, true, 0);
        zsetMaxListpackEntries = num("zset-max-listpack-entries", 128, 0, Long.MAX_VALUE, true, 0,
                "zset-max-ziplist-entries");
        zsetMaxListpackValue = num("zset-max-listpack-value", 64, 0, Long.MAX_VALUE, true, 0, "zset-max-ziplist-value");
        listMaxListpackSize = num("list-max-listpack-size", -2, Integer.MIN_VALUE, Integer.MAX_VALUE, false, 0,
                "list-max-ziplist-size");
        num("list-compress-depth", 0, 0, Integer.MAX_VALUE, false, 0);
        num("active-defrag-cycle-min", 1, 1, 99, false, 0);
        num("active-defrag-cycle-max", 25, 1, 99, false, 0);
    }

    private Setting register(Setting s) {
        all.add(s);
        byName.put(s.name, s);
        for (String alias : s.aliases) {
            byName.put(alias, s);
        }
        String error = s.parse(s.defaultValue);
        if (error != null) {
            throw new IllegalStateException("bad default for " + s.name + ": " + error);
        }
        return s;
    }

    /** Adds a setting from another module (replication, persistence ...). */
    public Setting bool(String name, boolean def, int flags, String... aliases) {
        return register(new Setting.Bool(name, def, flags, aliases));
    }

    public Setting num(String name, long def, long min, long max, boolean memory, int flags, String... aliases) {
        return register(new Setting.Num(name, def, min, max, memory, flags, aliases));
    }

    public Setting choice(String name, String def, String[] choices, int flags, String... aliases) {
        return register(new Setting.Choice(name, def, choices, flags, aliases));
    }

    public Setting text(String name, String def, java.util.function.Function<String, String> validator, int flags,
                        String... aliases) {
        return register(new Setting.Text(name, def, validator, flags, aliases));
    }

    public Setting get(String name) {
        return byName.get(name.toLowerCase(Locale.ROOT));
    }

    public List<Setting> all() {
        return all;
    }

    public Path configFile() {
        return configFile;
    }

    public void configFile(Path file) {
        this.configFile = file;
    }

    private static String validateDir(String v) {
        Path p = Path.of(v);
        if (!Files.isDirectory(p)) {
            return "No such file or directory";
        }
        return null;
    }

    private static String validateSave(String v) {
        String t = v.trim();
        if (t.isEmpty()) {
            return null;
        }
        String[] parts = t.split("\\s+");
        if (parts.length % 2 != 0) {
            return "Invalid save parameters";
        }
        for (String p : parts) {
            try {
                if (Long.parseLong(p) < 0) {
                    return "Invalid save parameters";
                }
            } catch (NumberFormatException e) {
                return "Invalid save parameters";
            }
        }
        return null;
    }

    /**
     * Applies a setting at startup (command line or config file). Throws with a one-line message
     * naming the setting when the name or value is bad.
     */
    public void apply(String name, List<String> args) {
        Setting s = get(name);
        if (s == null) {
            throw new IllegalArgumentException("Bad directive or wrong number of arguments");
        }
        String value;
        if (s.has(Setting.MULTI_ARG)) {
            value = String.join(" ", args);
        } else {
            if (args.size() != 1) {
                throw new IllegalArgumentException("wrong number of arguments");
            }
            value = args.get(0);
        }
        String error = s.set(value);
        if (error != null) {
            throw new IllegalArgumentException(error);
        }
    }

    /**
     * Records a value the server changed itself (replicaof after REPLICAOF), also an immutable
     * one, so CONFIG GET and CONFIG REWRITE show the state the server is in.
     */
    public synchronized void track(String name, String value) {
        String error = get(name).set(value);
        if (error != null) {
            throw new IllegalArgumentException(name + ": " + error);
        }
    }

    /**
     * CONFIG SET of several settings at once: all are validated and applied, or none is.
     * Returns null, or the error reply text.
     */
    public synchronized String configSet(List<String[]> pairs) {
        Map<Setting, String> previous = new LinkedHashMap<>();
        for (String[] pair : pairs) {
            Setting s = get(pair[0]);
            if (s == null || s.has(Setting.HIDDEN) && false) {
                return "ERR Unknown option or number of arguments for CONFIG SET - '" + pair[0] + "'";
            }
            if (s.has(Setting.IMMUTABLE)) {
                return "ERR CONFIG SET failed (possibly related to argument '" + pair[0]
                        + "') - can't set immutable config";
            }
            for (String[] other : pairs) {
                if (other != pair && get(other[0]) == s) {
                    return "ERR CONFIG SET failed (possibly related to argument '" + pair[0]
                            + "') - duplicate parameter";
                }
            }
        }
        for (String[] pair : pairs) {
            Setting s = get(pair[0]);
            previous.put(s, s.text);
            String error = s.set(pair[1]);
            if (error != null) {
                for (Map.Entry<Setting, String> e : previous.entrySet()) {
                    e.getKey().set(e.getValue());
                }
                return "ERR CONFIG SET failed (possibly related to argument '" + pair[0] + "') - " + error;
            }
        }
        return null;
    }

    /** CONFIG GET: settings matching any of the glob patterns, name to value, in table order. */
    public Map<String, String> configGet(List<String> patterns) {
        Map<String, String> out = new LinkedHashMap<>();
        for (String pattern : patterns) {
            String p = pattern.toLowerCase(Locale.ROOT);
            Setting exact = byName.get(p);
            if (exact != null && !hasGlob(p)) {
                out.put(p, exact.text);
                continue;
            }
            for (Map.Entry<String, Setting> e : byName.entrySet()) {
                if (Glob.match(p, e.getKey()) && !e.getValue().has(Setting.HIDDEN)) {
                    out.putIfAbsent(e.getKey(), e.getValue().text);
                }
            }
        }
        return out;
    }

    private static boolean hasGlob(String p) {
        return p.indexOf('*') >= 0 || p.indexOf('?') >= 0 || p.indexOf('[') >= 0;
    }

    /** Loads a config file in redis.conf syntax (one directive per line, # comments). */
    public void load(Path file) throws IOException {
        List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        int n = 0;
        for (String raw : lines) {
            n++;
            String line = raw.strip();
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            List<String> words = ConfigWords.split(line);
            if (words == null) {
                throw new IllegalArgumentException(where(file, n, line) + "Unbalanced quotes in configuration line");
            }
            if (words.isEmpty()) {
                continue;
            }
            try {
                String name = words.get(0).toLowerCase(Locale.ROOT);
                if (name.equals("include")) {
                    load(file.resolveSibling(words.get(1)));
                    continue;
                }
                apply(name, words.subList(1, words.size()));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(where(file, n, line) + e.getMessage());
            }
        }
        configFile = file.toAbsolutePath();
    }

    private static String where(Path file, int line, String text) {
        return "Bad config in " + file + " line " + line + " '" + text + "': ";
    }

    /**
     * CONFIG REWRITE: rewrites the config file with the current values, keeping comments and
     * the order of lines already there; settings that differ from their default and have no
     * line yet are appended. Written to a temporary file, then renamed.
     */
    public synchronized void rewrite() throws IOException {
        if (configFile == null) {
            throw new IllegalStateException("The server is running without a config file");
        }
        List<String> lines = Files.exists(configFile)
                ? Files.readAllLines(configFile, StandardCharsets.UTF_8) : new ArrayList<>();
        List<String> out = new ArrayList<>();
        java.util.Set<Setting> written = new java.util.HashSet<>();
        for (String raw : lines) {
            String line = raw.strip();
            if (line.isEmpty() || line.startsWith("#")) {
                if (!line.equals("# Generated by CONFIG REWRITE")) {
                    out.add(raw);
                }
                continue;
            }
            List<String> words = ConfigWords.split(line);
            Setting s = words == null || words.isEmpty() ? null : get(words.get(0));
            if (s == null) {
                out.add(raw);
                continue;
            }
            if (written.add(s)) {
                out.add(render(s));
            }
        }
        boolean header = false;
        for (Setting s : all) {
            if (written.contains(s) || s.has(Setting.HIDDEN) || java.util.Objects.equals(s.text, s.defaultValue)) {
                continue;
            }
            if (!header) {
                out.add("# Generated by CONFIG REWRITE");
                header = true;
            }
            out.add(render(s));
            written.add(s);
        }
        Path tmp = configFile.resolveSibling(configFile.getFileName() + ".tmp-" + ProcessHandle.current().pid());
        Files.write(tmp, out, StandardCharsets.UTF_8);
        Files.move(tmp, configFile, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    private static String render(Setting s) {
        String v = s.text == null ? "" : s.text;
        if (s.has(Setting.MULTI_ARG)) {
            return s.name + (v.isEmpty() ? " \"\"" : " " + v);
        }
        return s.name + " " + ConfigWords.quote(v);
    }

    /** replicaof: empty, or a host and a port. */
    static String validateReplicaOf(String v) {
        if (v.isBlank()) {
            return null;
        }
        String[] parts = v.trim().split("\\s+");
        if (parts.length != 2) {
            return "wrong number of arguments";
        }
        try {
            int port = Integer.parseInt(parts[1]);
            return port < 0 || port > 65535 ? "Invalid master port" : null;
        } catch (NumberFormatException e) {
            return "Invalid master port";
        }
    }
}
