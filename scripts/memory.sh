#!/usr/bin/env bash
# Bytes of resident memory per stored item, side by side: ferrocache over
# RESP and over memcached, redis-server and memcached, each loaded by
# ../shared/tools/memprobe.py with the same keys and values.
#
#   scripts/memory.sh                 # three runs; the table shows medians
#
# Environment:
#   RUNS       runs, each loading all four servers once          [3]
#   N          keys loaded                                       [1000000]
#   SIZE       value size in bytes                               [100]
#   MEMPROBE   the probe                                         [../shared/tools/memprobe.py]
#   PORT_BASE  first port tried for the servers                  [27600]
#   OUT        where the markdown table is saved                 [target/bench/memory.md]

set -euo pipefail
SCRIPT=memory.sh
cd "$(dirname "$0")/.."
RUNS=${RUNS:-3}
N=${N:-1000000}
SIZE=${SIZE:-100}
MEMPROBE=${MEMPROBE:-../shared/tools/memprobe.py}
PORT_BASE=${PORT_BASE:-27600}
OUT=${OUT:-target/bench/memory.md}
source scripts/lib.sh

[[ -f $MEMPROBE ]] || die "no probe at $MEMPROBE"
for tool in redis-server memcached python3; do
    command -v "$tool" >/dev/null || die "$tool is not installed"
done
cargo build --release --quiet
BIN=target/release/ferrocache

# Probes the server "$@" starts (PORT replaced by a free port) with
# protocol $1, and stops it. Prints bytes per item.
probe() {
    local proto=$1
    shift
    start_server "$@"
    python3 "$MEMPROBE" --proto "$proto" --port "$PORT" --pid "$PID" --n "$N" --size "$SIZE" |
        sed -n 's/^bytes_per_item=\([0-9.]*\).*/\1/p'
    stop_server "$PID"
}

names=("ferrocache, RESP SET" "ferrocache, memcached set" "redis-server $(redis-server --version | sed 's/.*v=\([^ ]*\).*/\1/')" "memcached $(memcached -V | cut -d' ' -f2)")
declare -A got
for run in $(seq "$RUNS"); do
    take_port
    mc_port=$TAKEN
    got[0]+="$(probe redis "$BIN" --port PORT --memcache-port "$mc_port") "
    take_port
    resp_port=$TAKEN
    got[1]+="$(probe memcache "$BIN" --port "$resp_port" --memcache-port PORT) "
    got[2]+="$(probe redis redis-server --port PORT --save '' --appendonly no) "
    got[3]+="$(probe memcache memcached -p PORT -U 0 -m 4096 -u "$(id -un)") "
    log "run $run done: $(for i in 0 1 2 3; do echo "${got[$i]}" | awk '{ printf "%s ", $NF }'; done)"
done

mkdir -p "$(dirname "$OUT")"
{
    echo "$N keys of 14 bytes, $SIZE-byte values; median of $RUNS runs."
    echo
    echo "| server | bytes per item | runs |"
    echo "|---|---:|---|"
    for i in 0 1 2 3; do
        runs=$(echo "${got[$i]}" | xargs)
        echo "| ${names[$i]} | $(echo "$runs" | tr ' ' '\n' | median) | $runs |"
    done
} | tee "$OUT"
