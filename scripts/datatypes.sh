#!/usr/bin/env bash
# redis-benchmark's default test list against ferrocache and redis-server,
# side by side: requests/s of every test, the ratio, and any error reply.
#
#   scripts/datatypes.sh             # three rounds; the table shows medians
#
# First the whole default list (no -t) runs once against ferrocache: every
# test must complete with no error reply, and its test names are the list
# the rounds must cover.
#
# Then each round starts fresh servers and walks the same list a step at a
# time (-t ping_inline, -t ping_mbulk, ... -t lrange, -t mset), running each
# step against every server before the next step, the first server of each
# step taking turns. Each server so receives exactly the commands of the
# default list, in its order (redis-benchmark opens new connections for
# every test anyway), while the two runs of one test lie seconds apart
# instead of a minute: on a shared machine whose speed drifts by tens of
# percent over a minute, that is what makes the ratio mean something.
#
# The ratio column is the median over rounds of each round's ratio.
#
# Environment:
#   RUNS       rounds                                            [3]
#   N          requests per test (-n)                            [200000]
#   CLIENTS    connections (-c)                                  [50]
#   THREADS    ferrocache --threads                              [1]
#   PIN        1: servers on the last core, redis-benchmark on the
#              others (taskset), so the two never take each other's
#              core; 0: let the scheduler place them   [1 with 2+ cores]
#   CONTROL    1: also run every step against a second redis-server, and
#              show its ratio to the first: the noise floor      [0]
#   PORT_BASE  first port tried for the servers                  [27700]
#   OUT        where the markdown table is saved                 [target/bench/datatypes.md]
#              (every run's rate and CPU time go beside it, in .tsv files)
#
# redis-server executes commands on one thread, and redis-benchmark runs on
# the same machine: ferrocache gets one worker thread by default too, so
# that neither server takes the cores the client needs.

set -euo pipefail
SCRIPT=datatypes.sh
cd "$(dirname "$0")/.."
RUNS=${RUNS:-3}
N=${N:-200000}
CLIENTS=${CLIENTS:-50}
THREADS=${THREADS:-1}
CORES=$(nproc)
PIN=${PIN:-$((CORES > 1))}
CONTROL=${CONTROL:-0}
PORT_BASE=${PORT_BASE:-27700}
OUT=${OUT:-target/bench/datatypes.md}
source scripts/lib.sh

# redis-benchmark's default list, as the -t selections that make it up.
STEPS=(ping_inline ping_mbulk set get incr lpush rpush lpop rpop sadd hset spop zadd zpopmin lrange mset)

for tool in redis-server redis-benchmark; do
    command -v "$tool" >/dev/null || die "$tool is not installed"
done
cargo build --release --quiet
BIN=target/release/ferrocache

SERVER_PIN=() CLIENT_PIN=()
if [[ $PIN == 1 ]]; then
    SERVER_PIN=(taskset -c "$((CORES - 1))")
    CLIENT_PIN=(taskset -c "0-$((CORES - 2))")
fi

NAMES=(ferrocache redis)
[[ $CONTROL == 1 ]] && NAMES+=(control)
declare -A PORT_OF PID_OF

# Starts the server called $1 and records its port and pid.
start_named() {
    case $1 in
    ferrocache) start_server "${SERVER_PIN[@]}" "$BIN" --port PORT --memcache-port 0 --threads "$THREADS" ;;
    *) start_server "${SERVER_PIN[@]}" redis-server --port PORT --save '' --appendonly no ;;
    esac
    PORT_OF[$1]=$PORT
    PID_OF[$1]=$PID
}

