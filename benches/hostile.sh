#!/usr/bin/env bash
# `payconform check` against hostile targets (issue 19): peak memory (/usr/bin/time's
# maximum resident set) and output sizes, loopback only.
#   huge:  every answer streams 1 GiB; the target is 32 exchanges at once.
#   links: every answer carries 250,000 undocumented `_links` entries (about 8 MB).
#   bash benches/hostile.sh
#   NO_BUILD=1 bash benches/hostile.sh   # with the release binary already built
set -euo pipefail
cd "$(dirname "$0")/.."
[ -n "${NO_BUILD:-}" ] || cargo build --release -q
bin=./target/release/payconform
tmp=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null; rm -rf "$tmp"' EXIT
export WORLDPAY_USERNAME=u WORLDPAY_PASSWORD=pw-secret WORLDPAY_ENTITY=default
export ADYEN_API_KEY=AQE-secret ADYEN_MERCHANT_ACCOUNT=M
for mode in huge links; do
  port=$((20000 + RANDOM % 20000))
  python3 benches/hostile.py "$mode" "$port" &
  server=$!
  until (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; do sleep 0.2; done
  case $mode in
    huge) args=(--tags @adyen --concurrency 32 --request-timeout 20) ;;
    links) args=(--tags '@worldpay-v7 and not @twin' --phases scenarios) ;;
  esac
  start=$(date +%s.%N)
  /usr/bin/time -f '%M' -o "$tmp/rss" "$bin" check --target "http://127.0.0.1:$port" "${args[@]}" \
    --json "$tmp/r.json" --junit "$tmp/r.xml" --html "$tmp/r.html" >"$tmp/out" 2>"$tmp/err" || true
  end=$(date +%s.%N)
  violations=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["summary"]["violations"])' "$tmp/r.json")
  printf '%-6s peak RSS %6.1f MB  %5.1f s  stdout %7d B  stderr %7d B  json %9d B  junit %8d B  html %9d B  violations listed %d\n' \
    "$mode" "$(awk 'END {print $1/1024}' "$tmp/rss")" "$(echo "$end - $start" | bc)" \
    "$(stat -c %s "$tmp/out")" "$(stat -c %s "$tmp/err")" "$(stat -c %s "$tmp/r.json")" \
    "$(stat -c %s "$tmp/r.xml")" "$(stat -c %s "$tmp/r.html")" "$violations"
  kill "$server" 2>/dev/null; wait "$server" 2>/dev/null || true
done
