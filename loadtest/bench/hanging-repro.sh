#!/usr/bin/env bash
# Issue 18 §6: SIGKILL one broker during back-to-back read-process-write transactions until a
# partition is left with a transaction nothing ends (no processor, no watchdog). Prints what the
# partition leader and the coordinator say of it; docs/OPERATIONS.md §2a reads the result.
# Usage: loadtest/bench/hanging-repro.sh [loadtest.jar] [kills, default 20]
# (build first: ./mvnw -q -B -DskipTests package). Exit 0: reproduced; 3: not in that many kills.
set -euo pipefail
JAR=${1:-loadtest/target/loadtest.jar}
KILLS=${2:-20}
WORK=$(mktemp -d /tmp/hanging-repro.XXXXXX)
echo "work directory (broker log: $WORK/broker-1.log): $WORK"
rc=0
java -Xmx512m -cp "$JAR" com.streamsocial.billing.loadtest.chaos.HangingTransactionRepro "$WORK" "$KILLS" || rc=$?
if [ "$rc" = 0 ]; then
  echo "--- the broker's marker sender around the restart:"
  grep -E "leader endpoint|removed from the set|transaction marker|TransactionMarker" "$WORK/broker-1.log" | tail -20 || true
fi
exit "$rc"
