#!/bin/bash
# Issue 17: the processor's one row version a payment, before (3b7b266) and after (072b34a).
# Run under the lock on a quiet machine: flock /tmp/IT_LOCK bash docs/bench/2026-12-07e-one-row-version/ab.sh
cd /work/main
touch /tmp/MEASURING
D=docs/bench/2026-12-07e-one-row-version
WARMUP_S=120 RUNS=3 loadtest/bench/yardstick.sh /tmp/ab/before.jar $D/1-before-aa refs aa
WARMUP_S=120 RUNS=3 loadtest/bench/yardstick.sh /tmp/ab/after.jar $D/2-after-aa aa
rm -f /tmp/MEASURING
