#!/usr/bin/env bash
# End-to-end benchmark of the memory limit: a write flood of random keys
# against ferrocache with --maxmemory and allkeys-lru, watching the server's
# RSS, then the same load against a fresh server with no limit.
#
#   scripts/flood.sh                  # full run: 60 s flood, 256mb limit
#   QUICK=1 scripts/flood.sh          # smoke run: 5 s flood, 32mb limit
#   RUNS=3 scripts/flood.sh           # three runs; the table shows medians
#
# Environment:
#   RUNS       runs; the table shows the median                 [1]
#   DURATION   seconds the timed flood should last              [60; QUICK: 5]
#   MAXMEM     --maxmemory, with a unit (kb, mb, gb) or bytes   [256mb; QUICK: 32mb]
#   THREADS    ferrocache --threads                             [the number of cores]
#   CLIENTS    connections                                      [50]
#   DATA       value size in bytes                              [100]
#   KEYSPACE   redis-benchmark -r (random keys)                 [100000000]
#   PIPELINE   pipeline depth                                   [16]
#   RAM_SHARE  share (in %) of MemAvailable the unlimited run may fill [50]
#   RATE_GUESS requests/s that sizes the flood when the warm-up fails [300000]
#   PORT_BASE  first port tried for the servers                 [27500]
#   OUT        where the markdown table is saved               [target/bench/flood.md]
#
# One run:
#   1. start ferrocache --maxmemory MAXMEM, CONFIG SET maxmemory-policy
#      allkeys-lru, and read the empty server's RSS (VmRSS);
#   2. warm-up: SET 2 * MAXMEM / (DATA + 30) random keys, which fills the
#      store to its limit and measures requests/s under eviction;
#   3. the flood: SETs sized from the warm-up's rate to last about DURATION
#      seconds (and at least 2 * MAXMEM / (DATA + 30) requests);
#   RSS is sampled every second from step 2 to the end of step 3, and the
#   flood passes when max RSS < 1.10 * MAXMEM + empty RSS;
#   4. INFO stats evicted_keys and INFO memory used_memory / maxmemory;
#   5. the flood's load on a fresh server with no maxmemory, with at most
#      the requests whose data fits in RAM_SHARE of MemAvailable (estimated
#      at 300 bytes per request); its requests/s against the flood's gives
#      the eviction throughput ratio (target >= 0.8).

set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=$(pwd)

QUICK=${QUICK:-0}
if [[ $QUICK == 1 ]]; then
    DURATION=${DURATION:-5}
    MAXMEM=${MAXMEM:-32mb}
else
    DURATION=${DURATION:-60}
    MAXMEM=${MAXMEM:-256mb}
fi
RUNS=${RUNS:-1}
THREADS=${THREADS:-}
CLIENTS=${CLIENTS:-50}
DATA=${DATA:-100}
KEYSPACE=${KEYSPACE:-100000000}
PIPELINE=${PIPELINE:-16}
RAM_SHARE=${RAM_SHARE:-50}
PORT_BASE=${PORT_BASE:-27500}
OUT=${OUT:-target/bench/flood.md}

SCRIPT=flood.sh
# shellcheck source=scripts/lib.sh
source "$ROOT/scripts/lib.sh"

# ---------------------------------------------------------------- tools

command -v redis-benchmark >/dev/null || die "redis-benchmark not found (apt-get install redis-tools)"
command -v redis-cli >/dev/null || die "redis-cli not found (apt-get install redis-tools)"
command -v timeout >/dev/null || die "timeout not found (coreutils)"

log "building ferrocache (release)"
cargo build --release --quiet --bin ferrocache
FERRO=$ROOT/target/release/ferrocache

# "256mb" -> bytes, with ferrocache's units (1kb = 1024).
to_bytes() {
    local v=${1,,} n unit
    [[ $v =~ ^([0-9]+)(b|k|kb|m|mb|g|gb)?$ ]] || die "bad size '$1'"
    n=${BASH_REMATCH[1]}
    unit=${BASH_REMATCH[2]}
    case $unit in
    '' | b) echo "$n" ;;
    k | kb) echo $((n << 10)) ;;
    m | mb) echo $((n << 20)) ;;
    g | gb) echo $((n << 30)) ;;
    esac
}
MAXMEM_BYTES=$(to_bytes "$MAXMEM")
# Requests that write at least twice maxmemory, at DATA + ~30 bytes each.
MIN_N=$(((2 * MAXMEM_BYTES + DATA + 29) / (DATA + 30)))

# ---------------------------------------------------------------- servers

