#!/usr/bin/env bash
# make bench-native: a full sync under write load, Damselfly -> Damselfly (native flows, one per
# shard) beside redis-server 7.0 -> redis-server, in one run, repl-diskless-sync-delay 0 on both.
#
# For each master (damselfly at each of NATIVE_THREADS, then redis-server), with NATIVE_KEYS keys
# of 16-byte names and 32-byte values:
#   1. the load alone: the load generator writes (SET, 50 connections, pipeline 16) for
#      NATIVE_SECONDS; the master's commands per second over a middle window (INFO stats);
#   2. the same load again, and 2 s in REPLICAOF on a fresh empty replica; time until the
#      replica's link is up with the sync done; the master's commands per second during the
#      sync; the master's peak PSS (process plus children: redis-server forks) against its PSS
#      before; the replica's peak PSS during the sync against its PSS once synced;
#   3. under a fresh run of the same load (started after the sync: a slow sync may outlast the
#      first), the stable-sync lag a client sees (bench/lag_probe.py: SET on the master, GET on
#      the replica until it shows), p50/p99/max, probed from 3 s in;
#   4. the master's own cost: the same load and a full sync to a replica that reads into nothing
#      (no replica CPU on this machine), the master's commands per second meanwhile.
# Environment: NATIVE_KEYS (5000000), NATIVE_SECONDS (40), NATIVE_THREADS ("1 2"),
# BENCH_OUT (bench/last-native.txt).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
keys=${NATIVE_KEYS:-5000000}
secs=${NATIVE_SECONDS:-40}
threads_list=${NATIVE_THREADS:-"1 2"}
out=${BENCH_OUT:-bench/last-native.txt}
java_bin="${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}/bin/java"
gen_cp="$root/tools/target/damselfly-tools.jar:$root/tools/target/lib/*"
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }
tmp=$(mktemp -d)
ports=()
cleanup() {
  for p in "${ports[@]}"; do redis-cli -p "$p" shutdown nosave >/dev/null 2>&1 || true; done
  rm -rf "$tmp"
}
trap cleanup EXIT
: > "$out"
say() { echo "$*" | tee -a "$out"; }
wait_ping() { for _ in $(seq 1 600); do redis-cli -p "$1" ping 2>/dev/null | grep -q PONG && return 0; sleep 0.1; done; return 1; }
pss_kb() { awk '/^Pss:/ {print $2}' "/proc/$1/smaps_rollup"; }
pid_of() { redis-cli -p "$1" info server | sed -n 's/^process_id:\([0-9]*\).*/\1/p'; }
commands() { redis-cli -p "$1" info stats | sed -n 's/^total_commands_processed:\([0-9]*\).*/\1/p'; }
now() { date +%s.%N; }
calc() { python3 -c "print($1)"; }
ops_of() { sed -n "s/.*ops\/s=\([0-9.]*\) .*/\1/p" "$1" | tail -1; }

python3 - "$keys" > "$tmp/fill.resp" <<'PY'
import sys
n = int(sys.argv[1]); v = b"x" * 32; w = sys.stdout.buffer
for i in range(n):
    k = b"key:%012d" % i
    w.write(b"*3\r\n$3\r\nSET\r\n$16\r\n" + k + b"\r\n$32\r\n" + v + b"\r\n")
PY
say "# native sync bench $(date -u +%FT%TZ): $keys keys, $(nproc) cores, load: SET 50 conns pipeline 16 for $secs s"

start() { # kind port dir threads
  mkdir -p "$3"
  if [ "$1" = damselfly ]; then
    bin/damselfly --port "$2" --bind 127.0.0.1 --threads "$4" --save "" --dir "$3" --repl-diskless-sync-delay 0 \
      > "$3/log" 2>&1 &
  else
    redis-server --port "$2" --bind 127.0.0.1 --save "" --appendonly no --dir "$3" --repl-diskless-sync-delay 0 \
      --logfile "$3/log" &
  fi
  ports+=("$2")
  wait_ping "$2"
}
gen() { "$java_bin" -cp "$gen_cp" io.damselfly.tools.LoadGenerator --port "$1" --connections 50 --pipeline 16 \
  --ratio 1:0 --keys "$keys" --size 32 --duration "$secs" --workload string; }

run() { # kind threads
  local kind=$1 t=$2 mp rp
  mp=$(free_port); rp=$(free_port)
  start "$kind" "$mp" "$tmp/m$mp" "$t"
  redis-cli -p "$mp" --pipe < "$tmp/fill.resp" > /dev/null
  local mpid; mpid=$(pid_of "$mp")
  sleep 2
  # 1. the load alone: commands per second over seconds 5..15
  gen "$mp" > "$tmp/alone.out" &
  local g=$!
  sleep 5; local c0 t0; c0=$(commands "$mp"); t0=$(now); sleep 10; local c1 t1; c1=$(commands "$mp"); t1=$(now)
  wait $g
  local alone; alone=$(calc "int(($c1-$c0)/($t1-$t0))")
  # 2. the same load with a full sync 2 s in
  start "$kind" "$rp" "$tmp/r$rp" "$t"
  local rpid; rpid=$(pid_of "$rp")
  gen "$mp" > "$tmp/with.out" &
  g=$!
  sleep 2
  rm -f "$tmp/stopm" "$tmp/stopr"
  python3 bench/pss_peak.py "$mpid" "$tmp/stopm" > "$tmp/pssm" &
  local sm=$!
  python3 bench/pss_peak.py "$rpid" "$tmp/stopr" > "$tmp/pssr" &
  local sr=$!
  sleep 0.3
  local s0 sc0; sc0=$(commands "$mp"); s0=$(now)
  redis-cli -p "$rp" replicaof 127.0.0.1 "$mp" > /dev/null
  for _ in $(seq 1 12000); do
    info=$(redis-cli -p "$rp" info replication)
    if echo "$info" | grep -q "master_link_status:up" && echo "$info" | grep -q "master_sync_in_progress:0"; then break; fi
    sleep 0.02
  done
  local s1 sc1; s1=$(now); sc1=$(commands "$mp")
  touch "$tmp/stopm" "$tmp/stopr"; wait "$sm" "$sr"
  local mbase mpeak rbase rpeak; read -r mbase mpeak < "$tmp/pssm"; read -r rbase rpeak < "$tmp/pssr"
  local rfinal; rfinal=$(pss_kb "$rpid")
  local during; during=$(calc "int(($sc1-$sc0)/($s1-$s0))")
  local rkeys; rkeys=$(redis-cli -p "$rp" dbsize)
  # 3. stable-sync lag under the same load: a fresh load run (the first may be over: a slow sync
  #    outlasts it), probed from 3 s in
  wait $g
  gen "$mp" > "$tmp/lag.out" &
  g=$!
  sleep 3
  local lag; lag=$(python3 bench/lag_probe.py "$mp" "$rp" 300)
  local behind; behind=$(redis-cli -p "$mp" info replication | grep -E "^slave0:" | tr -d '\r' || true)
  wait $g
  # 4. the master's own cost: the same load and a full sync to a replica that only reads
  #    (bench/null_native_replica.py; for redis-server bench/null_replica.py, the sync being the
  #    fork child's life); the master's commands per second meanwhile
  redis-cli -p "$rp" shutdown nosave > /dev/null 2>&1 || true
  gen "$mp" > "$tmp/null.out" &
  g=$!
  sleep 3
  local n0 nc0 n1 nc1 nullsync
  nc0=$(commands "$mp"); n0=$(now)
  if [ "$kind" = damselfly ]; then
    nullsync=$(python3 bench/null_native_replica.py "$mp")
  else
    python3 bench/null_replica.py "$mp" > /dev/null 2>&1 &
    local nr=$!
    for _ in $(seq 1 200); do redis-cli -p "$mp" info persistence | grep -q "rdb_bgsave_in_progress:1" && break; sleep 0.01; done
    for _ in $(seq 1 30000); do redis-cli -p "$mp" info persistence | grep -q "rdb_bgsave_in_progress:0" && break; sleep 0.02; done
    kill "$nr" 2>/dev/null || true
    nullsync=$(calc "f'{$(now)-$n0:.2f}'")
  fi
  nc1=$(commands "$mp"); n1=$(now)
  wait $g
  local nulldur; nulldur=$(calc "int(($nc1-$nc0)/($n1-$n0))")
  local name="$kind"; [ "$kind" = damselfly ] && name="damselfly --threads $t"
  say "$name: full sync under load in $(calc "f'{$s1-$s0:.2f}'") s; master $during cmds/s during the sync vs $alone alone = $(calc "f'{$during/$alone:.3f}'"); master PSS $((mbase/1024)) MB before, peak $((mpeak/1024)) MB = $(calc "f'{$mpeak/$mbase:.3f}'")x; replica peak $((rpeak/1024)) MB, final $((rfinal/1024)) MB = $(calc "f'{$rpeak/$rfinal:.3f}'")x; lag samples/p50/p99/max ms: $lag ($(ops_of "$tmp/lag.out") writes/s meanwhile; $behind); replica keys $rkeys; with a replica that only reads: sync in $nullsync s, master $nulldur cmds/s = $(calc "f'{$nulldur/$alone:.3f}'")"
  redis-cli -p "$mp" shutdown nosave > /dev/null 2>&1 || true
  sleep 1
}

for t in $threads_list; do run damselfly "$t"; run redis 1; done
