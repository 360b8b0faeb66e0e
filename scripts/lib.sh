# shellcheck shell=bash
# Helpers the benchmark scripts share. Source it after setting PORT_BASE
# and SCRIPT (the name die() prints); it creates WORK, a scratch directory,
# and PIDS, the servers to stop on exit.

WORK=$(mktemp -d -t "ferrocache-${SCRIPT%.sh}.XXXXXX")
PIDS=()

cleanup() {
    local pid
    for pid in "${PIDS[@]}"; do
        kill "$pid" 2>/dev/null || true
    done
    for pid in "${PIDS[@]}"; do
        wait "$pid" 2>/dev/null || true
    done
    rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

log() { printf '%s\n' "$*" >&2; }
die() { log "$SCRIPT: $*"; exit 1; }

port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

NEXT_PORT=$PORT_BASE
# Sets TAKEN to the next free port from PORT_BASE on, never 6379 or 11211.
take_port() {
    while [[ $NEXT_PORT == 6379 || $NEXT_PORT == 11211 ]] || ! port_free "$NEXT_PORT"; do
        NEXT_PORT=$((NEXT_PORT + 1))
    done
    TAKEN=$NEXT_PORT
    NEXT_PORT=$((NEXT_PORT + 1))
}

wait_port() {
    for _ in $(seq 100); do
        port_free "$1" || return 0
        sleep 0.1
    done
    die "nothing listens on port $1"
}

# Starts "$@" in the background with every PORT in its arguments replaced
# by a free port, and waits until it listens; sets PORT and PID, and
# registers the process to stop on exit. Its output goes to $WORK/server.log.
start_server() {
    take_port
    PORT=$TAKEN
    local args=() a
    for a in "$@"; do args+=("${a//PORT/$PORT}"); done
    "${args[@]}" >"$WORK/server.log" 2>&1 &
    PID=$!
    PIDS+=("$PID")
    wait_port "$PORT"
}

# Stops a server start_server started.
stop_server() {
    kill "$1" 2>/dev/null || true
    wait "$1" 2>/dev/null || true
}

# The median of the numbers on stdin, one a line.
median() { sort -g | awk '{ v[NR] = $1 } END { if (NR) print v[int((NR + 1) / 2)] }'; }

# $1 / $2 to two decimals, or "-" when $2 is not positive.
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "-" }'; }

# shellcheck disable=SC2034 # read by the scripts that source this
CLK_TCK=$(getconf CLK_TCK)

# utime + stime of a process, in clock ticks (CLK_TCK a second). The
# command name in field 2 may hold spaces, so fields are counted after its
# closing parenthesis.
cpu_ticks() {
    local stat
    stat=$(<"/proc/$1/stat")
    stat=${stat##*) }
    # shellcheck disable=SC2086
    set -- $stat
    echo $((${12} + ${13}))
}

# The value of "name=value" in a line of words: field NAME LINE.
field() { sed -n "s/.* $1=\([^ ]*\).*/\1/p" <<<"$2"; }
