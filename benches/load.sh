#!/usr/bin/env bash
# HTTP load on the standalone twin with wrk (Debian package `wrk`): 2 threads, 32
# connections, loopback only. Prints requests/s and latency percentiles, then the
# server's resident memory after a long soak.
#   bash benches/load.sh            # 20 s per scenario
#   SOAK=1 bash benches/load.sh     # also a soak of about 1,000,000 requests
set -euo pipefail
cd "$(dirname "$0")/.."
command -v wrk >/dev/null || { echo "install wrk: apt-get install -y wrk" >&2; exit 1; }
cargo build --release -q
DURATION=${DURATION:-20s}
port=$((20000 + RANDOM % 20000))
./target/release/payconform sandbox --addr "127.0.0.1:$port" --max-payments 100000 ${THREADS:+--threads $THREADS} >/dev/null &
pid=$!
trap 'kill $pid 2>/dev/null' EXIT
sleep 1
url="http://127.0.0.1:$port"
echo "== Adyen /authorise (validated, stateful)"
wrk -t2 -c32 -d"$DURATION" --latency -s benches/authorise.lua "$url" | grep -E "Requests/sec|50%|99%|requests in"
echo "== Adyen authorise -> capture -> refund round trips (3 requests each)"
wrk -t2 -c32 -d"$DURATION" --latency -s benches/roundtrip.lua "$url" | grep -E "Requests/sec|50%|99%|requests in|non-2xx"
echo "RSS after scenarios: $(ps -o rss= -p $pid) KiB"
if [ "${SOAK:-0}" = 1 ]; then
  for i in 1 2 3 4 5 6; do
    wrk -t2 -c32 -d15s -s benches/authorise.lua "$url" | grep -E "requests in"
    echo "RSS: $(ps -o rss= -p $pid) KiB"
  done
fi
