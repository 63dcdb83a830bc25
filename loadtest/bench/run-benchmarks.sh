#!/usr/bin/env bash
# Measures the pipeline beside Kafka's and PostgreSQL's own tools, on this machine, in one session:
#   1. starts the local stack (real Kafka and PostgreSQL, the sandbox provider, gateway, processor),
#   2. one warm-up run, then RUNS open-loop runs of the harness (`run`, RATE requests/s for DURATION,
#      reports under loadtest/target/bench/), then RUNS drains of DRAIN_EVENTS pre-filled billing
#      events (`drain`; PROVIDER only labels which provider the stack's processor uses),
#   3. kafka-producer-perf-test (Kafka's ProducerPerformance) against the same broker, plain and
#      transactional, RUNS times each,
#   4. pgbench: single-row commits against the same PostgreSQL, RUNS times,
# and prints every run and the medians. Usage: loadtest/bench/run-benchmarks.sh (after a package).
set -euo pipefail
cd "$(dirname "$0")/../.."
RUNS=${RUNS:-5}
RATE=${RATE:-1000}
DURATION=${DURATION:-20s}
CONNECTIONS=${CONNECTIONS:-64}
DRAIN_EVENTS=${DRAIN_EVENTS:-20000}
PROVIDER=${PROVIDER:-sandbox}
OUT=loadtest/target/bench
mkdir -p "$OUT"
log="$OUT/stack.log"

[ -f loadtest/target/loadtest.jar ] || ./mvnw -q -B -DskipTests package
./mvnw -q -B -f loadtest/bench/kafka-tools-pom.xml dependency:build-classpath -Dmdep.outputFile="$PWD/$OUT/kafka-tools.cp" >/dev/null
KCP=$(cat "$OUT/kafka-tools.cp")

# --fresh: an empty stack per series that deletes its data on exit (builds before it kept nothing anyway).
java -jar loadtest/target/loadtest.jar stack --fresh >"$log" 2>&1 &
STACK=$!
trap 'kill $STACK 2>/dev/null; wait $STACK 2>/dev/null || true' EXIT
for _ in $(seq 120); do grep -q "stack is up" "$log" && break; sleep 1; done
grep -q "stack is up" "$log" || { cat "$log"; exit 1; }

median() { sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }

HARNESS=(java -jar loadtest/target/loadtest.jar)
echo "== pipeline: warm-up"
"${HARNESS[@]}" run --rate "$RATE" --duration "$DURATION" --connections "$CONNECTIONS" --await-outcomes 60s \
  --report "$OUT/warmup" | tee "$OUT/warmup.txt" || true
: >"$OUT/pipeline.txt"
for i in $(seq "$RUNS"); do
  "${HARNESS[@]}" run --rate "$RATE" --duration "$DURATION" --connections "$CONNECTIONS" --await-outcomes 60s \
    --report "$OUT/run$i" | tee -a "$OUT/pipeline.txt" || true
done
: >"$OUT/drain.txt"
for i in $(seq "$RUNS"); do
  "${HARNESS[@]}" drain --events "$DRAIN_EVENTS" --provider "$PROVIDER" --report "$OUT/drain$i" | tee -a "$OUT/drain.txt" || true
done
curl -s localhost:9080/metrics | grep -E '^gateway_(batch|batches)' | tee "$OUT/gateway-metrics.txt"

echo "== kafka-producer-perf-test against the same broker"
java -cp "$KCP" org.apache.kafka.tools.TopicCommand --bootstrap-server 127.0.0.1:9092 --create --if-not-exists \
  --topic bench.perf --partitions 3 --replication-factor 1 >/dev/null
: >"$OUT/kafka-plain.txt"
: >"$OUT/kafka-tx.txt"
for i in $(seq "$RUNS"); do
  java -cp "$KCP" org.apache.kafka.tools.ProducerPerformance --topic bench.perf --num-records 100000 --record-size 400 \
    --throughput -1 --producer-props bootstrap.servers=127.0.0.1:9092 acks=all enable.idempotence=true linger.ms=0 \
    | tail -1 | tee -a "$OUT/kafka-plain.txt"
  java -cp "$KCP" org.apache.kafka.tools.ProducerPerformance --topic bench.perf --num-records 100000 --record-size 400 \
    --throughput -1 --transactional-id "bench-tx-$i" --transaction-duration-ms 20 \
    --producer-props bootstrap.servers=127.0.0.1:9092 acks=all enable.idempotence=true linger.ms=0 \
    | tail -1 | tee -a "$OUT/kafka-tx.txt"
done

echo "== pgbench: one-row INSERT commits (fsync and synchronous_commit on) against the same PostgreSQL"
export PGPASSWORD=
psql -q -h 127.0.0.1 -p 5433 -U postgres -c 'CREATE TABLE IF NOT EXISTS bench_commit (id bigserial PRIMARY KEY, v text)'
echo "INSERT INTO bench_commit (v) VALUES ('x');" >"$OUT/commit.sql"
: >"$OUT/pgbench.txt"
for i in $(seq "$RUNS"); do
  pgbench -n -h 127.0.0.1 -p 5433 -U postgres -c 1 -T 5 -f "$OUT/commit.sql" postgres 2>/dev/null \
    | grep -E '^tps' | tee -a "$OUT/pgbench.txt"
done

echo
echo "== medians of $RUNS runs"
# The harness prints its results as "name: value" lines; the .md/.html reports hold the whole runs.
lat() { grep -E '^latency ms p50 / p90 / p99' "$OUT/pipeline.txt" | awk -F': ' '{print $2}' | awk -F' / ' -v k="$1" '{print $k}'; }
echo "pipeline answered/s:        $(grep -E '^answered/s: ' "$OUT/pipeline.txt" | awk '{print $2}' | median) (target $RATE/s)"
echo "pipeline p50 latency ms:    $(lat 1 | median)"
echo "pipeline p99 latency ms:    $(lat 3 | median)"
echo "pipeline p99.9 latency ms:  $(lat 4 | median)"
echo "lag after each run:         $(grep -E '^lag at end' "$OUT/pipeline.txt" | awk -F': ' '{print $2}' | tr '\n' ' ')"
echo "drain records/s ($PROVIDER): $(grep -E '^drain rate: ' "$OUT/drain.txt" | awk '{print $3}' | median)"
echo "kafka plain records/s:      $(grep -oE '[0-9.]+ records/sec' "$OUT/kafka-plain.txt" | grep -oE '^[0-9.]+' | median)"
echo "kafka plain avg latency ms: $(grep -oE '[0-9.]+ ms avg latency' "$OUT/kafka-plain.txt" | grep -oE '^[0-9.]+' | median)"
echo "kafka tx records/s:         $(grep -oE '[0-9.]+ records/sec' "$OUT/kafka-tx.txt" | grep -oE '^[0-9.]+' | median)"
echo "kafka tx avg latency ms:    $(grep -oE '[0-9.]+ ms avg latency' "$OUT/kafka-tx.txt" | grep -oE '^[0-9.]+' | median)"
echo "pgbench commits/s (1 conn): $(grep -oE 'tps = [0-9.]+' "$OUT/pgbench.txt" | grep -oE '[0-9.]+' | median)"
