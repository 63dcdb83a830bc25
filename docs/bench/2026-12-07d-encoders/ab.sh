#!/bin/bash
cd /work/main
touch /tmp/MEASURING
D=docs/bench/2026-12-07d-encoders
WARMUP_S=120 RUNS=3 loadtest/bench/yardstick.sh /tmp/prof/lt.jar $D/1-before-ingest refs ingest
WARMUP_S=120 RUNS=3 loadtest/bench/yardstick.sh /tmp/prof/new.jar $D/2-after-ingest ingest
rm -f /tmp/MEASURING
