#!/bin/bash
# Where a flood's 429 goes: the stack alone with wrk's random keys; per-thread CPU of the stack JVM and JFR.
J=/work/main; OUT=/tmp/fl/prof; rm -rf $OUT; mkdir -p $OUT; cd $J
java -XX:StartFlightRecording=delay=120s,duration=40s,filename=$OUT/flood.jfr,settings=profile \
  -Dstack.warmupSeconds=60 -jar loadtest/target/loadtest.jar stack --fresh > $OUT/stack.log 2>&1 &
STACK=$!
for _ in $(seq 600); do grep -q "stack is up" $OUT/stack.log && break; sleep 1; done
echo "up $(date -u)"
JPID=$(pgrep -f 'loadtest.jar stack' | head -1)
snap() { for t in /proc/$JPID/task/*; do echo "$(cat $t/comm)|$(awk '{print $14+$15}' $t/stat)"; done > $1; }
wrk -t2 -c128 -d90s -s /tmp/fl/flood7.lua http://127.0.0.1:8080 > $OUT/flood.wrk 2>&1 &
sleep 30; snap $OUT/t0; T0=$(date +%s.%N); W0=$(cat /proc/$(pgrep -x wrk)/stat | awk '{print $14+$15}')
sleep 40; snap $OUT/t1; T1=$(date +%s.%N); W1=$(cat /proc/$(pgrep -x wrk)/stat | awk '{print $14+$15}')
echo "window $(echo "$T1 - $T0" | bc) s, wrk ticks $((W1-W0))" > $OUT/window.txt
wait
kill $STACK; wait $STACK
echo "end $(date -u)"
