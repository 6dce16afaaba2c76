#!/usr/bin/env bash
# make compat REDIS_SRC=<checkout of redis 7.0.15>: runs Redis's own Tcl test suite, in
# external mode, against a freshly started Damselfly, one process per unit. Nothing of the
# checkout is part of this repository. The results go to compat-results/ (not committed).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
src="${1:-}"
[ -n "$src" ] && [ -f "$src/tests/test_helper.tcl" ] || { echo "compat: pass REDIS_SRC=<redis 7.0.15 checkout>"; exit 1; }
# COMPAT_SKIP=1 also skips the tests listed in tools/compat-skip.txt (they need replication, scripting,
# streams or DEBUG subcommands Damselfly lacks, and their errors would otherwise abort the rest of their unit).
units=${COMPAT_UNITS:-"unit/type/string unit/type/incr unit/keyspace unit/expire unit/protocol unit/info-command unit/type/hash unit/type/list unit/type/list-3 unit/type/set unit/type/zset unit/multi unit/pubsub unit/scan unit/other unit/dump unit/pause unit/slowlog unit/bitops unit/bitfield unit/introspection unit/introspection-2 unit/quit unit/lazyfree"}
tags=${COMPAT_TAGS:-"-slow -needs:debug -needs:config-maxmemory -needs:reset -needs:config-resetstat -needs:pfdebug -needs:latency"}
out="$root/compat-results"
mkdir -p "$out"
# the suite calls src/redis-cli and src/redis-benchmark of the checkout
for b in redis-cli redis-benchmark; do
  [ -e "$src/src/$b" ] || ln -sf "$(command -v $b)" "$src/src/$b"
done
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')
summary="$out/summary.txt"
: > "$summary"
for unit in $units; do
  "$root/bin/damselfly" --port "$port" --bind 127.0.0.1 --save "" --dir "$out" >"$out/server-$(basename "$unit").log" 2>&1 &
  pid=$!
  for i in $(seq 1 100); do redis-cli -p "$port" ping >/dev/null 2>&1 && break; sleep 0.1; done
  log="$out/$(basename "$unit").log"
  skip=()
  [ "${COMPAT_SKIP:-0}" = 1 ] && skip=(--skipfile "$root/tools/compat-skip.txt")
  (cd "$src" && timeout 900 tclsh8.6 tests/test_helper.tcl --host 127.0.0.1 --port "$port" --single "$unit" \
      --tags "$tags" --ignore-encoding --ignore-digest --clients 1 "${skip[@]}" >"$log" 2>&1) || true
  clean=$(sed 's/\x1b\[[0-9;]*m//g' "$log")
  ok=$(echo "$clean" | grep -c '^\[ok\]' || true)
  err=$(echo "$clean" | grep -c '^\[err\]' || true)
  skipped=$(echo "$clean" | grep -c '^\[skip\]' || true)
  exc=$(echo "$clean" | grep -c '^\[exception\]' || true)
  echo "$unit ok=$ok err=$err skipped=$skipped exception=$exc" | tee -a "$summary"
  echo "$clean" | grep -E '^\[(err|exception)\]' | sed 's/^/    /' | tee -a "$summary" || true
  redis-cli -p "$port" shutdown nosave >/dev/null 2>&1 || kill "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
done
