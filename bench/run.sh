#!/usr/bin/env bash
# make bench: Damselfly and redis-server side by side in one run, on this machine.
#
# Both servers run at the same time on their own ephemeral ports; runs alternate between them
# so that the noise of a shared machine hits both alike. For each pipeline depth the Java load
# generator (tools) and redis-benchmark drive each server; the ratios are printed at the end.
#
# CPU layout: no pinning. Damselfly runs --threads (default: one proactor per core), the load
# generator one selector thread, redis-server its single main thread. Server CPU per operation
# is utime+stime of the server process over the measured interval divided by the operations,
# so any time a proactor spends spinning is charged to its operations.
#
# Workloads (see tools' LoadGenerator): string (SET:GET 1:10), hash (HSET:HGET 1:10), list
# (LPUSH:LPOP 1:1), set (SADD:SISMEMBER 1:10), zset (ZADD:ZRANGE 0 4, 1:10) and publish (PUBLISH
# to a channel 10 subscribers read). redis-benchmark runs for the string workload only.
#
# Environment: BENCH_SECONDS (default 10) per run, BENCH_ROUNDS (default 2), BENCH_PIPELINES
# (default "1 16"), BENCH_WORKLOADS (default "string hash list set zset publish"),
# DAMSELFLY_THREADS (default: cores), DAMSELFLY_ARGS (more server options), BENCH_OUT (default bench/last-run.txt).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"

secs=${BENCH_SECONDS:-10}
rounds=${BENCH_ROUNDS:-2}
pipelines=${BENCH_PIPELINES:-"1 16"}
workloads=${BENCH_WORKLOADS:-"string hash list set zset publish"}
threads=${DAMSELFLY_THREADS:-$(nproc)}
out=${BENCH_OUT:-bench/last-run.txt}

java_bin="${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}/bin/java"
gen_cp="$root/tools/target/damselfly-tools.jar:$root/tools/target/lib/*"
command -v redis-server >/dev/null || { echo "bench: redis-server not found (apt-get install redis-server)"; exit 1; }
command -v redis-benchmark >/dev/null || { echo "bench: redis-benchmark not found (apt-get install redis-tools)"; exit 1; }

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }
dport=$(free_port); rport=$(free_port)
tmp=$(mktemp -d)
cleanup() {
  redis-cli -p "$dport" shutdown nosave >/dev/null 2>&1 || true
  redis-cli -p "$rport" shutdown nosave >/dev/null 2>&1 || true
  rm -rf "$tmp"
}
trap cleanup EXIT

redis-server --port "$rport" --bind 127.0.0.1 --save "" --appendonly no --dir "$tmp" --daemonize no >"$tmp/redis.log" 2>&1 &
rpid=$!
bin/damselfly --port "$dport" --bind 127.0.0.1 --threads "$threads" --save "" --dir "$tmp" ${DAMSELFLY_ARGS:-} >"$tmp/damselfly.log" 2>&1 &
dpid=$!
for p in "$dport" "$rport"; do
  for i in $(seq 1 100); do redis-cli -p "$p" ping >/dev/null 2>&1 && break; sleep 0.1; done
done

{
echo "# make bench $(date -u +%Y-%m-%dT%H:%M:%SZ) on $(nproc) cores, $(uname -r)"
echo "# damselfly: bin/damselfly --threads $threads --save ''${DAMSELFLY_ARGS:+ $DAMSELFLY_ARGS} (JVM flags: see bin/damselfly)${DAMSELFLY_JAVA_OPTS:+ extra: $DAMSELFLY_JAVA_OPTS}"
echo "# redis: $(redis-server --version | cut -d' ' -f3) --save '' --appendonly no"
echo "# load: 50 connections, 100000 keys or elements, 32-byte values, ${secs}s per run, $rounds rounds; workloads: $workloads"
} | tee "$out"

ratio_of() {
  case "$1" in
    list|publish) echo 1:1 ;;
    *) echo 1:10 ;;
  esac
}

