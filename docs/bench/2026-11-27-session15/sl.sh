#!/usr/bin/env bash
cd /work/main
while ! grep -q ALLDONE /tmp/s15/ratio.log; do sleep 5; done
J=/tmp/bench-loadtest.jar
STACK_FLAGS=-Dprocessor.guarantee=at-least-once DRAIN_SETS="sl" RUNS=3 loadtest/bench/perf-session.sh $J /tmp/s15/alo-sl drains
DRAIN_SETS="sl" RUNS=3 loadtest/bench/perf-session.sh $J /tmp/s15/eos-sl drains
echo SLDONE
