#!/usr/bin/env bash
# Load benchmark of the webhook intake, over loopback, on the embedded HSQLDB or PostgreSQL (durable
# commits).
#
#   bench/webhooks.sh                       # the whole benchmark (about 13 minutes on 2 cores)
#   LATE=0 bench/webhooks.sh                # without the 180 s figures (about 6 minutes)
#   BENCH_JAR=other.jar bench/webhooks.sh   # another build (run from a checkout whose routes/ it reads)
#   BENCH_JVM="-Xmx512m ..." bench/webhooks.sh
#                                           # other JVM options (default: the image's collector,
#                                           # -Xmx512m -XX:+UseParallelGC); split on spaces
#   BEFORE_JAR=earlier.jar bench/webhooks.sh
#                                           # also measures that build's ceiling, accepted and arrays
#                                           # figures, each right before this one's, and prints
#                                           # now / before (both read this checkout's routes/);
#                                           # about 4 minutes more
#   BEFORE_JAR=earlier.jar BEFORE_DIR=../earlier-checkout bench/webhooks.sh
#                                           # the same, the earlier build reading its own
#                                           # application.yaml and routes/ (for a change to them;
#                                           # a relative path starts at this checkout's root)
#   BEFORE_JVM="-Xmx512m -XX:+UseG1GC" bench/webhooks.sh
#                                           # the same, for this build under these JVM options
#                                           # (they replace BENCH_JVM's: give the heap too)
#   BENCH_DB=postgresql bench/webhooks.sh   # on PostgreSQL instead of the embedded HSQLDB: a fresh
#                                           # database for each bundle (dropped at the end) on
#                                           # BENCH_PG_HOST:BENCH_PG_PORT (127.0.0.1:5432) as
#                                           # BENCH_PG_USER (postgres), with psql; a password goes
#                                           # in an exported PGPASSWORD (~/.pgpass reaches psql
#                                           # only, not the bundle). The server runs on the same
#                                           # cores; the CPU per event is the bundle's alone.
#
# Every figure is RUNS runs of DURATION with wrk -t2 -cCONNECTIONS, unique events, after a warm-up
# of the bundle it measures, each bundle started fresh. Each run reports events/s, latency, and the
# bundle's own CPU time per event (user + system, JIT and GC included), a second measure beside
# events/s, and the heap it allocated per event (from its GC log; from run to run it varies by a
# few percent where events/s may vary twofold, so it shows a change in allocation that events/s
# on a shared machine cannot).
# 1. the ceiling: the same endpoint refusing every delivery at authentication (wrong token: no body
#    read, no parsing, no database), after WARMUP and after LATE seconds of that load;
# 2. accepted: every delivery stored durably before its 200, after WARMUP and after LATE;
#    accepted / ceiling is the figure to watch;
# 3. one commit per delivery (bridge.events.store.max-batch-events=1) against the group commit;
# 4. arrays of BATCH events per request (events/s = requests/s x BATCH) against single events;
# 5. durability: bench/DurabilityCheck.java posts unique events, the bundle is killed with SIGKILL
#    mid-load, and every acknowledged event must be in the database afterwards.
# Beside wrk's latency, each figure gets the bundle's own p99, from Tomcat's access log: the time
# from a request thread reading the request's first byte to writing its answer. wrk's p99 adds what
# passes before that read (Tomcat's poller and queue) and after the answer is written until wrk,
# on the same cores, reads it. BENCH_ACCESS_LOG=0 turns the log and that figure off.
set -euo pipefail
shopt -s inherit_errexit
cd "$(dirname "$0")/.."

