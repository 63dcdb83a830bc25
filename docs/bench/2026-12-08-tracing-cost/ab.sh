#!/bin/bash
# Issue 21 §3: what tracing costs. One jar, JDK 25 with the recommended flags, A = tracing off (no
# tracing.otlpEndpoint: no span recorded), B = tracing on, every trace sampled (tracing.samplePercent's
# default, 100), exported over OTLP/HTTP to a stand-in collector on 127.0.0.1:4318 (bare Vert.x answering
# 202 to every POST, in its own process: a collector's own work is not the pipeline's). A B A B, each arm
# bare Vert.x and approve-all end to end (WARMUP_S=60, RUNS=3).
# Run under the lock on a quiet machine: flock /tmp/IT_LOCK bash docs/bench/2026-12-08-tracing-cost/ab.sh JAR
cd /work/main
touch /tmp/MEASURING
JAR=${1:-/tmp/main.jar}
D=docs/bench/2026-12-08-tracing-cost
export PATH=/usr/lib/jvm/temurin-25-jdk-amd64/bin:$PATH
export WARMUP_S=60 RUNS=3
java -cp "$JAR" loadtest/bench/BareVertx.java 4318 >/tmp/otlp-sink.log 2>&1 &
SINK=$!
F="-XX:+UseCompactObjectHeaders --sun-misc-unsafe-memory-access=allow"
ON="-Dtracing.otlpEndpoint=http://127.0.0.1:4318/v1/traces"
STACK_JVM_FLAGS="$F" loadtest/bench/yardstick.sh "$JAR" $D/1-off bare aa
STACK_JVM_FLAGS="$F $ON" loadtest/bench/yardstick.sh "$JAR" $D/2-on bare aa
STACK_JVM_FLAGS="$F" loadtest/bench/yardstick.sh "$JAR" $D/3-off bare aa
STACK_JVM_FLAGS="$F $ON" loadtest/bench/yardstick.sh "$JAR" $D/4-on bare aa
kill $SINK
rm -f /tmp/MEASURING
