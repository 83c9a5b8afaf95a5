#!/usr/bin/env bash
# Benchmark of cohort push: a members session of MEMBERS (default 1,000,000) posted to
# /webhooks/mixpanel as Mixpanel's webhook does (1,000 members a page, CONCURRENCY=4 pages at a
# time), applied by the packaged bundle capped at -Xmx256m to the Iterable stand-in in its own
# process. A run whose stand-in saw a protocol violation says so and the script fails.
#
#   bench/cohort-push.sh              # MEMBERS=1000000 CHURN_PERCENT=1 CONCURRENCY=4 RUNS=3
#
# BENCH_JAR: the bundle's jar (default: target/'s, built when missing), e.g. to compare two builds.
# Ports: BENCH_PORT (18381), BENCH_MIXPANEL_PORT, BENCH_ITERABLE_PORT, BENCH_CONTROL_PORT (18391-18393),
# and the bundle's JOLOKIA_PORT (8778).
#
# Reports, per run: each page's acknowledgement time (p50, p99, max), the wall time from the first
# page posted to the list holding exactly the session's members (the push run's endedAt), the peak heap;
# then a second session after CHURN_PERCENT % of the members left and as many joined, with its
# Iterable write calls.
set -euo pipefail
cd "$(dirname "$0")/.."

MEMBERS=${MEMBERS:-1000000}
CHURN_PERCENT=${CHURN_PERCENT:-1}
CONCURRENCY=${CONCURRENCY:-4}
RUNS=${RUNS:-3}
PORT=${BENCH_PORT:-18381}; MP=${BENCH_MIXPANEL_PORT:-18391}; IT=${BENCH_ITERABLE_PORT:-18392}; CTL=${BENCH_CONTROL_PORT:-18393}
ADMIN=bench-admin:bench-password # the control plane's ADMIN, for this run only
PUSH=bench-mixpanel:bench-push-password # Mixpanel's webhook destination, for this run only

STANDINS=$PWD/target/test-classes
JAR=${BENCH_JAR:-$(ls target/mixpanel-iterable-bridge-*.jar 2>/dev/null | grep -v original | head -1 || true)}
if [ -z "$JAR" ] || [ ! -f "$STANDINS/io/bridge/fakes/StandInServer.class" ]; then
  mvn -q -B package -DskipTests
  JAR=$(ls target/mixpanel-iterable-bridge-*.jar | grep -v original | head -1)
fi
WORK=$(mktemp -d)
BRIDGE=; FAKES=
cleanup() { for p in $BRIDGE $FAKES; do kill "$p" 2>/dev/null || true; done; rm -rf "$WORK"; }
trap cleanup EXIT