RUNS=${RUNS:-3}
DURATION=${DURATION:-15s}
WARMUP=${WARMUP:-20}   # seconds
LATE=${LATE:-180}      # seconds of load before the late figures (0: none)
CONNECTIONS=${CONNECTIONS:-32}
BATCH=${BATCH:-100}
PORT=${BENCH_PORT:-18181}
ACCESS_LOG=${BENCH_ACCESS_LOG:-1}   # 0: no access log, no bundle p99 (the log costs each request a little)
# the JVM as the image runs it (Dockerfile: the parallel collector), with about the heap that
# the Deployment's memory limit gives a pod
JVM=${BENCH_JVM:-"-Xmx512m -XX:+UseParallelGC"}
DB=${BENCH_DB:-hsqldb}
PG_HOST=${BENCH_PG_HOST:-127.0.0.1}
PG_PORT=${BENCH_PG_PORT:-5432}
PG_USER=${BENCH_PG_USER:-postgres}
case "$DB" in hsqldb|postgresql) ;; *) echo "BENCH_DB must be hsqldb or postgresql"; exit 2 ;; esac
if [ "$DB" = postgresql ]; then
  command -v psql >/dev/null || { echo "BENCH_DB=postgresql needs psql"; exit 2; }
  export SPRING_DATASOURCE_PASSWORD=${PGPASSWORD:-}
fi
export BENCH_TOKEN=bench-token

command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }
JAR=${BENCH_JAR:-$(ls target/mixpanel-iterable-bridge-*.jar 2>/dev/null | grep -v original | head -1 || true)}
if [ -z "$JAR" ]; then
  mvn -q -B package -DskipTests
  JAR=$(ls target/mixpanel-iterable-bridge-*.jar | grep -v original | head -1)
fi
WORK=$(mktemp -d)
PID=
PG_DATABASES=()
pg() { PGOPTIONS='-c client_min_messages=warning' psql -w -q -v ON_ERROR_STOP=1 -h "$PG_HOST" -p "$PG_PORT" -U "$PG_USER" -d postgres "$@"; }
cleanup() {
  set +e
  [ -n "$PID" ] && kill -9 "$PID" 2>/dev/null
  for name in "${PG_DATABASES[@]}"; do pg -c "DROP DATABASE IF EXISTS $name" > /dev/null; done
  rm -rf "$WORK"
}
trap cleanup EXIT

