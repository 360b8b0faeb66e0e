#!/usr/bin/env bash
# Pub/sub against redis-server, side by side in one run, two loads:
#
# 1. Fan-out: one publisher, S subscribers of one channel (each on its own
#    connection), for each S in SUBS. examples/psload.rs publishes
#    DELIVERIES / S messages of DATA bytes, PIPELINE requests a batch, and
#    counts what every subscriber receives. Reported: deliveries (messages
#    times subscribers) per second, from the first PUBLISH to the last
#    subscriber's last message, and the server's CPU time per delivery.
# 2. Keyspace notifications: redis-benchmark SET at -P PIPELINE_SET with
#    notify-keyspace-events "" and "KEA", each with no subscriber and with
#    one PSUBSCRIBEd to '__key*__:*' that reads everything (psload --sink;
#    with no subscriber both servers publish to nobody). Reported: req/s,
#    CPU time per request, messages the subscriber read, and each against
#    the same server with notifications off and no subscriber.
#
#   scripts/pubsubbench.sh           # full run: three runs, medians
#   QUICK=1 scripts/pubsubbench.sh   # smoke run: small loads, one run
#
# Environment:
#   RUNS          runs of every load; the tables show medians        [3; QUICK: 1]
#   SUBS          subscriber counts of the fan-out load              [1 10 100]
#   DELIVERIES    messages times subscribers per fan-out load        [4000000; QUICK: 200000]
#   DATA          payload bytes per message                          [32]
#   PIPELINE      PUBLISH requests per pipelined batch               [64]
#   WINDOW        messages the publisher may run ahead of the slowest
#                 subscriber; 0 publishes open loop                  [4096]
#   NP            SET requests per notification load                 [1000000; QUICK: 100000]
#   PIPELINE_SET  redis-benchmark -P of the notification load        [16]
#   CLIENTS       redis-benchmark connections                        [50]
#   KEYSPACE      redis-benchmark -r                                 [100000]
#   THREADS       ferrocache --threads                               [2]
#   PUBSUB_LIMIT  client-output-buffer-limit of the pubsub class,
#                 set alike on both servers                          [256mb 64mb 60]
#   TIMEOUT       seconds without progress before a load fails       [10]
#   LOADS         "fanout notify" or one of them                     [fanout notify]
#   PORT_BASE     first port tried for the servers                   [27500]
#   OUT           where the markdown tables are saved               [target/bench/pubsub.md]
#
# The default pubsub limit (32mb 8mb 60) closes a subscriber that falls
# behind; the fan-out publisher's window keeps each subscriber's backlog
# near WINDOW messages, but the notification subscriber has no such brake,
# so both servers get PUBSUB_LIMIT. A load in which the server closes a
# subscriber, or that stalls for TIMEOUT seconds, is reported as such
# instead of given numbers.

set -euo pipefail
SCRIPT=pubsubbench.sh
cd "$(dirname "$0")/.."

QUICK=${QUICK:-0}
if [[ $QUICK == 1 ]]; then
    RUNS=${RUNS:-1}
    DELIVERIES=${DELIVERIES:-200000}
    NP=${NP:-100000}
else
    RUNS=${RUNS:-3}
    DELIVERIES=${DELIVERIES:-4000000}
    NP=${NP:-1000000}
fi
SUBS=${SUBS:-1 10 100}
DATA=${DATA:-32}
PIPELINE=${PIPELINE:-64}
WINDOW=${WINDOW:-4096}
PIPELINE_SET=${PIPELINE_SET:-16}
CLIENTS=${CLIENTS:-50}
KEYSPACE=${KEYSPACE:-100000}
THREADS=${THREADS:-2}
PUBSUB_LIMIT=${PUBSUB_LIMIT:-256mb 64mb 60}
TIMEOUT=${TIMEOUT:-10}
LOADS=${LOADS:-fanout notify}
PORT_BASE=${PORT_BASE:-27500}
OUT=${OUT:-target/bench/pubsub.md}
# shellcheck source=scripts/lib.sh
source scripts/lib.sh

for tool in redis-server redis-benchmark redis-cli; do
    command -v "$tool" >/dev/null || die "$tool is not installed (apt-get install redis-server redis-tools)"
