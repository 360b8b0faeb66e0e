#!/usr/bin/env bash
# Replication against redis-server, side by side in one run, two loads:
#
# 1. Throughput: redis-benchmark SET (-P PIPELINE -c CLIENTS -r KEYSPACE
#    -d DATA -n REQUESTS) on a primary alone, then on the same primary
#    with two replicas of its kind attached (REPLICAOF, waited for until
#    the primary shows connected_slaves:2 and each replica
#    master_link_status:up); the same two at -P 1 (REQUESTS_P1). For
#    ferrocache also, with the replicas attached, `CONFIG SET
#    sync-replicas 1` (a write's reply waits until a replica acknowledged
#    it) at -P PIPELINE and -P 1. Reported: req/s, p99 latency, the primary's CPU seconds per
#    million requests, and the ratio to the same load without replicas
#    (or without sync-replicas). After every load with replicas, each
#    replica must reach the primary's master_repl_offset within
#    CATCHUP_TIMEOUT seconds and give the primary's DEBUG DIGEST; a load
#    that fails either check is marked FAIL in the table, numbers or not.
# 2. Full resync: a primary holding KEYS keys of SIZE bytes (DEBUG
#    POPULATE); a fresh replica is started and timed from REPLICAOF until
#    its link is up and its DBSIZE equals the primary's (polled every
#    50 ms). Reported: seconds, and the bytes of the sync three ways: the
#    replica's link socket's bytes_received (ss -ti, the kernel's count,
#    the same for both servers: the number to compare), the primary's
#    INFO stats total_net_repl_output_bytes delta, and the replica's
#    /proc/<pid>/io rchar delta (read(2) only: it counts the replica
#    reading its temporary copy of the snapshot back from disk, and misses
#    sockets read with recv(2), as ferrocache reads them).
#
# Every server runs with repl-diskless-sync-delay 0: redis-server's
# default of 5 s would add 5 s of waiting to each full sync (ferrocache
# has no such wait). Primary and replicas of one server share the two
# cores with redis-benchmark; each run starts its servers afresh.
#
#   scripts/replbench.sh            # full run: three runs, medians
#   QUICK=1 scripts/replbench.sh    # smoke run: small loads, one run
#
# Environment:
#   RUNS             runs of every load; the tables show medians     [3; QUICK: 1]
#   REQUESTS         SET requests per load at -P PIPELINE             [2000000; QUICK: 200000]
#   REQUESTS_P1      SET requests per load at -P 1                    [400000; QUICK: 50000]
#   REQUESTS_SYNC    SET requests per sync-replicas load, either -P   [400000; QUICK: 50000]
#   PIPELINE         redis-benchmark -P                               [16]
#   CLIENTS          redis-benchmark connections                      [50]
#   KEYSPACE         redis-benchmark -r                               [100000]
#   DATA             SET value bytes                                  [64]
#   KEYS             keys on the primary of the full resync           [1000000; QUICK: 100000]
#   SIZE             value bytes of those keys                        [100]
#   THREADS          ferrocache --threads, primary and replicas       [2]
#   CATCHUP_TIMEOUT  seconds a replica may take to catch up or sync   [30]
#   LOADS            "throughput resync" or one of them               [throughput resync]
#   PORT_BASE        first port tried for the servers                 [27900]
#   OUT              where the markdown tables are saved             [target/bench/replication.md]

set -euo pipefail
# shellcheck disable=SC2034 # read by scripts/lib.sh's die()
SCRIPT=replbench.sh
cd "$(dirname "$0")/.."

QUICK=${QUICK:-0}
if [[ $QUICK == 1 ]]; then
    RUNS=${RUNS:-1}
    REQUESTS=${REQUESTS:-200000}
    REQUESTS_P1=${REQUESTS_P1:-50000}
    REQUESTS_SYNC=${REQUESTS_SYNC:-50000}
    KEYS=${KEYS:-100000}
else
    RUNS=${RUNS:-3}
    REQUESTS=${REQUESTS:-2000000}
    REQUESTS_P1=${REQUESTS_P1:-400000}
    REQUESTS_SYNC=${REQUESTS_SYNC:-400000}
    KEYS=${KEYS:-1000000}
fi
PIPELINE=${PIPELINE:-16}
CLIENTS=${CLIENTS:-50}
KEYSPACE=${KEYSPACE:-100000}
DATA=${DATA:-64}
SIZE=${SIZE:-100}
THREADS=${THREADS:-2}
CATCHUP_TIMEOUT=${CATCHUP_TIMEOUT:-30}
LOADS=${LOADS:-throughput resync}
PORT_BASE=${PORT_BASE:-27900}
OUT=${OUT:-target/bench/replication.md}
# shellcheck source=scripts/lib.sh disable=SC1091 # followed with shellcheck -x
source scripts/lib.sh

