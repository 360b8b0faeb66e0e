#!/usr/bin/env bash
# EVALSHA throughput against redis-server: a script that does a GET and a
# SET of its key, as lock and cache libraries send them, under
# redis-benchmark (-n N -c CLIENTS), both servers in turn for RUNS rounds.
#
#   scripts/evalbench.sh             # three rounds; the table shows medians
#
# Run it on a quiet machine (uptime's load under 1): the client shares the
# cores with the servers, so other work moves the numbers.
#
# Environment:
#   RUNS       rounds, each server once per round              [3]
#   N          requests per measurement                        [200000]
#   CLIENTS    connections                                     [50]
#   THREADS    ferrocache --threads                            [cores]
#   PORT_BASE  first port tried for the servers                [27950]
#   OUT        where the markdown table is saved               [target/bench/evalbench.md]

set -euo pipefail
SCRIPT=evalbench.sh
cd "$(dirname "$0")/.."
RUNS=${RUNS:-3}
N=${N:-200000}
CLIENTS=${CLIENTS:-50}
THREADS=${THREADS:-$(nproc)}
PORT_BASE=${PORT_BASE:-27950}
OUT=${OUT:-target/bench/evalbench.md}
source scripts/lib.sh

command -v redis-server >/dev/null || die "redis-server is not installed"
command -v redis-benchmark >/dev/null || die "redis-benchmark is not installed"
cargo build --release --quiet --bin ferrocache
BIN=target/release/ferrocache
BODY="local v = redis.call('GET', KEYS[1]); redis.call('SET', KEYS[1], 'x'); return v"

start_server "$BIN" --port PORT --memcache-port 0 --threads "$THREADS"
FC=$PORT
start_server redis-server --port PORT --save '' --appendonly no
RS=$PORT
SHA=$(redis-cli -p "$FC" SCRIPT LOAD "$BODY")
[[ $(redis-cli -p "$RS" SCRIPT LOAD "$BODY") == "$SHA" ]] || die "the servers hash the script differently"

: >"$WORK/results"
for run in $(seq "$RUNS"); do
    for port in "$FC" "$RS"; do
        rate=$(redis-benchmark -p "$port" -n "$N" -c "$CLIENTS" -q EVALSHA "$SHA" 1 key |
            tr '\r' '\n' | sed -n 's/.* \([0-9.]*\) requests per second.*/\1/p' | tail -1)
        printf '%s\t%s\t%s\n' "$run" "$port" "$rate" >>"$WORK/results"
    done
    log "round $run of $RUNS done"
done

median_of() { awk -F'\t' -v k="$1" '$2 == k { print $3 }' "$WORK/results" | median; }
fc=$(median_of "$FC")
rs=$(median_of "$RS")
mkdir -p "$(dirname "$OUT")"
{
    echo "EVALSHA <GET + SET script> 1 key: $N requests, $CLIENTS connections, $RUNS rounds, medians;"
    echo "ferrocache --threads $THREADS, redis-server $(redis-server --version | sed 's/.*v=\([^ ]*\).*/\1/'), $(nproc) cores, load before: $(cut -d' ' -f1 /proc/loadavg)."
    echo
    echo "| server | requests/s |"
    echo "|---|---:|"
    echo "| ferrocache | $fc |"
    echo "| redis-server | $rs |"
    echo
    echo "ferrocache / redis-server: $(awk -v a="$fc" -v b="$rs" 'BEGIN { if (b > 0) printf "%.2f", a / b }')"
} | tee "$OUT"