done
redis_version=$(redis-server --version | sed -n 's/.*v=\([0-9.]*\).*/\1/p')
[[ $redis_version == 7.* ]] || log "warning: redis-server $redis_version, not 7.x"

log "building ferrocache and psload (release)"
cargo build --release --quiet --bin ferrocache --example psload
PSLOAD=target/release/examples/psload
# A whole load may take this long before it is declared failed.
DEADLINE=$((TIMEOUT * 30))

# ---------------------------------------------------------------- servers

SERVERS=(ferrocache redis-server)
declare -A SPID SPORT
start_server target/release/ferrocache --port PORT --memcache-port 0 --threads "$THREADS" --loglevel warning
SPID[ferrocache]=$PID SPORT[ferrocache]=$PORT
start_server redis-server --port PORT --bind 127.0.0.1 --save '' --appendonly no --daemonize no --logfile ''
SPID[redis-server]=$PID SPORT[redis-server]=$PORT

cli() { redis-cli -p "$1" "${@:2}"; }

for s in "${SERVERS[@]}"; do
    p=${SPORT[$s]}
    [[ $(cli "$p" CONFIG SET client-output-buffer-limit "pubsub $PUBSUB_LIMIT") == OK ]] ||
        die "$s refused client-output-buffer-limit 'pubsub $PUBSUB_LIMIT'"
    log "$s: pid ${SPID[$s]}, port $p, $(cli "$p" CONFIG GET client-output-buffer-limit | tail -n1)"
done

# CPU time per event: per_event TICKS EVENTS UNITS_PER_SECOND PRINTF_FORMAT.
per_event() { awk -v t="$1" -v hz="$CLK_TCK" -v n="$2" -v u="$3" -v f="$4" 'BEGIN { printf f, t / hz / n * u }'; }

alive() { kill -0 "${SPID[$1]}" 2>/dev/null || die "$1 has exited"; }

# One load's result: numbers, or "FAIL reason". The loads set it rather
# than print it, so that they run in this shell (a sink they start is in
# PIDS, stopped on exit).
RESULT=

# Per load and server: one line per run, a RESULT each.
RAW=$WORK/raw
mkdir -p "$RAW"

# ---------------------------------------------------------------- fan-out

fanout() { # server subscribers
    local s=$1 subs=$2 n=$((DELIVERIES / $2)) before after out line status
    ((n > 0)) || n=1
    alive "$s"
    before=$(cpu_ticks "${SPID[$s]}")
    out=$("$PSLOAD" -p "${SPORT[$s]}" -s "$subs" -n "$n" -d "$DATA" -P "$PIPELINE" --window "$WINDOW" \
        --timeout "$TIMEOUT" --deadline "$DEADLINE" 2>/dev/null || true)
    after=$(cpu_ticks "${SPID[$s]}")
    line=$(grep '^RESULT ' <<<"$out" | tail -n1 || true)
    status=$(field status "$line")
    if [[ -z $line ]]; then
        RESULT="FAIL psload gave no result"
    elif [[ $status != ok ]]; then
        RESULT="FAIL $status: $(field first_error "$line" | tr _ ' ')"
    else
        local deliveries
        deliveries=$(field deliveries "$line")
        RESULT="$(field rate "$line") $(per_event $((after - before)) "$deliveries" 1e9 %.0f)"
    fi
}

# ---------------------------------------------------------------- notifications

# Starts a psload sink on port $1; sets SINK (its pid) once it has
# PSUBSCRIBEd, or returns 1.
start_sink() {
    : >"$WORK/sink.out"
    "$PSLOAD" -p "$1" --sink '__key*__:*' --deadline "$DEADLINE" >"$WORK/sink.out" 2>/dev/null &
    SINK=$!
    PIDS+=("$SINK")
    local _
    for _ in $(seq $((TIMEOUT * 10))); do
        grep -q '^READY' "$WORK/sink.out" && return 0
        kill -0 "$SINK" 2>/dev/null || return 1
        sleep 0.1
    done
    return 1
}

