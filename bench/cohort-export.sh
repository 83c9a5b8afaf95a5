#!/usr/bin/env bash
# Benchmark of cohort export: a cohort of MEMBERS (default 1,000,000) synced to Iterable by the
# packaged bundle capped at -Xmx256m, against the stand-ins in their own process (Mixpanel's hourly
# limit raised to the bundle's budget here; 5 queries at once, as Mixpanel). A run whose stand-ins
# saw a protocol violation says so and the script fails.
#
#   bench/cohort-export.sh            # MEMBERS=1000000 CHURN_PERCENT=1 RUNS=3
#   JAR=/path/to/other.jar BUNDLE_DIR=/path/to/its/checkout bench/cohort-export.sh
#                                     # another build of the bundle (with its own routes/ and
#                                     # application.yaml), against the same stand-ins, to compare
#
# Ports: BENCH_PORT (18381), BENCH_MIXPANEL_PORT, BENCH_ITERABLE_PORT, BENCH_CONTROL_PORT (18391-18393),
# and the bundle's JOLOKIA_PORT (8778).
#
# Reports, per run: the first full sync's wall time and the bundle's peak heap, then a re-sync
# after CHURN_PERCENT % of the members left and as many joined, with its Iterable write calls; and
# the CPU time the bundle and the stand-ins used in the first sync (on a machine with few cores the
# wall time is mostly the sum of the two).
set -euo pipefail
cd "$(dirname "$0")/.."

MEMBERS=${MEMBERS:-1000000}
CHURN_PERCENT=${CHURN_PERCENT:-1}
RUNS=${RUNS:-3}
PORT=${BENCH_PORT:-18381}; MP=${BENCH_MIXPANEL_PORT:-18391}; IT=${BENCH_ITERABLE_PORT:-18392}; CTL=${BENCH_CONTROL_PORT:-18393}
ADMIN=bench-admin:bench-password # the control plane's ADMIN, for this run only

# The stand-ins are test code: they run from this checkout's target/test-classes (which
# `package -DskipTests` compiles; -Dmaven.test.skip would not), on the packaged jar's libraries.
STANDINS=$PWD/target/test-classes
OWN_JAR=$(ls target/mixpanel-iterable-bridge-*.jar 2>/dev/null | grep -v original | head -1 || true)
if [ -z "$OWN_JAR" ] || [ ! -f "$STANDINS/io/bridge/fakes/StandInServer.class" ]; then
  mvn -q -B package -DskipTests
  OWN_JAR=$(ls target/mixpanel-iterable-bridge-*.jar | grep -v original | head -1)
fi
JAR=$(realpath "${JAR:-$OWN_JAR}")
BUNDLE_DIR=${BUNDLE_DIR:-$PWD} # the bundle reads routes/ and application.yaml from where it runs
WORK=$(mktemp -d)
BRIDGE=; FAKES=
cleanup() { for p in $BRIDGE $FAKES; do kill "$p" 2>/dev/null || true; done; rm -rf "$WORK"; }
trap cleanup EXIT