# Runs redis-benchmark against server $1: the step $2 (its -t selection),
# or with no $2 the whole default list. Appends "name<TAB>round<TAB>test
# <TAB>rps" lines to $WORK/results (or the file in $RESULTS), error lines
# to $WORK/errors, and "name<TAB>round<TAB>step<TAB>µs" to $WORK/cpu: the
# server's CPU time (user and system, from /proc) per request.
bench() {
    local name=$1 step=${2:-default} select=() before after tests
    [[ $# -gt 1 ]] && select=(-t "$2")
    before=$(cpu_ticks "${PID_OF[$name]}")
    "${CLIENT_PIN[@]}" redis-benchmark -p "${PORT_OF[$name]}" -n "$N" -c "$CLIENTS" --csv "${select[@]}" \
        >"$WORK/out.csv" 2>"$WORK/err.txt" || true
    after=$(cpu_ticks "${PID_OF[$name]}")
    tests=$(($(wc -l <"$WORK/out.csv") - 1))
    if ((tests > 0)); then
        awk -v n="$name" -v r="${ROUND:-0}" -v s="$step" -v t=$((after - before)) -v hz="$(getconf CLK_TCK)" -v q=$((N * tests)) \
            'BEGIN { printf "%s\t%s\t%s\t%.2f\n", n, r, s, t * 1e6 / hz / q }' >>"$WORK/cpu"
    fi
    grep -i "error" "$WORK/err.txt" "$WORK/out.csv" | sed "s/^/$name: /" >>"$WORK/errors" || true
    tail -n +2 "$WORK/out.csv" |
        awk -F'","' -v n="$name" -v r="${ROUND:-0}" '{ gsub(/"/, "", $1); print n "\t" r "\t" $1 "\t" $2 }' \
            >>"${RESULTS:-$WORK/results}"
}

: >"$WORK/results"
: >"$WORK/errors"
: >"$WORK/cpu"
# utime + stime of process $1, in clock ticks.
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }

# The whole default list, once, against ferrocache.
start_named ferrocache
RESULTS=$WORK/whole bench ferrocache
stop_server "${PID_OF[ferrocache]}"
cut -f3 "$WORK/whole" >"$WORK/whole.tests"
[[ -s $WORK/whole.tests ]] || die "the default list printed no results"
log "default list: $(wc -l <"$WORK/whole.tests") tests completed"

for ROUND in $(seq "$RUNS"); do
    for name in "${NAMES[@]}"; do start_named "$name"; done
    k=${#NAMES[@]}
    for s in "${!STEPS[@]}"; do
        for i in $(seq 0 $((k - 1))); do
            bench "${NAMES[$(((i + s + ROUND) % k))]}" "${STEPS[$s]}"
        done
    done
    for name in "${NAMES[@]}"; do stop_server "${PID_OF[$name]}"; done
    log "round $ROUND of $RUNS done"
done

# The steps must have covered the default list, test for test.
awk -F'\t' '$1 == "ferrocache" && $2 == 1 { print $3 }' "$WORK/results" >"$WORK/steps.tests"
cmp -s "$WORK/whole.tests" "$WORK/steps.tests" ||
    die "the -t steps ran other tests than the default list: $(diff "$WORK/whole.tests" "$WORK/steps.tests" | tr '\n' ' ')"

# The median over rounds of server $2's numbers for test (or step) $3 in
# file $1: $WORK/results or $WORK/cpu, both "name round test number".
median_of() { awk -F'\t' -v n="$2" -v t="$3" '$1 == n && $2 > 0 && $3 == t { print $4 }' "$1" | median; }
# The median over rounds of server $1's rate over server $2's, for test $3.
ratio_of() {
    awk -F'\t' -v a="$1" -v b="$2" -v t="$3" '
        $3 == t && $1 == a { x[$2] = $4 }
        $3 == t && $1 == b { y[$2] = $4 }
        END { for (r in x) if (y[r] > 0) printf "%.4f\n", x[r] / y[r] }' "$WORK/results" |
        median | awk '{ printf "%.2f", $1 }'
}

mkdir -p "$(dirname "$OUT")"
{
    printf 'server\tround\ttest\trps\n'
    cat "$WORK/results"
} >"${OUT%.md}.tsv"
{
    printf 'server\tround\tstep\tcpu_us_per_request\n'
    cat "$WORK/cpu"
} >"${OUT%.md}.cpu.tsv"
{
    echo "redis-benchmark -n $N -c $CLIENTS, its default tests run a step at a time against each server in turn;"
    echo "median requests/s of $RUNS rounds, and the median of the rounds' ratios."
    echo "redis-server $(redis-server --version | sed 's/.*v=\([^ ]*\).*/\1/'), ferrocache --threads $THREADS, $CORES cores, pinned: $PIN."
    echo
    if [[ $CONTROL == 1 ]]; then
        echo "| test | ferrocache | redis-server | ratio | second redis-server | its ratio |"
        echo "|---|---:|---:|---:|---:|---:|"
    else
        echo "| test | ferrocache | redis-server | ratio |"
        echo "|---|---:|---:|---:|"
    fi
    while IFS= read -r t; do
        row="| $t | $(median_of "$WORK/results" ferrocache "$t") | $(median_of "$WORK/results" redis "$t") | $(ratio_of ferrocache redis "$t") |"
        if [[ $CONTROL == 1 ]]; then
            row="$row $(median_of "$WORK/results" control "$t") | $(ratio_of control redis "$t") |"
        fi
        echo "$row"
    done <"$WORK/whole.tests"
    echo
    echo "Server CPU time (user and system) per request, µs, median of the rounds, by step:"
    echo
    echo "| step | ferrocache | redis-server | ratio |"
    echo "|---|---:|---:|---:|"
    for step in "${STEPS[@]}"; do
        f=$(median_of "$WORK/cpu" ferrocache "$step")
        r=$(median_of "$WORK/cpu" redis "$step")
        echo "| -t $step | $f | $r | $(ratio "$f" "$r") |"
    done
    echo
    echo "The default list (no -t) against ferrocache: $(wc -l <"$WORK/whole.tests") tests completed."
    if [[ -s $WORK/errors ]]; then
        echo "Error replies:"
        sed 's/^/    /' "$WORK/errors"
    else
        echo "No error replies."
    fi
} | tee "$OUT"