notify() { # server flags sub(0|1)
    local s=$1 flags=$2 sub=$3 p=${SPORT[$1]} before after out rps msgs=- line
    alive "$s"
    [[ $(cli "$p" CONFIG SET notify-keyspace-events "$flags") == OK ]] ||
        { RESULT="FAIL CONFIG SET notify-keyspace-events '$flags' refused"; return; }
    if ((sub)) && ! start_sink "$p"; then
        kill "$SINK" 2>/dev/null || true
        RESULT="FAIL the subscriber did not PSUBSCRIBE within ${TIMEOUT}s"
        return
    fi
    before=$(cpu_ticks "${SPID[$s]}")
    out=$(timeout "$DEADLINE" redis-benchmark -p "$p" -t set -P "$PIPELINE_SET" -n "$NP" -c "$CLIENTS" \
        -r "$KEYSPACE" --csv 2>&1) || out="FAILED $out"
    if ((sub)); then
        # The server's CPU counts until the subscriber has read the last
        # message: delivering is part of the cost.
        kill -TERM "$SINK" 2>/dev/null || true
        wait "$SINK" 2>/dev/null || true
        line=$(grep '^RESULT ' "$WORK/sink.out" | tail -n1 || true)
    fi
    after=$(cpu_ticks "${SPID[$s]}")
    cli "$p" CONFIG SET notify-keyspace-events "" >/dev/null
    rps=$(grep -i '^"SET"' <<<"$out" | tail -n1 | tr -d '"' | cut -d, -f2 || true)
    if [[ $out == FAILED* || -z $rps ]]; then
        RESULT="FAIL redis-benchmark: $({ grep -m1 -i 'error' <<<"$out" || tail -n1 <<<"$out"; } | cut -c1-70)"
        return
    fi
    if ((sub)); then
        if [[ -z $line ]]; then
            RESULT="FAIL the subscriber gave no result"
            return
        elif [[ $(field status "$line") != ok ]]; then
            RESULT="FAIL subscriber $(field status "$line"): $(field first_error "$line" | tr _ ' ')"
            return
        fi
        msgs=$(field messages "$line")
    fi
    RESULT="$rps $(per_event $((after - before)) "$NP" 1e6 %.2f) $msgs"
}

# notify-keyspace-events | subscriber (0|1) | label
NOTIFY_SPECS=('|0|off, no subscriber' '|1|off, subscriber' 'KEA|0|KEA, no subscriber' 'KEA|1|KEA, subscriber')

# ---------------------------------------------------------------- runs

for run in $(seq "$RUNS"); do
    if [[ " $LOADS " == *" fanout "* ]]; then
        for subs in $SUBS; do
            for s in "${SERVERS[@]}"; do
                fanout "$s" "$subs"
                echo "$RESULT" >>"$RAW/fanout_${subs}__$s"
                log "run $run/$RUNS  fan-out to $subs  $s: $RESULT"
            done
        done
    fi
    if [[ " $LOADS " == *" notify "* ]]; then
        for spec in "${NOTIFY_SPECS[@]}"; do
            IFS='|' read -r flags sub label <<<"$spec"
            for s in "${SERVERS[@]}"; do
                notify "$s" "$flags" "$sub"
                echo "$RESULT" >>"$RAW/notify_${flags:-off}_${sub}__$s"
                log "run $run/$RUNS  SET, $label  $s: $RESULT"
            done
        done
    fi
done

# ---------------------------------------------------------------- tables

# Column $2's median over the runs of load $1, or "FAIL reason" if any failed.
med() {
    local f=$RAW/$1
    if grep -q '^FAIL' "$f"; then
        grep -m1 '^FAIL' "$f"
    else
        cut -d' ' -f"$2" "$f" | median
    fi
}

