#!/usr/bin/env bash
# The whole test suite: start the provider test servers (installing them on a
# fresh machine), then run every test of the workspace.
set -euo pipefail
cd "$(dirname "$0")/.."
bash .ci/services.sh start
# shellcheck disable=SC1091
set -a; . target/services.env; set +a
cargo test --workspace --no-fail-fast
