#!/bin/bash
# Issue 19 §5: the quiet tenant's latency with and without another tenant's flood, on the local stack
# with the production per-tenant defaults. Run under: flock /tmp/IT_LOCK /tmp/h19-fair.sh
J=/tmp/h19-jar
OUT=/tmp/h19-fair
rm -rf $OUT; mkdir -p $OUT
cd $J
LT="java -jar loadtest/target/loadtest.jar"
echo "start $(date -u) load: $(uptime)"
java -Dlimits.tenantWritesPerS=2500 -Dlimits.tenantWriteBurst=2500 -Dlimits.tenantReadsPerS=1000 \
  -Dlimits.tenantReadBurst=128 -jar loadtest/target/loadtest.jar stack --fresh > $OUT/stack.log 2>&1 &
STACK=$!
for _ in $(seq 240); do grep -q "stack is up" $OUT/stack.log && break; sleep 1; done
grep -q "stack is up" $OUT/stack.log || { tail -30 $OUT/stack.log; kill $STACK; exit 1; }
FLOOD_KEY=$(java -jar gateway/target/gateway.jar keys create flood 2>/dev/null | tail -1)
echo "flood key made: ${#FLOOD_KEY} chars"
$LT run --rate 2000 --duration 30s --connections 32 --report $OUT/warm > $OUT/warm.out 2>&1
$LT run --rate 50 --duration 60s --warmup 10s --connections 16 --report $OUT/quiet-alone-1 > $OUT/quiet-alone-1.out 2>&1
echo "alone-1 rc=$? $(date -u)"
PAYMENTS_DEV_API_KEY="$FLOOD_KEY" $LT run --tenant flood --rate 8000 --duration 100s --connections 64 --no-lag \
  --no-client-warmup --report $OUT/flood > $OUT/flood.out 2>&1 &
FL=$!
sleep 15
$LT run --rate 50 --duration 60s --warmup 10s --connections 16 --report $OUT/quiet-flooded > $OUT/quiet-flooded.out 2>&1
echo "flooded rc=$? $(date -u)"
wait $FL
echo "flood rc=$? $(date -u)"
curl -s 127.0.0.1:9080/metrics | grep -E "^gateway_requests_shed_total" > $OUT/shed.txt
$LT run --rate 50 --duration 60s --warmup 10s --connections 16 --report $OUT/quiet-alone-2 > $OUT/quiet-alone-2.out 2>&1
echo "alone-2 rc=$? $(date -u)"
kill $STACK; wait $STACK
echo "end $(date -u)"
