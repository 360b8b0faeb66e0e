#!/usr/bin/env bash
# The lock round trip against a plain read and write: each of CLIENTS
# connections runs CACHE.LOCK then CACHE.PUTUNLOCK with the handle it got,
# or GET then SET, one request at a time (pipeline depth 1), on its own
# keys. redis-benchmark cannot feed one reply into the next request, so
# the load comes from compat-tests' lockbench. GET + SET against
# redis-server runs in the same rounds for reference.
#
#   scripts/lockbench.sh             # five rounds; the table shows medians
#
# Environment:
#   RUNS       rounds, each mode once per round, in turn       [5]
#   SECONDS_   seconds of each measurement                     [5]
#   CLIENTS    connections                                     [50]
#   THREADS    ferrocache --threads                            [1]
#   PIN        1: servers on the last core, the client on the others [1 with 2+ cores]
#   PORT_BASE  first port tried for the servers                [27900]
#   OUT        where the markdown table is saved               [target/bench/lockbench.md]

set -euo pipefail
SCRIPT=lockbench.sh
cd "$(dirname "$0")/.."
RUNS=${RUNS:-5}
SECS=${SECONDS_:-5}
CLIENTS=${CLIENTS:-50}
THREADS=${THREADS:-1}
CORES=$(nproc)
PIN=${PIN:-$((CORES > 1))}
PORT_BASE=${PORT_BASE:-27900}
OUT=${OUT:-target/bench/lockbench.md}
source scripts/lib.sh

command -v redis-server >/dev/null || die "redis-server is not installed"
cargo build --release --quiet --bin ferrocache && cargo build --release --quiet -p compat-tests --bin lockbench
BIN=target/release/ferrocache
server=() client=()
if [[ $PIN == 1 ]]; then
    server=(taskset -c "$((CORES - 1))")
    client=(taskset -c "0-$((CORES - 2))")
fi

start_server "${server[@]}" "$BIN" --port PORT --memcache-port 0 --threads "$THREADS"
FC=$PORT
start_server "${server[@]}" redis-server --port PORT --save '' --appendonly no
RS=$PORT

: >"$WORK/results"
for run in $(seq "$RUNS"); do
    for m in "lock $FC" "getset $FC" "getset $RS"; do
        set -- $m
        rate=$("${client[@]}" target/release/lockbench "127.0.0.1:$2" "$1" "$CLIENTS" "$SECS" | awk '{ print $2 }')
        printf '%s\t%s\t%s\n' "$run" "$1@$2" "$rate" >>"$WORK/results"
    done
    log "round $run of $RUNS done"
done

median_of() { awk -F'\t' -v k="$1" '$2 == k { print $3 }' "$WORK/results" | median; }
# The ratio of lock to getset on ferrocache within each round, then their median.
ratios=$(awk -F'\t' -v l="lock@$FC" -v g="getset@$FC" '$2 == l { a[$1] = $3 } $2 == g { b[$1] = $3 }
    END { for (r in a) if (b[r] > 0) printf "%.3f\n", a[r] / b[r] }' "$WORK/results")

mkdir -p "$(dirname "$OUT")"
{
    echo "$CLIENTS connections, depth 1, ${SECS} s per measurement, $RUNS rounds; pairs/s (two requests each), medians;"
    echo "ferrocache --threads $THREADS, redis-server $(redis-server --version | sed 's/.*v=\([^ ]*\).*/\1/'), $(nproc) cores, pinned: $PIN."
    echo
    echo "| server | round trip | pairs/s |"
    echo "|---|---|---:|"
    echo "| ferrocache | CACHE.LOCK + CACHE.PUTUNLOCK | $(median_of "lock@$FC") |"
    echo "| ferrocache | GET + SET | $(median_of "getset@$FC") |"
    echo "| redis-server | GET + SET | $(median_of "getset@$RS") |"
    echo
    echo "LOCK+PUTUNLOCK / GET+SET on ferrocache, per round: $(echo $ratios | tr ' ' ' '); median $(echo "$ratios" | median)."
} | tee "$OUT"
