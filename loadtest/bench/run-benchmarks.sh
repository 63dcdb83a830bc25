#!/usr/bin/env bash
# Measures the pipeline beside Kafka's and PostgreSQL's own tools, on this machine, in one session:
#   1. starts the local stack (real Kafka and PostgreSQL, the sandbox provider, gateway, processor),
#   2. one warm-up run, then RUNS runs of the load harness (PAYMENTS payments each),
#   3. kafka-producer-perf-test (Kafka's ProducerPerformance) against the same broker, plain and
#      transactional, RUNS times each,
#   4. pgbench: single-row commits against the same PostgreSQL, RUNS times,
# and prints every run and the medians. Usage: loadtest/bench/run-benchmarks.sh (after a package).
set -euo pipefail
cd "$(dirname "$0")/../.."
RUNS=${RUNS:-5}
PAYMENTS=${PAYMENTS:-10000}
CONCURRENCY=${CONCURRENCY:-64}
OUT=loadtest/target/bench
mkdir -p "$OUT"
log="$OUT/stack.log"

[ -f loadtest/target/loadtest.jar ] || ./mvnw -q -B -DskipTests package
./mvnw -q -B -f loadtest/bench/kafka-tools-pom.xml dependency:build-classpath -Dmdep.outputFile="$PWD/$OUT/kafka-tools.cp" >/dev/null
KCP=$(cat "$OUT/kafka-tools.cp")

java -jar loadtest/target/loadtest.jar stack >"$log" 2>&1 &
STACK=$!
trap 'kill $STACK 2>/dev/null; wait $STACK 2>/dev/null || true' EXIT
for _ in $(seq 120); do grep -q "stack is up" "$log" && break; sleep 1; done
grep -q "stack is up" "$log" || { cat "$log"; exit 1; }

median() { sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }

echo "== pipeline: warm-up"
java -Dload.payments="$PAYMENTS" -Dload.concurrency="$CONCURRENCY" -Dload.keyPrefix=warm- -jar loadtest/target/loadtest.jar load | tee "$OUT/warmup.txt"
: >"$OUT/pipeline.txt"
for i in $(seq "$RUNS"); do
  java -Dload.payments="$PAYMENTS" -Dload.concurrency="$CONCURRENCY" -Dload.keyPrefix="run$i-" -jar loadtest/target/loadtest.jar load | tee -a "$OUT/pipeline.txt"
done
curl -s localhost:8080/metrics | grep -E '^gateway_(batch|batches)' | tee "$OUT/gateway-metrics.txt"

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
echo "pipeline accepted/s (202):  $(grep -oE '= [0-9]+ payments/s;' "$OUT/pipeline.txt" | grep -oE '[0-9]+' | median)"
echo "pipeline processed/s (e2e): $(grep -oE '= [0-9]+ payments/s end to end' "$OUT/pipeline.txt" | grep -oE '[0-9]+' | median)"
echo "pipeline p50 latency ms:    $(grep -oE 'p50 [0-9.]+' "$OUT/pipeline.txt" | awk '{print $2}' | median)"
echo "pipeline p99 latency ms:    $(grep -oE 'p99 [0-9.]+' "$OUT/pipeline.txt" | awk '{print $2}' | median)"
echo "kafka plain records/s:      $(grep -oE '[0-9.]+ records/sec' "$OUT/kafka-plain.txt" | grep -oE '^[0-9.]+' | median)"
echo "kafka plain avg latency ms: $(grep -oE '[0-9.]+ ms avg latency' "$OUT/kafka-plain.txt" | grep -oE '^[0-9.]+' | median)"
echo "kafka tx records/s:         $(grep -oE '[0-9.]+ records/sec' "$OUT/kafka-tx.txt" | grep -oE '^[0-9.]+' | median)"
echo "kafka tx avg latency ms:    $(grep -oE '[0-9.]+ ms avg latency' "$OUT/kafka-tx.txt" | grep -oE '^[0-9.]+' | median)"
echo "pgbench commits/s (1 conn): $(grep -oE 'tps = [0-9.]+' "$OUT/pgbench.txt" | grep -oE '[0-9.]+' | median)"
