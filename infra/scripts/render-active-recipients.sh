#!/usr/bin/env bash
# Renders the published chart of the monthly active recipients (DSA Art. 24(2)) to PNG to look
# at: starts the local runner on a free loopback port, sends six months of visitors through
# the API (a browser's user agent and an `X-Device-Id` each; some sign in on their device),
# moving the clock a month at a time so each month closes on schedule, publishes the report on
# demand and turns its SVG into a PNG with rsvg-convert (Debian's librsvg2-bin, installed if
# missing). Output: OUT (default target/active-recipients): the JSON, CSV, SVG and PNG.
set -euo pipefail

venv=${VENV:-.venv}
out=${OUT:-target/active-recipients}
command -v rsvg-convert >/dev/null || { apt-get update -q >/dev/null && apt-get install -y -q librsvg2-bin >/dev/null; }
. "$(dirname "$0")/local-runner.sh"
api=http://127.0.0.1:$port
browser='Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0'
countries=(FR DE IT ES BE NL AT PT)
visit() { curl -sf -A "$browser" -H "X-Device-Id: $1" -H "CloudFront-Viewer-Country: $2" "${@:3}" >/dev/null; }
advance() { curl -sf -X POST "$api/_local/clock" -H 'Content-Type: application/json' -d "{\"advance\":\"$1\"}" >/dev/null; }
# A development token valid at the runner's moved clock (the banner's expire as months pass).
token() {
  curl -sf -X POST "$api/_local/tokens" -H 'Content-Type: application/json' -d "{\"role\":\"$1\",\"sub\":\"$2\"}" \
    | "$venv/bin/python" -c 'import json,sys; print(json.load(sys.stdin)["token"])'
}

# Start at the beginning of a month, so each advance below lands in the next one.
now=$(curl -sf "$api/_local/clock" | "$venv/bin/python" -c 'import json,sys; print(json.load(sys.stdin)["now"])')
advance "$("$venv/bin/python" - "$now" <<'PY'
import sys, datetime
now = datetime.datetime.fromisoformat(sys.argv[1].replace("Z", "+00:00"))
first = (now.replace(day=1) + datetime.timedelta(days=32)).replace(day=1, hour=1, minute=0, second=0, microsecond=0)
print(f"PT{int((first - now).total_seconds())}S")
PY
)"
visitors=(34 41 38 52 47 58)
for month in 0 1 2 3 4 5; do
  n=${visitors[$month]}
  for i in $(seq 1 "$n"); do
    country=${countries[$((i % ${#countries[@]}))]}
    visit "m$month-device-$i" "$country" "$api/products/prd_demo_iphone13"
    # A returning visitor: the same device again, counted once.
    [ $((i % 3)) -eq 0 ] && visit "m$month-device-$i" "$country" "$api/products/prd_demo_ipad9"
  done
  # A buyer on two devices, signed in on both: one recipient.
  buyer=$(token buyer buyer-dev)
  visit "buyer-laptop" FR -H "Authorization: Bearer $buyer" "$api/orders"
  visit "buyer-phone" FR -H "Authorization: Bearer $buyer" "$api/orders"
  # Not counted: a crawler and a visitor outside the Union.
  curl -sf -A 'Mozilla/5.0 (compatible; bingbot/2.0)' -H 'X-Device-Id: crawler' "$api/products/prd_demo_iphone13" >/dev/null
  visit "visitor-us" US "$api/products/prd_demo_iphone13"
  advance P31D
done
advance P2D # the last month's day of grace
published=$(curl -sf -X POST "$api/dsa/active-recipients/publications" -H "Authorization: Bearer $(token admin admin-dev)")
mkdir -p "$out"
for key in $(echo "$published" | "$venv/bin/python" -c 'import json,sys; print(" ".join(json.load(sys.stdin)["documents"]))'); do
  cp "$data/blobs/objects/$key" "$out/"
done
rsvg-convert --width 960 "$out/active-recipients.svg" -o "$out/active-recipients.png"
curl -sf "$api/dsa/active-recipients"; echo
ls "$out"/active-recipients*
