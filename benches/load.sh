#!/usr/bin/env bash
# HTTP load with wrk (Debian package `wrk`): 2 threads, 32 connections, loopback only,
# wrk and the server sharing the machine's cores. In one run, one after the other, on
# Adyen's /authorise (benches/authorise.lua):
#   - the twin with --quiet;
#   - the twin with its request log on (text, to a file, as a service would keep it);
#   - the twin behind `payconform proxy` (both --quiet): the proxy's overhead;
#   - a static nginx (Debian package `nginx-light` or `nginx`) answering every request
#     with a fixed body the size of the twin's answer: the ceiling for this machine.
# Each gets a warm-up (the ledger fills, the validators compile, the allocator
# settles), then runs REPEAT times, every run printed: on a shared virtual machine the
# spread between runs is part of the result. Then the round trip on the quiet twin.
#   bash benches/load.sh                 # 3 x 10 s per server
#   REPEAT=5 DURATION=20s bash benches/load.sh
#   THREADS=1 bash benches/load.sh       # the twin's worker threads (default: one per core)
#   SOAK=1 bash benches/load.sh          # then about 2,000,000 more requests, RSS after each step
#   BUILD=0 bash benches/load.sh         # use target/release/payconform as it is
set -euo pipefail
cd "$(dirname "$0")/.."
command -v wrk >/dev/null || { echo "install wrk: apt-get install -y wrk" >&2; exit 1; }
[ "${BUILD:-1}" = 0 ] || cargo build --release -q
DURATION=${DURATION:-10s}
REPEAT=${REPEAT:-3}
WARMUP=${WARMUP:-5s}
bin=./target/release/payconform
tmp=$(mktemp)
work=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$tmp" "$work"; }
trap cleanup EXIT
free_port() { echo $((20000 + RANDOM % 20000)); }
# CPU time the hypervisor took away from this machine (the "steal" column of /proc/stat):
# runs with much of it show long tails that no server code can prevent.
cpu_ticks() { awk '/^cpu / {print $9, $2+$3+$4+$5+$6+$7+$8+$9}' /proc/stat; }
run() { # label script duration url
  local before after
  before=$(cpu_ticks)
  wrk -t2 -c32 -d"$3" --latency -s "benches/$2" "$4" > "$tmp"
  after=$(cpu_ticks)
  awk -v label="$1" -v before="$before" -v after="$after" '
    /requests in/ {n=$1} /Requests\/sec/ {rps=$2} / 50%/ {p50=$2} / 99%/ {p99=$2} /Non-2xx/ {bad=$NF}
    END {
      split(before, b, " "); split(after, a, " ")
      steal = (a[2] > b[2]) ? 100 * (a[1] - b[1]) / (a[2] - b[2]) : 0
      printf "%-40s %9s req/s  p50 %8s  p99 %8s  steal %4.1f%%  (%s requests%s)\n",
        label, rps, p50, p99, steal, n, bad ? ", " bad " non-2xx" : ""
    }' "$tmp"
}
series() { # label url
  run "$1: warm-up (not a result)" authorise.lua "$WARMUP" "$2"
  for i in $(seq "$REPEAT"); do run "$1, run $i" authorise.lua "$DURATION" "$2"; done
}
twin() { # port, then sandbox options
  local port=$1; shift
  "$bin" sandbox --addr "127.0.0.1:$port" --max-payments 100000 ${THREADS:+--threads $THREADS} "$@" >/dev/null &
  pids+=($!)
  sleep 1
}
stop_last() { kill "${pids[-1]}" 2>/dev/null || true; wait "${pids[-1]}" 2>/dev/null || true; unset 'pids[-1]'; }

port=$(free_port)
twin "$port" --quiet 2>/dev/null
series "twin (--quiet)" "http://127.0.0.1:$port"
quiet_pid=${pids[-1]}

logport=$(free_port)
twin "$logport" --log-format text 2>"$work/requests.log"
series "twin with its request log" "http://127.0.0.1:$logport"
stop_last
echo "request log: $(wc -l < "$work/requests.log") lines, $(grep -c 'dropped lines' "$work/requests.log" || true) reports of dropped lines"

proxyport=$(free_port)
"$bin" proxy --upstream "http://127.0.0.1:$port" --listen "127.0.0.1:$proxyport" --quiet >/dev/null 2>&1 &
pids+=($!)
sleep 1
series "twin behind payconform proxy" "http://127.0.0.1:$proxyport"
stop_last

if command -v nginx >/dev/null; then
  nport=$(free_port)
  body='{"pspReference":"QF0000000000007U","resultCode":"Authorised","authCode":"000001"}'
  cat > "$work/nginx.conf" <<EOF
worker_processes auto;
daemon off;
pid $work/nginx.pid;
error_log /dev/null;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path $work;
  server {
    listen 127.0.0.1:$nport;
    location / { default_type application/json; return 200 '$body'; }
  }
}
EOF
  nginx -p "$work" -c "$work/nginx.conf" &
  pids+=($!)
  sleep 1
  series "static nginx" "http://127.0.0.1:$nport"
  stop_last
else
  echo "static nginx: not installed (apt-get install -y nginx-light), not measured"
fi

for i in $(seq "$REPEAT"); do run "authorise->capture->refund, run $i" roundtrip.lua "$DURATION" "http://127.0.0.1:$port"; done
echo "RSS of the quiet twin after its runs: $(ps -o rss= -p "$quiet_pid") KiB"
if [ "${SOAK:-0}" = 1 ]; then
  for i in 1 2 3 4 5 6; do
    run "soak step $i" authorise.lua 15s "http://127.0.0.1:$port"
    echo "RSS: $(ps -o rss= -p "$quiet_pid") KiB"
  done
fi
