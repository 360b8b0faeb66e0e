#!/usr/bin/env bash
# Runs real clients against the ferrocache binary on free ports:
#   (a) redis-cli: ping, set/get, --no-raw, --pipe
#   (b) redis-benchmark over the implemented commands; any error reply fails
#   (c) memccapable -a: every ascii test must pass
# Prints "N passed, M failed" and exits non-zero when anything failed.
#
# Environment:
#   FERROCACHE_BIN  binary to test (default: target/debug/ferrocache, built if missing)
#   BENCH_TESTS     redis-benchmark -t list (default: the commands that exist now;
#                   ping,set,get,incr,mset once INCR and MSET land)
#   BENCH_REQUESTS  requests per benchmark test (default 10000)
set -euo pipefail
cd "$(dirname "$0")/.."

BENCH_TESTS="${BENCH_TESTS:-ping_inline,ping_mbulk,set,get,incr,mset}"
BENCH_REQUESTS="${BENCH_REQUESTS:-10000}"
BIN="${FERROCACHE_BIN:-target/debug/ferrocache}"
if [[ ! -x "$BIN" ]]; then
    cargo build --quiet
fi
for tool in redis-cli redis-benchmark memccapable; do
    command -v "$tool" >/dev/null || { echo "compat: $tool is missing (scripts/test.sh installs it)" >&2; exit 2; }
done

work="$(mktemp -d)"
server_pid=""
cleanup() {
    if [[ -n "$server_pid" ]]; then
        kill "$server_pid" 2>/dev/null || true
        wait "$server_pid" 2>/dev/null || true
    fi
    rm -rf "$work"
}
trap cleanup EXIT

