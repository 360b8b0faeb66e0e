#!/usr/bin/env bash
# Side-by-side benchmark: ferrocache against redis-server (RESP loads) and
# memcached (memcached text-protocol loads), on this machine, same loads.
#
#   scripts/bench.sh                 # full run
#   QUICK=1 scripts/bench.sh         # smoke run: few requests, one run
#   THREADS="1 2" scripts/bench.sh   # one ferrocache per --threads value
#   BASELINE=/tmp/ferrocache-old scripts/bench.sh  # also an older build, side by side
#
# Environment:
#   RUNS      runs of every load; the table shows the median   [3; QUICK: 1]
#   N         requests per unpipelined load (-P 1)             [300000; QUICK: 20000]
#   NP        requests per pipelined load (-P 16)              [10 * N]
#   THREADS   ferrocache --threads values, space or comma separated [2]
#   CLIENTS   connections per load                             [50]
#   DATA      value size in bytes                              [64]
#   KEYSPACE  random keys per load                             [100000]
#   PIPELINE  the pipelined loads' depth                       [16]
#   MEMCACHED_THREADS  memcached -t                            [2]
#   LOADS     which loads: "resp mc" or one of them            [resp mc]
#   PORT_BASE first port tried for the servers                 [27400]
#   OUT       where the markdown table is saved               [target/bench/results.md]
#   BASELINE  another ferrocache binary (say, a build of an earlier commit),
#             run beside this tree's with the same flags as
#             "ferrocache-base-tN", for before/after numbers in one run [none]
#
# RESP loads run redis-benchmark; memcached loads run examples/mcload.rs
# (memaslap keeps one request in flight per connection and reports no
# percentiles). Each load reports requests/s, p50 and p99 latency, and the
# server's CPU time (utime + stime from /proc/PID/stat) per million requests.
# A load that gets error replies, or fails, is reported as failed instead of
# given numbers.

set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=$(pwd)

QUICK=${QUICK:-0}
if [[ $QUICK == 1 ]]; then
    RUNS=${RUNS:-1}
    N=${N:-20000}
else
    RUNS=${RUNS:-3}
    N=${N:-300000}
