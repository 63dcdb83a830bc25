#!/bin/bash
# Issue 19 §5: a quiet tenant (the stack's default, 50 payments/s, harness mix) alone and beside another
# tenant flooding 3,000 payments/s over its 300/s bucket, alternated A B A B A, quiet machine.
J=/work/main; OUT=${OUT:-/tmp/tenant-flood}
rm -rf $OUT; mkdir -p $OUT; cd $J
LT="java -jar loadtest/target/loadtest.jar"
java -Dstack.warmupSeconds=180 -Dlimits.tenantWritesPerS=300 -Dlimits.tenantWriteBurst=300 \
  -jar loadtest/target/loadtest.jar stack --fresh > $OUT/stack.log 2>&1 &
STACK=$!
for _ in $(seq 600); do grep -q "stack is up" $OUT/stack.log && break; sleep 1; done
echo "up $(date -u)"
FLOOD_KEY=$(java -jar gateway/target/gateway.jar keys create flood 2>/dev/null | tail -1)
quiet() { $LT run --rate 50 --duration 60s --warmup 10s --connections 16 --report $OUT/$1 > $OUT/$1.out 2>&1; }
flood() {
  PAYMENTS_DEV_API_KEY="$FLOOD_KEY" $LT run --tenant flood --rate 3000 --duration 85s --connections 64 --no-lag \
    --no-client-warmup --report $OUT/$1-flood > $OUT/$1-flood.out 2>&1 &
  FL=$!; sleep 10; quiet $1; wait $FL
  curl -s 127.0.0.1:9080/metrics | grep -E '^gateway_requests_shed_total' > $OUT/$1-shed.txt
}
quiet alone-1; flood flooded-1; quiet alone-2; flood flooded-2; quiet alone-3
kill $STACK; wait $STACK
echo "end $(date -u)"
