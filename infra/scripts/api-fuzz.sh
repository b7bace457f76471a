#!/usr/bin/env bash
# Fuzzes the API as web clients see it: schemathesis generates requests from docs/openapi.yaml
# and sends them, with an admin development token, to the local runner on a free loopback
# port; any 5xx, or any answer the document does not describe, fails. EXAMPLES bounds the
# examples per operation (a short pass in `make test`; raise it for a longer run), FUZZ_SEED the
# generator's seed (fixed, so `make test` sends the same requests every run; change it to
# explore further).
set -euo pipefail

venv=${VENV:-.venv}
examples=${EXAMPLES:-10}
seed=${FUZZ_SEED:-20261101}
cargo build --quiet -p local-runner --bin marketplace-local
port=$("$venv/bin/python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
data=$(mktemp -d)
PORT=$port DATA_DIR=$data RUST_LOG=warn target/debug/marketplace-local >"$data/runner.out" 2>&1 &
runner=$!
trap 'kill "$runner" 2>/dev/null || true; wait "$runner" 2>/dev/null || true; rm -rf "$data"' EXIT

for _ in $(seq 1 1200); do  # until it answers: a start on a loaded machine can take a while
  grep -q "export ADMIN=" "$data/runner.out" && break
  kill -0 "$runner" 2>/dev/null || { cat "$data/runner.out" >&2; exit 1; }
  sleep 0.1
done
admin=$(sed -n 's/^ *export ADMIN=//p' "$data/runner.out")

"$venv/bin/st" run docs/openapi.yaml --url "http://127.0.0.1:$port" --max-examples "$examples" --seed "$seed" \
  --header "Authorization: Bearer $admin" --workers 2 \
  --checks not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance
