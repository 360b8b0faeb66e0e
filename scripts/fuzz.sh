#!/usr/bin/env bash
# Coverage-guided fuzzing of the RESP decoder, the memcached sessions and
# the Redis command set (fuzz/, cargo-fuzz and libFuzzer).
#
#   scripts/fuzz.sh [RUNS] [TARGET ...]
#
# Builds the targets (installing cargo-fuzz when missing; RUSTC_BOOTSTRAP=1
# lets the stable toolchain take its flags) and runs each for RUNS
# executions (default 20000), starting from its committed seed corpus in
# fuzz/corpus/TARGET. New inputs go to a scratch directory, never into the
# repository. Exits non-zero when a target crashes, panics, times out
# (10 s for one input) or makes an allocation over its 64 MB limit; the
# input that did it is kept under fuzz/artifacts/.
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-20000}
shift || true
targets=("$@")
if [[ ${#targets[@]} -eq 0 ]]; then
    targets=(resp_decoder memcache_commands resp_commands)
fi
if ! cargo fuzz --version >/dev/null 2>&1; then
    echo "fuzz.sh: installing cargo-fuzz"
    cargo install cargo-fuzz --locked
fi
export RUSTC_BOOTSTRAP=1
# No sanitizer: the code under test is safe Rust apart from the C of Lua
# and long doubles, and without one the targets run many times faster.
(cd fuzz && cargo fuzz build -O -s none)
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
status=0
for t in "${targets[@]}"; do
    mkdir -p "$scratch/$t" fuzz/artifacts
    echo "fuzz.sh: $t, $runs runs"
    if ! fuzz/target/x86_64-unknown-linux-gnu/release/"$t" -runs="$runs" -rss_limit_mb=2048 -timeout=10 \
        -print_final_stats=1 -artifact_prefix="fuzz/artifacts/$t-" "$scratch/$t" "fuzz/corpus/$t" \
        >"$scratch/$t.log" 2>&1; then
        tail -40 "$scratch/$t.log"
        echo "fuzz.sh: $t FAILED"
        status=1
    fi
    grep -E "^stat::(number_of_executed_units|average_exec_per_sec|new_units_added)|^Done" "$scratch/$t.log" || true
    grep -E "INITED|DONE" "$scratch/$t.log" | tail -1 || true
done
exit "$status"
