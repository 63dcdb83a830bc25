#!/bin/bash
# Issue 17: the gateway's accepted mark per lane and range of batches (67925e6, jar built at 1a38b10)
# against one mark per row (fbcd974), A B A B, then the rest of the yardstick on the new jar. JDK 25
# (Temurin 25.0.3) with compact object headers for everything the yardstick starts: see
# docs/bench/2026-12-07f-jdk25 for JDK 17 against JDK 25 on one jar.
# Run under the lock on a quiet machine: flock /tmp/IT_LOCK bash docs/bench/2026-12-07h-lane-commits/ab.sh
cd /work/main
touch /tmp/MEASURING
D=docs/bench/2026-12-07h-lane-commits
export PATH=/usr/lib/jvm/temurin-25-jdk-amd64/bin:$PATH
export STACK_JVM_FLAGS="-XX:+UseCompactObjectHeaders" WARMUP_S=120 RUNS=3
loadtest/bench/yardstick.sh /tmp/jdk-ab.jar $D/1-row-mark-aa refs aa
loadtest/bench/yardstick.sh /tmp/lanes.jar $D/2-lane-mark-aa aa
loadtest/bench/yardstick.sh /tmp/jdk-ab.jar $D/3-row-mark-aa aa
loadtest/bench/yardstick.sh /tmp/lanes.jar $D/4-lane-mark-aa aa
loadtest/bench/yardstick.sh /tmp/lanes.jar $D/5-lane-mark-rest ingest sb
rm -f /tmp/MEASURING