# Starts ferrocache; sets SPID and SPORT. Arguments are extra flags.
start_server() {
    local threads=()
    [[ -n $THREADS ]] && threads=(--threads "$THREADS")
    take_port
    SPORT=$TAKEN
    "$FERRO" --port "$SPORT" --memcache-port 0 --loglevel warning "${threads[@]}" "$@" \
        >"$WORK/server-$SPORT.log" 2>&1 &
    SPID=$!
    PIDS+=("$SPID")
    wait_port "$SPORT"
    kill -0 "$SPID" 2>/dev/null || die "ferrocache exited: $(cat "$WORK/server-$SPORT.log")"
}

stop_server() { # pid
    kill "$1" 2>/dev/null || true
    wait "$1" 2>/dev/null || true
}

# VmRSS of a process, in bytes.
rss_bytes() { awk '/^VmRSS:/ { printf "%d\n", $2 * 1024 }' "/proc/$1/status"; }

# One field of INFO, e.g. info_field PORT memory used_memory.
info_field() {
    redis-cli -p "$1" INFO "$2" | tr -d '\r' | sed -n "s/^$3:\(.*\)/\1/p"
}

# redis-benchmark SET load; sets LOAD_RPS (0 on failure) and LOAD_ERR
# (empty on success). redis-benchmark 7 stops at the first error reply
# ("Error from server: ...") and exits 1.
set_load() { # port requests
    local out line
    LOAD_RPS=0 LOAD_ERR=
    if ! out=$(redis-benchmark -p "$1" -t set -c "$CLIENTS" -P "$PIPELINE" -n "$2" \
        -r "$KEYSPACE" -d "$DATA" --csv 2>&1); then
        LOAD_ERR=$(grep -m1 '^Error' <<<"$out" || tail -n1 <<<"$out")
        LOAD_ERR=${LOAD_ERR:0:90}
        log "redis-benchmark failed: $LOAD_ERR"
        return 0
    fi
    line=$(grep -i '^"SET"' <<<"$out" | tail -n1 | tr -d '"')
    if [[ -z $line ]]; then
        LOAD_ERR="no result from redis-benchmark: $(tail -n1 <<<"$out" | cut -c1-60)"
        log "$LOAD_ERR"
        return 0
    fi
    LOAD_RPS=$(awk -F, '{ printf "%d\n", $2 }' <<<"$line")
}

mb() { awk -v b="$1" 'BEGIN { printf "%.1f", b / 1048576 }'; }


# ---------------------------------------------------------------- runs

mem_avail=$(awk '/^MemAvailable:/ { printf "%d\n", $2 * 1024 }' /proc/meminfo)
RAM_N=$((mem_avail / 100 * RAM_SHARE / 300))

RAW=$WORK/raw # one line per run
log "maxmemory $MAXMEM ($MAXMEM_BYTES bytes), at least $MIN_N requests per flood," \
    "flood ~${DURATION}s, $RUNS run(s)"

