#!/usr/bin/env bash
# Stripe, PayPal, Stripe: back to back, each on a fresh sandbox stack, drains of the sandbox and of
# the sandbox at 100-300 ms, RUNS=3 each (medians), after one discarded warm-up drain.
set -u
cd /work/main
J=/tmp/bench16/loadtest.jar
OUT=${OUT:-/tmp/bench16/providers}
mkdir -p "$OUT"
DRAIN_SETS="sb sl" RUNS=3 loadtest/bench/perf-session.sh "$J" "$OUT/1-stripe" drains
STACK_FLAGS=-Dprovider.kind=paypal DRAIN_SETS="sb sl" RUNS=3 loadtest/bench/perf-session.sh "$J" "$OUT/2-paypal" drains
DRAIN_SETS="sb sl" RUNS=3 loadtest/bench/perf-session.sh "$J" "$OUT/3-stripe" drains
echo ALLDONE
