#!/bin/bash
# Issue 17: an upper bound on what the gateway's per-row accepted mark costs. /tmp/nomark.jar is
# fbcd974 with CommitLane.takeMarks() returning no ids (a measurement hack, never merged: without the
# mark a restarted gateway would settle every reservation from the log), against fbcd974 itself,
# A B A B, on JDK 25 with compact object headers.
# Run under the lock on a quiet machine: flock /tmp/IT_LOCK bash docs/bench/2026-12-07g-no-mark-bound/ab.sh
cd /work/main
touch /tmp/MEASURING
D=docs/bench/2026-12-07g-no-mark-bound
export PATH=/usr/lib/jvm/temurin-25-jdk-amd64/bin:$PATH
export STACK_JVM_FLAGS="-XX:+UseCompactObjectHeaders" WARMUP_S=120 RUNS=3
loadtest/bench/yardstick.sh /tmp/jdk-ab.jar $D/1-mark-aa aa
loadtest/bench/yardstick.sh /tmp/nomark.jar $D/2-nomark-aa aa
loadtest/bench/yardstick.sh /tmp/jdk-ab.jar $D/3-mark-aa aa
loadtest/bench/yardstick.sh /tmp/nomark.jar $D/4-nomark-aa aa
rm -f /tmp/MEASURING
