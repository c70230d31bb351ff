#!/usr/bin/env bash
# HTTP load on the standalone twin with wrk (Debian package `wrk`): 2 threads, 32
# connections, loopback only, wrk and the twin sharing the machine's cores. After a
# warm-up (the ledger fills to its cap, the spec's validators compile, the allocator
# settles), each scenario runs REPEAT times and every run is printed: on a shared
# virtual machine the spread between runs is part of the result.
#   bash benches/load.sh                 # 3 x 10 s per scenario
#   REPEAT=5 DURATION=20s bash benches/load.sh
#   THREADS=1 bash benches/load.sh       # the twin's worker threads (default: one per core)
#   SOAK=1 bash benches/load.sh          # then about 2,000,000 more requests, RSS after each step
#   LOG='--log-format text' bash benches/load.sh   # with the request log on (to /dev/null);
#                                        # by default the twin runs with --quiet
set -euo pipefail
cd "$(dirname "$0")/.."
command -v wrk >/dev/null || { echo "install wrk: apt-get install -y wrk" >&2; exit 1; }
cargo build --release -q
DURATION=${DURATION:-10s}
REPEAT=${REPEAT:-3}
WARMUP=${WARMUP:-5s}
port=$((20000 + RANDOM % 20000))
./target/release/payconform sandbox --addr "127.0.0.1:$port" --max-payments 100000 ${THREADS:+--threads $THREADS} ${LOG:---quiet} >/dev/null 2>/dev/null &
pid=$!
tmp=$(mktemp)
trap 'kill $pid 2>/dev/null; rm -f "$tmp"' EXIT
sleep 1
url="http://127.0.0.1:$port"
# CPU time the hypervisor took away from this machine (the "steal" column of /proc/stat):
# runs with much of it show long tails that no server code can prevent.
cpu_ticks() { awk '/^cpu / {print $9, $2+$3+$4+$5+$6+$7+$8+$9}' /proc/stat; }
run() { # label script duration
  local before after
  before=$(cpu_ticks)
  wrk -t2 -c32 -d"$3" --latency -s "benches/$2" "$url" > "$tmp"
  after=$(cpu_ticks)
  awk -v label="$1" -v before="$before" -v after="$after" '
    /requests in/ {n=$1} /Requests\/sec/ {rps=$2} / 50%/ {p50=$2} / 99%/ {p99=$2} /Non-2xx/ {bad=$NF}
    END {
      split(before, b, " "); split(after, a, " ")
      steal = (a[2] > b[2]) ? 100 * (a[1] - b[1]) / (a[2] - b[2]) : 0
      printf "%-36s %9s req/s  p50 %8s  p99 %8s  steal %4.1f%%  (%s requests%s)\n",
        label, rps, p50, p99, steal, n, bad ? ", " bad " non-2xx" : ""
    }' "$tmp"
}
run "warm-up (not a result)" authorise.lua "$WARMUP"
for i in $(seq "$REPEAT"); do run "Adyen /authorise, run $i" authorise.lua "$DURATION"; done
for i in $(seq "$REPEAT"); do run "authorise->capture->refund, run $i" roundtrip.lua "$DURATION"; done
echo "RSS after the scenarios: $(ps -o rss= -p $pid) KiB"
if [ "${SOAK:-0}" = 1 ]; then
  for i in 1 2 3 4 5 6; do
    run "soak step $i" authorise.lua 15s
    echo "RSS: $(ps -o rss= -p $pid) KiB"
  done
fi
