#!/usr/bin/env bash
# Runs a command with a local AWS emulator (moto's server mode) and a fake Stripe (localstripe),
# each on a free loopback port, with the SDK and STRIPE_API_BASE pointed at them, and stops
# both whatever the command's outcome.
set -euo pipefail

venv=${VENV:-.venv}
port=$("$venv/bin/python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
log=$(mktemp -t moto.XXXXXX.log)
"$venv/bin/python" infra/scripts/moto_server.py 127.0.0.1 "$port" >"$log" 2>&1 &
moto=$!
stripe_port=$("$venv/bin/python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
stripe_log=$(mktemp -t localstripe.XXXXXX.log)
"$venv/bin/python" -m localstripe --port "$stripe_port" >"$stripe_log" 2>&1 &
stripe=$!
trap 'kill "$moto" "$stripe" 2>/dev/null || true; wait "$moto" "$stripe" 2>/dev/null || true; rm -f "$log" "$stripe_log"' EXIT

# Waits until `url` answers (a start on a loaded machine can take a while), or fails with the
# server's log if its process `pid` died first.
wait_for() {
  local name=$1 url=$2 pid=$3 server_log=$4
  for _ in $(seq 1 1200); do
    if "$venv/bin/python" -c "import urllib.request; urllib.request.urlopen('$url')" 2>/dev/null; then
      local host=${url#http://}
      echo "$name on http://${host%%/*}"
      return
    fi
    if ! kill -0 "$pid" 2>/dev/null; then
      echo "$name did not start:" >&2
      cat "$server_log" >&2
      exit 1
    fi
    sleep 0.1
  done
}
wait_for "AWS emulator (moto)" "http://127.0.0.1:$port/moto-api/" "$moto" "$log"
wait_for "Stripe stand-in (localstripe)" "http://127.0.0.1:$stripe_port/js.stripe.com/v3/" "$stripe" "$stripe_log"
export STRIPE_API_BASE="http://127.0.0.1:$stripe_port"
# The Stripe adapter's contract tests fail rather than skip without it.
export CONTRACT_STRIPE=required

export AWS_ENDPOINT_URL="http://127.0.0.1:$port"
export AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test AWS_REGION=eu-west-1
export AWS_EC2_METADATA_DISABLED=true
# The AWS halves of the contract suites fail rather than skip when the emulator is missing.
export CONTRACT_AWS=required
"$@"
