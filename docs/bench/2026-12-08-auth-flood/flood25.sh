#!/bin/bash
# Issue 19 §3 again, as 2026-12-07's flood21.sh (a tenant's p99 alone and beside ~10,000 random API keys a
# second, alternated A B A B A), on JDK 25 with the flags docs/DEPLOYMENT.md recommends (Netty's Unsafe back,
# compact object headers) and the jar given (default /tmp/main.jar).
# Run under the lock on a quiet machine: flock /tmp/IT_LOCK bash docs/bench/2026-12-08-auth-flood/flood25.sh JAR
JAR=${1:-/tmp/main.jar}; HERE=$(cd "$(dirname "$0")" && pwd); OUT=${OUT:-$HERE/out}
export PATH=/usr/lib/jvm/temurin-25-jdk-amd64/bin:$PATH
F="-XX:+UseCompactObjectHeaders --sun-misc-unsafe-memory-access=allow"
touch /tmp/MEASURING
rm -rf "$OUT"; mkdir -p "$OUT"; cd /tmp
LT="java $F -jar $JAR"
java $F -Dstack.warmupSeconds=180 -jar "$JAR" stack --fresh > "$OUT"/stack.log 2>&1 &
STACK=$!
for _ in $(seq 600); do grep -q "stack is up" "$OUT"/stack.log && break; sleep 1; done
echo "up $(date -u)"
tenant() { $LT run --rate 20 --duration 60s --warmup 10s --connections 16 --report "$OUT"/$1 > "$OUT"/$1.out 2>&1; }
flood() {
  curl -s 127.0.0.1:9080/metrics | grep -E '^gateway_(auth|requests_shed)' > "$OUT"/$1-metrics-before.txt
  wrk -t2 -c128 -d80s -s "$HERE"/../2026-12-07-auth-flood/10k-alternated/flood7.lua http://127.0.0.1:8080 > "$OUT"/$1.wrk 2>&1 &
  FL=$!; sleep 5; tenant $1; wait $FL
  curl -s 127.0.0.1:9080/metrics | grep -E '^gateway_(auth|requests_shed)' > "$OUT"/$1-metrics-after.txt
}
tenant alone-1; flood flooded-1; tenant alone-2; flood flooded-2; tenant alone-3
kill $STACK; wait $STACK
rm -f /tmp/MEASURING
echo "end $(date -u)"
