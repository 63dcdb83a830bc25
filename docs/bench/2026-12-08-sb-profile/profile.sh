#!/usr/bin/env bash
# Where the sandbox stack's CPU goes (issue 17, the sb row): the yardstick's sb stack on JDK 25 with
# compact object headers, wrk -t1 -c256 for WARMUP_S, then JFR's execution samples over 30 s of the
# same load, attributed per sample to the first project frame (gateway, processor, sandbox) and by
# thread group. Usage: profile.sh JAR OUTDIR
set -uo pipefail
JAR=$(readlink -f "$1"); OUT=$(readlink -f "$2"); mkdir -p "$OUT"
ROOT=$(cd "$(dirname "$0")/../../.." && pwd)
J25=/usr/lib/jvm/temurin-25-jdk-amd64
WARMUP_S=${WARMUP_S:-90}
PROVIDER=${PROVIDER:-}
"$J25/bin/java" -XX:+UseCompactObjectHeaders -Dstack.warmupSeconds=0 $PROVIDER -jar "$JAR" stack --fresh >"$OUT/stack.log" 2>&1 &
S=$!
trap 'kill $S 2>/dev/null; wait $S 2>/dev/null' EXIT
for _ in $(seq 300); do grep -q "stack is up" "$OUT/stack.log" && break; sleep 1; done
wrk -t1 -c256 -d"${WARMUP_S}s" -s "$ROOT/loadtest/bench/post.lua" http://127.0.0.1:8080/v1/payments >"$OUT/warmup.wrk" 2>&1
"$J25/bin/jcmd" $S JFR.start name=p settings=profile filename="$OUT/p.jfr" >/dev/null
wrk -t1 -c256 -d30s -s "$ROOT/loadtest/bench/post.lua" http://127.0.0.1:8080/v1/payments >"$OUT/measured.wrk" 2>&1
"$J25/bin/jcmd" $S JFR.stop name=p >/dev/null
"$J25/bin/jfr" print --stack-depth 200 --events jdk.ExecutionSample "$OUT/p.jfr" >"$OUT/samples.txt"
python3 "$(dirname "$0")/attribute.py" "$OUT/samples.txt" | tee "$OUT/attribution.txt"
