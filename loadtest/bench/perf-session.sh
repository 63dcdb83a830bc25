#!/usr/bin/env bash
# One measurement session of issue 7's targets, for one build of the stack (run it for "before" and
# "after" in the same quiet window). Usage:
#   loadtest/bench/perf-session.sh JAR OUTDIR [steps...]
# steps (default: all, in this order):
#   aa     stack with provider approve-all: warm-up; bare Vert.x (wrk) x3; ProducerPerformance
#          (transactional) x3; `max` x3 (ingest and end to end); a `run` at PROFILE_RATE with JFR,
#          pg_stat_statements and CPU per payment; `drain` with approve-all
#   sb     stack with the sandbox: warm-up; `run` at E2E_RATE x3 with CPU per payment; `drain`
#   sl     stack with the sandbox at 100-300 ms: `drain`; `run` at SL_RATE
#   maxonly  the `max` series alone on a fresh approve-all stack (MAX_START, MAX_STEP)
#   gwwrk    stack with approve-all: `wrk` 60 s warm-up, then RUNS x `wrk -t1 -c64 -d10s` on the
#            gateway (REFS=1 adds bare Vert.x and ProducerPerformance on the same stack's broker)
#   drains   RUNS drains each, medians: approve-all beside the minimal read-process-write baseline
#            (`drain --baseline`, same broker, same loops and batch), the sandbox, and the sandbox at
#            100-300 ms; STACK_FLAGS (e.g. "-Dprocessor.loops=1 -Dprovider.inFlightMax=1024") go to
#            every stack of the step
# Every figure is printed and kept under OUTDIR (harness reports, JFR files, stack logs).
set -uo pipefail
JAR=$(readlink -f "$1")
mkdir -p "$2"
OUT=$(readlink -f "$2")
shift 2
STEPS=${*:-aa sb sl}
RUNS=${RUNS:-3}
PROFILE_RATE=${PROFILE_RATE:-4000}
E2E_RATE=${E2E_RATE:-1000}
SL_RATE=${SL_RATE:-300}
DRAIN_AA=${DRAIN_AA:-50000}
DRAIN_SB=${DRAIN_SB:-20000}
DRAIN_SL=${DRAIN_SL:-5000}
BENCH=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=lib.sh
. "$BENCH/lib.sh"
KCP_FILE="$BENCH/../target/kafka-tools.cp"
# Kafka's own tools (ProducerPerformance), resolved once from Maven Central.
[ -f "$KCP_FILE" ] || (cd "$BENCH/../.." && ./mvnw -q -B -f loadtest/bench/kafka-tools-pom.xml \
    dependency:build-classpath -Dmdep.outputFile="$PWD/loadtest/target/kafka-tools.cp" >/dev/null)
KCP=${KCP:-$(cat "$KCP_FILE")}
mkdir -p "$OUT"
H=(java -jar "$JAR")
STACK=

stack_start() { # label, extra JVM flags...
    local label=$1
    shift
    # --fresh: an empty stack per series that deletes its data on exit (builds before it kept nothing anyway).
    local fresh
    fresh=$(java -jar "$JAR" stack --help 2>&1 | grep -q -- --fresh && echo --fresh)
    java -Dpg.sharedPreloadLibraries=pg_stat_statements "$@" -jar "$JAR" stack $fresh >"$OUT/$label-stack.log" 2>&1 &
    STACK=$!
    for _ in $(seq 180); do grep -q "stack is up" "$OUT/$label-stack.log" && break; sleep 1; done
    grep -q "stack is up" "$OUT/$label-stack.log" || { tail -30 "$OUT/$label-stack.log"; exit 1; }
    psql -q -h 127.0.0.1 -p 5433 -U postgres -c 'CREATE EXTENSION IF NOT EXISTS pg_stat_statements' >/dev/null 2>&1 \
        || echo "pg_stat_statements not available"
    echo "== stack $label up (pid $STACK) $(date -u +%T)"
}
trap stack_stop EXIT

