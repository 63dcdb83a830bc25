#!/bin/bash
# Issue 19 §3: a tenant's latency alone, beside 10,000 random API keys a second (wrk, /tmp/flood.lua), alone again.
J=/work/main; OUT=/tmp/flood19
rm -rf $OUT; mkdir -p $OUT; cd $J
LT="java -jar loadtest/target/loadtest.jar"
java -Dstack.warmupSeconds=60 -jar loadtest/target/loadtest.jar stack --fresh > $OUT/stack.log 2>&1 &
STACK=$!
for _ in $(seq 400); do grep -q "stack is up" $OUT/stack.log && break; sleep 1; done
echo "up $(date -u)"
$LT run --rate 20 --duration 60s --warmup 10s --connections 16 --report $OUT/alone-1 > $OUT/alone-1.out 2>&1
curl -s 127.0.0.1:9080/metrics | grep -E '^gateway_(auth|requests_shed)' > $OUT/metrics-before.txt
wrk -t1 -c64 -d90s -s /tmp/flood.lua http://127.0.0.1:8080 > $OUT/flood.wrk 2>&1 &
FL=$!
sleep 5
$LT run --rate 20 --duration 60s --warmup 10s --connections 16 --report $OUT/flooded > $OUT/flooded.out 2>&1
wait $FL
curl -s 127.0.0.1:9080/metrics | grep -E '^gateway_(auth|requests_shed)' > $OUT/metrics-after.txt
$LT run --rate 20 --duration 60s --warmup 10s --connections 16 --report $OUT/alone-2 > $OUT/alone-2.out 2>&1
kill $STACK; wait $STACK
echo "end $(date -u)"