json() { python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"; }

wait_for_run() { # prints the run as JSON once it has ended
  while :; do
    local run
    run=$(curl -sf -u "$ADMIN" "http://127.0.0.1:$PORT/api/exports/1/runs" | python3 -c "import json,sys; r=json.load(sys.stdin)[0]; print(json.dumps(r))")
    if [ "$(echo "$run" | json 'd["status"]')" != running ]; then echo "$run"; return; fi
    sleep 2 # the run's time comes from its own start and end, not from this loop
  done
}

cpu_seconds() { # user + system CPU time of a process so far
  awk -v hz="$(getconf CLK_TCK)" '{ printf "%.1f", ($14 + $15) / hz }' "/proc/$1/stat"; }

seconds() { echo "$1" | python3 -c "
import json,sys,datetime
r=json.load(sys.stdin); p=lambda s: datetime.datetime.fromisoformat(s.replace('Z','+00:00'))
print('%.1f' % (p(r['endedAt'])-p(r['startedAt'])).total_seconds())"; }

QUERIES_PER_HOUR=1000000 # the bundle's budget and the Mixpanel stand-in's hourly limit
echo "== cohort export: $MEMBERS members, bundle -Xmx256m, stand-ins allowing $QUERIES_PER_HOUR queries an hour, $(nproc) cores"
for run in $(seq 1 "$RUNS"); do
  java -Xmx3g ${STANDIN_JAVA_OPTS:-} -Dloader.path="$STANDINS" -Dloader.main=io.bridge.fakes.StandInServer \
    -cp "$OWN_JAR" org.springframework.boot.loader.launch.PropertiesLauncher \
    $MP $IT $CTL "$MEMBERS" "$QUERIES_PER_HOUR" > "$WORK/fakes.log" 2>&1 &
  FAKES=$!
  until grep -q "stand-ins ready" "$WORK/fakes.log"; do
    kill -0 $FAKES 2>/dev/null || { echo "the stand-ins did not start (ports $MP $IT $CTL taken?):" >&2; cat "$WORK/fakes.log" >&2; exit 1; }
    sleep 0.5
  done
  rm -rf "$WORK/data"
  (cd "$BUNDLE_DIR" && exec env BRIDGE_DATA_DIR="$WORK/data" BRIDGE_MIXPANEL_BASEURL=http://127.0.0.1:$MP BRIDGE_MIXPANEL_PROJECTID=1 \
  BRIDGE_MIXPANEL_USERNAME=bench BRIDGE_MIXPANEL_SECRET=bench-secret BRIDGE_MIXPANEL_QUERIESPERHOUR=$QUERIES_PER_HOUR \
  BRIDGE_SECURITY_ADMIN_USERNAME=${ADMIN%%:*} BRIDGE_SECURITY_ADMIN_PASSWORD="{noop}${ADMIN#*:}" \
  BRIDGE_ITERABLE_BASEURL=http://127.0.0.1:$IT ITERABLE_API_KEY=bench-key BRIDGE_EXPORTS_DYNAMICCRON="0 0 0 1 1 ? 2099" \
    java -Xmx256m -Xlog:gc:file="$WORK/gc.log" ${BRIDGE_JAVA_OPTS:-} -jar "$JAR" --server.port=$PORT --logging.level.root=WARN \
      --logging.level.io.bridge.exports.ExportRuns=INFO) > "$WORK/bridge.log" 2>&1 &
  BRIDGE=$!
  until curl -sf -u "$ADMIN" -o /dev/null "http://127.0.0.1:$PORT/api/exports"; do
    kill -0 $BRIDGE 2>/dev/null || { echo "the bundle did not start (port $PORT or JOLOKIA_PORT taken?):" >&2; tail -40 "$WORK/bridge.log" >&2; exit 1; }
    sleep 0.5
  done

  curl -sf -u "$ADMIN" -X POST "http://127.0.0.1:$PORT/api/exports" -H 'Content-Type: application/json' -d '{"cohortId":1,"sync":"dynamic"}' > /dev/null
  first=$(wait_for_run)
  cpu_bundle=$(cpu_seconds $BRIDGE); cpu_standins=$(cpu_seconds $FAKES)
  # peak heap: the most the heap held before a collection (the GC log), read without a sampler
  # process competing with the bundle for the cores
  peak=$(grep -oE '[0-9]+M->' "$WORK/gc.log" | tr -d 'M>-' | sort -n | tail -1)
  before=$(curl -sf "http://127.0.0.1:$CTL/stats")
  churn=$((MEMBERS * CHURN_PERCENT / 100))
  curl -sf -X POST "http://127.0.0.1:$CTL/churn?members=$churn" > /dev/null
  curl -sf -u "$ADMIN" -X POST "http://127.0.0.1:$PORT/api/exports" -H 'Content-Type: application/json' -d '{"cohortId":1,"sync":"dynamic"}' > /dev/null
  sleep 1
  second=$(wait_for_run)
  after=$(curl -sf "http://127.0.0.1:$CTL/stats")
  writes=$(( $(echo "$after" | json 'd["subscribeCalls"]+d["unsubscribeCalls"]') - $(echo "$before" | json 'd["subscribeCalls"]+d["unsubscribeCalls"]') ))
  echo "run $run: first sync $(echo "$first" | json 'd["status"]') in $(seconds "$first") s (added $(echo "$first" | json 'd["added"]'), mixpanel calls $(echo "$first" | json 'd["mixpanelCalls"]'), iterable calls $(echo "$first" | json 'd["iterableCalls"]')), peak heap ${peak} MiB of 256, CPU bundle ${cpu_bundle} s (start-up included), stand-ins ${cpu_standins} s; re-sync after ${CHURN_PERCENT}% churn: $(echo "$second" | json 'd["status"]') in $(seconds "$second") s, +$(echo "$second" | json 'd["added"]') -$(echo "$second" | json 'd["removed"]'), Iterable write calls $writes; list holds $(echo "$after" | json 'd["listSize"]')"
  grep -o 'export of cohort 1 .*' "$WORK/bridge.log" | sed 's/^/  /'
  if [ "$(echo "$after" | json 'd["violations"]["count"]')" != 0 ]; then
    echo "the stand-ins saw protocol violations: $(echo "$after" | json 'd["violations"]')" >&2
    exit 1
  fi
  echo "$(seconds "$first") $peak $writes $(seconds "$second") $cpu_bundle $cpu_standins" >> "$WORK/summary"
  kill $BRIDGE $FAKES 2>/dev/null || true; wait $BRIDGE $FAKES 2>/dev/null || true; BRIDGE=; FAKES=
done
median() { sort -n | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
echo "median of $RUNS: first full sync $(cut -d' ' -f1 "$WORK/summary" | median) s, peak heap $(cut -d' ' -f2 "$WORK/summary" | median) MiB, re-sync Iterable write calls $(cut -d' ' -f3 "$WORK/summary" | median) in $(cut -d' ' -f4 "$WORK/summary" | median) s, CPU in the first sync: bundle $(cut -d' ' -f5 "$WORK/summary" | median) s, stand-ins $(cut -d' ' -f6 "$WORK/summary" | median) s"
