#!/usr/bin/env bash
# Benchmark of forwarding to Mixpanel's Import API, over loopback, against the Mixpanel stand-in
# (its own JVM: it checks every request as Mixpanel does and deduplicates), the bundle at -Xmx256m
# on the embedded HSQLDB (durable commits).
#
#   bench/forwarding.sh   # EVENTS=1000000 DRAIN_RUNS=3; RUNS=3 x (WARMUP=30s + DURATION=15s) per mode
#
# 1. drain: EVENTS stored events and their outbox rows are seeded into the bundle's database
#    (bench/ForwardingSeed.java, the bundle stopped; once, each run drains a copy); the bundle then
#    starts and forwards them all;
#    events/s from the stand-in's first import to its last (each run on its own copy). Target: >= 20,000.
# 2. intake with forwarding on vs off: wrk posts unique events (bench/webhook-events.lua) to a bundle
#    with forwarding off, then to one with forwarding on (same settings otherwise), RUNS times
#    alternately; events/s of each and the ratio of the medians (target >= 0.8x), and the lag
#    (age of the oldest waiting event, GET /api/forwarding) sampled every second under load.
# BRIDGE_JAVA_OPTS: more JVM options for the bundle (a JFR recording, say).
# Every java process it starts is killed on exit.
set -euo pipefail
cd "$(dirname "$0")/.."

EVENTS=${EVENTS:-1000000}
DRAIN_RUNS=${DRAIN_RUNS:-3}
RUNS=${RUNS:-3}
WARMUP=${WARMUP:-30s}
DURATION=${DURATION:-15s}
CONNECTIONS=${CONNECTIONS:-32}
PORT=${BENCH_PORT:-18181}
MP_PORT=${BENCH_MIXPANEL_PORT:-18191}
IT_PORT=${BENCH_ITERABLE_PORT:-18192}
CTL_PORT=${BENCH_CONTROL_PORT:-18193}
export BENCH_TOKEN=bench-token
ADMIN_PASSWORD=bench-admin-password

command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }
JAR=$(ls target/mixpanel-iterable-bridge-*.jar 2>/dev/null | grep -v original | head -1 || true)
if [ -z "$JAR" ] || [ ! -f target/test-classes/io/bridge/fakes/StandInServer.class ]; then
  mvn -q -B package -DskipTests
  JAR=$(ls target/mixpanel-iterable-bridge-*.jar | grep -v original | head -1)
fi
WORK=$(mktemp -d)
PID=
STANDINS=
cleanup() {
  [ -n "$PID" ] && kill -9 "$PID" 2>/dev/null
  [ -n "$STANDINS" ] && kill -9 "$STANDINS" 2>/dev/null
  rm -rf "$WORK"
}
trap cleanup EXIT
HSQLDB_JAR="$WORK/hsqldb.jar"
unzip -p "$JAR" "$(unzip -Z1 "$JAR" | grep 'BOOT-INF/lib/hsqldb-')" > "$HSQLDB_JAR"

start_standins() {
  # the stand-ins are test code: from this checkout's target/test-classes, on the jar's libraries
  java -Xmx1g -Dstandins.keep-events=false -Dloader.path="$PWD/target/test-classes" -Dloader.main=io.bridge.fakes.StandInServer -cp "$JAR" \
    org.springframework.boot.loader.launch.PropertiesLauncher "$MP_PORT" "$IT_PORT" "$CTL_PORT" 0 > "$WORK/standins.log" 2>&1 &
  STANDINS=$!
  for _ in $(seq 1 60); do curl -sf -o /dev/null "http://127.0.0.1:$CTL_PORT/stats" && return 0; sleep 0.5; done
  echo "stand-ins did not start:"; cat "$WORK/standins.log"; exit 1
}
stop_standins() { kill -9 "$STANDINS" 2>/dev/null; wait "$STANDINS" 2>/dev/null || true; STANDINS=; }
stat() { curl -sf "http://127.0.0.1:$CTL_PORT/stats" | sed -E "s/.*\"$1\":([0-9]+).*/\1/"; }

