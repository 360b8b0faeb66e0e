#!/usr/bin/env bash
# redis-benchmark's default test list (no -t) against ferrocache and
# redis-server, side by side: requests/s of every test, the ratio, and any
# error reply.
#
#   scripts/datatypes.sh             # three runs; the table shows medians
#
# Environment:
#   RUNS       runs of the whole list against each server        [3]
#   N          requests per test (-n)                            [200000]
#   CLIENTS    connections (-c)                                  [50]
#   THREADS    ferrocache --threads                              [1]
#   PIN        1: servers on the last core, redis-benchmark on the
#              others (taskset), so the two never take each other's
#              core; 0: let the scheduler place them   [1 with 2+ cores]
#
# redis-server executes commands on one thread, and redis-benchmark runs on
# the same machine: ferrocache gets one worker thread by default too, so
# that neither server takes the cores the client needs.
#   PORT_BASE  first port tried for the servers                  [27700]
#   OUT        where the markdown table is saved                 [target/bench/datatypes.md]

set -euo pipefail
SCRIPT=datatypes.sh
cd "$(dirname "$0")/.."
RUNS=${RUNS:-3}
N=${N:-200000}
CLIENTS=${CLIENTS:-50}
THREADS=${THREADS:-1}
CORES=$(nproc)
PIN=${PIN:-$((CORES > 1))}
PORT_BASE=${PORT_BASE:-27700}
OUT=${OUT:-target/bench/datatypes.md}
source scripts/lib.sh

for tool in redis-server redis-benchmark; do
    command -v "$tool" >/dev/null || die "$tool is not installed"
done
cargo build --release --quiet
BIN=target/release/ferrocache

# Runs the list against a fresh server started by "$@" (PORT replaced);
# appends "name,test,rps" lines to $WORK/results, and the error lines to
# $WORK/errors.
run_list() {
    local name=$1
    shift
    local server=() client=()
    if [[ $PIN == 1 ]]; then
        server=(taskset -c "$((CORES - 1))")
        client=(taskset -c "0-$((CORES - 2))")
    fi
    start_server "${server[@]}" "$@"
    "${client[@]}" redis-benchmark -p "$PORT" -n "$N" -c "$CLIENTS" --csv >"$WORK/out.csv" 2>"$WORK/err.txt" || true
    grep -i "error" "$WORK/err.txt" "$WORK/out.csv" | sed "s/^/$name: /" >>"$WORK/errors" || true
    tail -n +2 "$WORK/out.csv" | awk -F'","' -v n="$name" '{ gsub(/"/, "", $1); print n "\t" $1 "\t" $2 }' >>"$WORK/results"
    stop_server "$PID"
}

: >"$WORK/results"
: >"$WORK/errors"
for run in $(seq "$RUNS"); do
    # Alternate which server goes first, so drift in the machine's load
    # falls on both.
    if ((run % 2)); then
        run_list ferrocache "$BIN" --port PORT --memcache-port 0 --threads "$THREADS"
        run_list redis redis-server --port PORT --save '' --appendonly no
    else
        run_list redis redis-server --port PORT --save '' --appendonly no
        run_list ferrocache "$BIN" --port PORT --memcache-port 0 --threads "$THREADS"
    fi
    log "run $run of $RUNS done"
done

median_of() { awk -F'\t' -v n="$1" -v t="$2" '$1 == n && $2 == t { print $3 }' "$WORK/results" | median; }

mkdir -p "$(dirname "$OUT")"
{
    echo "redis-benchmark -n $N -c $CLIENTS (default tests), median requests/s of $RUNS runs;"
    echo "redis-server $(redis-server --version | sed 's/.*v=\([^ ]*\).*/\1/'), ferrocache --threads $THREADS, $(nproc) cores, pinned: $PIN."
    echo
    echo "| test | ferrocache | redis-server | ratio |"
    echo "|---|---:|---:|---:|"
    awk -F'\t' '$1 == "ferrocache" && !seen[$2]++ { print $2 }' "$WORK/results" | while IFS= read -r t; do
        f=$(median_of ferrocache "$t")
        r=$(median_of redis "$t")
        echo "| $t | $f | $r | $(awk -v f="$f" -v r="$r" 'BEGIN { printf "%.2f", (r > 0 ? f / r : 0) }') |"
    done
    echo
    if [[ -s $WORK/errors ]]; then
        echo "Error replies:"
        sed 's/^/    /' "$WORK/errors"
    else
        echo "No error replies."
    fi
} | tee "$OUT"
