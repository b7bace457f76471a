#!/usr/bin/env bash
# Runs a command with a local AWS emulator (moto's server mode) on a free loopback port, with
# the SDK pointed at it, and stops the emulator whatever the command's outcome.
set -euo pipefail

venv=${VENV:-.venv}
port=$("$venv/bin/python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
log=$(mktemp -t moto.XXXXXX.log)
"$venv/bin/python" infra/scripts/moto_server.py 127.0.0.1 "$port" >"$log" 2>&1 &
moto=$!
trap 'kill "$moto" 2>/dev/null || true; wait "$moto" 2>/dev/null || true; rm -f "$log"' EXIT

for _ in $(seq 1 1200); do  # until it answers: a start on a loaded machine can take a while
  if "$venv/bin/python" -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:$port/moto-api/')" 2>/dev/null; then
    break
  fi
  if ! kill -0 "$moto" 2>/dev/null; then
    echo "the AWS emulator did not start:" >&2
    cat "$log" >&2
    exit 1
  fi
  sleep 0.1
done
echo "AWS emulator (moto) on http://127.0.0.1:$port"

export AWS_ENDPOINT_URL="http://127.0.0.1:$port"
export AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test AWS_REGION=eu-west-1
export AWS_EC2_METADATA_DISABLED=true
# The AWS halves of the contract suites fail rather than skip when the emulator is missing.
export CONTRACT_AWS=required
"$@"
