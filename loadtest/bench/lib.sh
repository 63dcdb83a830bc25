# Shell functions the benchmark scripts share (sourced by perf-session.sh and yardstick.sh).

stack_stop() { # stops the stack started into $STACK, if any
    [ -n "${STACK:-}" ] || return 0
    kill "$STACK" 2>/dev/null
    wait "$STACK" 2>/dev/null
    STACK=
    sleep 2
}

pg_pids() { # the embedded postmaster on 5433 and its children
    local pm
    pm=$(ss -ltnpH 'sport = :5433' 2>/dev/null | grep -o 'pid=[0-9]*' | head -1 | cut -d= -f2)
    [ -n "$pm" ] && { echo "$pm"; pgrep -P "$pm"; }
}

ticks() { # summed utime+stime (clock ticks) of the given pids
    local t=0 p
    for p in "$@"; do
        [ -r "/proc/$p/stat" ] && t=$((t + $(awk '{print $14 + $15}' "/proc/$p/stat")))
    done
    echo "$t"
}

median() { sort -n | awk '{a[NR]=$1} END {if (NR == 0) print "nan"; else print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2}'; }