for tool in redis-server redis-benchmark redis-cli ss; do
    command -v "$tool" >/dev/null || die "$tool is not installed (apt-get install redis-server redis-tools iproute2)"
done
redis_version=$(redis-server --version | sed -n 's/.*v=\([0-9.]*\).*/\1/p')
[[ $redis_version == 7.* ]] || log "warning: redis-server $redis_version, not 7.x"
log "building ferrocache (release)"
cargo build --release --quiet --bin ferrocache

SERVERS=(ferrocache redis-server)
LOAD_START=$(cut -d' ' -f1 /proc/loadavg)

# ---------------------------------------------------------------- servers

cli() { redis-cli -p "$1" "${@:2}"; }
# One INFO section of the server on port $1, without the CRs.
info() { cli "$1" info "$2" | tr -d '\r'; }
# The value of "name:value" in INFO text: ival TEXT NAME.
ival() { sed -n "s/^$2://p" <<<"$1"; }
now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.2f", b - a }'; }

# Starts a server of kind $1 in $WORK/$2 (its dir; its output goes to
# $WORK/$2/out); sets PORT and PID.
launch() {
    local dir=$WORK/$2 cmd
    rm -rf "$dir"
    mkdir -p "$dir"
    case $1 in
        ferrocache)
            cmd=(target/release/ferrocache --port PORT --memcache-port 0 --threads "$THREADS"
                --loglevel notice --dir "$dir" --enable-debug-command yes --repl-diskless-sync-delay 0) ;;
        redis-server)
            cmd=(redis-server --port PORT --bind 127.0.0.1 --save '' --appendonly no --daemonize no
                --logfile '' --loglevel notice --dir "$dir" --enable-debug-command yes
                --repl-diskless-sync-delay 0) ;;
    esac
    # shellcheck disable=SC2016 # expanded by the inner shell, which execs the server
    start_server bash -c 'exec "$@" >>"$0" 2>&1' "$dir/out" "${cmd[@]}"
}

# The last lines of the output of the servers named $@, to stderr.
show_logs() {
    local n
    for n in "$@"; do
        log "--- $n (last lines of $WORK/$n/out)"
        tail -n 8 "$WORK/$n/out" >&2 || true
    done
}

