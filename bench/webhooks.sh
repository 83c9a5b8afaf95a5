#!/usr/bin/env bash
# Load benchmark of the webhook intake, over loopback, on the embedded HSQLDB (durable commits).
#
#   bench/webhooks.sh   # after WARMUP=180s, RUNS=5 runs of DURATION=15s at CONNECTIONS=32; then the SIGKILL check
#
# 1. throughput and latency: wrk -t2 -c32 posts unique events; events/s and p50/p99 per run, and
#    the median of the runs, for the group commit (the bundle as shipped) and, as the baseline
#    measured in the same run, one commit per delivery (bridge.events.store.max-batch-events=1);
# 2. durability: bench/DurabilityCheck.java posts unique events, the bundle is killed with SIGKILL
#    mid-load, and every acknowledged event must be in the database files afterwards.
set -euo pipefail
cd "$(dirname "$0")/.."

RUNS=${RUNS:-5}
DURATION=${DURATION:-15s}
WARMUP=${WARMUP:-180s} # the JIT compiles ~20k methods under this load: measured, it settles after ~3 min
CONNECTIONS=${CONNECTIONS:-32}
PORT=${BENCH_PORT:-18181}
export BENCH_TOKEN=bench-token

command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }
JAR=$(ls target/mixpanel-iterable-bridge-*.jar 2>/dev/null | grep -v original | head -1 || true)
if [ -z "$JAR" ]; then
  mvn -q -B package -DskipTests
  JAR=$(ls target/mixpanel-iterable-bridge-*.jar | grep -v original | head -1)
fi
WORK=$(mktemp -d)
PID=
trap '[ -n "$PID" ] && kill -9 $PID 2>/dev/null; rm -rf "$WORK"' EXIT

start_bundle() { # $1: data dir, rest: extra arguments
  local data=$1; shift
  BRIDGE_DATA_DIR=$data BRIDGE_WEBHOOKS_ITERABLE_TOKEN=$BENCH_TOKEN \
    java -Xmx512m -jar "$JAR" --server.port=$PORT --logging.level.root=WARN "$@" > "$WORK/bundle.log" 2>&1 &
  PID=$!
  for _ in $(seq 1 120); do
    curl -sf -o /dev/null -X POST "http://127.0.0.1:$PORT/webhooks/iterable" -H 'Content-Type: application/json' \
      -H "Authorization: OAuth2 $BENCH_TOKEN" -d '{"userId":"warm","eventName":"emailOpen"}' && return 0
    sleep 0.5
  done
  echo "bundle did not start:"; cat "$WORK/bundle.log"; exit 1
}

stop_bundle() { kill $PID; wait $PID 2>/dev/null || true; PID=; }

to_ms() { # wrk latency (e.g. 850.12us, 5.83ms, 1.02s) -> milliseconds
  awk -v v="$1" 'BEGIN { n = v + 0; if (v ~ /us$/) n /= 1000; else if (v ~ /ms$/) n += 0; else if (v ~ /s$/) n *= 1000; printf "%.2f", n }'
}

median() { sort -n | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }

measure() { # $1: label, rest: extra bundle arguments
  local label=$1; shift
  start_bundle "$WORK/data-$label" "$@"
  wrk -t2 -c"$CONNECTIONS" -d"$WARMUP" -s bench/webhook-events.lua "http://127.0.0.1:$PORT" > /dev/null # warm-up
  : > "$WORK/$label.runs"
  for run in $(seq 1 "$RUNS"); do
    wrk -t2 -c"$CONNECTIONS" -d"$DURATION" --latency -s bench/webhook-events.lua "http://127.0.0.1:$PORT" > "$WORK/wrk.out"
    local rps p50 p99 bad
    rps=$(awk '/^Requests\/sec/ { printf "%.0f", $2 }' "$WORK/wrk.out")
    p50=$(to_ms "$(awk '$1 == "50%" { print $2 }' "$WORK/wrk.out")")
    p99=$(to_ms "$(awk '$1 == "99%" { print $2 }' "$WORK/wrk.out")")
    bad=$(awk '/Non-2xx/ { print $NF }' "$WORK/wrk.out"); bad=${bad:-0}
    echo "$label run $run: $rps events/s  p50 ${p50} ms  p99 ${p99} ms  non-2xx $bad"
    echo "$rps $p50 $p99" >> "$WORK/$label.runs"
  done
  stop_bundle
  printf '%s median of %s: %s events/s  p50 %s ms  p99 %s ms\n' "$label" "$RUNS" \
    "$(cut -d' ' -f1 "$WORK/$label.runs" | median)" "$(cut -d' ' -f2 "$WORK/$label.runs" | median)" \
    "$(cut -d' ' -f3 "$WORK/$label.runs" | median)" | tee -a "$WORK/summary"
}

echo "== webhook intake, wrk -t2 -c$CONNECTIONS, $RUNS x $DURATION, $(nproc) cores, HSQLDB file, durable commits"
measure group-commit
measure commit-per-delivery --bridge.events.store.max-batch-events=1
cat "$WORK/summary"
g=$(grep '^group-commit' "$WORK/summary" | awk '{ print $5 }')
b=$(grep '^commit-per-delivery' "$WORK/summary" | awk '{ print $5 }')
awk -v g="$g" -v b="$b" 'BEGIN { printf "group commit / commit per delivery: %.2fx\n", g / b }'

echo "== durability: SIGKILL during load ($CONNECTIONS connections)"
HSQLDB_JAR="$WORK/hsqldb.jar"
unzip -p "$JAR" "$(unzip -Z1 "$JAR" | grep 'BOOT-INF/lib/hsqldb-')" > "$HSQLDB_JAR"
start_bundle "$WORK/data-kill"
java bench/DurabilityCheck.java load "http://127.0.0.1:$PORT/webhooks/iterable" "$BENCH_TOKEN" 30 "$CONNECTIONS" "$WORK/acked" &
LOADER=$!
sleep 8
kill -9 $PID; wait $PID 2>/dev/null || true; PID=
echo "bundle killed with SIGKILL mid-load"
wait $LOADER
java -cp "$HSQLDB_JAR" bench/DurabilityCheck.java verify "jdbc:hsqldb:file:$WORK/data-kill/bridge" "$WORK/acked"