passed=0
failed=0
pass() { passed=$((passed + 1)); echo "  pass  $1"; }
fail() {
    failed=$((failed + 1))
    echo "  FAIL  $1"
    if [[ $# -gt 1 ]]; then printf '%s\n' "$2" | head -20 | sed 's/^/        /'; fi
}

# Start the server on random high ports; retry when a port is taken.
start_server() {
    local try
    for try in 1 2 3 4 5 6 7 8; do
        PORT=$((20000 + RANDOM % 20000))
        MCPORT=$((PORT + 1))
        "$BIN" --port "$PORT" --memcache-port "$MCPORT" --loglevel info 2>"$work/server.log" &
        server_pid=$!
        local i
        for i in $(seq 1 200); do
            if grep -q "memcached listening on" "$work/server.log" 2>/dev/null; then
                return 0
            fi
            if ! kill -0 "$server_pid" 2>/dev/null; then
                break
            fi
            sleep 0.05
        done
        kill "$server_pid" 2>/dev/null || true
        wait "$server_pid" 2>/dev/null || true
        server_pid=""
    done
    echo "compat: ferrocache did not start:" >&2
    cat "$work/server.log" >&2
    exit 2
}

start_server
echo "ferrocache $BIN on RESP port $PORT, memcached port $MCPORT"
cli() { timeout 60 redis-cli -h 127.0.0.1 -p "$PORT" "$@"; }

# expect NAME WANT COMMAND...: the command's stdout must equal WANT.
expect() {
    local name="$1" want="$2" got
    shift 2
    got="$("$@" 2>&1)" || true
    if [[ "$got" == "$want" ]]; then pass "$name"; else fail "$name" "expected: $want
got:      $got"; fi
}

echo "redis-cli"
expect "redis-cli ping" "PONG" cli ping
expect "redis-cli set" "OK" cli set compat:key "hello world"
expect "redis-cli get" "hello world" cli get compat:key
expect "redis-cli --no-raw get" '"hello world"' cli --no-raw get compat:key
expect "redis-cli --no-raw get missing" "(nil)" cli --no-raw get compat:missing
expect "redis-cli --no-raw exists" "(integer) 1" cli --no-raw exists compat:key
expect "redis-cli --no-raw del" "(integer) 1" cli --no-raw del compat:key
expect "redis-cli echo binary-safe" $'a\tb' cli echo $'a\tb'

pipe_n=5000
{
    for ((i = 0; i < pipe_n; i++)); do
        printf '*3\r\n$3\r\nSET\r\n$%d\r\n%s\r\n$%d\r\n%s\r\n' $((${#i} + 5)) "pipe:$i" ${#i} "$i"
    done
} >"$work/pipe.txt"
pipe_out="$(cli --pipe <"$work/pipe.txt" 2>&1)" && pipe_rc=0 || pipe_rc=$?
if [[ $pipe_rc -eq 0 && "$pipe_out" == *"errors: 0, replies: $pipe_n"* ]]; then
    pass "redis-cli --pipe ($pipe_n SETs)"
else
    fail "redis-cli --pipe ($pipe_n SETs)" "exit $pipe_rc: $pipe_out"
fi
expect "keys from --pipe are stored" "$pipe_n" cli dbsize
expect "a key from --pipe reads back" "4321" cli get pipe:4321
expect "redis-cli flushall" "OK" cli flushall

echo "redis-benchmark -t $BENCH_TESTS"
bench_out="$(timeout 600 redis-benchmark -h 127.0.0.1 -p "$PORT" -t "$BENCH_TESTS" \
    -n "$BENCH_REQUESTS" -c 20 --csv 2>&1)" && bench_rc=0 || bench_rc=$?
# redis-benchmark prints "Error from server: ..." and exits 1 on an error
# reply; a test name it does not know is skipped silently, so every
# requested test must have its CSV row.
if [[ $bench_rc -ne 0 ]] || grep -qi "error" <<<"$bench_out"; then
    fail "redis-benchmark ran without error replies" "exit $bench_rc: $(grep -i error <<<"$bench_out" | head -5)"
else
    pass "redis-benchmark ran without error replies"
fi
IFS=',' read -ra tests <<<"$BENCH_TESTS"
for t in "${tests[@]}"; do
    upper="$(tr '[:lower:]' '[:upper:]' <<<"$t")"
    # Rows are named in upper case; "ping" yields PING_INLINE and
    # PING_MBULK, "mset" yields "MSET (10 keys)".
    row="$(grep -E "^\"$upper[\" _]" <<<"$bench_out" | head -1 || true)"
    rps="$(cut -d, -f2 <<<"$row" | tr -d '"')"
    if [[ -n "$row" ]] && awk -v r="$rps" 'BEGIN { exit !(r > 0) }'; then
        pass "redis-benchmark $t ($rps requests/s)"
    else
        fail "redis-benchmark $t" "no result row in: $(head -c 400 <<<"$bench_out")"
    fi
done

echo "memccapable -a"
mc_out="$(timeout 300 memccapable -a -t 5 -h 127.0.0.1 -p "$MCPORT" 2>&1)" && mc_rc=0 || mc_rc=$?
# Each test starts a line "ascii NAME" and ends with [pass], [skip] or
# [FAIL]; an error text may come between, on the same or the next lines.
# Only [pass] counts: skipped or errored tests fail this script.
mc_tests=0
current=""
detail=""
while IFS= read -r line; do
    if [[ "$line" =~ ^ascii\ ([a-z ]+[a-z]) ]]; then
        if [[ -n "$current" ]]; then fail "memccapable $current" "no verdict: $detail"; fi
        current="${BASH_REMATCH[1]}"
        mc_tests=$((mc_tests + 1))
        line="${line#ascii "$current"}"
        detail=""
    fi
    [[ -n "$current" ]] || continue
    if [[ "$line" == *"[pass]"* ]]; then
        pass "memccapable $current"
        current=""
    elif [[ "$line" == *"[FAIL]"* || "$line" == *"[skip]"* ]]; then
        fail "memccapable $current" "$(tr -s ' \n' ' ' <<<"$detail $line")"
        current=""
    else
        detail="$detail $line"
    fi
done <<<"$mc_out"
if [[ -n "$current" ]]; then fail "memccapable $current" "no verdict (exit $mc_rc): $detail"; fi
if [[ $mc_tests -eq 0 ]]; then
    fail "memccapable ran" "exit $mc_rc: $(head -c 400 <<<"$mc_out")"
elif [[ $mc_rc -ne 0 ]] || ! grep -q "All tests passed" <<<"$mc_out"; then
    fail "memccapable: all $mc_tests ascii tests pass" "exit $mc_rc: $(tail -1 <<<"$mc_out")"
else
    pass "memccapable: all $mc_tests ascii tests pass"
fi

if ! kill -0 "$server_pid" 2>/dev/null; then
    fail "server still running at the end" "$(tail -20 "$work/server.log")"
fi

echo
echo "compat: $passed passed, $failed failed"
[[ $failed -eq 0 ]]