outcomes() { curl -s localhost:8081/metrics | awk '/^processor_outcomes_emitted_total/ {print $2; exit}'; }

# A run with CPU per payment: stack JVM, PostgreSQL, the load generator, per outcome.
cpu_run() { # label rate duration [jfr]
    local label=$1 rate=$2 dur=$3 jfr=${4:-}
    local o0 s0 p0 hz=$(getconf CLK_TCK)
    o0=$(outcomes)
    s0=$(ticks "$STACK")
    p0=$(ticks $(pg_pids))
    psql -q -h 127.0.0.1 -p 5433 -U postgres -c 'SELECT pg_stat_statements_reset()' >/dev/null 2>&1
    if [ -n "$jfr" ]; then
        jcmd "$STACK" JFR.start name=prof settings=profile duration=25s filename="$OUT/$label.jfr" >/dev/null
    fi
    /usr/bin/time -f "%U %S" -o "$OUT/$label-harness-time.txt" \
        "${H[@]}" run --rate "$rate" --duration "$dur" --warmup 5s --connections 64 --await-outcomes 120s \
        --report "$OUT/$label" >"$OUT/$label.txt" 2>&1
    local o1 s1 p1 ht n
    o1=$(outcomes)
    s1=$(ticks "$STACK")
    p1=$(ticks $(pg_pids))
    ht=$(tail -1 "$OUT/$label-harness-time.txt" | awk '{print $1 + $2}')
    n=$((${o1%.*} - ${o0%.*}))
    grep -E '^(answered/s|latency ms|unexpected answers|transport errors|unsent|statuses):' "$OUT/$label.txt"
    grep -E 'waiting for outcomes' "$OUT/$label.txt" | tail -1
    awk -v n="$n" -v s=$((s1 - s0)) -v p=$((p1 - p0)) -v h="$ht" -v hz="$hz" -v l="$label" 'BEGIN {
        printf "%s: %d outcomes; CPU s: stack JVM %.1f, PostgreSQL %.1f, harness %.1f; per payment us: JVM %.0f, PG %.0f, harness %.0f, all %.0f\n",
            l, n, s/hz, p/hz, h, 1e6*s/hz/n, 1e6*p/hz/n, 1e6*h/n, 1e6*(s/hz+p/hz+h)/n }' | tee -a "$OUT/cpu.txt"
    psql -h 127.0.0.1 -p 5433 -U postgres -c "SELECT calls, round(total_exec_time::numeric) AS total_ms,
        round(mean_exec_time::numeric, 3) AS mean_ms, rows, left(regexp_replace(query, '\s+', ' ', 'g'), 110) AS query
        FROM pg_stat_statements ORDER BY total_exec_time DESC LIMIT 12" >"$OUT/$label-pgss.txt" 2>&1
    head -16 "$OUT/$label-pgss.txt"
}

# The yardsticks run in the same session: a bare Vert.x 5 server under the same wrk command as the
# gateway, and Kafka's own ProducerPerformance with transactions on the stack's broker.
ref_bare_vertx() {
    java -cp "$JAR" "$BENCH/BareVertx.java" 9999 >"$OUT/bare.log" 2>&1 &
    local bare=$!
    sleep 4
    wrk -t1 -c64 -d5s -s "$BENCH/post.lua" http://127.0.0.1:9999/ >/dev/null 2>&1
    for i in $(seq "$RUNS"); do
        wrk -t1 -c64 -d10s -s "$BENCH/post.lua" http://127.0.0.1:9999/ | grep -E 'Requests/sec' | tee -a "$OUT/bare.txt"
    done
    kill "$bare"
    wait "$bare" 2>/dev/null
}

