#!/usr/bin/env bash
# JFR + CPU per payment of the processor-and-sandbox path: a sandbox drain on a warm stack.
set -u
J=${1:-loadtest/target/loadtest.jar}
O=${2:-reports/profile-sb}
mkdir -p $O
# --fresh: an empty stack per series that deletes its data on exit (builds before it kept nothing anyway).
FRESH=$(java -jar $J stack --help 2>&1 | grep -q -- --fresh && echo --fresh)
java -Dpg.sharedPreloadLibraries=pg_stat_statements -jar $J stack $FRESH > $O/stack.log 2>&1 &
S=$!
for _ in $(seq 120); do grep -q 'stack is up' $O/stack.log && break; sleep 1; done
java -jar $J drain --events 20000 --provider sandbox --report $O/warm1 | grep '^drain'
java -jar $J drain --events 20000 --provider sandbox --report $O/warm2 | grep '^drain'
PM=$(ss -ltnpH 'sport = :5433' | grep -o 'pid=[0-9]*' | head -1 | cut -d= -f2)
ticks() { local t=0; for p in "$@"; do [ -r /proc/$p/stat ] && t=$((t + $(awk '{print $14+$15}' /proc/$p/stat))); done; echo $t; }
PGS="$PM $(pgrep -P $PM | tr '\n' ' ')"
jcmd $S JFR.start name=sb settings=profile filename=$O/sb.jfr > /dev/null
J0=$(ticks $S); P0=$(ticks $PGS)
/usr/bin/time -f '%U %S' -o $O/harness.time java -jar $J drain --events 40000 --provider sandbox --report $O/measured | grep '^drain'
J1=$(ticks $S); P1=$(ticks $(echo $PM; pgrep -P $PM))
jcmd $S JFR.stop name=sb > /dev/null
HZ=$(getconf CLK_TCK)
echo "CPU s over 40000 payments: stack JVM $(( (J1-J0)/HZ )), PostgreSQL $(( (P1-P0)/HZ )); per payment us: JVM $(( (J1-J0)*1000000/HZ/40000 )), PG $(( (P1-P0)*1000000/HZ/40000 )); harness $(cat $O/harness.time)"
kill $S; wait $S 2>/dev/null
jfr print --events jdk.ExecutionSample $O/sb.jfr > $O/samples.txt
# Top frame of each sample, by package (first two segments after the TLD), and by method.
awk '/stackTrace = \[/{getline; sub(/^[ \t]+/,""); print}' $O/samples.txt > $O/top.txt
echo "samples: $(wc -l < $O/top.txt)"
sed -E 's/\(.*//; s/\.[^.]+\.[^.]+$//' $O/top.txt | awk -F. '{print $1"."$2"."$3"."$4}' | sort | uniq -c | sort -rn | head -15
echo "-- top methods"
sed -E 's/line:.*//' $O/top.txt | sort | uniq -c | sort -rn | head -20
echo PROFILE-DONE
