package io.damselfly.engine.command;

import io.damselfly.engine.exec.Client;
import io.damselfly.engine.exec.Engine;
import io.damselfly.engine.exec.Host;
import io.damselfly.engine.exec.Worker;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryUsage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * INFO: Redis 7.0's sections and field names, filled from every worker's statistics (gathered
 * on each worker's own thread) and from the host. Damselfly's own figures have damselfly_ names.
 */
public final class Info {
    static final List<String> DEFAULT = List.of("server", "clients", "memory", "persistence", "stats",
            "replication", "cpu", "module_list", "errorstats", "cluster", "keyspace");
    static final List<String> ALL = List.of("server", "clients", "memory", "persistence", "stats",
            "replication", "cpu", "module_list", "commandstats", "errorstats", "latencystats", "cluster", "keyspace");

    private Info() {
    }

    /** Which sections a request asks for, in output order. */
    static Set<String> sections(Request r, int from) {
        Set<String> wanted = new LinkedHashSet<>();
        if (r.argc() <= from) {
            wanted.addAll(DEFAULT);
            return wanted;
        }
        Set<String> asked = new LinkedHashSet<>();
        for (int i = from; i < r.argc(); i++) {
            asked.add(r.lower(i));
        }
        for (String s : asked) {
            switch (s) {
                case "default" -> wanted.addAll(DEFAULT);
                case "all" -> wanted.addAll(ALL);
                case "everything" -> {
                    wanted.addAll(ALL);
                    wanted.add("modules");
                }
                default -> wanted.add(s);
            }
        }
        return wanted;
    }

    /** Every worker's latency histograms merged, per command id, for the commands that have one. */
    static TreeMap<Integer, org.HdrHistogram.Histogram> latencies(List<Worker.Stats> stats) {
        TreeMap<Integer, org.HdrHistogram.Histogram> out = new TreeMap<>();
        for (Worker.Stats s : stats) {
            if (s.latencies == null) {
                continue;
            }
            for (int id = 0; id < s.latencies.length; id++) {
                if (s.latencies[id] != null) {
                    out.computeIfAbsent(id, k -> new org.HdrHistogram.Histogram(Worker.LATENCY_MIN_NS, Worker.LATENCY_MAX_NS, 2)).add(s.latencies[id]);
                }
            }
        }
        return out;
    }

    /** 50 -> "50", 99.9 -> "99.9": a percentile as Redis prints it (%f without trailing zeros). */
    static String percentileLabel(double p) {
        String f = String.format(Locale.ROOT, "%f", p);
        if (f.indexOf('.') >= 0) {
            f = f.replaceAll("0+$", "");
            if (f.endsWith(".")) {
                f = f.substring(0, f.length() - 1);
            }
        }
        return f;
    }

    private static String human(long bytes) {
        if (bytes < 1024) {
            return bytes + "B";
        }
        String[] units = {"K", "M", "G", "T", "P"};
        double v = bytes;
        int u = -1;
        while (v >= 1024 && u < units.length - 1) {
            v /= 1024;
            u++;
        }
        return String.format(Locale.ROOT, "%.2f%s", v, units[u]);
    }

    private static long rssBytes() {
        try {
            String statm = Files.readString(Path.of("/proc/self/statm"));
            return Long.parseLong(statm.trim().split("\\s+")[1]) * 4096;
        } catch (IOException | RuntimeException e) {
            return 0;
        }
    }

    private static long totalSystemMemory() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/meminfo"))) {
                if (line.startsWith("MemTotal:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
                }
            }
        } catch (IOException | RuntimeException e) {
            // not Linux
        }
        return 0;
    }

    /** [user, system] CPU seconds of the process, from /proc/self/stat. */
    private static double[] cpuSeconds() {
        try {
            String stat = Files.readString(Path.of("/proc/self/stat"));
            String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            double hz = 100.0;
            return new double[] {Long.parseLong(f[11]) / hz, Long.parseLong(f[12]) / hz};
        } catch (IOException | RuntimeException e) {
            double t = ManagementFactory.getRuntimeMXBean().getUptime() / 1000.0;
            return new double[] {t, 0};
        }
    }

    static String render(Engine engine, Client client, Set<String> wanted, List<Worker.Stats> stats) {
        StringBuilder sb = new StringBuilder();
        Host host = engine.host();
        long now = System.currentTimeMillis();
        long calls = 0;
        long expired = 0;
        long evicted = 0;
        long hits = 0;
        long misses = 0;
        long dirty = 0;
        long used = 0;
        long errors = 0;
        long ops = 0;
        long bucketsAhead = 0;
        long bucketsWalked = 0;
        long squashes = 0;
        long squashed = 0;
        for (Worker.Stats s : stats) {
            calls += s.commandsProcessed;
            expired += s.expiredKeys;
            evicted += s.evictedKeys;
            hits += s.hits;
            misses += s.misses;
            dirty += s.dirty;
            used += s.usedMemory;
            errors += s.errorReplies;
            ops += s.opsPerSec;
            bucketsAhead += s.bucketsAhead;
            bucketsWalked += s.bucketsWalked;
            squashes += s.squashes;
            squashed += s.squashedCommands;
        }
        MemoryUsage heap = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage();
        long usedMemory = used + heap.getUsed();
        List<Client> clients = host == null ? List.of() : host.clients();
        long[] net = host == null ? new long[4] : host.networkStats();
        for (String section : wanted) {
            int before = sb.length();
            switch (section) {
                case "server" -> {
                    long uptime = engine.uptimeNanos() / 1_000_000_000L;
                    sb.append("# Server\r\n")
                            .append("redis_version:").append(Engine.REDIS_VERSION).append("\r\n")
                            .append("redis_git_sha1:00000000\r\n")
                            .append("redis_git_dirty:0\r\n")
                            .append("redis_build_id:0\r\n")
                            .append("redis_mode:standalone\r\n")
                            .append("os:").append(System.getProperty("os.name")).append(' ')
                            .append(System.getProperty("os.version")).append(' ')
                            .append(System.getProperty("os.arch")).append("\r\n")
                            .append("arch_bits:64\r\n")
                            .append("monotonic_clock:POSIX clock_gettime\r\n")
                            .append("multiplexing_api:epoll\r\n")
                            .append("atomicvar_api:c11-builtin\r\n")
                            .append("gcc_version:0.0.0\r\n")
                            .append("process_id:").append(host == null ? ProcessHandle.current().pid() : host.pid()).append("\r\n")
                            .append("process_supervised:no\r\n")
                            .append("run_id:").append(engine.runId()).append("\r\n")
                            .append("tcp_port:").append(host == null ? 0 : host.port()).append("\r\n")
                            .append("server_time_usec:").append(now * 1000).append("\r\n")
                            .append("uptime_in_seconds:").append(uptime).append("\r\n")
                            .append("uptime_in_days:").append(uptime / 86400).append("\r\n")
                            .append("hz:").append(engine.settings().hz.number()).append("\r\n")
                            .append("configured_hz:").append(engine.settings().hz.number()).append("\r\n")
                            .append("lru_clock:").append((now / 1000) & ((1 << 24) - 1)).append("\r\n")
                            .append("executable:").append(host == null ? "" : host.executable()).append("\r\n")
                            .append("config_file:").append(engine.settings().configFile() == null ? ""
                                    : engine.settings().configFile().toString()).append("\r\n")
                            .append("io_threads_active:0\r\n")
                            .append("damselfly_version:").append(Engine.VERSION).append("\r\n")
                            .append("damselfly_shards:").append(engine.shards()).append("\r\n")
                            .append("java_version:").append(Runtime.version()).append("\r\n");
                }
                case "clients" -> {
                    long maxIn = 0;
                    long maxOut = 0;
                    for (Client cl : clients) {
                        maxIn = Math.max(maxIn, cl.inputMemory());
                        maxOut = Math.max(maxOut, cl.outputMemory());
                    }
                    long blocked = 0;
                    for (Worker.Stats s : stats) {
                        blocked += s.blocked;
                    }
                    sb.append("# Clients\r\n")
                            .append("connected_clients:").append(clients.size()).append("\r\n")
                            .append("cluster_connections:0\r\n")
                            .append("maxclients:").append(engine.settings().maxclients.number()).append("\r\n")
                            .append("client_recent_max_input_buffer:").append(maxIn).append("\r\n")
                            .append("client_recent_max_output_buffer:").append(maxOut).append("\r\n")
                            .append("blocked_clients:").append(engine.blockedClients()).append("\r\n")
                            .append("tracking_clients:0\r\n")
                            .append("clients_in_timeout_table:0\r\n")
                            .append("damselfly_clients_waiting_on_locks:").append(blocked).append("\r\n");
                }
                case "memory" -> {
                    long rss = rssBytes();
                    long peak = engine.peakMemory(usedMemory);
                    long sys = totalSystemMemory();
                    long maxmemory = engine.settings().get("maxmemory").number();
                    sb.append("# Memory\r\n")
                            .append("used_memory:").append(usedMemory).append("\r\n")
                            .append("used_memory_human:").append(human(usedMemory)).append("\r\n")
                            .append("used_memory_rss:").append(rss).append("\r\n")
                            .append("used_memory_rss_human:").append(human(rss)).append("\r\n")
                            .append("used_memory_peak:").append(peak).append("\r\n")
                            .append("used_memory_peak_human:").append(human(peak)).append("\r\n")
                            .append("used_memory_peak_perc:").append(String.format(Locale.ROOT, "%.2f%%",
                                    peak == 0 ? 0.0 : 100.0 * usedMemory / peak)).append("\r\n")
                            .append("used_memory_overhead:").append(heap.getUsed()).append("\r\n")
                            .append("used_memory_startup:0\r\n")
                            .append("used_memory_dataset:").append(used).append("\r\n")
                            .append("used_memory_dataset_perc:").append(String.format(Locale.ROOT, "%.2f%%",
                                    usedMemory == 0 ? 0.0 : 100.0 * used / usedMemory)).append("\r\n")
                            .append("total_system_memory:").append(sys).append("\r\n")
                            .append("total_system_memory_human:").append(human(sys)).append("\r\n")
                            .append("used_memory_lua:0\r\n")
                            .append("used_memory_scripts:0\r\n")
                            .append("number_of_cached_scripts:0\r\n")
                            .append("maxmemory:").append(maxmemory).append("\r\n")
                            .append("maxmemory_human:").append(human(maxmemory)).append("\r\n")
                            .append("maxmemory_policy:").append(engine.settings().maxmemoryPolicy.value()).append("\r\n")
                            .append("mem_fragmentation_ratio:").append(String.format(Locale.ROOT, "%.2f",
                                    usedMemory == 0 ? 0.0 : (double) rss / usedMemory)).append("\r\n")
                            .append("mem_allocator:slab+jvm\r\n")
                            .append("lazyfree_pending_objects:0\r\n")
                            .append("lazyfreed_objects:0\r\n")
                            .append("damselfly_heap_used:").append(heap.getUsed()).append("\r\n")
                            .append("damselfly_heap_committed:").append(heap.getCommitted()).append("\r\n")
                            .append("damselfly_slab_used:").append(used).append("\r\n");
                }
                case "persistence" -> sb.append("# Persistence\r\n")
                        .append(engine.persistenceInfo(dirty));
                case "stats" -> {
                    sb.append("# Stats\r\n")
                            .append("total_connections_received:").append(net[0]).append("\r\n")
                            .append("total_commands_processed:").append(calls).append("\r\n")
                            .append("instantaneous_ops_per_sec:").append(ops).append("\r\n")
                            .append("total_net_input_bytes:").append(net[2]).append("\r\n")
                            .append("total_net_output_bytes:").append(net[3]).append("\r\n")
                            .append("total_net_repl_input_bytes:0\r\n")
                            .append("total_net_repl_output_bytes:0\r\n")
                            .append("instantaneous_input_kbps:0.00\r\n")
                            .append("instantaneous_output_kbps:0.00\r\n")
                            .append("instantaneous_input_repl_kbps:0.00\r\n")
                            .append("instantaneous_output_repl_kbps:0.00\r\n")
                            .append("rejected_connections:").append(net[1]).append("\r\n")
                            .append(engine.replicationStats())
                            .append("expired_keys:").append(expired).append("\r\n")
                            .append("expired_stale_perc:0.00\r\n")
                            .append("expired_time_cap_reached_count:0\r\n")
                            .append("expire_cycle_cpu_milliseconds:0\r\n")
                            .append("evicted_keys:").append(evicted).append("\r\n")
                            .append("evicted_clients:0\r\n")
                            .append("total_eviction_exceeded_time:0\r\n")
                            .append("current_eviction_exceeded_time:0\r\n")
                            .append("keyspace_hits:").append(hits).append("\r\n")
                            .append("keyspace_misses:").append(misses).append("\r\n")
                            .append("pubsub_channels:").append(engine.pubsubCount(false)).append("\r\n")
                            .append("pubsub_patterns:").append(engine.pubsubCount(true)).append("\r\n")
                            .append("pubsubshard_channels:0\r\n")
                            .append("latest_fork_usec:0\r\n")
                            .append("total_forks:0\r\n")
                            .append("migrate_cached_sockets:0\r\n")
                            .append("slave_expires_tracked_keys:0\r\n")
                            .append("active_defrag_hits:0\r\n")
                            .append("active_defrag_misses:0\r\n")
                            .append("active_defrag_key_hits:0\r\n")
                            .append("active_defrag_key_misses:0\r\n")
                            .append("total_active_defrag_time:0\r\n")
                            .append("current_active_defrag_time:0\r\n")
                            .append("tracking_total_keys:0\r\n")
                            .append("tracking_total_items:0\r\n")
                            .append("tracking_total_prefixes:0\r\n")
                            .append("unexpected_error_replies:0\r\n")
                            .append("total_error_replies:").append(errors).append("\r\n")
                            .append("dump_payload_sanitizations:0\r\n")
                            .append("total_reads_processed:").append(net[4]).append("\r\n")
                            .append("total_writes_processed:").append(net[5]).append("\r\n")
                            .append("io_threaded_reads_processed:0\r\n")
                            .append("io_threaded_writes_processed:0\r\n")
                            .append("reply_buffer_shrinks:0\r\n")
                            .append("reply_buffer_expands:0\r\n")
                            .append("damselfly_buckets_serialised_ahead:").append(bucketsAhead).append("\r\n")
                            .append("damselfly_buckets_serialised_by_walker:").append(bucketsWalked).append("\r\n")
                            .append("damselfly_pipeline_squashes:").append(squashes).append("\r\n")
                            .append("damselfly_pipeline_squashed_commands:").append(squashed).append("\r\n");
                }
                case "replication" -> sb.append("# Replication\r\n").append(engine.replicationInfo());
                case "cpu" -> {
                    double[] cpu = cpuSeconds();
                    sb.append("# CPU\r\n")
                            .append(String.format(Locale.ROOT, "used_cpu_sys:%.6f\r\n", cpu[1]))
                            .append(String.format(Locale.ROOT, "used_cpu_user:%.6f\r\n", cpu[0]))
                            .append("used_cpu_sys_children:0.000000\r\n")
                            .append("used_cpu_user_children:0.000000\r\n")
                            .append(String.format(Locale.ROOT, "used_cpu_sys_main_thread:%.6f\r\n", cpu[1]))
                            .append(String.format(Locale.ROOT, "used_cpu_user_main_thread:%.6f\r\n", cpu[0]));
                }
                case "modules" -> sb.append("# Modules\r\n");
                case "module_list" -> sb.append("# Modules\r\n");
                case "commandstats" -> {
                    sb.append("# Commandstats\r\n");
                    int ids = engine.commands().idCount();
                    for (int id = 0; id < ids; id++) {
                        long c = 0;
                        long ns = 0;
                        long rej = 0;
                        long fail = 0;
                        for (Worker.Stats s : stats) {
                            c += s.calls[id];
                            ns += s.nanos[id];
                            rej += s.rejected[id];
                            fail += s.failed[id];
                        }
                        if (c == 0 && rej == 0 && fail == 0) {
                            continue;
                        }
                        long usec = ns / 1000;
                        sb.append("cmdstat_").append(engine.commands().byId(id).fullName())
                                .append(":calls=").append(c)
                                .append(",usec=").append(usec)
                                .append(",usec_per_call=").append(String.format(Locale.ROOT, "%.2f", c == 0 ? 0.0 : (double) usec / c))
                                .append(",rejected_calls=").append(rej)
                                .append(",failed_calls=").append(fail).append("\r\n");
                    }
                }
                case "errorstats" -> {
                    sb.append("# Errorstats\r\n");
                    Map<String, Long> merged = new TreeMap<>();
                    for (Worker.Stats s : stats) {
                        s.errors.forEach((k, v) -> merged.merge(k, v, Long::sum));
                    }
                    merged.forEach((k, v) -> sb.append("errorstat_").append(k).append(":count=").append(v).append("\r\n"));
                }
                case "latencystats" -> {
                    sb.append("# Latencystats\r\n");
                    List<Double> percentiles = new ArrayList<>();
                    for (String p : engine.settings().get("latency-tracking-info-percentiles").value().trim().split("\\s+")) {
                        if (!p.isEmpty()) {
                            percentiles.add(Double.parseDouble(p));
                        }
                    }
                    latencies(stats).forEach((id, h) -> {
                        sb.append("latency_percentiles_usec_").append(engine.commands().byId(id).fullName()).append(':');
                        for (int i = 0; i < percentiles.size(); i++) {
                            double p = percentiles.get(i);
                            sb.append(i == 0 ? "" : ",").append('p').append(percentileLabel(p)).append('=')
                                    .append(String.format(Locale.ROOT, "%.3f", h.getValueAtPercentile(p) / 1000.0));
                        }
                        sb.append("\r\n");
                    });
                }
                case "cluster" -> sb.append("# Cluster\r\ncluster_enabled:0\r\n");
                case "keyspace" -> {
                    sb.append("# Keyspace\r\n");
                    int dbs = stats.isEmpty() ? 0 : stats.get(0).keys.length;
                    for (int db = 0; db < dbs; db++) {
                        long keys = 0;
                        long expires = 0;
                        for (Worker.Stats s : stats) {
                            keys += s.keys[db];
                            expires += s.expires[db];
                        }
                        if (keys > 0) {
                            sb.append("db").append(db).append(":keys=").append(keys).append(",expires=").append(expires)
                                    .append(",avg_ttl=0\r\n");
                        }
                    }
                }
                default -> {
                    String extra = engine.extraInfo(section);
                    if (extra != null) {
                        sb.append(extra);
                    }
                }
            }
            if (sb.length() > before) {
                sb.append("\r\n");
            }
        }
        if (sb.length() >= 2) {
            sb.setLength(sb.length() - 2);
        }
        return sb.toString();
    }

    static List<Worker.Stats> collect(List<Worker.Stats> parts) {
        return new ArrayList<>(parts);
    }
}