for run in $(seq "$RUNS"); do
    log "--- run $run/$RUNS"
    start_server --maxmemory "$MAXMEM"
    lpid=$SPID lport=$SPORT
    [[ $(redis-cli -p "$lport" CONFIG SET maxmemory-policy allkeys-lru) == OK ]] ||
        die "CONFIG SET maxmemory-policy allkeys-lru failed"
    sleep 0.5
    empty_rss=$(rss_bytes "$lpid")
    limit_rss=$(awk -v m="$MAXMEM_BYTES" -v e="$empty_rss" 'BEGIN { printf "%d", 1.10 * m + e }')
    log "limited server: pid $lpid, port $lport, empty RSS $(mb "$empty_rss") MB," \
        "RSS limit $(mb "$limit_rss") MB"

    # RSS sampler, every second until killed.
    samples=$WORK/rss-$run
    (
        while kill -0 "$lpid" 2>/dev/null; do
            rss_bytes "$lpid" >>"$samples" 2>/dev/null || true
            sleep 1
        done
    ) &
    sampler=$!
    PIDS+=("$sampler")

    log "warm-up: $MIN_N SETs"
    set_load "$lport" "$MIN_N"
    warm_rps=$LOAD_RPS
    [[ -z $LOAD_ERR ]] || echo "run $run warm-up: $LOAD_ERR" >>"$WORK/errors"
    if ((warm_rps == 0)); then
        # The warm-up stopped early, so its rate is unknown: guess one.
        warm_rps=${RATE_GUESS:-300000}
        log "warm-up failed; sizing the flood at a guessed $warm_rps requests/s (RATE_GUESS)"
    fi
    n=$((warm_rps * DURATION))
    ((n >= MIN_N)) || n=$MIN_N
    log "warm-up: $warm_rps requests/s; flood: $n SETs"
    t0=$(date +%s.%N)
    set_load "$lport" "$n"
    flood_rps=$LOAD_RPS
    [[ -z $LOAD_ERR ]] || echo "run $run flood: $LOAD_ERR" >>"$WORK/errors"
    t1=$(date +%s.%N)
    flood_s=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }')
    rss_bytes "$lpid" >>"$samples"
    kill "$sampler" 2>/dev/null || true
    wait "$sampler" 2>/dev/null || true

    max_rss=$(sort -g "$samples" | tail -n1)
    evicted=$(info_field "$lport" stats evicted_keys)
    used=$(info_field "$lport" memory used_memory)
    maxmem_info=$(info_field "$lport" memory maxmemory)
    keys=$(redis-cli -p "$lport" DBSIZE)
    pass=no
    ((max_rss < limit_rss)) && pass=yes
    log "flood: $flood_rps requests/s in ${flood_s}s; max RSS $(mb "$max_rss") MB" \
        "(limit $(mb "$limit_rss") MB, under: $pass); evicted_keys $evicted," \
        "used_memory $used / maxmemory $maxmem_info, $keys keys"
    stop_server "$lpid"

    nn=$n
    ((nn <= RAM_N)) || nn=$RAM_N
    start_server
    log "unlimited server: pid $SPID, port $SPORT; $nn SETs"
    set_load "$SPORT" "$nn"
    free_rps=$LOAD_RPS
    [[ -z $LOAD_ERR ]] || echo "run $run no eviction: $LOAD_ERR" >>"$WORK/errors"
    free_used=$(info_field "$SPORT" memory used_memory)
    free_rss=$(rss_bytes "$SPID")
    log "no eviction: $free_rps requests/s; used_memory $free_used, RSS $(mb "$free_rss") MB"
    stop_server "$SPID"

    ratio=$(awk -v a="$flood_rps" -v b="$free_rps" 'BEGIN { printf "%.3f", b ? a / b : 0 }')
    echo "$empty_rss $max_rss $limit_rss $flood_rps $free_rps $ratio $evicted $used $maxmem_info $n $nn $flood_s $keys $free_used $free_rss" >>"$RAW"
done

# ---------------------------------------------------------------- report

col() { cut -d' ' -f"$1" "$RAW" | median; }
all_under=yes
while read -r _ mx lim _; do
    ((mx < lim)) || all_under=no
done <"$RAW"
ratio_ok=no
awk -v r="$(col 6)" 'BEGIN { exit !(r >= 0.8) }' && ratio_ok=yes

mkdir -p "$(dirname "$OUT")"
{
    echo "## ferrocache write flood: maxmemory $MAXMEM, allkeys-lru"
    echo
    echo "redis-benchmark -t set -d $DATA -r $KEYSPACE -P $PIPELINE -c $CLIENTS;" \
        "$(nproc) cores, ferrocache --threads ${THREADS:-default}; median of $RUNS run(s)."
    echo
    echo "| metric | value |"
    echo "|---|---|"
    echo "| flood requests (after a $MIN_N-request warm-up) | $(col 10) in $(col 12) s |"
    echo "| empty RSS | $(mb "$(col 1)") MB |"
    echo "| max RSS during the flood | $(mb "$(col 2)") MB |"
    echo "| RSS limit (1.10 × maxmemory + empty RSS) | $(mb "$(col 3)") MB |"
    echo "| max RSS under the limit (every run) | $all_under |"
    echo "| SET requests/s with eviction | $(col 4) |"
    echo "| SET requests/s without eviction ($(col 11) requests) | $(col 5) |"
    echo "| ratio (target ≥ 0.8) | $(col 6) ($ratio_ok) |"
    echo "| evicted_keys | $(col 7) |"
    echo "| used_memory / maxmemory | $(col 8) / $(col 9) ($(awk -v u="$(col 8)" -v m="$(col 9)" 'BEGIN { printf "%.1f%%", 100 * u / m }')) |"
    echo "| keys at the end of the flood | $(col 13) |"
    echo "| no-eviction run: used_memory, RSS | $(mb "$(col 14)") MB, $(mb "$(col 15)") MB |"
    if [[ -s $WORK/errors ]]; then
        while read -r e; do
            echo "| error reply (the load stopped; its requests/s is 0) | ${e//|/\\|} |"
        done <"$WORK/errors"
    else
        echo "| error replies | none |"
    fi
} >"$OUT"

echo
cat "$OUT"
log "saved to $OUT"