ref_producer_perf() {
    java -cp "$KCP" org.apache.kafka.tools.TopicCommand --bootstrap-server 127.0.0.1:9092 --create --if-not-exists \
        --topic bench.perf --partitions 6 --replication-factor 1 >/dev/null 2>&1
    for i in $(seq "$RUNS"); do
        java -cp "$KCP" org.apache.kafka.tools.ProducerPerformance --topic bench.perf --num-records 200000 \
            --record-size 400 --throughput -1 --transactional-id "bench-tx-$i-$RANDOM" --transaction-duration-ms 20 \
            --producer-props bootstrap.servers=127.0.0.1:9092 acks=all enable.idempotence=true \
            | tail -1 | tee -a "$OUT/kafka-tx.txt"
    done
}

step_aa() {
    stack_start aa -Dprovider.kind=approve-all
    "${H[@]}" run --rate 2000 --duration 15s --no-lag --report "$OUT/aa-warmup" >"$OUT/aa-warmup.txt" 2>&1
    echo "== bare Vert.x 5, wrk -t1 -c64 -d10s, ~200-byte POST"
    ref_bare_vertx
    echo "== gateway, wrk -t1 -c64 -d10s (same command)"
    for i in $(seq "$RUNS"); do
        wrk -t1 -c64 -d10s -s "$BENCH/post.lua" http://127.0.0.1:8080/v1/payments | grep -E 'Requests/sec|Non-2xx|Latency' | tee -a "$OUT/gw-wrk.txt"
    done
    echo "== ProducerPerformance, transactional (20 ms transactions), 200,000 x 400 B, acks=all, idempotent"
    ref_producer_perf
    echo "== max (approve-all): ingest and end to end"
    for i in $(seq "$RUNS"); do
        "${H[@]}" max --start "${MAX_START:-2000}" --step "${MAX_STEP:-2000}" --step-duration 8s --max-rate 30000 --report "$OUT/aa-max$i" \
            >"$OUT/aa-max$i.txt" 2>&1
        grep -E '^(max:|step )' "$OUT/aa-max$i.txt"
        sleep 5
    done
    echo "== run at $PROFILE_RATE/s with JFR, pg_stat_statements, CPU per payment"
    cpu_run aa-profile "$PROFILE_RATE" 20s jfr
    echo "== drain $DRAIN_AA (approve-all)"
    "${H[@]}" drain --events "$DRAIN_AA" --provider approve-all --report "$OUT/aa-drain" | tail -1 | tee -a "$OUT/drain.txt"
    stack_stop
}

step_sb() {
    stack_start sb
    "${H[@]}" run --rate 1000 --duration 15s --await-outcomes 60s --report "$OUT/sb-warmup" >"$OUT/sb-warmup.txt" 2>&1
    for i in $(seq "$RUNS"); do
        echo "== sandbox end to end, run $i at $E2E_RATE/s"
        cpu_run "sb-run$i" "$E2E_RATE" 20s $([ "$i" = 1 ] && echo jfr)
    done
    echo "== drain $DRAIN_SB (sandbox)"
    "${H[@]}" drain --events "$DRAIN_SB" --provider sandbox --report "$OUT/sb-drain" | tail -1 | tee -a "$OUT/drain.txt"
    stack_stop
}

step_sl() {
    stack_start sl '-Dsandbox.faults={"latency_ms_min":100,"latency_ms_max":300}'
    echo "== drain $DRAIN_SL (sandbox 100-300 ms)"
    "${H[@]}" drain --events "$DRAIN_SL" --provider sandbox-100-300ms --report "$OUT/sl-drain" | tail -1 | tee -a "$OUT/drain.txt"
    echo "== sandbox 100-300 ms end to end at $SL_RATE/s"
    cpu_run sl-run "$SL_RATE" 20s
    stack_stop
}

step_maxonly() { # the max series alone (approve-all), e.g. to repeat it with other steps
    stack_start aamax -Dprovider.kind=approve-all
    "${H[@]}" run --rate 2000 --duration 15s --no-lag --report "$OUT/aamax-warmup" >"$OUT/aamax-warmup.txt" 2>&1
    for i in $(seq "$RUNS"); do
        "${H[@]}" max --start "${MAX_START:-2000}" --step "${MAX_STEP:-2000}" --step-duration 8s --max-rate 30000 \
            --report "$OUT/aamax-max$i" >"$OUT/aamax-max$i.txt" 2>&1
        grep -E '^(max:|step )' "$OUT/aamax-max$i.txt"
        sleep 5
    done
    stack_stop
}

