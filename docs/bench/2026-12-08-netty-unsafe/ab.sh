#!/bin/bash
# Issue 17: Netty 4.2 turns sun.misc.Unsafe off by default on JDK 25 ("io.netty.noUnsafe=true by default
# on Java 25+"), and the sandbox stack's profile (docs/bench/2026-12-08-sb-profile) showed its slow
# path (ByteBufUtil.safeDirectWriteUtf8, String.charAt per character) at 6 % of the event loops. One
# jar, JDK 25 with compact object headers, A = as before, B = with --sun-misc-unsafe-memory-access=allow,
# A B A B on bare Vert.x (same flags) and approve-all end to end, then the sandbox on B.
# Run under the lock on a quiet machine: flock /tmp/IT_LOCK bash docs/bench/2026-12-08-netty-unsafe/ab.sh JAR
cd /work/main
touch /tmp/MEASURING
JAR=${1:-/tmp/main.jar}
D=docs/bench/2026-12-08-netty-unsafe
export PATH=/usr/lib/jvm/temurin-25-jdk-amd64/bin:$PATH
export WARMUP_S=90 RUNS=3
A="-XX:+UseCompactObjectHeaders"
B="-XX:+UseCompactObjectHeaders --sun-misc-unsafe-memory-access=allow"
STACK_JVM_FLAGS="$A" loadtest/bench/yardstick.sh "$JAR" $D/1-A bare aa
STACK_JVM_FLAGS="$B" loadtest/bench/yardstick.sh "$JAR" $D/2-B bare aa
STACK_JVM_FLAGS="$A" loadtest/bench/yardstick.sh "$JAR" $D/3-A bare aa
STACK_JVM_FLAGS="$B" loadtest/bench/yardstick.sh "$JAR" $D/4-B bare aa sb
rm -f /tmp/MEASURING