json() { python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"; }
newest_run() { curl -sf -u "$ADMIN" "http://127.0.0.1:$PORT/api/exports/1/runs" | python3 -c "import json,sys; r=json.load(sys.stdin); print(json.dumps(r[0]) if r else '{}')"; }
wait_for_runs() { # waits until cohort 1 has $1 ended push runs; prints the newest
  while :; do
    local ended
    ended=$(curl -sf -u "$ADMIN" "http://127.0.0.1:$PORT/api/exports/1/runs" 2>/dev/null \
      | python3 -c "import json,sys; print(sum(1 for r in json.load(sys.stdin) if r['status'] != 'running'))" 2>/dev/null || echo 0)
    if [ "$ended" -ge "$1" ]; then newest_run; return; fi
    # seldom: each authenticated call costs a bcrypt check (Spring Security upgrades a {noop}
    # password to bcrypt after the first login); the time comes from the run's endedAt, not this loop
    sleep 5
  done
}

echo "== cohort push: $MEMBERS members in pages of 1,000, $CONCURRENCY at a time, bundle -Xmx256m, $(nproc) cores"
for run in $(seq 1 "$RUNS"); do
  java -Xmx1g -Dloader.path="$STANDINS" -Dloader.main=io.bridge.fakes.StandInServer \
    -cp "$JAR" org.springframework.boot.loader.launch.PropertiesLauncher $MP $IT $CTL 1 > "$WORK/fakes.log" 2>&1 &
  FAKES=$!
  until grep -q "stand-ins ready" "$WORK/fakes.log"; do
    kill -0 $FAKES 2>/dev/null || { echo "the stand-ins did not start (ports $MP $IT $CTL taken?):" >&2; cat "$WORK/fakes.log" >&2; exit 1; }
    sleep 0.5
  done
  rm -rf "$WORK/data"
  env BRIDGE_DATA_DIR="$WORK/data" BRIDGE_SECURITY_ADMIN_USERNAME=${ADMIN%%:*} BRIDGE_SECURITY_ADMIN_PASSWORD="{noop}${ADMIN#*:}" \
    BRIDGE_WEBHOOKS_MIXPANEL_USERNAME=${PUSH%%:*} BRIDGE_WEBHOOKS_MIXPANEL_PASSWORD=${PUSH#*:} BRIDGE_MIXPANEL_PROJECTID=1 \
    BRIDGE_ITERABLE_BASEURL=http://127.0.0.1:$IT ITERABLE_API_KEY=bench-key \
    java -Xmx256m -Xlog:gc:file="$WORK/gc.log" ${BRIDGE_JAVA_OPTS:-} -jar "$JAR" --server.port=$PORT --logging.level.root=WARN \
      --logging.level.io.bridge.exports.ExportRuns=INFO > "$WORK/bridge.log" 2>&1 &
  BRIDGE=$!
  until curl -sf -u "$ADMIN" -o /dev/null "http://127.0.0.1:$PORT/api/exports"; do
    kill -0 $BRIDGE 2>/dev/null || { echo "the bundle did not start (port $PORT or JOLOKIA_PORT taken?):" >&2; tail -40 "$WORK/bridge.log" >&2; exit 1; }
    sleep 0.5
  done

  t0=$(date +%s.%N)
  acks=$(java bench/PushSession.java "http://127.0.0.1:$PORT/webhooks/mixpanel" "$PUSH" "bench-$run-a" 0 "$MEMBERS" "$CONCURRENCY")
  first=$(wait_for_runs 1)
  total=$(echo "$first" | python3 -c "
import json,sys,datetime
r=json.load(sys.stdin); e=datetime.datetime.fromisoformat(r['endedAt'].replace('Z','+00:00')).timestamp()
print('%.1f' % (e - $t0))")
  size=$(curl -sf "http://127.0.0.1:$CTL/stats" | json 'd["listSize"]')
  peak=$(grep -oE '[0-9]+M->' "$WORK/gc.log" | tr -d 'M>-' | sort -n | tail -1)
  before=$(curl -sf "http://127.0.0.1:$CTL/stats")
  churn=$((MEMBERS * CHURN_PERCENT / 100))
  acks2=$(java bench/PushSession.java "http://127.0.0.1:$PORT/webhooks/mixpanel" "$PUSH" "bench-$run-b" "$churn" "$MEMBERS" "$CONCURRENCY")
  second=$(wait_for_runs 2)
  after=$(curl -sf "http://127.0.0.1:$CTL/stats")
  writes=$(( $(echo "$after" | json 'd["subscribeCalls"]+d["unsubscribeCalls"]') - $(echo "$before" | json 'd["subscribeCalls"]+d["unsubscribeCalls"]') ))
  echo "run $run: $acks; list exact after $total s ($(echo "$first" | json 'd["status"]'), +$(echo "$first" | json 'd["added"]'), list holds $size of $MEMBERS), peak heap ${peak} MiB of 256"
  echo "  second session after ${CHURN_PERCENT}% churn: $acks2; $(echo "$second" | json 'd["status"]'), +$(echo "$second" | json 'd["added"]') -$(echo "$second" | json 'd["removed"]'), Iterable write calls $writes, list holds $(echo "$after" | json 'd["listSize"]')"
  grep -o 'export of cohort 1 .*' "$WORK/bridge.log" | sed 's/^/  /'
  if [ "$(echo "$after" | json 'd["violations"]["count"]')" != 0 ]; then
    echo "the stand-ins saw protocol violations: $(echo "$after" | json 'd["violations"]')" >&2
    exit 1
  fi
  p99=$(echo "$acks" | grep -oE 'p99 [0-9]+' | cut -d' ' -f2)
  echo "$total $p99 $peak $writes" >> "$WORK/summary"
  kill $BRIDGE $FAKES 2>/dev/null || true; wait $BRIDGE $FAKES 2>/dev/null || true; BRIDGE=; FAKES=
done
median() { sort -n | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
echo "median of $RUNS: list exact after $(cut -d' ' -f1 "$WORK/summary" | median) s, page ack p99 $(cut -d' ' -f2 "$WORK/summary" | median) ms, peak heap $(cut -d' ' -f3 "$WORK/summary" | median) MiB, second session Iterable write calls $(cut -d' ' -f4 "$WORK/summary" | median)"