drain_series() { # label, extra drain flags...
    local label=$1 i
    shift
    : >"$OUT/$label.txt"
    if [ "${DRAIN_WARMUP:-1}" = 1 ]; then
        # One discarded drain first: the JIT compiles the hot path during it, not during the measured runs.
        "${H[@]}" drain "$@" --report "$OUT/$label-warmup" >"$OUT/$label-warmup.txt" 2>&1
        sleep 3
    fi
    for i in $(seq "$RUNS"); do
        "${H[@]}" drain "$@" --report "$OUT/$label-$i" | grep -E '^drain' | tee -a "$OUT/$label.txt"
        sleep 3
    done
    echo "$label median records/s: $(grep -oE '= [0-9.]+ records/s' "$OUT/$label.txt" | grep -oE '[0-9.]+' | median)" \
        | tee -a "$OUT/drains-medians.txt"
}

step_gwwrk() {
    stack_start gw -Dprovider.kind=approve-all
    if [ "${REFS:-0}" = 1 ]; then
        ref_bare_vertx
        ref_producer_perf
    fi
    wrk -t1 -c64 -d60s -s "$BENCH/post.lua" http://127.0.0.1:8080/v1/payments >"$OUT/gw-warmup.txt" 2>&1
    for i in $(seq "$RUNS"); do
        wrk -t1 -c64 -d10s -s "$BENCH/post.lua" http://127.0.0.1:8080/v1/payments | grep -E 'Requests/sec|Non-2xx|Latency' | tee -a "$OUT/gw-wrk.txt"
    done
    stack_stop
}

step_drains() { # DRAIN_SETS picks among aa, sb, sl (default all three)
    local sets=" ${DRAIN_SETS:-aa sb sl} "
    if [[ $sets == *" aa "* ]]; then
        # shellcheck disable=SC2086
        stack_start dr-aa -Dprovider.kind=approve-all ${STACK_FLAGS:-}
        # Builds before the baseline existed have no --baseline: the yardstick is the same broker anyway.
        if "${H[@]}" drain --help | grep -q -- --baseline; then
            drain_series dr-baseline --events "$DRAIN_AA" --baseline
        fi
        drain_series dr-aa --events "$DRAIN_AA" --provider approve-all
        stack_stop
    fi
    if [[ $sets == *" sb "* ]]; then
        # shellcheck disable=SC2086
        stack_start dr-sb ${STACK_FLAGS:-}
        psql -q -h 127.0.0.1 -p 5433 -U postgres -c 'SELECT pg_stat_statements_reset()' >/dev/null 2>&1
        drain_series dr-sb --events "$DRAIN_SB" --provider sandbox
        # Which statements the sandbox and the processor ran, and how many rows each call covered.
        psql -h 127.0.0.1 -p 5433 -U postgres -c "SELECT calls, rows, round(total_exec_time::numeric) AS total_ms,
            round(mean_exec_time::numeric, 3) AS mean_ms, left(regexp_replace(query, '\s+', ' ', 'g'), 100) AS query
            FROM pg_stat_statements ORDER BY total_exec_time DESC LIMIT 12" >"$OUT/dr-sb-pgss.txt" 2>&1
        head -16 "$OUT/dr-sb-pgss.txt"
        stack_stop
    fi
    if [[ $sets == *" sl "* ]]; then
        # shellcheck disable=SC2086
        stack_start dr-sl '-Dsandbox.faults={"latency_ms_min":100,"latency_ms_max":300}' ${STACK_FLAGS:-}
        drain_series dr-sl --events "$DRAIN_SL" --provider sandbox-100-300ms
        stack_stop
    fi
}

for s in $STEPS; do
    uptime
    "step_$s"
done