pg_database() { # $1: data dir; prints the name of a new PostgreSQL database for it (this run's own)
  local name; name=$(basename "$1"); name=bench_$$_${name//[^a-z0-9]/_}
  pg -c "CREATE DATABASE $name" > /dev/null || { echo "psql: cannot create database $name on $PG_HOST:$PG_PORT as $PG_USER" >&2; return 1; }
  echo "$name"
}

start_bundle() { # $1: data dir, rest: extra arguments (the build: $RUN_JAR, else $JAR; JVM options: $RUN_JVM, else $JVM;
                 # the folder it runs in, with its application.yaml and routes/: $RUN_DIR, else this checkout)
  local data=$1; shift
  local db=()
  if [ "$DB" = postgresql ]; then
    local name; name=$(pg_database "$data")
    PG_DATABASES+=("$name")
    db=(--spring.datasource.url="jdbc:postgresql://$PG_HOST:$PG_PORT/$name" --spring.datasource.username="$PG_USER")
  fi
  local jar; jar=$(realpath "${RUN_JAR:-$JAR}")
  # Tomcat's access log, for bundle_p99: when each request ended and how long the bundle took over
  # it (buffered: flushed now and then, and when the bundle stops)
  ACCESS=$data-access
  local access=()
  [ "$ACCESS_LOG" = 1 ] && access=(--server.tomcat.accesslog.enabled=true --server.tomcat.accesslog.directory="$ACCESS"
    --server.tomcat.accesslog.pattern='%{end:msec}t %{ms}T' --server.tomcat.accesslog.buffered=true)
  # shellcheck disable=SC2086 # JVM options are words
  (cd "${RUN_DIR:-.}" && BRIDGE_DATA_DIR=$data BRIDGE_WEBHOOKS_ITERABLE_TOKEN=bench-token \
    exec java ${RUN_JVM:-$JVM} -Xlog:gc:file="$WORK/gc.log":uptime -jar "$jar" --server.port=$PORT --logging.level.root=WARN \
    "${access[@]}" "${db[@]}" "$@") > "$WORK/bundle.log" 2>&1 &
  PID=$!
  for _ in $(seq 1 120); do
    curl -sf -o /dev/null -X POST "http://127.0.0.1:$PORT/webhooks/iterable" -H 'Content-Type: application/json' \
      -H "Authorization: OAuth2 bench-token" -d '{"userId":"warm","eventName":"emailOpen"}' && return 0
    sleep 0.5
  done
  echo "bundle did not start:"; cat "$WORK/bundle.log"; exit 1
}

stop_bundle() { kill $PID; wait $PID 2>/dev/null || true; PID=; }

to_ms() { # wrk latency (e.g. 850.12us, 5.83ms, 1.02s) -> milliseconds
  awk -v v="$1" 'BEGIN { n = v + 0; if (v ~ /us$/) n /= 1000; else if (v ~ /ms$/) n += 0; else if (v ~ /s$/) n *= 1000; printf "%.2f", n }'
}

median() { sort -n | awk '{ a[NR] = $1 } END { if (!NR) print "-"; else print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }

load() { # $1: seconds, $2: token, $3: events per request
  [ "$1" -gt 0 ] && BENCH_TOKEN=$2 BATCH=$3 wrk -t2 -c"$CONNECTIONS" -d"$1s" -s bench/webhook-events.lua "http://127.0.0.1:$PORT" > /dev/null
  return 0
}

runs() { # $1: label, $2: token, $3: events per request; prints the runs and the median line to summary
  local label=$1 token=$2 per=$3
  : > "$WORK/$label.runs"
  : > "$WORK/$label.windows"
  LABELS+=("$label")
  for run in $(seq 1 "$RUNS"); do
    local before; before=$(cpu_ticks)
    local from; from=$(date +%s%3N)
    BENCH_TOKEN=$token BATCH=$per wrk -t2 -c"$CONNECTIONS" -d"$DURATION" --latency -s bench/webhook-events.lua \
      "http://127.0.0.1:$PORT" > "$WORK/wrk.out"
    echo "$from $(date +%s%3N)" >> "$WORK/$label.windows"
    local eps p50 p99 bad cpu
    eps=$(awk -v per="$per" '/^Requests\/sec/ { printf "%.0f", $2 * per }' "$WORK/wrk.out")
    cpu=$(awk -v per="$per" -v ticks=$(($(cpu_ticks) - before)) -v us="$TICK_US" \
      '/ requests in / { printf "%.0f", ticks * us / ($1 * per) }' "$WORK/wrk.out")
    p50=$(to_ms "$(awk '$1 == "50%" { print $2 }' "$WORK/wrk.out")")
    p99=$(to_ms "$(awk '$1 == "99%" { print $2 }' "$WORK/wrk.out")")
    bad=$(awk '/Non-2xx/ { print $NF }' "$WORK/wrk.out"); bad=${bad:-0}
    kb=$(allocated_kb "$eps")
    echo "$label run $run: $eps events/s  p50 ${p50} ms  p99 ${p99} ms  CPU ${cpu} us/event  heap ${kb} KB/event  non-2xx $bad"
    echo "$eps $p50 $p99 $cpu $kb" >> "$WORK/$label.runs"
  done
  printf '%-28s %7s events/s  p50 %6s ms  p99 %6s ms  CPU %5s us/event  heap %5s KB/event  (median of %s)\n' "$label" \
    "$(cut -d' ' -f1 "$WORK/$label.runs" | median)" "$(cut -d' ' -f2 "$WORK/$label.runs" | median)" \
    "$(cut -d' ' -f3 "$WORK/$label.runs" | median)" "$(cut -d' ' -f4 "$WORK/$label.runs" | median)" \
    "$(cut -d' ' -f5 "$WORK/$label.runs" | { grep -v '^-$' || true; } | median)" "$RUNS" | tee -a "$WORK/summary"
}

# KB of heap the bundle allocated per event during the run just measured, from its GC log: what was
# allocated between the first and the last collection of the run, over the events of that time.
# "-" when the run saw fewer than two collections.
allocated_kb() { # $1: events/s of the run
  local now; now=$(jcmd "$PID" VM.uptime 2>/dev/null | awk 'NR == 2 { print $1 + 0 }')
  awk -v end="${now:-0}" -v span="$(seconds)" -v eps="$1" '
    function kb(v) { return (v ~ /G/) ? v * 1048576 : (v ~ /M/) ? v * 1024 : (v ~ /K/) ? v + 0 : v / 1024 }
    / Pause / { t = $1; gsub(/[^0-9.]/, "", t); t += 0; split($(NF - 1), h, /->|\(/)
      if (t >= end - span && t <= end) { if (n++) { alloc += kb(h[1]) - prev; last = t } else first = t }
      prev = kb(h[2]) }
    END { if (n > 1 && last > first && eps > 0) printf "%.1f", alloc / (eps * (last - first)); else print "-" }' "$WORK/gc.log"
}

cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$PID/stat"; } # the bundle's user + system CPU, in clock ticks
TICK_US=$((1000000 / $(getconf CLK_TCK)))

figure() { # $1: label; $2: the word before the value (none: events/s)
  grep "^$1 " "$WORK/summary" | grep -v " bundle p99 " | awk -v word="${2:-}" '{ for (i = 1; i < NF; i++) if ($i == word) print $(i + 1); if (word == "") print $2 }'
}
cpu_figure() { figure "$1" CPU; }
heap_figure() { figure "$1" heap; }
seconds() { echo "${DURATION%s}"; }

# The bundle's own p99 (see the top) in each run measured on the bundle just stopped.
bundle_p99() {
  local label from to
  for label in "${LABELS[@]}"; do
    local runs=()
    while read -r from to; do
      # nearest rank: the smallest time that at least 99% of the run's requests did not exceed
      runs+=("$({ cat "$ACCESS"/* 2>/dev/null || true; } | awk -v from="$from" -v to="$to" '$1 >= from && $1 <= to { print $2 }' \
        | sort -n | awk '{ a[NR] = $1 } END { i = int(NR * 0.99); if (i < NR * 0.99) i++; print NR ? a[i] : "-" }')")
    done < "$WORK/$label.windows"
    printf '%-28s bundle p99 %6s ms (its own time per request; runs %s)\n' "$label" \
      "$(printf '%s\n' "${runs[@]}" | { grep -v '^-$' || true; } | median)" "${runs[*]}" | tee -a "$WORK/summary"
  done
  LABELS=()
}
LABELS=()

measure() { # $1: label, $2: token, $3: events per request, $4: late too (yes/no), rest: bundle arguments
  local label=$1 token=$2 per=$3 late=$4; shift 4
  start_bundle "$WORK/data-$label" "$@"
  load "$WARMUP" "$token" "$per"
  runs "$label@${WARMUP}s" "$token" "$per"
  if [ "$late" = yes ] && [ "$LATE" -gt 0 ]; then
    load $((LATE - WARMUP - RUNS * $(seconds))) "$token" "$per"
    runs "$label@${LATE}s" "$token" "$per"
  fi
  stop_bundle
  if [ "$ACCESS_LOG" = 1 ]; then bundle_p99; fi
}

# "before": an earlier build, or this one under other JVM options, each figure right before this
# build's (always first: alternate bundles by hand to rule out drift during the run)
BEFORE=${BEFORE_JAR:-}${BEFORE_JVM:-}
before() { [ -z "$BEFORE" ] || RUN_JAR=${BEFORE_JAR:-$JAR} RUN_JVM=${BEFORE_JVM:-$JVM} RUN_DIR=${BEFORE_DIR:-.} measure "before-$1" "${@:2}"; }
echo "== webhook intake, wrk -t2 -c$CONNECTIONS, $RUNS x $DURATION per figure, $(nproc) cores, $DB, durable commits, JVM: $JVM"
[ -n "$BEFORE" ] && echo "   before: ${BEFORE_JAR:-this build}, JVM: ${BEFORE_JVM:-$JVM}, routes: ${BEFORE_DIR:-this checkout}"
if [ "$DB" = postgresql ]; then
  PG_SETTINGS=$(pg -At -c "SELECT string_agg(name || '=' || current_setting(name), ', ' ORDER BY name) FROM pg_settings
    WHERE name IN ('server_version', 'fsync', 'synchronous_commit', 'shared_buffers')")
  echo "   PostgreSQL: $PG_SETTINGS"
fi
before ceiling wrong-token 1 no
measure ceiling wrong-token 1 yes
before accepted bench-token 1 no
measure accepted bench-token 1 yes
measure commit-per-delivery bench-token 1 no --bridge.events.store.max-batch-events=1
before "arrays-of-$BATCH" bench-token "$BATCH" no
measure "arrays-of-$BATCH" bench-token "$BATCH" no
echo "== summary"
cat "$WORK/summary"
ratio() { # a / b, or n/a when either is missing (a heap figure is "-" when a run saw fewer than two collections)
  awk -v a="$1" -v b="$2" -v what="$3" 'BEGIN { if (a + 0 > 0 && b + 0 > 0) printf "%s: %.2f\n", what, a / b; else printf "%s: n/a\n", what }'
}
ratio "$(figure "accepted@${WARMUP}s")" "$(figure "ceiling@${WARMUP}s")" "accepted / ceiling after ${WARMUP}s"
[ "$LATE" -gt 0 ] && ratio "$(figure "accepted@${LATE}s")" "$(figure "ceiling@${LATE}s")" "accepted / ceiling after ${LATE}s"
ratio "$(figure "accepted@${WARMUP}s")" "$(figure "commit-per-delivery@${WARMUP}s")" "group commit / one commit per delivery"
ratio "$(figure "arrays-of-$BATCH@${WARMUP}s")" "$(figure "accepted@${WARMUP}s")" "arrays of $BATCH / single events (events/s)"
ratio "$(cpu_figure "accepted@${WARMUP}s")" "$(cpu_figure "ceiling@${WARMUP}s")" "CPU per accepted event / per refused delivery after ${WARMUP}s"
[ "$LATE" -gt 0 ] && ratio "$(cpu_figure "accepted@${LATE}s")" "$(cpu_figure "ceiling@${LATE}s")" "CPU per accepted event / per refused delivery after ${LATE}s"
ratio "$(cpu_figure "accepted@${WARMUP}s")" "$(cpu_figure "arrays-of-$BATCH@${WARMUP}s")" "CPU per single event / per event in arrays of $BATCH"
ratio "$(heap_figure "accepted@${WARMUP}s")" "$(heap_figure "ceiling@${WARMUP}s")" "heap per accepted event / per refused delivery after ${WARMUP}s"
if [ -n "$BEFORE" ]; then
  ratio "$(figure "before-accepted@${WARMUP}s")" "$(figure "before-ceiling@${WARMUP}s")" "before: accepted / ceiling after ${WARMUP}s"
  for f in ceiling accepted "arrays-of-$BATCH"; do
    ratio "$(figure "$f@${WARMUP}s")" "$(figure "before-$f@${WARMUP}s")" "$f events/s, now / before"
    ratio "$(cpu_figure "$f@${WARMUP}s")" "$(cpu_figure "before-$f@${WARMUP}s")" "$f CPU per event, now / before"
    ratio "$(heap_figure "$f@${WARMUP}s")" "$(heap_figure "before-$f@${WARMUP}s")" "$f heap per event, now / before"
  done
fi

echo "== durability: SIGKILL during load ($CONNECTIONS connections)"
DRIVER_JAR="$WORK/driver.jar"
unzip -p "$JAR" "$(unzip -Z1 "$JAR" | grep "BOOT-INF/lib/$([ "$DB" = postgresql ] && echo postgresql || echo hsqldb)-")" > "$DRIVER_JAR"
start_bundle "$WORK/data-kill"
java bench/DurabilityCheck.java load "http://127.0.0.1:$PORT/webhooks/iterable" bench-token 30 "$CONNECTIONS" "$WORK/acked" &
LOADER=$!
sleep 8
kill -9 $PID; wait $PID 2>/dev/null || true; PID=
echo "bundle killed with SIGKILL mid-load"
wait $LOADER
if [ "$DB" = postgresql ]; then
  java -Ddb.user="$PG_USER" -cp "$DRIVER_JAR" bench/DurabilityCheck.java verify \
    "jdbc:postgresql://$PG_HOST:$PG_PORT/${PG_DATABASES[-1]}" "$WORK/acked"
else
  java -cp "$DRIVER_JAR" bench/DurabilityCheck.java verify "jdbc:hsqldb:file:$WORK/data-kill/bridge" "$WORK/acked"
fi
