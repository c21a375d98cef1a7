#!/usr/bin/env bash
# The agent's memory under load: `agent serve` on loopback, then rounds of TLS requests
# (censorscope-agent-bench), the agent's resident memory (VmRSS) after each round and after
# 5 s idle. Usage: scripts/bench-agent.sh [TOTAL_REQUESTS] [CONCURRENCY]   (default 100000 8)
set -euo pipefail
cd "$(dirname "$0")/.."
total=${1:-100000}
concurrency=${2:-8}
swift build -c release --product censorscope >&2
swift build -c release --product censorscope-agent-bench >&2
bin=.build/release
work=$(mktemp -d /tmp/censorscope-agent-bench.XXXXXX)
token=bench-token-0123456789abcdef
printf '%s\n' "$token" > "$work/tokens"; chmod 600 "$work/tokens"
port=$(( 20000 + RANDOM % 20000 ))
"$bin/censorscope" agent serve --listen "127.0.0.1:$port" --token-file "$work/tokens" --state-dir "$work/state" \
    --allow-reserved --rate-limit 10000/0.0001 > "$work/agent.log" 2>&1 &
agent=$!
trap 'kill $agent 2>/dev/null || true; rm -rf "$work"' EXIT
for _ in $(seq 50); do grep -q "listening on" "$work/agent.log" && break; sleep 0.1; done
grep -q "listening on" "$work/agent.log" || { echo "error: the agent did not start:" >&2; cat "$work/agent.log" >&2; exit 1; }
rss() { awk '/VmRSS/ {print $2 / 1024}' "/proc/$agent/status"; }
printf 'requests_so_far  round_result                                                rss_mib\n'
printf '%15d  %-58s  %7.1f\n' 0 "(started)" "$(rss)"
done_so_far=0
round=1000
while [ "$done_so_far" -lt "$total" ]; do
    n=$(( round < total - done_so_far ? round : total - done_so_far ))
    result=$("$bin/censorscope-agent-bench" "$port" "$token" --requests "$n" --concurrency "$concurrency")
    done_so_far=$(( done_so_far + n ))
    printf '%15d  %-58s  %7.1f\n' "$done_so_far" "$result" "$(rss)"
    round=$(( done_so_far < 10000 ? 9000 : 10000 ))
done
sleep 5
printf '%15d  %-58s  %7.1f\n' "$done_so_far" "(after 5 s idle)" "$(rss)"