fi
NP=${NP:-$((N * 10))}
THREADS=${THREADS:-2}
THREADS=${THREADS//,/ }
CLIENTS=${CLIENTS:-50}
DATA=${DATA:-64}
KEYSPACE=${KEYSPACE:-100000}
PIPELINE=${PIPELINE:-16}
MEMCACHED_THREADS=${MEMCACHED_THREADS:-2}
LOADS=${LOADS:-resp mc}
PORT_BASE=${PORT_BASE:-27400}
OUT=${OUT:-target/bench/results.md}

SCRIPT=bench.sh
# shellcheck source=scripts/lib.sh
source "$ROOT/scripts/lib.sh"

# ---------------------------------------------------------------- tools

install_missing() {
    local missing=()
    command -v redis-server >/dev/null || missing+=(redis-server)
    command -v redis-benchmark >/dev/null || missing+=(redis-tools)
    command -v redis-cli >/dev/null || missing+=(redis-tools)
    command -v memcached >/dev/null || missing+=(memcached)
    command -v memcaslap >/dev/null || command -v memaslap >/dev/null || missing+=(libmemcached-tools)
    ((${#missing[@]} == 0)) && return
    log "installing: ${missing[*]}"
    local sudo=()
    if [[ $(id -u) != 0 ]]; then
        command -v sudo >/dev/null || die "need root or sudo to install ${missing[*]}"
        sudo=(sudo)
    fi
    "${sudo[@]}" apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq "${missing[@]}" >&2
}

install_missing
redis_version=$(redis-server --version | sed -n 's/.*v=\([0-9.]*\).*/\1/p')
[[ $redis_version == 7.* ]] || log "warning: redis-server $redis_version, not 7.x"
memcached_version=$(memcached -V | awk '{print $2}')
[[ $memcached_version == 1.6.* ]] || log "warning: memcached $memcached_version, not 1.6.x"

log "building ferrocache and mcload (release)"
cargo build --release --quiet --bin ferrocache --example mcload
FERRO=$ROOT/target/release/ferrocache
BASELINE=${BASELINE:-}
if [[ -n $BASELINE ]]; then
    [[ -x $BASELINE ]] || die "BASELINE $BASELINE is not an executable"
fi
MCLOAD=$ROOT/target/release/examples/mcload

# ---------------------------------------------------------------- servers

# Server name -> pid, RESP port, memcached port ("-" when it has none).
declare -A PID RPORT MPORT
SERVERS=()

start() { # name command...
    local name=$1
    shift
    "$@" >"$WORK/$name.log" 2>&1 &
    PIDS+=($!)
    PID[$name]=$!
    SERVERS+=("$name")
}

for t in $THREADS; do
    builds=("ferrocache-t$t|$FERRO")
    [[ -n $BASELINE ]] && builds+=("ferrocache-base-t$t|$BASELINE")
    for b in "${builds[@]}"; do
        IFS='|' read -r name bin <<<"$b"
        take_port; rp=$TAKEN
        take_port; mp=$TAKEN
        start "$name" "$bin" --port "$rp" --memcache-port "$mp" --threads "$t" --loglevel warning
        RPORT[$name]=$rp
        MPORT[$name]=$mp
    done
done
take_port; rp=$TAKEN
start redis-server redis-server --port "$rp" --bind 127.0.0.1 --save '' --appendonly no \
    --daemonize no --logfile ''
RPORT[redis-server]=$rp
MPORT[redis-server]=-
take_port; mp=$TAKEN
memcached_user=()
[[ $(id -u) == 0 ]] && memcached_user=(-u root)
start memcached memcached -l 127.0.0.1 -p "$mp" -U 0 -t "$MEMCACHED_THREADS" -m 1024 "${memcached_user[@]}"
RPORT[memcached]=-
MPORT[memcached]=$mp

for s in "${SERVERS[@]}"; do
    [[ ${RPORT[$s]} != - ]] && wait_port "${RPORT[$s]}"
    [[ ${MPORT[$s]} != - ]] && wait_port "${MPORT[$s]}"
    kill -0 "${PID[$s]}" 2>/dev/null || die "$s exited: $(cat "$WORK/$s.log")"
    log "$s: pid ${PID[$s]}, RESP port ${RPORT[$s]}, memcached port ${MPORT[$s]}"
done

# ---------------------------------------------------------------- measuring

# One load's result, as "rps p50_ms p99_ms" or "FAIL reason".
RESULT=

# RESP load: redis-benchmark, one test, CSV output. redis-benchmark 7
# stops at the first error reply ("Error from server: ...") and exits 1.
resp_load() { # port op pipeline requests
    local port=$1 op=$2 pipe=$3 n=$4 out
    local probe
    probe=$(redis-cli -p "$port" SET key:probe x 2>&1 || true)
    if [[ $probe != OK ]]; then
        RESULT="FAIL SET probe replied '${probe:0:40}'"
        return
    fi
    if ! out=$(redis-benchmark -p "$port" -t "$op" -c "$CLIENTS" -P "$pipe" -n "$n" \
        -r "$KEYSPACE" -d "$DATA" --csv 2>&1); then
        if grep -q '^Error' <<<"$out"; then
            RESULT="FAIL $(grep -m1 '^Error' <<<"$out" | cut -c1-70)"
        else
            RESULT="FAIL redis-benchmark: $(tail -n1 <<<"$out" | cut -c1-60)"
        fi
        return
    fi
    # "test","rps","avg_latency_ms","min_latency_ms","p50_latency_ms","p95_latency_ms","p99_latency_ms","max_latency_ms"
    local line
    line=$(grep -i "^\"$op\"" <<<"$out" | tail -n1 | tr -d '"')
    if [[ -z $line ]]; then
        RESULT="FAIL no result from redis-benchmark"
        return
    fi
    RESULT=$(awk -F, '{print $2, $5, $7}' <<<"$line")
}

# memcached load: examples/mcload.rs, whose last line is
# RESULT status=... rps=... p50_ms=... p99_ms=... first_error=...
mc_load() { # port op pipeline requests
    local port=$1 op=$2 pipe=$3 n=$4 out line
    out=$("$MCLOAD" --port "$port" -t "$op" -c "$CLIENTS" -P "$pipe" -n "$n" \
        -r "$KEYSPACE" -d "$DATA" 2>/dev/null || true)
    line=$(grep '^RESULT ' <<<"$out" | tail -n1)
    if [[ -z $line ]]; then
        RESULT="FAIL mcload gave no result"
        return
    fi
    local status rps p50 p99 err
    status=$(field status "$line")
    rps=$(field rps "$line")
    p50=$(field p50_ms "$line")
    p99=$(field p99_ms "$line")
    err=$(field first_error "$line")
    if [[ $status != ok ]]; then
        RESULT="FAIL reply '${err//_/ }'"
        return
    fi
    RESULT="$rps $p50 $p99"
}

# The loads: label, protocol, command, pipeline depth, requests.
LOAD_SPECS=()
for l in $LOADS; do
    case $l in
    resp)
        LOAD_SPECS+=("RESP SET -P 1|resp|set|1|$N" "RESP GET -P 1|resp|get|1|$N"
            "RESP SET -P $PIPELINE|resp|set|$PIPELINE|$NP" "RESP GET -P $PIPELINE|resp|get|$PIPELINE|$NP")
        ;;
    mc)
        LOAD_SPECS+=("memcached set -P 1|mc|set|1|$N" "memcached get -P 1|mc|get|1|$N"
            "memcached set -P $PIPELINE|mc|set|$PIPELINE|$NP" "memcached get -P $PIPELINE|mc|get|$PIPELINE|$NP")
        ;;
    *) die "unknown load '$l' in LOADS" ;;
    esac
done

# Per load and server: one line per run, "rps p50 p99 cpu_s_per_M" or "FAIL ...".
RAW=$WORK/raw
mkdir -p "$RAW"

for run in $(seq "$RUNS"); do
    for spec in "${LOAD_SPECS[@]}"; do
        IFS='|' read -r label proto op pipe n <<<"$spec"
        for s in "${SERVERS[@]}"; do
            if [[ $proto == resp ]]; then port=${RPORT[$s]}; else port=${MPORT[$s]}; fi
            [[ $port == - ]] && continue
            kill -0 "${PID[$s]}" 2>/dev/null || die "$s has exited: $(tail -n3 "$WORK/$s.log")"
            before=$(cpu_ticks "${PID[$s]}")
            "${proto}_load" "$port" "$op" "$pipe" "$n"
            after=$(cpu_ticks "${PID[$s]}")
            key=$(tr ' ' '_' <<<"$label")__$s
            if [[ $RESULT == FAIL* ]]; then
                echo "$RESULT" >>"$RAW/$key"
                log "run $run/$RUNS  $label  $s: ${RESULT}"
            else
                cpu=$(awk -v t=$((after - before)) -v hz="$CLK_TCK" -v n="$n" \
                    'BEGIN { printf "%.2f", t / hz / n * 1e6 }')
                echo "$RESULT $cpu" >>"$RAW/$key"
                read -r rps p50 p99 <<<"$RESULT"
                log "run $run/$RUNS  $label  $s: $rps req/s  p50 $p50 ms  p99 $p99 ms  $cpu CPU s/M"
            fi
        done
    done
done

# ---------------------------------------------------------------- table

# Median of the numbers on stdin (the lower middle for an even count).

# Prints "rps p50 p99 cpu" medians, or "FAIL reason" when any run failed.
summary() {
    local f=$RAW/$1
    [[ -f $f ]] || return 1
    if grep -q '^FAIL' "$f"; then
        grep -m1 '^FAIL' "$f"
        return 0
    fi
    echo "$(cut -d' ' -f1 "$f" | median) $(cut -d' ' -f2 "$f" | median)" \
        "$(cut -d' ' -f3 "$f" | median) $(cut -d' ' -f4 "$f" | median)"
}

mkdir -p "$(dirname "$OUT")"
{
    echo "# ferrocache side-by-side benchmark"
    echo
    echo "$(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores, ferrocache $(git rev-parse --short HEAD 2>/dev/null || echo '?')," \
        "redis-server $redis_version, memcached $memcached_version (-t $MEMCACHED_THREADS)."
    [[ -n $BASELINE ]] && echo "ferrocache-base-*: $BASELINE, run with the same flags."
    echo "$CLIENTS connections, ${DATA}-byte values, $KEYSPACE random keys; $N requests per -P 1 load," \
        "$NP per -P $PIPELINE load; median of $RUNS run(s). CPU is the server's user+system" \
        "seconds per million requests. Ratios are ferrocache / reference (redis-server for RESP," \
        "memcached for memcached loads): above 1 is better for req/s, below 1 is better for CPU."
    echo
    echo "| load | server | req/s | p50 ms | p99 ms | CPU s/M req | req/s ratio | CPU ratio |"
    echo "|---|---|---:|---:|---:|---:|---:|---:|"
    for spec in "${LOAD_SPECS[@]}"; do
        IFS='|' read -r label proto _ _ _ <<<"$spec"
        k=$(tr ' ' '_' <<<"$label")
        if [[ $proto == resp ]]; then ref=redis-server; else ref=memcached; fi
        ref_sum=$(summary "${k}__$ref" || echo "FAIL not run")
        for s in "${SERVERS[@]}"; do
            sum=$(summary "${k}__$s") || continue
            if [[ $sum == FAIL* ]]; then
                echo "| $label | $s | **failed**: ${sum#FAIL } | | | | | |"
                continue
            fi
            read -r rps p50 p99 cpu <<<"$sum"
            rr='' cr=''
            if [[ $s == ferrocache* && $ref_sum != FAIL* ]]; then
                read -r rrps _ _ rcpu <<<"$ref_sum"
                rr=$(ratio "$rps" "$rrps")
                cr=$(ratio "$cpu" "$rcpu")
            fi
            printf '| %s | %s | %.0f | %s | %s | %s | %s | %s |\n' \
                "$label" "$s" "$rps" "$p50" "$p99" "$cpu" "$rr" "$cr"
        done
    done
} >"$OUT"

echo
cat "$OUT"
log "saved to $OUT"
