#!/usr/bin/env bash
# Issue 10's closing figure: 1 processor on 1 broker against 2 processors on a 3-broker cluster,
# back to back (A B A), each a fresh stack: 3 sandbox drains of 20,000 events, then one `max`.
set -uo pipefail
J=${J:-/tmp/s15c/loadtest.jar}
OUT=/tmp/s15c
run_cfg() { # label, stack args...
  local label=$1; shift
  java -jar "$J" stack "$@" >"$OUT/$label-stack.log" 2>&1 &
  local pid=$!
  for _ in $(seq 240); do grep -q "stack is up" "$OUT/$label-stack.log" && break; sleep 1; done
  grep -q "stack is up" "$OUT/$label-stack.log" || { tail -30 "$OUT/$label-stack.log"; kill $pid; return 1; }
  local boot
  boot=$(grep -m1 -E '^\s+kafka\s+' "$OUT/$label-stack.log" | awk '{print $2}')
  echo "== $label up $(date -u +%T), kafka $boot"
  java -jar "$J" drain --events 5000 --kafka "$boot" --report "$OUT/$label-warm" >"$OUT/$label-warm.txt" 2>&1
  for i in 1 2 3; do
    java -jar "$J" drain --events 20000 --kafka "$boot" --report "$OUT/$label-drain$i" >"$OUT/$label-drain$i.txt" 2>&1
    grep -h "outcomes in" "$OUT/$label-drain$i.txt" | sed "s/^/$label: /"
  done
  java -jar "$J" max --start 500 --step 500 --step-duration 8s --max-rate 6000 --kafka "$boot" --report "$OUT/$label-max" >"$OUT/$label-max.txt" 2>&1
  grep -E '^max:' "$OUT/$label-max.txt" | sed "s/^/$label: /"
  kill $pid; wait $pid 2>/dev/null; sleep 3
}
run_cfg one-a --fresh
run_cfg three-b --brokers 3 --processors 2
run_cfg one-c --fresh
echo SCALEDONE
