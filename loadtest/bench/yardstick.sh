#!/usr/bin/env bash
# The throughput yardstick (issue 17): every figure of the Performance table, in one quiet session,
# beside the references measured in the same session. Usage:
#   loadtest/bench/yardstick.sh [JAR] [OUTDIR] [sections...]
# JAR defaults to loadtest/target/loadtest.jar, OUTDIR to docs/bench/<UTC date>-yardstick. Sections
# (default: all, in this order):
#   refs     bare and kafka:
#   bare     bare Vert.x 5 (wrk -t1 -c$CONNS, a fresh ~200-byte payment per request), on STACK_JVM_FLAGS
#   kafka    Kafka's transactional ProducerPerformance on a stack's broker
#   ingest   the gateway alone (stack --processors 0, approve-all): nothing consumes payments.billing
#   aa       end to end, provider approve-all: ingest and processing together
#   sb       end to end, the sandbox (Stripe subset over HTTP, its own PostgreSQL writes)
#   latency  one processor draining with the sandbox answering in 100-300 ms, default settings
#   first    a fresh stack's first `run --rate 500 --duration 30s`, as the README's quick start does
#   harness  the load generator's own CPU per request at 10,000/s against bare Vert.x, on one core
#   pgfloor  PostgreSQL's own cost per row written, with pgbench, rows shaped like the pipeline's
# Each load section warms up for $WARMUP_S seconds, then measures $RUNS windows of $MEASURE_S seconds;
# summary.md gets the medians, each rate as a ratio to bare Vert.x, and CPU per payment split by
# thread group of the stack's JVM, PostgreSQL and the load generator. Never run two benchmarks at once.
# STACK_JVM_FLAGS adds JVM flags and system properties to every stack the sections start (an
# experiment's -XX:... or -Dgateway.producers=1); the summary names them.
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
JAR=$(readlink -f "${1:-$ROOT/loadtest/target/loadtest.jar}")
OUT=${2:-$ROOT/docs/bench/$(date -u +%F)-yardstick}
shift $(($# > 2 ? 2 : $#))
SECTIONS=${*:-refs ingest aa sb latency first harness pgfloor}
RUNS=${RUNS:-3}
WARMUP_S=${WARMUP_S:-60}
MEASURE_S=${MEASURE_S:-20}
CONNS=${CONNS:-256}
LATENCY_EVENTS=${LATENCY_EVENTS:-20000}
BENCH=$ROOT/loadtest/bench
# shellcheck source=lib.sh
. "$BENCH/lib.sh"
mkdir -p "$OUT"
OUT=$(readlink -f "$OUT")
HZ=$(getconf CLK_TCK)
STACK=
command -v wrk >/dev/null || { echo "wrk is needed (apt-get install wrk)"; exit 2; }
# Kafka's own tools (ProducerPerformance, TopicCommand), resolved once from Maven Central.
KCP_FILE=$ROOT/loadtest/target/kafka-tools.cp
[ -f "$KCP_FILE" ] || (cd "$ROOT" && ./mvnw -q -B -f loadtest/bench/kafka-tools-pom.xml \
    dependency:build-classpath -Dmdep.outputFile="$KCP_FILE" >/dev/null)
KCP=$(cat "$KCP_FILE")

log() { echo "$*" | tee -a "$OUT/yardstick.log"; }
row() { echo "$1" >>"$OUT/rows.tsv"; } # section, measure, value, unit

stack_start() { # label, stack flags (--processors N), JVM flags...
    local label=$1 flags=$2
    shift 2
    # shellcheck disable=SC2086
    java -Dpg.sharedPreloadLibraries=pg_stat_statements ${STACK_JVM_FLAGS:-} "$@" -jar "$JAR" stack --fresh $flags \
        >"$OUT/$label-stack.log" 2>&1 &
    STACK=$!
    for _ in $(seq 720); do grep -q "stack is up" "$OUT/$label-stack.log" && break; sleep 1; done
    grep -q "stack is up" "$OUT/$label-stack.log" || { tail -30 "$OUT/$label-stack.log"; exit 1; }
    psql -q -h 127.0.0.1 -p 5433 -U postgres -c 'CREATE EXTENSION IF NOT EXISTS pg_stat_statements' >/dev/null 2>&1
    log "== stack $label up (pid $STACK) $(date -u +%T)"
}
trap stack_stop EXIT

# Clock ticks of the stack JVM's threads, by group (the thread name's first 15 characters, classified).
thread_groups() {
    local t
    for t in /proc/"$STACK"/task/*; do
        sed -E 's/^[0-9]+ \((.*)\) [A-Z] (.*)$/\1\t\2/' "$t/stat" 2>/dev/null
    done | awk -F'\t' '{
        split($2, f, " "); n = $1; c = f[11] + f[12]
        if (n ~ /^C[12] CompilerThre/) g = "jit"
        else if (n ~ /^vert\.x-eventloo/) g = "event_loops"
        else if (n ~ /^processor-kafka/) g = "processor_loops"
        else if (n ~ /^(kafka-producer-|kafka-tx-|kafka-coordinat|kafka-admin-cli|processor-hangi)/) g = "kafka_clients"
        else if (n ~ /^(data-plane-kafk|TxnMarkerSender|AddPartitionsTo|group-coordinat|ExpirationReape|executor-|kafka-[0-9]+-|quorum-|raft-|controller-|broker-|share-|transaction-|kafka-scheduler|kafka-log-|ReplicaFetcher|LogDirFailure|data-plane-)/) g = "kafka_broker"
        else if (n ~ /^(GC Thread|G1 |VM Thread|VM Periodic)/) g = "gc_vm"
        else g = "other"
        s[g] += c
    } END { for (g in s) print g, s[g] }'
}
snapshot() { # file: thread groups, postgres, outcomes, accepted
    { thread_groups; echo "postgres $(ticks $(pg_pids))"; } >"$1"
}
metric() { # url name: the value of the first sample of that metric
    curl -s "$1" | awk -v m="$2" '$1 == m || index($1, m "{") == 1 {print $2; exit}'
}
outcomes() { metric localhost:8081/metrics processor_outcomes_emitted_total; }
accepted_total() { metric localhost:9080/metrics gateway_payments_accepted_total; }

# One measured window under wrk: rates, and CPU per payment by group (including wrk's own CPU).
wrk_window() { # label url count_outcomes(0/1)
    local label=$1 url=$2 with_outcomes=$3 a0 a1 o0=0 o1=0 w
    snapshot "$OUT/$label.cpu0"
    a0=$(accepted_total)
    [ "$with_outcomes" = 1 ] && o0=$(outcomes)
    /usr/bin/time -f "%U %S" -o "$OUT/$label.wrktime" \
        wrk -t1 -c"$CONNS" -d"${MEASURE_S}s" -s "$BENCH/post.lua" "$url" >"$OUT/$label.wrk" 2>&1
    snapshot "$OUT/$label.cpu1"
    a1=$(accepted_total)
    [ "$with_outcomes" = 1 ] && o1=$(outcomes)
    w=$(tail -1 "$OUT/$label.wrktime" | awk '{print $1 + $2}')
    local n=$(( ${a1%.*} - ${a0%.*} )) p=$(( ${o1%.*} - ${o0%.*} ))
    awk -v n="$n" -v p="$p" -v w="$w" -v hz="$HZ" -v s="$MEASURE_S" -v l="$label" -v wo="$with_outcomes" '
        FNR == NR { b[$1] = $2; next } { d[$1] = $2 - b[$1] }
        END {
            printf "%s accepted_per_s %.0f\n", l, n / s
            if (wo == 1) { printf "%s processed_per_s %.0f\n%s lag_growth %d\n", l, p / s, l, n - p }
            tot = 0
            for (g in d) { us = 1e6 * d[g] / hz / n; tot += us; printf "%s cpu_us_%s %.0f\n", l, g, us }
            printf "%s cpu_us_total_without_loadgen %.0f\n", l, tot
            printf "%s cpu_us_loadgen %.0f\n", l, 1e6 * w / n
        }' "$OUT/$label.cpu0" "$OUT/$label.cpu1" | tee -a "$OUT/windows.txt"
    grep -E 'Non-2xx|Socket errors' "$OUT/$label.wrk" | sed "s/^/$label /" | tee -a "$OUT/windows.txt"
}
medians_of() { # section prefix -> median of each measure over its windows
    local prefix=$1 m
    for m in $(grep "^$prefix-[0-9]* " "$OUT/windows.txt" | awk '{print $2}' | sort -u); do
        echo "$prefix $m $(grep "^$prefix-[0-9]* $m " "$OUT/windows.txt" | awk '{print $3}' | median)"
    done | tee -a "$OUT/medians.txt"
}
pgss() { # label: the statements by total time since the last reset
    psql -h 127.0.0.1 -p 5433 -U postgres -c "SELECT calls, rows, round(total_exec_time::numeric) AS total_ms,
        round(mean_exec_time::numeric, 3) AS mean_ms, left(regexp_replace(query, '\s+', ' ', 'g'), 100) AS query
        FROM pg_stat_statements ORDER BY total_exec_time DESC LIMIT 15" >"$OUT/$1-pgss.txt" 2>&1
    psql -h 127.0.0.1 -p 5433 -U postgres -c "SELECT relname, n_tup_ins, n_tup_upd, n_tup_hot_upd, n_tup_del
        FROM pg_stat_user_tables WHERE n_tup_ins + n_tup_upd > 0 ORDER BY 1" >"$OUT/$1-tables.txt" 2>&1
}
load_section() { # label stack-flags with_outcomes JVM flags...
    local label=$1 flags=$2 wo=$3 i
    shift 3
    stack_start "$label" "$flags" "$@"
    log "== $label: wrk warm-up ${WARMUP_S}s"
    wrk -t1 -c"$CONNS" -d"${WARMUP_S}s" -s "$BENCH/post.lua" http://127.0.0.1:8080/v1/payments >"$OUT/$label-warmup.wrk" 2>&1
    [ "$wo" = 1 ] && sleep 5 # let the processor catch up with the warm-up's backlog
    psql -q -h 127.0.0.1 -p 5433 -U postgres -c 'SELECT pg_stat_statements_reset()' >/dev/null 2>&1
    for i in $(seq "$RUNS"); do
        wrk_window "$label-$i" http://127.0.0.1:8080/v1/payments "$wo"
        [ "$wo" = 1 ] && sleep 3
    done
    pgss "$label"
    medians_of "$label"
    stack_stop
}

section_refs() { section_bare; section_kafka; }
section_bare() {
    log "== bare Vert.x 5, wrk -t1 -c$CONNS -d${MEASURE_S}s"
    # On the stack's JVM flags too (STACK_JVM_FLAGS), so that each ratio compares like with like.
    # shellcheck disable=SC2086
    java ${STACK_JVM_FLAGS:-} -cp "$JAR" "$BENCH/BareVertx.java" 9999 >"$OUT/bare.log" 2>&1 &
    local bare=$! i
    for _ in $(seq 60); do grep -q "bare vert.x on" "$OUT/bare.log" && break; sleep 1; done
    wrk -t1 -c"$CONNS" -d10s -s "$BENCH/post.lua" http://127.0.0.1:9999/ >/dev/null 2>&1
    for i in $(seq "$RUNS"); do
        wrk -t1 -c"$CONNS" -d"${MEASURE_S}s" -s "$BENCH/post.lua" http://127.0.0.1:9999/ \
            | awk -v l="bare-$i" '/Requests\/sec/ {print l, "accepted_per_s", $2}' | tee -a "$OUT/windows.txt"
    done
    kill "$bare"
    wait "$bare" 2>/dev/null
    medians_of bare
}
section_kafka() {
    log "== Kafka ProducerPerformance, transactional (20 ms transactions), 400 B records, acks=all"
    stack_start kafka "--processors 0"
    java -cp "$KCP" org.apache.kafka.tools.TopicCommand --bootstrap-server 127.0.0.1:9092 --create --if-not-exists \
        --topic bench.perf --partitions 3 --replication-factor 1 >/dev/null 2>&1
    # CPU per record too: the broker's threads in the stack JVM, and the producer's whole process
    # (its JVM start and JIT included, so an upper bound; 1,000,000 records amortise most of it).
    local records=1000000
    for i in $(seq "$RUNS"); do
        snapshot "$OUT/kafka-$i.cpu0"
        /usr/bin/time -f "%U %S" -o "$OUT/kafka-$i.time" \
            java -cp "$KCP" org.apache.kafka.tools.ProducerPerformance --topic bench.perf --num-records $records \
            --record-size 400 --throughput -1 --transactional-id "bench-tx-$i-$RANDOM" --transaction-duration-ms 20 \
            --producer-props bootstrap.servers=127.0.0.1:9092 acks=all enable.idempotence=true 2>/dev/null \
            | tail -1 | tee -a "$OUT/kafka-tx.txt" \
            | awk -v l="kafka-$i" '{print l, "records_per_s", $4}' | tee -a "$OUT/windows.txt"
        snapshot "$OUT/kafka-$i.cpu1"
        awk -v n=$records -v hz="$HZ" -v l="kafka-$i" -v p="$(awk '{print $1 + $2}' "$OUT/kafka-$i.time" | tail -1)" '
            FNR == NR { b[$1] = $2; next } $1 == "kafka_broker" { d = $2 - b[$1] }
            END { printf "%s cpu_us_per_record_broker %.1f\n%s cpu_us_per_record_producer %.1f\n", l, 1e6 * d / hz / n, l, 1e6 * p / n }' \
            "$OUT/kafka-$i.cpu0" "$OUT/kafka-$i.cpu1" | tee -a "$OUT/windows.txt"
    done
    medians_of kafka
    stack_stop
}
# These sections warm up with wrk themselves: the stack's own warm-up (section first) is skipped.
section_ingest() { load_section ingest "--processors 0" 0 -Dprovider.kind=approve-all; }
section_aa() { load_section aa "" 1 -Dprovider.kind=approve-all -Dstack.warmupSeconds=0; }
section_sb() { load_section sb "" 1 -Dstack.warmupSeconds=0; }

section_latency() {
    stack_start latency "" '-Dsandbox.faults={"latency_ms_min":100,"latency_ms_max":300}' -Dstack.warmupSeconds=0
    local i n=0 start
    # Warm up as the load sections do, for $WARMUP_S seconds: drains of 10,000 back to back (a single
    # drain of 5,000 left the JIT compiling through the measured drains: 1,379-1,778/s then, 2,107/s
    # after 60 s of drains, same jar).
    start=$(date +%s)
    while [ $(($(date +%s) - start)) -lt "$WARMUP_S" ]; do
        n=$((n + 1))
        java -jar "$JAR" drain --events 10000 --provider sandbox-100-300ms --report "$OUT/latency-warmup" \
            >"$OUT/latency-warmup.txt" 2>&1
    done
    log "== latency: warmed up with $n drains of 10,000 in ${WARMUP_S}s"
    for i in $(seq "$RUNS"); do
        java -jar "$JAR" drain --events "$LATENCY_EVENTS" --provider sandbox-100-300ms --report "$OUT/latency-$i" \
            >"$OUT/latency-$i.txt" 2>&1
        grep -oE '= [0-9.]+ records/s' "$OUT/latency-$i.txt" | grep -oE '[0-9.]+' \
            | awk -v l="latency-$i" '{print l, "processed_per_s", $1}' | tee -a "$OUT/windows.txt"
    done
    medians_of latency
    stack_stop
}

stage_means() { # label before.txt after.txt: mean ms of the gateway's batch stages between two scrapes
    awk -v l="$1" '
        function key(line) { sub(/ [^ ]+$/, "", line); return line }
        FNR == NR { b[key($0)] = $NF; next }
        { d[key($0)] = $NF - b[key($0)] }
        END {
            n = split("gateway_batch_linger_seconds gateway_transaction_commit_seconds gateway_batch_stage_seconds{stage=\"reserve\"", m, " ")
            for (i = 1; i <= n; i++) {
                s = m[i]; c = m[i]
                if (s ~ /\{/) { sub(/\{/, "_sum{", s); sub(/\{/, "_count{", c); s = s "}"; c = c "}" } else { s = s "_sum"; c = c "_count" }
                name = m[i]; gsub(/[{}"=]/, "_", name); gsub(/_+$/, "", name)
                if (d[c] > 0) printf "%s %s_mean_ms %.2f\n", l, name, 1000 * d[s] / d[c]
            }
            if (d["gateway_batch_size_records_count"] > 0)
                printf "%s batch_size_mean %.1f\n", l, d["gateway_batch_size_records_sum"] / d["gateway_batch_size_records_count"]
        }' "$2" "$3"
}

section_first() {
    local i
    for i in $(seq "$RUNS"); do
        # The stack's GC pauses are logged: a pause in the run is a candidate for its p99.
        stack_start "first-$i" "" "-Xlog:gc,gc+phases=debug:file=$OUT/first-$i-gc.log:uptime"
        curl -s localhost:9080/metrics >"$OUT/first-$i-metrics0.txt"
        java -jar "$JAR" run --rate 500 --duration 30s --report "$OUT/first-$i" >"$OUT/first-$i.txt" 2>&1
        curl -s localhost:9080/metrics >"$OUT/first-$i-metrics1.txt"
        # Where a request's time went in the run: the gateway's mean linger, reservation and Kafka
        # commit per batch, and its mean batch size (the run's own deltas of the timers' sums and counts).
        stage_means "first-$i" "$OUT/first-$i-metrics0.txt" "$OUT/first-$i-metrics1.txt" | tee -a "$OUT/windows.txt"
        awk -v l="first-$i" '
            /^answered\/s:/ {print l, "answered_per_s", $2}
            /^latency ms p50/ {print l, "p50_ms", $12; print l, "p99_ms", $16}
            /^unexpected answers:/ {print l, "unexpected", $3}' "$OUT/first-$i.txt" | tee -a "$OUT/windows.txt"
        awk -v l="first-$i" '/Pause/ && $NF ~ /ms$/ { ms = $NF; sub(/ms$/, "", ms); if (ms + 0 > max) max = ms + 0; n++ }
            END { printf "%s gc_pauses %d\n%s gc_pause_max_ms %.1f\n", l, n, l, max }' "$OUT/first-$i-gc.log" \
            | tee -a "$OUT/windows.txt"
        stack_stop
    done
    medians_of first
}

section_harness() {
    log "== the load generator alone: run --rate 10000 --duration 60s on core 0, bare Vert.x on core 1"
    taskset -c 1 java -cp "$JAR" "$BENCH/BareVertx.java" 9999 >"$OUT/bare-h.log" 2>&1 &
    local bare=$! i hp t1 t2
    for _ in $(seq 60); do grep -q "bare vert.x on" "$OUT/bare-h.log" && break; sleep 1; done
    for i in $(seq "$RUNS"); do
        taskset -c 0 /usr/bin/time -f "%U %S" -o "$OUT/harness-$i.time" java -jar "$JAR" run \
            --url http://127.0.0.1:9999/ --rate 10000 --duration 60s --no-lag --report "$OUT/harness-$i" \
            >"$OUT/harness-$i.txt" 2>&1 &
        local run=$!
        sleep 20
        hp=$(pgrep -f "java -jar .*--report $OUT/harness-$i\$" | tail -1)
        t1=$(ticks "$hp")
        sleep 30
        t2=$(ticks "$hp")
        wait "$run"
        local sent
        sent=$(awk '/^sent:/ {print $2}' "$OUT/harness-$i.txt")
        awk -v l="harness-$i" -v hz="$HZ" -v d=$((t2 - t1)) -v sent="$sent" '
            /^answered\/s:/ {print l, "answered_per_s", $2}
            /^unsent/ {print l, "unsent", $NF}
            END {print l, "cpu_us_per_request_steady", 1e6 * d / hz / 300000}' "$OUT/harness-$i.txt" \
            | tee -a "$OUT/windows.txt"
        tail -1 "$OUT/harness-$i.time" \
            | awk -v l="harness-$i" -v sent="$sent" '{print l, "cpu_us_per_request_whole_run", 1e6 * ($1 + $2) / sent}' \
            | tee -a "$OUT/windows.txt"
    done
    kill "$bare"
    wait "$bare" 2>/dev/null
    medians_of harness
}

# PostgreSQL's own floor on this machine: pgbench writing rows shaped like ours (a 64-character random
# text primary key, about 200 bytes of payload) 64 to a statement and a commit, as the pipeline's
# batches do, with fsync and synchronous_commit on; then updating them by key. CPU of every
# PostgreSQL process (pgbench itself excluded) per row written. The pipeline writes 5 rows a payment
# (the gateway's reservation and its accepted mark; the processor's claim, its decision and the
# ledger entry): 5 times this is what PostgreSQL alone costs a payment on this design.
pg_ticks_with_exited() { # PostgreSQL's CPU, with the backends that have exited (pgbench's, reaped by the postmaster)
    local pm t
    pm=$(pg_pids | head -1)
    t=$(awk '{print $14 + $15 + $16 + $17}' "/proc/$pm/stat")
    echo $((t + $(ticks $(pgrep -P "$pm"))))
}
section_pgfloor() {
    stack_start pgfloor "--processors 0"
    local psql="psql -q -h 127.0.0.1 -p 5433 -U postgres"
    $psql -c "DROP TABLE IF EXISTS floor_rows; DROP SEQUENCE IF EXISTS floor_seq; CREATE SEQUENCE floor_seq;
        CREATE TABLE floor_rows (id text PRIMARY KEY, state text, payload text) WITH (fillfactor = 70)" >/dev/null
    # Ids are 64 hex characters derived from a sequence, so the update can find a batch's rows by key.
    printf '%s\n' "INSERT INTO floor_rows SELECT md5(n::text) || md5((n + 1)::text), 'new', repeat('x', 200) FROM (SELECT nextval('floor_seq') AS n FROM generate_series(1, 64)) s;" >"$OUT/pgfloor-insert.sql"
    printf '%s\n' '\set s random(1, :maxid - 64)' "UPDATE floor_rows SET state = 'done' WHERE id = ANY(ARRAY(SELECT md5(g::text) || md5((g + 1)::text) FROM generate_series(:s, :s + 63) g));" >"$OUT/pgfloor-update.sql"
    local i kind t0 t1 tx maxid
    for i in $(seq "$RUNS"); do
        for kind in insert update; do
            maxid=$($psql -At -c "SELECT last_value FROM floor_seq")
            t0=$(pg_ticks_with_exited)
            tx=$(pgbench -n -h 127.0.0.1 -p 5433 -U postgres -c 4 -j 1 -T "$MEASURE_S" -D maxid="$maxid" \
                -f "$OUT/pgfloor-$kind.sql" postgres 2>&1 | tee "$OUT/pgfloor-$kind-$i.txt" \
                | awk '/number of transactions actually processed/ {print $NF}' | cut -d/ -f1)
            t1=$(pg_ticks_with_exited)
            awk -v l="pgfloor-$i" -v k="$kind" -v hz="$HZ" -v d=$((t1 - t0)) -v tx="$tx" -v s="$MEASURE_S" 'BEGIN {
                printf "%s rows_%s_per_s %.0f\n%s cpu_us_per_row_%s %.1f\n", l, k, tx * 64 / s, l, k, 1e6 * d / hz / (tx * 64) }' \
                | tee -a "$OUT/windows.txt"
        done
    done
    medians_of pgfloor
    stack_stop
}

summary() {
    local bare
    bare=$(awk '$1 == "bare" && $2 == "accepted_per_s" {print $3}' "$OUT/medians.txt" | tail -1)
    {
        echo "# Yardstick $(date -u +%FT%TZ)"
        echo
        echo "Jar: \`$JAR\` ($(cd "$ROOT" && git rev-parse --short HEAD 2>/dev/null)); RUNS=$RUNS, warm-up ${WARMUP_S}s,"
        echo "windows of ${MEASURE_S}s, wrk -t1 -c$CONNS. Medians of $RUNS. CPU in µs per payment accepted in the window."
        [ -n "${STACK_JVM_FLAGS:-}" ] && echo "Stack JVM flags: \`$STACK_JVM_FLAGS\`."
        echo
        echo "| section | measure | median | ÷ bare Vert.x |"
        echo "|---|---|---:|---:|"
        awk -v bare="$bare" '{
            r = ($2 ~ /_per_s$/ && bare > 0 && $1 != "kafka" && $1 != "harness" && $1 != "pgfloor") ? sprintf("%.3f×", $3 / bare) : ""
            printf "| %s | %s | %s | %s |\n", $1, $2, $3, r }' "$OUT/medians.txt"
    } >"$OUT/summary.md"
    cat "$OUT/summary.md"
}

for s in $SECTIONS; do
    log "== section $s $(date -u +%T), load: $(cut -d' ' -f1-3 /proc/loadavg)"
    "section_$s"
done
summary