declare -A sum_ops sum_cpu sum_p99 count
run_gen() { # name port pid pipeline workload
  local line
  line=$("$java_bin" -cp "$gen_cp" io.damselfly.tools.LoadGenerator --port "$2" --pipeline "$4" --connections 50 \
    --workload "$5" --ratio "$(ratio_of "$5")" --keys 100000 --size 32 --duration "$secs" --warmup 2 \
    --server-pid "$3" --label "$1 gen P=$4")
  echo "$line" | tee -a "$out"
  local ops cpu p99
  ops=$(echo "$line" | sed 's/.*ops\/s=\([0-9.]*\).*/\1/')
  cpu=$(echo "$line" | sed 's/.*server_cpu_us_per_op=\([0-9.na\/]*\).*/\1/')
  p99=$(echo "$line" | sed 's/.* p99_us=\([0-9.]*\).*/\1/')
  local k="$1:$5:$4"
  sum_ops[$k]=$(echo "${sum_ops[$k]:-0} + $ops" | bc -l)
  sum_cpu[$k]=$(echo "${sum_cpu[$k]:-0} + $cpu" | bc -l)
  sum_p99[$k]=$(echo "${sum_p99[$k]:-0} + $p99" | bc -l)
  count[$k]=$(( ${count[$k]:-0} + 1 ))
}
run_rb() { # name port pid pipeline
  local t0 t1 res n
  n=$(( $4 == 1 ? 300000 : 2000000 ))
  t0=$(awk '{print $14+$15}' /proc/"$3"/stat)
  res=$(redis-benchmark -p "$2" -c 50 -n "$n" -t set,get -r 100000 -d 32 -P "$4" -q 2>&1 | tr '\r' '\n' | grep "requests per second" | tr '\n' ' ')
  t1=$(awk '{print $14+$15}' /proc/"$3"/stat)
  echo "$1 redis-benchmark P=$4 $res cpu_us_per_op=$(echo "scale=3; ($t1-$t0)*10000/(2*$n)" | bc -l)" | tee -a "$out"
}

for W in $workloads; do
  # fill both so that reads hit
  if [ "$W" != publish ]; then
    for p in "$dport" "$rport"; do
      redis-cli -p "$p" flushall >/dev/null
      "$java_bin" -cp "$gen_cp" io.damselfly.tools.LoadGenerator --port "$p" --workload "$W" --fill --duration 1 --warmup 0.5 >/dev/null
    done
  fi
  for P in $pipelines; do
    for r in $(seq 1 "$rounds"); do
      run_gen damselfly "$dport" "$dpid" "$P" "$W"
      run_gen redis "$rport" "$rpid" "$P" "$W"
    done
    if [ "$W" = string ]; then
      run_rb damselfly "$dport" "$dpid" "$P"
      run_rb redis "$rport" "$rpid" "$P"
    fi
  done
done

echo "# ratios damselfly/redis (load generator, mean of $rounds rounds)" | tee -a "$out"
for W in $workloads; do
for P in $pipelines; do
  d="damselfly:$W:$P"; r="redis:$W:$P"
  printf "%-7s P=%-2s ops/s %.0f vs %.0f = %.2fx   p99 %.0f vs %.0f us = %.2fx   server CPU/op %.2f vs %.2f us = %.2fx\n" "$W" "$P" \
    "$(echo "${sum_ops[$d]}/${count[$d]}" | bc -l)" "$(echo "${sum_ops[$r]}/${count[$r]}" | bc -l)" \
    "$(echo "${sum_ops[$d]}/${sum_ops[$r]}" | bc -l)" \
    "$(echo "${sum_p99[$d]}/${count[$d]}" | bc -l)" "$(echo "${sum_p99[$r]}/${count[$r]}" | bc -l)" \
    "$(echo "${sum_p99[$d]}/${sum_p99[$r]}" | bc -l)" \
    "$(echo "${sum_cpu[$d]}/${count[$d]}" | bc -l)" "$(echo "${sum_cpu[$r]}/${count[$r]}" | bc -l)" \
    "$(echo "${sum_cpu[$d]}/${sum_cpu[$r]}" | bc -l)" | tee -a "$out"
done
done
