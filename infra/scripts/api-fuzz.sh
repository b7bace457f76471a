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
. "$(dirname "$0")/local-runner.sh"

"$venv/bin/st" run docs/openapi.yaml --url "http://127.0.0.1:$port" --max-examples "$examples" --seed "$seed" \
  --header "Authorization: Bearer $ADMIN" --workers 2 \
  --checks not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance
