#!/usr/bin/env bash
# make bench-replication: a full sync of REPL_KEYS keys to an empty replica over the Redis protocol
# (the Damselfly replica runs replication-protocol redis; make bench-native has the native one), Damselfly master ->
# Damselfly replica beside redis-server master -> redis-server replica, in one run, alternating.
# REPL_PROTOCOL=auto lets the Damselfly replica use native replication instead (its reading-only
# replica is then bench/null_native_replica.py).
#
#   1. full sync: REPLICAOF on a fresh empty replica; time until the replica's link is up with
#      every key loaded; the master's peak PSS (process plus children: redis-server forks for the
#      sync) against its PSS just before, sampled every 50 ms by bench/pss_peak.py.
#      repl-diskless-sync-delay 0 on both masters (both then send the RDB diskless).
#   2. the master's throughput (load generator, SET:GET 1:1, 50 connections, pipeline 16,
#      REPL_SECONDS per run) with no replica and with one replica attached, alternating; then
#      with bench/null_replica.py, a replica that only reads (the master's own cost apart from
#      the CPU a real replica takes on this 2-core machine).
# Keys are 16 bytes ("key:%012d"), values 32 bytes. Environment: REPL_KEYS (2000000),
# REPL_SECONDS (10), DAMSELFLY_THREADS (cores), REPL_PROTOCOL (redis), BENCH_OUT (bench/last-replication.txt).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
keys=${REPL_KEYS:-2000000}
secs=${REPL_SECONDS:-10}
threads=${DAMSELFLY_THREADS:-$(nproc)}
protocol=${REPL_PROTOCOL:-redis}
out=${BENCH_OUT:-bench/last-replication.txt}
java_bin="${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}/bin/java"
gen_cp="$root/tools/target/damselfly-tools.jar:$root/tools/target/lib/*"
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }
dm=$(free_port); rm_=$(free_port); dr=$(free_port); rr=$(free_port)
tmp=$(mktemp -d)
mkdir -p "$tmp/dm" "$tmp/rm" "$tmp/dr" "$tmp/rr"
cleanup() {
  for p in "$dm" "$rm_" "$dr" "$rr"; do redis-cli -p "$p" shutdown nosave >/dev/null 2>&1 || true; done
  rm -rf "$tmp"
}
trap cleanup EXIT
: > "$out"
say() { echo "$*" | tee -a "$out"; }
wait_ping() { for _ in $(seq 1 600); do redis-cli -p "$1" ping 2>/dev/null | grep -q PONG && return 0; sleep 0.1; done; return 1; }
gen() { "$java_bin" -cp "$gen_cp" io.damselfly.tools.LoadGenerator --port "$1" --connections 50 --pipeline 16 \
  --ratio 1:1 --keys "$keys" --size 32 --duration "$secs" --workload string; }

bin/damselfly --port "$dm" --bind 127.0.0.1 --threads "$threads" --save "" --dir "$tmp/dm" \
  --repl-diskless-sync-delay 0 > "$tmp/dm.log" 2>&1 &
dmpid=$!
redis-server --port "$rm_" --bind 127.0.0.1 --save "" --appendonly no --dir "$tmp/rm" \
  --repl-diskless-sync-delay 0 --logfile "$tmp/rm.log" &
rmpid=$!
wait_ping "$dm"; wait_ping "$rm_"
say "# replication bench $(date -u +%FT%TZ): $keys keys, damselfly threads=$threads, replication-protocol $protocol, $(nproc) cores"
python3 - "$keys" > "$tmp/fill.resp" <<'PY'
import sys
n = int(sys.argv[1]); v = b"x" * 32; w = sys.stdout.buffer
for i in range(n):
    k = b"key:%012d" % i
    w.write(b"*3\r\n$3\r\nSET\r\n$16\r\n" + k + b"\r\n$32\r\n" + v + b"\r\n")
PY
for p in "$dm" "$rm_"; do redis-cli -p "$p" --pipe < "$tmp/fill.resp" > /dev/null; done
rm -f "$tmp/fill.resp"
say "dbsize damselfly=$(redis-cli -p "$dm" dbsize) redis=$(redis-cli -p "$rm_" dbsize)"
sleep 2

start_replica() { # who port
  rm -rf "$tmp/$1"; mkdir -p "$tmp/$1"
  if [ "$1" = dr ]; then
    bin/damselfly --port "$2" --bind 127.0.0.1 --threads "$threads" --save "" --dir "$tmp/dr" \
      --replication-protocol "$protocol" > "$tmp/dr.log" 2>&1 &
  else
    redis-server --port "$2" --bind 127.0.0.1 --save "" --appendonly no --dir "$tmp/rr" --logfile "$tmp/rr.log" &
  fi
  wait_ping "$2"
}
replicaof() { # replica-port master-port: until the replica says OK
  for _ in $(seq 1 100); do
    [ "$(redis-cli -p "$1" replicaof 127.0.0.1 "$2" 2>/dev/null)" = "OK" ] && return 0; sleep 0.1
  done
  echo "replicaof failed on $1" >&2; return 1
}
stop_replica() { redis-cli -p "$1" shutdown nosave >/dev/null 2>&1 || true; sleep 1; }

full_sync() { # who master-port master-pid replica-name replica-port
  start_replica "$4" "$5"
  rm -f "$tmp/stop"
  python3 bench/pss_peak.py "$3" "$tmp/stop" > "$tmp/pss" &
  sampler=$!
  sleep 0.3
  t0=$(date +%s.%N)
  replicaof "$5" "$2"
  for _ in $(seq 1 6000); do
    info=$(redis-cli -p "$5" info replication)
    if echo "$info" | grep -q "master_link_status:up" && echo "$info" | grep -q "master_sync_in_progress:0" \
        && [ "$(redis-cli -p "$5" dbsize)" = "$keys" ]; then break; fi
    sleep 0.05
  done
  t1=$(date +%s.%N)
  touch "$tmp/stop"; wait "$sampler"
  read -r base peak < "$tmp/pss"
  say "$1: full sync of $(redis-cli -p "$5" dbsize) keys in $(python3 -c "print(f'{$t1-$t0:.2f}')") s; master PSS before $((base/1024)) MB, peak $((peak/1024)) MB = $(python3 -c "print(f'{$peak/$base:.3f}')")x"
}

for round in 1 2; do
  full_sync damselfly "$dm" "$dmpid" dr "$dr"; stop_replica "$dr"
  full_sync redis "$rm_" "$rmpid" rr "$rr"; stop_replica "$rr"
done

cpu() { awk '{print $14+$15}' "/proc/$1/stat"; } # clock ticks of user+system time
ops() { sed -n "s/.*ops\/s=\([0-9.]*\) .*/\1/p" "$1" | tail -1; }
for round in 1 2; do
  for who in damselfly redis; do
    if [ $who = damselfly ]; then port=$dm; rname=dr; rport=$dr; else port=$rm_; rname=rr; rport=$rr; fi
    mpid=$(redis-cli -p "$port" info server | sed -n 's/^process_id:\([0-9]*\).*/\1/p')
    a0=$(cpu "$mpid")
    gen "$port" > "$tmp/alone.out"
    a1=$(cpu "$mpid")
    start_replica "$rname" "$rport"
    replicaof "$rport" "$port"
    for _ in $(seq 1 6000); do
      redis-cli -p "$rport" info replication | grep -q "master_link_status:up" && break; sleep 0.1
    done
    rpid=$(redis-cli -p "$rport" info server | sed -n 's/^process_id:\([0-9]*\).*/\1/p')
    m0=$(cpu "$mpid"); r0=$(cpu "$rpid")
    gen "$port" > "$tmp/with.out"
    m1=$(cpu "$mpid"); r1=$(cpu "$rpid")
    lag=$(redis-cli -p "$port" info replication | grep slave0 || true)
    stop_replica "$rport"
    a=$(ops "$tmp/alone.out"); w=$(ops "$tmp/with.out")
    tck=$(getconf CLK_TCK)
    say "$who: master throughput alone $a ops/s ($(python3 -c "print(f'{($a1-$a0)/$tck/$secs:.2f}')") cores, $(python3 -c "print(f'{($a1-$a0)/$tck/$secs/$a*1e6:.2f}')") us/op), with a replica $w ops/s = $(python3 -c "print(f'{$w/$a:.3f}')") (master $(python3 -c "print(f'{($m1-$m0)/$tck/$secs/$w*1e6:.2f}')") us/op); during the run the master used $(python3 -c "print(f'{($m1-$m0)/$tck/$secs:.2f}')") cores and the replica $(python3 -c "print(f'{($r1-$r0)/$tck/$secs:.2f}')") ($lag)"
  done
done

for who in damselfly redis; do
  if [ $who = damselfly ]; then port=$dm; else port=$rm_; fi
  mpid=$(redis-cli -p "$port" info server | sed -n 's/^process_id:\([0-9]*\).*/\1/p')
  a0=$(cpu "$mpid"); gen "$port" > "$tmp/alone.out"; a1=$(cpu "$mpid")
  if [ $who = damselfly ] && [ "$protocol" != redis ]; then
    # reads every flow into nothing; prints a line once every flow finished its full sync
    python3 bench/null_native_replica.py "$port" 100000 > "$tmp/null.out" & nr=$!
    for _ in $(seq 1 600); do [ -s "$tmp/null.out" ] && break; sleep 0.1; done
  else
    python3 bench/null_replica.py "$port" & nr=$!
    for _ in $(seq 1 600); do redis-cli -p "$port" info replication | grep -q "state=online" && break; sleep 0.1; done
  fi
  m0=$(cpu "$mpid"); gen "$port" > "$tmp/with.out"; m1=$(cpu "$mpid")
  kill "$nr" 2>/dev/null || true; wait "$nr" 2>/dev/null || true
  a=$(ops "$tmp/alone.out"); w=$(ops "$tmp/with.out"); tck=$(getconf CLK_TCK)
  say "$who: with a reading-only replica: alone $a ops/s ($(python3 -c "print(f'{($a1-$a0)/$tck/$secs/$a*1e6:.2f}')") us/op), with $w ops/s = $(python3 -c "print(f'{$w/$a:.3f}')") (master $(python3 -c "print(f'{($m1-$m0)/$tck/$secs/$w*1e6:.2f}')") us/op)"
  sleep 1
done
