#!/usr/bin/env bash
# Snapshots against redis-server, side by side in one run: KEYS keys of
# SIZE bytes (DEBUG POPULATE), then for each server
#
# 1. SAVE: seconds it takes and the file's bytes;
# 2. a GET load (redis-benchmark, CLIENTS connections, random keys of the
#    dataset) without a snapshot, then the same load while BGSAVE runs
#    again and again until the load ends: requests per second and p99
#    latency of both, and the ratio of the p99s (the target: within 2x).
#
# Redis forks for BGSAVE and its child writes the file; ferrocache copies
# each shard out as it reaches it, on a thread of its own, while the
# workers go on serving.
#
#   scripts/savebench.sh            # full run: three runs, medians
#   QUICK=1 scripts/savebench.sh    # smoke run: small dataset, one run
#
# Environment:
#   RUNS       runs of every load; the tables show medians      [3; QUICK: 1]
#   KEYS       keys in the dataset                              [1000000; QUICK: 100000]
#   SIZE       value bytes                                      [100]
#   REQUESTS   GET requests per load                            [2000000; QUICK: 200000]
#   CLIENTS    redis-benchmark connections                      [50]
#   THREADS    ferrocache --threads                             [2]
#   PORT_BASE  first port tried for the servers                 [27600]
#   OUT        where the markdown table is saved               [target/bench/save.md]

set -euo pipefail
SCRIPT=savebench.sh
cd "$(dirname "$0")/.."

QUICK=${QUICK:-0}
if [[ $QUICK == 1 ]]; then
    RUNS=${RUNS:-1}
    KEYS=${KEYS:-100000}
    REQUESTS=${REQUESTS:-200000}
else
    RUNS=${RUNS:-3}
    KEYS=${KEYS:-1000000}
    REQUESTS=${REQUESTS:-2000000}
fi
SIZE=${SIZE:-100}
CLIENTS=${CLIENTS:-50}
THREADS=${THREADS:-2}
PORT_BASE=${PORT_BASE:-27600}
OUT=${OUT:-target/bench/save.md}
# shellcheck source=scripts/lib.sh
source scripts/lib.sh

for tool in redis-server redis-benchmark redis-cli; do
    command -v "$tool" >/dev/null || die "$tool is not installed (apt-get install redis-server redis-tools)"
done
redis_version=$(redis-server --version | sed -n 's/.*v=\([0-9.]*\).*/\1/p')
log "building ferrocache (release)"
cargo build --release --quiet

cli() { redis-cli -p "$1" "${@:2}"; }

info_field() { cli "$1" info persistence | tr -d '\r' | sed -n "s/^$2://p"; }

# rps and p99 (ms) of a GET load on port $1: "rps p99".
get_load() {
    redis-benchmark -p "$1" -t get -n "$REQUESTS" -c "$CLIENTS" -r "$KEYS" --csv -q 2>/dev/null |
        awk -F'"' '/^"GET"/ { print $4, $14 }'
}

# BGSAVE again and again on port $1 until the file $2 appears.
save_loop() {
    while [[ ! -e $2 ]]; do
        if [[ $(info_field "$1" rdb_bgsave_in_progress) == 0 ]]; then
            cli "$1" bgsave >/dev/null 2>&1 || true
        fi
        sleep 0.05
    done
}

declare -A RESULT
measure() { # name, then the server command (PORT replaced)
    local name=$1 dir="$WORK/$1"
    shift
    mkdir -p "$dir"
    local args=() a
    for a in "$@"; do args+=("${a//DIR/$dir}"); done
    start_server "${args[@]}"
    local p=$PORT pid=$PID
    cli "$p" debug populate "$KEYS" key "$SIZE" >/dev/null
    local save_s=() bytes=0 base_rps=() base_p99=() snap_rps=() snap_p99=() r t0 t1
    for r in $(seq "$RUNS"); do
        rm -f "$dir/dump.rdb"
        t0=$(date +%s.%N)
        cli "$p" save >/dev/null
        t1=$(date +%s.%N)
        save_s+=("$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }')")
        bytes=$(stat -c %s "$dir/dump.rdb")
        read -r rps p99 < <(get_load "$p")
        base_rps+=("$rps")
        base_p99+=("$p99")
        rm -f "$dir/stop"
        save_loop "$p" "$dir/stop" &
        local loop=$!
        read -r rps p99 < <(get_load "$p")
        touch "$dir/stop"
        wait "$loop"
        while [[ $(info_field "$p" rdb_bgsave_in_progress) != 0 ]]; do sleep 0.05; done
        snap_rps+=("$rps")
        snap_p99+=("$p99")
        log "$name run $r: save ${save_s[-1]} s, GET p99 ${base_p99[-1]} ms, with BGSAVE $p99 ms"
    done
    RESULT[$name.save]=$(printf '%s\n' "${save_s[@]}" | median)
    RESULT[$name.bytes]=$bytes
    RESULT[$name.rps]=$(printf '%s\n' "${base_rps[@]}" | median)
    RESULT[$name.p99]=$(printf '%s\n' "${base_p99[@]}" | median)
    RESULT[$name.srps]=$(printf '%s\n' "${snap_rps[@]}" | median)
    RESULT[$name.sp99]=$(printf '%s\n' "${snap_p99[@]}" | median)
    stop_server "$pid"
}

measure ferrocache target/release/ferrocache --port PORT --memcache-port 0 --threads "$THREADS" \
    --loglevel warning --dir DIR --enable-debug-command yes
measure redis redis-server --port PORT --bind 127.0.0.1 --save '' --appendonly no --daemonize no \
    --logfile '' --dir DIR --enable-debug-command yes

mkdir -p "$(dirname "$OUT")"
{
    echo "### Snapshots: $KEYS keys of $SIZE bytes, GET load of $REQUESTS requests from $CLIENTS clients"
    echo
    echo "ferrocache --threads $THREADS against redis-server $redis_version; medians of $RUNS runs."
    echo
    echo "| | SAVE s | file bytes | GET req/s | GET p99 ms | req/s during BGSAVE | p99 ms during BGSAVE | p99 ratio |"
    echo "|---|---:|---:|---:|---:|---:|---:|---:|"
    for s in ferrocache redis; do
        echo "| $s | ${RESULT[$s.save]} | ${RESULT[$s.bytes]} | ${RESULT[$s.rps]} | ${RESULT[$s.p99]} |" \
            "${RESULT[$s.srps]} | ${RESULT[$s.sp99]} | $(ratio "${RESULT[$s.sp99]}" "${RESULT[$s.p99]}") |"
    done
    echo
    echo "ferrocache / redis: SAVE time $(ratio "${RESULT[ferrocache.save]}" "${RESULT[redis.save]}")," \
        "file size $(ratio "${RESULT[ferrocache.bytes]}" "${RESULT[redis.bytes]}")."
} | tee "$OUT"
