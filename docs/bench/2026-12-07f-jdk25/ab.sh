#!/bin/bash
# Issue 17: the same jar (fbcd974) on JDK 17 (the default java here) and on JDK 25 (Temurin 25.0.3),
# with and without compact object headers. Everything the yardstick starts (bare Vert.x, Kafka's tool,
# the stack) runs on the JDK under test, so each ratio is within one JDK.
# Run under the lock on a quiet machine: flock /tmp/IT_LOCK bash docs/bench/2026-12-07f-jdk25/ab.sh
cd /work/main
touch /tmp/MEASURING
D=docs/bench/2026-12-07f-jdk25
J25=/usr/lib/jvm/temurin-25-jdk-amd64/bin
cp loadtest/target/loadtest.jar /tmp/jdk-ab.jar
WARMUP_S=120 RUNS=3 loadtest/bench/yardstick.sh /tmp/jdk-ab.jar $D/1-jdk17-aa refs aa
PATH=$J25:$PATH WARMUP_S=120 RUNS=3 loadtest/bench/yardstick.sh /tmp/jdk-ab.jar $D/2-jdk25-aa refs aa
PATH=$J25:$PATH STACK_JVM_FLAGS="-XX:+UseCompactObjectHeaders" WARMUP_S=120 RUNS=3 \
    loadtest/bench/yardstick.sh /tmp/jdk-ab.jar $D/3-jdk25-coh-aa aa
rm -f /tmp/MEASURING
