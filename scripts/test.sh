#!/usr/bin/env bash
# The whole suite on a fresh machine: installs the reference clients when
# missing, checks formatting (rustfmt) and lints (clippy, warnings as
# errors), builds, runs every cargo test, then scripts/compat.sh, then a
# short run of each fuzz target (scripts/fuzz.sh).
# Exits non-zero when anything failed; everything runs either way, so one
# failure does not hide another.
set -euo pipefail
cd "$(dirname "$0")/.."

# redis-cli and redis-benchmark come from redis-tools, memccapable from
# libmemcached-tools (Debian and Ubuntu package names).
packages=()
if ! command -v redis-cli >/dev/null || ! command -v redis-benchmark >/dev/null; then
    packages+=(redis-tools)
fi
# redis-server (with redis-check-rdb) for the tests that meet a real Redis:
# RDB files, DUMP payloads, replication.
if ! command -v redis-server >/dev/null || ! command -v redis-check-rdb >/dev/null; then
    packages+=(redis-server)
fi
if ! command -v memccapable >/dev/null; then
    packages+=(libmemcached-tools)
fi
if [[ ${#packages[@]} -gt 0 ]]; then
    if [[ "$(id -u)" -eq 0 ]]; then
        sudo=()
    elif command -v sudo >/dev/null; then
        sudo=(sudo -n)
    else
        echo "test.sh: need root or sudo to install ${packages[*]}" >&2
        exit 2
    fi
    echo "test.sh: installing ${packages[*]}"
    "${sudo[@]}" apt-get update
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${packages[@]}"
fi

# rustfmt and clippy are rustup components; add them where the toolchain
# came without them.
for tool in rustfmt clippy; do
    if ! cargo "${tool/rustfmt/fmt}" --version >/dev/null 2>&1; then
        echo "test.sh: adding the $tool component"
        rustup component add "$tool"
    fi
done

status=0
echo "test.sh: cargo fmt --all -- --check"
if ! cargo fmt --all -- --check; then
    echo "test.sh: rustfmt FAILED (run cargo fmt --all)"
    status=1
fi
echo "test.sh: cargo fmt --manifest-path fuzz/Cargo.toml -- --check"
if ! cargo fmt --manifest-path fuzz/Cargo.toml -- --check; then
    echo "test.sh: rustfmt of fuzz/ FAILED"
    status=1
fi
echo "test.sh: cargo clippy --workspace --all-targets -- -D warnings"
if ! cargo clippy --workspace --all-targets -- -D warnings; then
    echo "test.sh: clippy FAILED"
    status=1
fi
echo "test.sh: cargo clippy --features fuzzing -- -D warnings"
if ! cargo clippy --features fuzzing -- -D warnings; then
    echo "test.sh: clippy (fuzzing) FAILED"
    status=1
fi

cargo build --workspace

echo "test.sh: cargo test --workspace"
if ! cargo test --workspace --no-fail-fast; then
    echo "test.sh: cargo test FAILED"
    status=1
fi
echo "test.sh: scripts/compat.sh"
if ! scripts/compat.sh; then
    echo "test.sh: compat.sh FAILED"
    status=1
fi
echo "test.sh: scripts/fuzz.sh 20000"
if ! scripts/fuzz.sh 20000; then
    echo "test.sh: fuzz.sh FAILED"
    status=1
fi
if [[ $status -eq 0 ]]; then
    echo "test.sh: all passed"
fi
exit "$status"
