#!/usr/bin/env bash
# The whole test suite: start the provider test servers (installing them on a
# fresh machine), then run every test of the workspace.
set -euo pipefail
cd "$(dirname "$0")/.."
bash .ci/services.sh start
# shellcheck disable=SC1091
set -a; . target/services.env; set +a
cargo test --workspace --no-fail-fast
# The engine library must build for a target without clocks, files or processes.
rustup target add wasm32-unknown-unknown
cargo build -p oxilua --lib --target wasm32-unknown-unknown
# No C in the engine's dependency tree.
if cargo tree -p oxilua -e normal,build --prefix none | awk '{print $1}' | grep -E '^(cc|cmake)$|-sys$'; then
    echo "C crept into oxilua's dependency tree" >&2
    exit 1
fi
# Formatting is checked (rustfmt.toml at the root).
if rustup component list --installed 2>/dev/null | grep -q '^rustfmt'; then :; else rustup component add rustfmt; fi
cargo fmt --all --check