start_bundle() { # $1: data dir, $2: forwarding on|off, rest: extra arguments
  local data=$1 forwarding=$2; shift 2
  local enabled=true; [ "$forwarding" = off ] && enabled=false
  BRIDGE_DATA_DIR=$data BRIDGE_WEBHOOKS_ITERABLE_TOKEN=$BENCH_TOKEN BRIDGE_SECURITY_ADMIN_PASSWORD="{noop}$ADMIN_PASSWORD" \
    BRIDGE_MIXPANEL_PROJECTID=1 BRIDGE_MIXPANEL_USERNAME=bench BRIDGE_MIXPANEL_SECRET=bench-secret \
    BRIDGE_MIXPANEL_BASEURL="http://127.0.0.1:$MP_PORT" BRIDGE_MIXPANEL_INGESTIONURL="http://127.0.0.1:$MP_PORT" \
    BRIDGE_FORWARDING_ENABLED=$enabled JOLOKIA_PORT=18778 \
    java -Xmx256m ${BRIDGE_JAVA_OPTS:-} -jar "$JAR" --server.port=$PORT --logging.level.root=WARN "$@" > "$WORK/bundle.log" 2>&1 &
  PID=$!
  for _ in $(seq 1 240); do
    curl -sf -o /dev/null -u "admin:$ADMIN_PASSWORD" "http://127.0.0.1:$PORT/api/forwarding" && return 0
    kill -0 "$PID" 2>/dev/null || break
    sleep 0.5
  done
  echo "bundle did not start:"; cat "$WORK/bundle.log"; exit 1
}
stop_bundle() { kill "$PID"; wait "$PID" 2>/dev/null || true; PID=; }
median() { sort -n | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
now() { date +%s.%N; }

echo "== drain: $EVENTS stored events -> the stand-in's /import; bundle -Xmx256m, $(nproc) cores, HSQLDB file"
: > "$WORK/drain.runs"
if [ "$DRAIN_RUNS" -gt 0 ]; then # seeded once (minutes for a million events); each run drains a copy
  start_bundle "$WORK/data-seeded" off # Flyway makes the schema
  stop_bundle
  java -cp "$HSQLDB_JAR" bench/ForwardingSeed.java "jdbc:hsqldb:file:$WORK/data-seeded/bridge;hsqldb.tx=mvcc;shutdown=true" "$EVENTS"
fi
for run in $(seq 1 "$DRAIN_RUNS"); do
  data="$WORK/data-drain-$run"
  cp -r "$WORK/data-seeded" "$data"
  start_standins
  start_bundle "$data" on
  first=
  while :; do
    got=$(stat imported)
    [ -z "$first" ] && [ "$got" -gt 0 ] && first=$(now) && firstgot=$got
    [ "$got" -ge "$EVENTS" ] && break
    kill -0 "$PID" 2>/dev/null || { echo "bundle died:"; tail -20 "$WORK/bundle.log"; exit 1; }
    sleep 0.2
  done
  end=$(now)
  received=$(stat received); requests=$(stat importRequests)
  violations=$(curl -sf "http://127.0.0.1:$CTL_PORT/stats" | sed -E 's/.*"violations":\{"count":([0-9]+).*/\1/')
  rate=$(awk -v n="$EVENTS" -v f="$firstgot" -v a="$first" -v b="$end" 'BEGIN { printf "%.0f", (n - f) / (b - a) }')
  echo "drain run $run: $rate events/s ($EVENTS events, $requests requests, $received received, violations $violations)"
  echo "$rate" >> "$WORK/drain.runs"
  stop_bundle
  stop_standins
  rm -rf "$data"
done
rm -rf "$WORK/data-seeded"
drain=$(median < "$WORK/drain.runs")
echo "drain median of $DRAIN_RUNS: $drain events/s" | tee "$WORK/summary"

echo "== intake with forwarding on vs off: wrk -t2 -c$CONNECTIONS, $RUNS x ($WARMUP warm-up + $DURATION), alternately"
start_standins
: > "$WORK/off.runs"; : > "$WORK/on.runs"; : > "$WORK/lag.runs"
for run in $(seq 1 "$RUNS"); do
  for mode in off on; do
    start_bundle "$WORK/data-$mode-$run" "$mode"
    wrk -t2 -c"$CONNECTIONS" -d"$WARMUP" -s bench/webhook-events.lua "http://127.0.0.1:$PORT" > /dev/null
    maxlag=0
    ( while :; do
        curl -sf -u "admin:$ADMIN_PASSWORD" "http://127.0.0.1:$PORT/api/forwarding" | sed -E 's/.*"lagSeconds":([0-9.]+).*/\1/'
        echo
        sleep 1
      done ) > "$WORK/lag.samples" &
    SAMPLER=$!
    wrk -t2 -c"$CONNECTIONS" -d"$DURATION" -s bench/webhook-events.lua "http://127.0.0.1:$PORT" > "$WORK/wrk.out"
    kill "$SAMPLER" 2>/dev/null; wait "$SAMPLER" 2>/dev/null || true
    rps=$(awk '/^Requests\/sec/ { printf "%.0f", $2 }' "$WORK/wrk.out")
    bad=$(awk '/Non-2xx/ { print $NF }' "$WORK/wrk.out"); bad=${bad:-0}
    maxlag=$(grep -E '^[0-9.]+$' "$WORK/lag.samples" | sort -n | tail -1 || true)
    if [ "$mode" = on ]; then
      echo "run $run forwarding on:  $rps events/s  non-2xx $bad  lag max ${maxlag:-0} s (sampled every second)"
      echo "${maxlag:-0}" >> "$WORK/lag.runs"
    else
      echo "run $run forwarding off: $rps events/s  non-2xx $bad"
    fi
    echo "$rps" >> "$WORK/$mode.runs"
    stop_bundle
    rm -rf "$WORK/data-$mode-$run"
  done
done
off=$(median < "$WORK/off.runs"); on=$(median < "$WORK/on.runs"); lag=$(sort -n "$WORK/lag.runs" | tail -1)
{
  echo "intake median of $RUNS, forwarding off: $off events/s"
  echo "intake median of $RUNS, forwarding on:  $on events/s"
  awk -v a="$on" -v b="$off" 'BEGIN { printf "forwarding on / off: %.2fx\n", a / b }'
  echo "lag under that load, the highest sample of all runs: $lag s"
  echo "stand-in: $(stat imported) events imported, violations: $(curl -sf "http://127.0.0.1:$CTL_PORT/stats" | sed -E 's/.*"violations":\{"count":([0-9]+).*/\1/')"
} | tee -a "$WORK/summary"
echo "== summary"
cat "$WORK/summary"
