#!/usr/bin/env bash
# Memory under a burst of maximum-size deliveries: the packaged bundle at -Xmx256m takes N
# concurrent deliveries of EVENTS events each (about 1 MB), all at once, and must answer each with
# 200 (stored) or 503 busy (told to retry), never run out of memory, and stay healthy.
#
#   bench/webhook-burst.sh            # N=64 EVENTS=1000 PAD=900; prints the answers and the log's OutOfMemoryErrors
set -euo pipefail
cd "$(dirname "$0")/.."
N=${N:-64}
EVENTS=${EVENTS:-1000}
PAD=${PAD:-900}
PORT=${BENCH_PORT:-18182}
JAR=$(ls target/mixpanel-iterable-bridge-*.jar 2>/dev/null | grep -v original | head -1 || true)
if [ -z "$JAR" ]; then
  mvn -q -B package -DskipTests
  JAR=$(ls target/mixpanel-iterable-bridge-*.jar | grep -v original | head -1)
fi
if (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; then echo "port $PORT is taken: set BENCH_PORT"; exit 1; fi
WORK=$(mktemp -d)
PID=
trap '[ -n "$PID" ] && { kill -9 $PID 2>/dev/null; wait $PID 2>/dev/null; }; rm -rf "$WORK"' EXIT
cp application.yaml "$WORK/" && cp -r routes "$WORK/"
(cd "$WORK" && PORT=$PORT CAMEL_COMPONENT_JOLOKIA_ENABLED=false BRIDGE_DATA_DIR="$WORK/data" \
  BRIDGE_WEBHOOKS_ITERABLE_TOKEN=bench-token exec java -Xmx256m -jar "$OLDPWD/$JAR" > "$WORK/log.txt" 2>&1) &
PID=$!
for _ in $(seq 1 60); do curl -sf "http://127.0.0.1:$PORT/actuator/health/readiness" >/dev/null && break; sleep 1; done
python3 - "$N" "$EVENTS" "$PAD" "$PORT" <<'PY'
import collections, json, sys, threading, time, urllib.error, urllib.request
n, per, pad, port = (int(a) for a in sys.argv[1:])
bodies = ['[' + ','.join('{"userId":"%d-%d-%d","eventName":"emailOpen","dataFields":{"createdAt":1764547200,"pad":"%s"}}'
                         % (k, i, time.time_ns(), "a" * pad) for i in range(per)) + ']' for k in range(n)]
answers, start = [], threading.Barrier(n)
def deliver(k):
    start.wait()
    request = urllib.request.Request(f"http://127.0.0.1:{port}/webhooks/iterable", data=bodies[k].encode(),
                                     headers={"Content-Type": "application/json", "Authorization": "OAuth2 bench-token"})
    try:
        with urllib.request.urlopen(request, timeout=120) as r:
            answers.append(r.status)
    except urllib.error.HTTPError as e:
        answers.append(f"{e.code} {json.loads(e.read() or b'{}').get('error', '')}")
    except Exception as e:
        answers.append(type(e).__name__)
threads = [threading.Thread(target=deliver, args=(k,)) for k in range(n)]
[t.start() for t in threads]; [t.join() for t in threads]
print(f"{n} concurrent deliveries of {per} events ({len(bodies[0]):,} bytes): {dict(collections.Counter(answers))}")
PY
grep -o "Webhook deliveries: .*" "$WORK/log.txt" || true
echo "OutOfMemoryError in the log: $(grep -c OutOfMemoryError "$WORK/log.txt" || true)"
echo "readiness afterwards: $(curl -s -m5 -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT/actuator/health/readiness")"
