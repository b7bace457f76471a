# Sourced by the scripts that drive the local runner: builds it, starts it on a free loopback
# port with a fresh data folder, stops it and removes the folder whatever happens, and waits
# until its banner's development tokens are printed. Sets `port` and `data`, and exports
# ADMIN, BUYER and SELLER.
cargo build --quiet -p local-runner --bin marketplace-local
port=$("${venv:-.venv}/bin/python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
data=$(mktemp -d)
PORT=$port DATA_DIR=$data RUST_LOG=warn target/debug/marketplace-local >"$data/runner.out" 2>&1 &
runner=$!
trap 'kill "$runner" 2>/dev/null || true; wait "$runner" 2>/dev/null || true; rm -rf "$data"' EXIT
for _ in $(seq 1 1200); do  # until it answers: a start on a loaded machine can take a while
  grep -q "export SELLER=" "$data/runner.out" && break
  kill -0 "$runner" 2>/dev/null || { cat "$data/runner.out" >&2; exit 1; }
  sleep 0.1
done
eval "$(sed -n 's/^ *export /export /p' "$data/runner.out")"
