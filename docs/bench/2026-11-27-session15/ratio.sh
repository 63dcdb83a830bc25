#!/usr/bin/env bash
cd /work/main
J=/tmp/bench-loadtest.jar
STACK_FLAGS=-Dprocessor.guarantee=at-least-once DRAIN_SETS="aa sb" RUNS=3 loadtest/bench/perf-session.sh $J /tmp/s15/alo drains
DRAIN_SETS="aa sb" RUNS=3 loadtest/bench/perf-session.sh $J /tmp/s15/eos drains
STACK_FLAGS=-Dprocessor.guarantee=at-least-once DRAIN_SETS="aa sb" RUNS=3 loadtest/bench/perf-session.sh $J /tmp/s15/alo2 drains
echo ALLDONE
