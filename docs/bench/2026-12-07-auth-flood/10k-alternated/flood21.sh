#!/bin/bash
# Issue 19 §3: a tenant's p99 alone and beside ~10,000 random API keys a second, alternated (A B A B A).
J=/work/main; OUT=${OUT:-/tmp/flood-10k}
rm -rf $OUT; mkdir -p $OUT; cd $J
LT="java -jar loadtest/target/loadtest.jar"
java -Dstack.warmupSeconds=180 -jar loadtest/target/loadtest.jar stack --fresh > $OUT/stack.log 2>&1 &
STACK=$!
for _ in $(seq 600); do grep -q "stack is up" $OUT/stack.log && break; sleep 1; done
echo "up $(date -u)"
tenant() { $LT run --rate 20 --duration 60s --warmup 10s --connections 16 --report $OUT/$1 > $OUT/$1.out 2>&1; }
flood() {
  curl -s 127.0.0.1:9080/metrics | grep -E '^gateway_(auth|requests_shed)' > $OUT/$1-metrics-before.txt
  wrk -t2 -c128 -d80s -s "$(dirname "$0")"/flood7.lua http://127.0.0.1:8080 > $OUT/$1.wrk 2>&1 &
  FL=$!; sleep 5; tenant $1; wait $FL
  curl -s 127.0.0.1:9080/metrics | grep -E '^gateway_(auth|requests_shed)' > $OUT/$1-metrics-after.txt
}
tenant alone-1; flood flooded-1; tenant alone-2; flood flooded-2; tenant alone-3
kill $STACK; wait $STACK
echo "end $(date -u)"