mkdir -p "$(dirname "$OUT")"
{
    echo "# Pub/sub: ferrocache and redis-server"
    echo
    echo "$(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores (load average $(cut -d' ' -f1 /proc/loadavg) at the end)," \
        "ferrocache $(git rev-parse --short HEAD 2>/dev/null || echo '?') --threads $THREADS," \
        "redis-server $redis_version; median of $RUNS run(s). Both servers:" \
        "\`client-output-buffer-limit pubsub $PUBSUB_LIMIT\`. CPU is the server's user+system time."
    if [[ " $LOADS " == *" fanout "* ]]; then
        echo
        echo "## Fan-out: 1 publisher, S subscribers of one channel"
        echo
        echo "${DATA}-byte payloads, PUBLISH pipelined $PIPELINE deep, the publisher at most $WINDOW messages" \
            "ahead of the slowest subscriber ($([[ $WINDOW == 0 ]] && echo 'no bound: open loop' || echo 'closed loop'));" \
            "$DELIVERIES deliveries (messages × S) a load. Ratios are ferrocache / redis-server:" \
            "above 1 is better for deliveries/s, below 1 for CPU."
        echo
        echo "| S | messages | server | deliveries/s | CPU ns/delivery | deliveries/s ratio | CPU ratio |"
        echo "|---:|---:|---|---:|---:|---:|---:|"
        for subs in $SUBS; do
            for s in "${SERVERS[@]}"; do
                k=fanout_${subs}__$s
                rate=$(med "$k" 1)
                if [[ $rate == FAIL* ]]; then
                    echo "| $subs | $((DELIVERIES / subs)) | $s | **failed**: ${rate#FAIL } | | | |"
                    continue
                fi
                cpu=$(med "$k" 2)
                rr='' cr=''
                if [[ $s == ferrocache ]]; then
                    ref=fanout_${subs}__redis-server
                    rrate=$(med "$ref" 1)
                    if [[ $rrate != FAIL* ]]; then
                        rr=$(ratio "$rate" "$rrate")
                        cr=$(ratio "$cpu" "$(med "$ref" 2)")
                    fi
                fi
                printf '| %s | %s | %s | %.0f | %s | %s | %s |\n' "$subs" "$((DELIVERIES / subs))" "$s" "$rate" "$cpu" "$rr" "$cr"
            done
        done
    fi
    if [[ " $LOADS " == *" notify "* ]]; then
        echo
        echo "## Keyspace notifications: SET under redis-benchmark"
        echo
        echo "\`redis-benchmark -t set -P $PIPELINE_SET -n $NP -c $CLIENTS -r $KEYSPACE\`; the subscriber is" \
            "\`PSUBSCRIBE '__key*__:*'\`, reading everything; with KEA a SET publishes two messages" \
            "(keyspace and keyevent). \"vs off\" is against the same server with notify-keyspace-events" \
            "\"\" and no subscriber; \"ratio\" is ferrocache / redis-server."
        echo
        echo "| notify-keyspace-events | server | req/s | CPU µs/req | messages read | req/s vs off | CPU vs off | req/s ratio | CPU ratio |"
        echo "|---|---|---:|---:|---:|---:|---:|---:|---:|"
        for spec in "${NOTIFY_SPECS[@]}"; do
            IFS='|' read -r flags sub label <<<"$spec"
            for s in "${SERVERS[@]}"; do
                k=notify_${flags:-off}_${sub}__$s
                rps=$(med "$k" 1)
                if [[ $rps == FAIL* ]]; then
                    echo "| $label | $s | **failed**: ${rps#FAIL } | | | | | | |"
                    continue
                fi
                cpu=$(med "$k" 2)
                msgs=$(med "$k" 3)
                base=notify_off_0__$s
                vr='' vc=''
                if [[ $(med "$base" 1) != FAIL* ]]; then
                    vr=$(ratio "$rps" "$(med "$base" 1)")
                    vc=$(ratio "$cpu" "$(med "$base" 2)")
                fi
                rr='' cr=''
                ref=notify_${flags:-off}_${sub}__redis-server
                if [[ $s == ferrocache && $(med "$ref" 1) != FAIL* ]]; then
                    rr=$(ratio "$rps" "$(med "$ref" 1)")
                    cr=$(ratio "$cpu" "$(med "$ref" 2)")
                fi
                printf '| %s | %s | %.0f | %s | %s | %s | %s | %s | %s |\n' \
                    "$label" "$s" "$rps" "$cpu" "$msgs" "$vr" "$vc" "$rr" "$cr"
            done
        done
    fi
} >"$OUT"

echo
cat "$OUT"
log "saved to $OUT"
