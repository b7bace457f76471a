#!/usr/bin/env bash
# Renders a dispute's case file to PNG to look at: starts the local runner on a free loopback
# port, walks the demo order through a dispute that escalates (delivery, a case, a message from
# each side, the admin's decision, the buyer's escalation), exports the case file as PDF and
# turns each page into a PNG with pdftoppm (Debian's poppler-utils, installed if missing).
# Output: OUT (default target/case-file), case-file.pdf and case-file-<page>.png.
set -euo pipefail

venv=${VENV:-.venv}
out=${OUT:-target/case-file}
command -v pdftoppm >/dev/null || { apt-get update -q >/dev/null && apt-get install -y -q poppler-utils >/dev/null; }
. "$(dirname "$0")/local-runner.sh"
api=http://127.0.0.1:$port
json=(-H 'Content-Type: application/json')
call() { curl -sf "$@"; }
order=ord_demo_ipad
for step in acceptance shipment delivery; do
  body='{}'; [ "$step" = shipment ] && body='{"carrier":"DHL","tracking":"JD014600006281"}'
  call -X POST "$api/orders/$order/$step" -H "Authorization: Bearer $SELLER" "${json[@]}" -d "$body" >/dev/null
done
id=$(call -X POST "$api/orders/$order/disputes" -H "Authorization: Bearer $BUYER" "${json[@]}" \
  -d '{"offerId":"off_demo_ipad_lyon","subject":"Screen scratched, sold as very good","message":"Two deep scratches across the screen, photos attached to my help request. I would like a partial refund.","desiredOutcome":"partial_refund"}' \
  | "$venv/bin/python" -c 'import json,sys; print(json.load(sys.stdin)["id"])')
call -X POST "$api/disputes/$id/messages" -H "Authorization: Bearer $SELLER" "${json[@]}" \
  -d '{"message":"The iPad left our workshop without scratches; we offer 20.00 as a gesture."}' >/dev/null
call -X POST "$api/disputes/$id/resolution" -H "Authorization: Bearer $ADMIN" "${json[@]}" \
  -d '{"outcome":"partial_refund","amount":{"amount":"20.00","currency":"EUR"},"explanation":"The photos show light scratches within the very good grade; the seller'"'"'s gesture stands."}' >/dev/null
call -X POST "$api/disputes/$id/escalation" -H "Authorization: Bearer $BUYER" >/dev/null
mkdir -p "$out"
call "$api/disputes/$id/export" -H "Authorization: Bearer $BUYER" -H 'Accept: application/pdf' -o "$out/case-file.pdf"
pdftoppm -r 80 -png "$out/case-file.pdf" "$out/case-file"
ls "$out"/case-file*
