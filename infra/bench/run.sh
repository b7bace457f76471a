#!/usr/bin/env bash
# `make bench`: the numbers docs/benchmarks.md records. Runs inside infra/scripts/with-moto.sh,
# so AWS_ENDPOINT_URL points at a fresh emulator.
set -euo pipefail
runs=${RUNS:-10}
warm=${WARM:-20}

echo "## Machine"
echo "$(date -u +%Y-%m-%d) · $(nproc) cores · $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs) · $(uname -sr)"

# The release binaries, built as Lambda runs them (this machine's architecture).
# shellcheck disable=SC2046 # one -p per binary the template names
cargo build --release --quiet $(sed -n 's/^ *Binary: */-p /p' template.yaml)
cargo build --quiet -p local-runner --bin marketplace-local

# Provision the emulator and seed the demo data through the local runner's AWS mode.
export TABLE_NAME=bench BUCKET_NAME=bench-documents QUEUE_PREFIX=bench-
port=$(.venv/bin/python -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
data=$(mktemp -d)
MARKETPLACE_BACKEND=aws MARKETPLACE_PROVISION=1 PORT=$port DATA_DIR=$data RUST_LOG=warn \
  target/debug/marketplace-local >"$data/runner.log" 2>&1 &
runner=$!
for _ in $(seq 1 100); do grep -q "Marketplace running" "$data/runner.log" && break; sleep 0.1; done
kill "$runner"; wait "$runner" 2>/dev/null || true

echo
echo "## Cold start (${runs} cold starts, ${warm} warm invocations each)"
.venv/bin/python infra/bench/coldstart.py target/release "$runs" "$warm" 2>/dev/null

echo
echo "## DynamoDB requests per operation"
cargo test --quiet -p acceptance --test dynamodb_cost -- --nocapture 2>/dev/null | grep '^|'

echo
echo "## Monthly active recipients: the counting path, embedded and on the emulator"
cargo bench --quiet -p acceptance --bench recipient_counting 2>/dev/null | grep '^|'

echo
echo "## Monthly active recipients: the request path (criterion)"
cargo bench --quiet -p edge --bench recipient_line -- --noplot 2>/dev/null | grep -E 'time:|^[a-z].*' | grep -B1 'time:' || true

echo
echo "## Hot paths (criterion)"
cargo bench --quiet -p marketplace --bench hot_paths -- --noplot 2>/dev/null | grep -E 'time:|^[a-z].*' | grep -B1 'time:' || true
