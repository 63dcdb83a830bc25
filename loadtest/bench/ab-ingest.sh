#!/usr/bin/env bash
# A/B of gateway ingest between two builds (BASE_JAR, HEAD_JAR): each on a fresh approve-all stack,
# 60 s of wrk warm-up, then two 10 s wrk runs with fresh Idempotency-Keys (post.lua). One at a time.
set -u
BENCH="$(cd "$(dirname "$0")" && pwd)"
for which in base head; do
  if [ $which = base ]; then JAR=${BASE_JAR:?set BASE_JAR to the older build}; else JAR=${HEAD_JAR:-loadtest/target/loadtest.jar}; fi
  # --fresh: an empty stack per series that deletes its data on exit (builds before it kept nothing anyway).
  FRESH=$(java -jar $JAR stack --help 2>&1 | grep -q -- --fresh && echo --fresh)
  java -Dprovider.kind=approve-all -jar $JAR stack $FRESH > "${TMPDIR:-/tmp}/ab-$which-stack.log" 2>&1 &
  PID=$!
  for i in $(seq 1 120); do curl -sf localhost:8080/health/ready >/dev/null 2>&1 && break; sleep 1; done
  wrk -t1 -c64 -d60s -s $BENCH/post.lua http://127.0.0.1:8080/v1/payments >/dev/null 2>&1
  for r in 1 2; do
    echo "$which run $r: $(wrk -t1 -c64 -d10s -s $BENCH/post.lua http://127.0.0.1:8080/v1/payments | grep -E 'Requests/sec|Non-2xx' | tr '\n' ' ')"
  done
  kill -TERM $PID; wait $PID 2>/dev/null
  sleep 3
done
