#!/usr/bin/env bash
# make bench-snapshot: a save under write load, Damselfly beside redis-server in one run.
#
# Both servers get the same N keys (16-byte keys "key:%012d", 32-byte values, as redis-benchmark
# and the load generator use). Then, for each server in turn:
#   1. the load generator writes and reads (SET:GET 1:1, 50 connections, pipeline 16) for
#      SNAP_SECONDS; bench/bgsave_window.py measures throughput (total_commands_processed)
#      over seconds 3-8 (before) and from the BGSAVE it issues at second 8 until the save ends
#      (during), polling INFO and sampling PSS alike in both windows and starting no process;
#   2. the proportional set size (PSS, /proc/PID/smaps_rollup) is sampled every 50 ms:
#      Damselfly's process, redis-server's parent plus its fork child; "before" is the PSS
#      just before BGSAVE;
#   3. SAVE speed: one SAVE of the dataset, dump bytes / seconds;
#   4. load speed: a restart on that dump, one server at a time, from the load time each logs.
# Environment: SNAP_KEYS (default 5000000), SNAP_SECONDS (default 20), DAMSELFLY_THREADS
# (default: cores), BENCH_OUT (default bench/last-snapshot.txt).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
keys=${SNAP_KEYS:-5000000}
secs=${SNAP_SECONDS:-30}
threads=${DAMSELFLY_THREADS:-$(nproc)}
out=${BENCH_OUT:-bench/last-snapshot.txt}
java_bin="${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}/bin/java"
gen_cp="$root/tools/target/damselfly-tools.jar:$root/tools/target/lib/*"
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }
dport=$(free_port); rport=$(free_port)
tmp=$(mktemp -d)
mkdir -p "$tmp/d" "$tmp/r"
cleanup() {
  redis-cli -p "$dport" shutdown nosave >/dev/null 2>&1 || true
  redis-cli -p "$rport" shutdown nosave >/dev/null 2>&1 || true
  rm -rf "$tmp"
}
trap cleanup EXIT
: > "$out"
say() { echo "$*" | tee -a "$out"; }

start_damselfly() {
  bin/damselfly --port "$dport" --bind 127.0.0.1 --threads "$threads" --save "" --dir "$tmp/d" > "$tmp/d.log" 2>&1 &
  dpid=$!
}
start_redis() {
  redis-server --port "$rport" --bind 127.0.0.1 --save "" --appendonly no --dir "$tmp/r" --logfile "$tmp/r.log" &
  rpid=$!
}
wait_ping() { for _ in $(seq 1 600); do redis-cli -p "$1" ping 2>/dev/null | grep -q PONG && return 0; sleep 0.1; done; return 1; }
gen() { "$java_bin" -cp "$gen_cp" io.damselfly.tools.LoadGenerator --port "$1" --connections 50 --pipeline 16 \
  --ratio 1:1 --keys "$keys" --size 32 --duration "$secs" --workload string; }

start_damselfly; start_redis
wait_ping "$dport"; wait_ping "$rport"
say "# snapshot bench $(date -u +%FT%TZ): $keys keys, ${secs}s runs, damselfly threads=$threads, $(nproc) cores"
python3 - "$keys" > "$tmp/fill.resp" <<'PY'
import sys
n = int(sys.argv[1]); v = b"x" * 32; w = sys.stdout.buffer
for i in range(n):
    k = b"key:%012d" % i
    w.write(b"*3\r\n$3\r\nSET\r\n$16\r\n" + k + b"\r\n$32\r\n" + v + b"\r\n")
PY
for p in "$dport" "$rport"; do redis-cli -p "$p" --pipe < "$tmp/fill.resp" > /dev/null; done
rm -f "$tmp/fill.resp"
say "dbsize damselfly=$(redis-cli -p "$dport" dbsize) redis=$(redis-cli -p "$rport" dbsize)"
sleep 2

for who in damselfly redis; do
  if [ $who = damselfly ]; then port=$dport; pid=$dpid; else port=$rport; pid=$rpid; fi
  if [ $who = damselfly ] && [ -n "${SNAP_CPU_PERCENT:-}" ]; then
    redis-cli -p "$port" config set snapshot-cpu-percent "$SNAP_CPU_PERCENT" > /dev/null
  fi
  ( gen "$port" > "$tmp/gen.out" ) & g=$!
  sleep 3
  result=$(python3 bench/bgsave_window.py "$port" "$pid" 5)
  kill -0 "$g" 2>/dev/null || say "$who: WARNING the load ended before the save did"
  wait "$g" || true
  say "$who: $result"
done

for who in damselfly redis; do
  if [ $who = damselfly ]; then port=$dport; dir=$tmp/d; else port=$rport; dir=$tmp/r; fi
  t0=$(date +%s.%N); redis-cli -p "$port" save > /dev/null; t1=$(date +%s.%N)
  bytes=$(stat -c %s "$dir/dump.rdb")
  say "$who: SAVE $bytes bytes in $(python3 -c "print(f'{$t1-$t0:.2f}')") s = $(python3 -c "print(f'{$bytes/($t1-$t0)/1e6:.1f}')") MB/s"
done

redis-cli -p "$dport" shutdown nosave > /dev/null 2>&1 || true
redis-cli -p "$rport" shutdown nosave > /dev/null 2>&1 || true
sleep 1
# one at a time, so that neither load shares the cores with the other
start_damselfly; wait_ping "$dport"
for _ in $(seq 1 1200); do grep -q "DB loaded from disk" "$tmp/d.log" && break; sleep 0.1; done
start_redis; wait_ping "$rport"
for _ in $(seq 1 1200); do grep -q "DB loaded from disk" "$tmp/r.log" && break; sleep 0.1; done
dms=$(sed -n 's/.*DB loaded from disk: .* in \([0-9]*\) ms.*/\1/p' "$tmp/d.log")
rsec=$(sed -n 's/.*DB loaded from disk: \([0-9.]*\) seconds.*/\1/p' "$tmp/r.log")
db=$(stat -c %s "$tmp/d/dump.rdb"); rb=$(stat -c %s "$tmp/r/dump.rdb")
say "damselfly: load $db bytes in ${dms} ms = $(python3 -c "print(f'{$db/($dms/1000)/1e6:.1f}')") MB/s, $(python3 -c "print(f'{$keys/($dms/1000)/1e6:.2f}')") M keys/s, keys=$(redis-cli -p "$dport" dbsize)"
say "redis: load $rb bytes in ${rsec} s = $(python3 -c "print(f'{$rb/$rsec/1e6:.1f}')") MB/s, $(python3 -c "print(f'{$keys/$rsec/1e6:.2f}')") M keys/s, keys=$(redis-cli -p "$rport" dbsize)"