# Attaches the replicas on ports $2.. to the primary on port $1 and waits
# until the primary counts them all and each reports its link up;
# returns 1 after CATCHUP_TIMEOUT seconds.
attach() {
    local p=$1 r up
    shift
    for r in "$@"; do
        [[ $(cli "$r" replicaof 127.0.0.1 "$p") == OK ]] || return 1
    done
    for _ in $(seq $((CATCHUP_TIMEOUT * 20))); do
        if [[ $(ival "$(info "$p" replication)" connected_slaves) == "$#" ]]; then
            up=0
            for r in "$@"; do
                [[ $(ival "$(info "$r" replication)" master_link_status) == up ]] && up=$((up + 1))
            done
            ((up == $#)) && return 0
        fi
        sleep 0.05
    done
    return 1
}

# master_link_status and master_sync_in_progress of the replicas on ports $@.
replica_links() {
    local r i out=()
    for r in "$@"; do
        i=$(info "$r" replication)
        out+=(":$r link $(ival "$i" master_link_status), sync_in_progress $(ival "$i" master_sync_in_progress)")
    done
    local IFS=';'
    echo "${out[*]}"
}

# Checks the replicas on ports $2.. against the primary on port $1: each
# must reach the primary's master_repl_offset within CATCHUP_TIMEOUT
# seconds, then give the primary's DEBUG DIGEST. Prints "ok" or the
# failure, with the offsets or digests seen.
check_replicas() {
    local p=$1 r mo ro last='' digest d
    shift
    for r in "$@"; do
        local caught=0
        for _ in $(seq $((CATCHUP_TIMEOUT * 20))); do
            mo=$(ival "$(info "$p" replication)" master_repl_offset)
            ro=$(ival "$(info "$r" replication)" slave_repl_offset)
            if [[ -n $mo && $mo == "$ro" ]]; then
                caught=1
                break
            fi
            last="primary $mo, replica :$r $ro"
            sleep 0.05
        done
        ((caught)) || { echo "not caught up after ${CATCHUP_TIMEOUT}s ($last)"; return; }
    done
    digest=$(cli "$p" debug digest)
    for r in "$@"; do
        d=$(cli "$r" debug digest)
        [[ $d == "$digest" ]] || { echo "DEBUG DIGEST differs (primary $digest, replica :$r $d)"; return; }
    done
    echo ok
}

# ---------------------------------------------------------------- throughput

# One SET load at -P $2 on port $1 of server pid $3, $4 requests: sets LOAD
# to "rps p99 cpu_s_per_M_req" or "FAIL reason".
set_load() {
    local p=$1 depth=$2 pid=$3 n=$4 before after out errs0 errs1 rps p99
    errs0=$(ival "$(info "$p" stats)" total_error_replies)
    before=$(cpu_ticks "$pid")
    out=$(timeout $((CATCHUP_TIMEOUT * 10)) redis-benchmark -p "$p" -t set -P "$depth" -c "$CLIENTS" \
        -r "$KEYSPACE" -d "$DATA" -n "$n" --csv 2>&1) || out="FAILED $out"
    after=$(cpu_ticks "$pid")
    errs1=$(ival "$(info "$p" stats)" total_error_replies)
    read -r rps p99 < <(awk -F'"' '/^"SET"/ { print $4, $14 }' <<<"$out") || true
    if [[ $out == FAILED* || -z ${rps:-} ]]; then
        LOAD="FAIL redis-benchmark: $({ grep -m1 -i 'error' <<<"$out" || tail -n1 <<<"$out"; } | cut -c1-70)"
    elif ((errs1 - errs0 > 0)); then
        LOAD="FAIL $((errs1 - errs0)) error replies"
    else
        LOAD="$rps $p99 $(awk -v t=$((after - before)) -v hz="$CLK_TCK" -v n="$n" 'BEGIN { printf "%.2f", t / hz / n * 1e6 }')"
    fi
}

RAW=$WORK/raw
mkdir -p "$RAW"

# Appends a load's result, with the replicas' check, to $RAW/<load>__<server>.
record() { # load server result check
    local res=$3
    [[ $4 == ok || $4 == - ]] || res="FAIL $4${res:+ [$res]}"
    [[ $res != FAIL* ]] || FAILED=1
    echo "$res" >>"$RAW/$1__$2"
    log "run $run/$RUNS  $1  $2: $3 (replicas: $4)"
}

throughput_run() { # server
    local s=$1 pp ppid r1 r2
    FAILED=0
    launch "$s" "$s-primary"
    # shellcheck disable=SC2153 # start_server sets PORT and PID
    pp=$PORT ppid=$PID
    launch "$s" "$s-replica1"
    r1=$PORT
    launch "$s" "$s-replica2"
    r2=$PORT

    set_load "$pp" "$PIPELINE" "$ppid" "$REQUESTS"
    record alone "$s" "$LOAD" -
    set_load "$pp" 1 "$ppid" "$REQUESTS_P1"
    record alone_p1 "$s" "$LOAD" -

    if ! attach "$pp" "$r1" "$r2"; then
        local why l
        why="the replicas did not attach within ${CATCHUP_TIMEOUT}s ($(replica_links "$r1" "$r2"))"
        for l in replicas replicas_p1; do record "$l" "$s" "" "$why"; done
        [[ $s == ferrocache ]] && for l in sync sync_p1; do record "$l" "$s" "" "$why"; done
    else
        set_load "$pp" "$PIPELINE" "$ppid" "$REQUESTS"
        record replicas "$s" "$LOAD" "$(check_replicas "$pp" "$r1" "$r2")"
        set_load "$pp" 1 "$ppid" "$REQUESTS_P1"
        record replicas_p1 "$s" "$LOAD" "$(check_replicas "$pp" "$r1" "$r2")"
        if [[ $s == ferrocache ]]; then
            cli "$pp" config set sync-replicas 1 >/dev/null
            set_load "$pp" "$PIPELINE" "$ppid" "$REQUESTS_SYNC"
            record sync "$s" "$LOAD" "$(check_replicas "$pp" "$r1" "$r2")"
            set_load "$pp" 1 "$ppid" "$REQUESTS_SYNC"
            record sync_p1 "$s" "$LOAD" "$(check_replicas "$pp" "$r1" "$r2")"
        fi
    fi
    if ((FAILED)); then show_logs "$s-primary" "$s-replica1" "$s-replica2"; fi
    local pid
    for pid in "${PIDS[@]}"; do stop_server "$pid"; done
    PIDS=()
}

# ---------------------------------------------------------------- full resync

# bytes_received of the replica $1's (pid) connection to port $2.
link_bytes() {
    ss -tinpH state established "( dport = :$2 )" |
        awk -v pid="pid=$1," 'index($0, pid) { hit = 1; next } hit { if (match($0, /bytes_received:[0-9]+/)) print substr($0, RSTART + 15, RLENGTH - 15); exit }'
}

rchar() { sed -n 's/^rchar: //p' "/proc/$1/io"; }

resync_run() { # server primary_port
    local s=$1 pp=$2 rp rpid t0 n ok=0 st0 rc0 want secs check bytes repl rch
    launch "$s" "$s-resync-replica"
    rp=$PORT rpid=$PID
    want=$(cli "$pp" dbsize)
    st0=$(ival "$(info "$pp" stats)" total_net_repl_output_bytes)
    rc0=$(rchar "$rpid")
    t0=$(now)
    [[ $(cli "$rp" replicaof 127.0.0.1 "$pp") == OK ]] || die "$s refused REPLICAOF"
    for _ in $(seq $((CATCHUP_TIMEOUT * 20))); do
        if [[ $(ival "$(info "$rp" replication)" master_link_status) == up ]] &&
            [[ $(cli "$rp" dbsize 2>/dev/null) == "$want" ]]; then
            ok=1
            break
        fi
        sleep 0.05
    done
    secs=$(elapsed "$t0")
    bytes=$(link_bytes "$rpid" "$pp")
    repl=$(( $(ival "$(info "$pp" stats)" total_net_repl_output_bytes) - st0 ))
    rch=$(( $(rchar "$rpid") - rc0 ))
    if ((ok)); then
        check=$(check_replicas "$pp" "$rp")
        n=$(cli "$rp" dbsize)
        record resync "$s" "$secs ${bytes:-0} $repl $rch" "$check"
    else
        n=$(cli "$rp" dbsize 2>&1 || true)
        record resync "$s" "" "not in sync after ${CATCHUP_TIMEOUT}s (DBSIZE $n of $want; $(replica_links "$rp"))"
        show_logs "$s-resync-primary" "$s-resync-replica"
    fi
    stop_server "$rpid"
    unset 'PIDS[-1]'
}

# ---------------------------------------------------------------- runs

if [[ " $LOADS " == *" throughput "* ]]; then
    for run in $(seq "$RUNS"); do
        for s in "${SERVERS[@]}"; do
            throughput_run "$s"
        done
    done
fi

declare -A RPORT
if [[ " $LOADS " == *" resync "* ]]; then
    for s in "${SERVERS[@]}"; do
        launch "$s" "$s-resync-primary"
        RPORT[$s]=$PORT
        cli "$PORT" debug populate "$KEYS" key "$SIZE" >/dev/null
        log "$s: $KEYS keys of $SIZE bytes on port $PORT"
    done
    for run in $(seq "$RUNS"); do
        for s in "${SERVERS[@]}"; do
            resync_run "$s" "${RPORT[$s]}"
        done
    done
fi

# ---------------------------------------------------------------- tables

# Column $2's median over the runs of load $1 that passed (empty if none did).
med() { { grep -v '^FAIL' "$RAW/$1" || true; } | cut -d' ' -f"$2" | median; }

# The checks of load $1: "ok" when every run passed, else how many failed
# and the first reason.
checks() {
    local f=$RAW/$1 n k
    n=$(wc -l <"$f")
    k=$(grep -c '^FAIL' "$f" || true)
    if ((k == 0)); then
        echo ok
    else
        echo "**FAIL** in $k of $n: $(grep -m1 '^FAIL' "$f" | cut -c6- | sed 's/ \[.*//')"
    fi
}

# The median over the runs in which both passed of load $1's column $3
# over load $2's (the same run's), to two decimals. Every throughput run
# records every load, so line N of each file is run N.
paired() {
    paste -d'|' "$RAW/$1" "$RAW/$2" |
        awk -F'|' -v c="$3" '$1 !~ /^FAIL/ && $2 !~ /^FAIL/ {
            split($1, a, " "); split($2, b, " "); if (b[c] > 0) print a[c] / b[c] }' |
        median | awk '{ printf "%.2f", $1 }'
}

# A throughput row: load, server, label, replicas, -P, baseline load.
row() {
    local k=$1__$2 rps vs='' cr=''
    [[ -f $RAW/$k ]] || return 0
    rps=$(med "$k" 1)
    if [[ -z $rps ]]; then
        echo "| $3 | $2 | $4 | $5 | | | | | | $(checks "$k") |"
        return
    fi
    if [[ -n $6 && -f $RAW/$6__$2 ]]; then
        vs=$(paired "$k" "$6__$2" 1)
        cr=$(paired "$k" "$6__$2" 3)
    fi
    printf '| %s | %s | %s | %s | %.0f | %s | %s | %s | %s | %s |\n' \
        "$3" "$2" "$4" "$5" "$rps" "$(med "$k" 2)" "$(med "$k" 3)" "$vs" "$cr" "$(checks "$k")"
}

mkdir -p "$(dirname "$OUT")"
{
    echo "# Replication: ferrocache and redis-server"
    echo
    echo "$(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores shared by the servers and the client (load average" \
        "$LOAD_START at the start, $(cut -d' ' -f1 /proc/loadavg) at the end), ferrocache $(git rev-parse --short HEAD 2>/dev/null || echo '?')" \
        "--threads $THREADS (primary and replicas), redis-server $redis_version; median of $RUNS run(s)." \
        "Every server: repl-diskless-sync-delay 0."
    if [[ " $LOADS " == *" throughput "* ]]; then
        echo
        echo "## SET throughput with replicas"
        echo
        echo "\`redis-benchmark -t set -c $CLIENTS -r $KEYSPACE -d $DATA\`, $REQUESTS requests at -P $PIPELINE," \
            "$REQUESTS_P1 at -P 1, $REQUESTS_SYNC with sync-replicas at either depth. CPU is the primary's user+system time. \"vs base\" is against the row named" \
            "in the load column's parentheses, same server: the median of the runs' ratios, each run's load" \
            "against the same run's base (below 1 is slower / cheaper). Every load with" \
            "replicas is checked: each replica reached the primary's master_repl_offset and gave its DEBUG" \
            "DIGEST. A run that failed its check, or whose replicas did not attach, is counted under" \
            "\"checks\" and left out of the medians, which are of the runs that passed."
        echo
        echo "| load | server | replicas | -P | req/s | p99 ms | CPU s/M req | req/s vs base | CPU vs base | checks |"
        echo "|---|---|---:|---:|---:|---:|---:|---:|---:|---|"
        for s in "${SERVERS[@]}"; do row alone "$s" "alone" 0 "$PIPELINE" ""; done
        for s in "${SERVERS[@]}"; do row replicas "$s" "2 replicas (vs alone)" 2 "$PIPELINE" alone; done
        row sync ferrocache "2 replicas, sync-replicas 1 (vs 2 replicas)" 2 "$PIPELINE" replicas
        for s in "${SERVERS[@]}"; do row alone_p1 "$s" "alone" 0 1 ""; done
        for s in "${SERVERS[@]}"; do row replicas_p1 "$s" "2 replicas (vs alone)" 2 1 alone_p1; done
        row sync_p1 ferrocache "2 replicas, sync-replicas 1 (vs 2 replicas)" 2 1 replicas_p1
    fi
    if [[ " $LOADS " == *" resync "* ]]; then
        echo
        echo "## Full resync of a fresh replica"
        echo
        echo "The primary holds $KEYS keys of $SIZE bytes (DEBUG POPULATE); seconds from REPLICAOF until the" \
            "replica's link is up and its DBSIZE equals the primary's (polled every 50 ms). \"link bytes\" is" \
            "bytes_received of the replica's connection to the primary (ss -ti): the snapshot plus a few" \
            "handshake bytes, counted by the kernel alike for both servers. \"INFO repl out\" is the primary's" \
            "total_net_repl_output_bytes delta, \"rchar\" the replica's /proc/<pid>/io rchar delta: read(2)" \
            "calls, which include reading its temporary copy of the snapshot back from disk but not recv(2)," \
            "which ferrocache reads its sockets with; neither is comparable across the servers." \
            "\"checks\": the replica synced within ${CATCHUP_TIMEOUT}s and gave the primary's DEBUG DIGEST;" \
            "medians are of the runs that passed."
        echo
        echo "| server | resync s | link bytes | INFO repl out | rchar | checks |"
        echo "|---|---:|---:|---:|---:|---|"
        for s in "${SERVERS[@]}"; do
            k=resync__$s
            echo "| $s | $(med "$k" 1) | $(med "$k" 2) | $(med "$k" 3) | $(med "$k" 4) | $(checks "$k") |"
        done
        if [[ -n $(med resync__ferrocache 1) && -n $(med resync__redis-server 1) ]]; then
            echo
            echo "ferrocache / redis-server: resync time $(ratio "$(med resync__ferrocache 1)" "$(med resync__redis-server 1)")," \
                "link bytes $(ratio "$(med resync__ferrocache 2)" "$(med resync__redis-server 2)")."
        fi
    fi
} >"$OUT"

echo
cat "$OUT"
log "saved to $OUT"
