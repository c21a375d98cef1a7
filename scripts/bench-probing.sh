#!/usr/bin/env bash
# Probing benchmark through the lab (figures in Docs/benchmarks.md): a 30-router chain is
# built from namespaces; inside the client, censorscope-probe-bench sends SYNs as fast as
# the raw socket takes them to the first router (one hop, answered by RSTs) and correlates
# every answer, then hping3 does the same work; then a 30-hop TCP trace by censorscope
# (all TTLs at once) next to Linux traceroute -T and hping3 --traceroute, over a path whose
# hops 2-31 are 25 ms away.
# Usage: scripts/bench-probing.sh [PROBES]   (default 200000). Needs root.
#   SKIP_FLOOD=1 only the traces; TRACE_ROUNDS=N repeats censorscope trace and traceroute -T
#   interleaved (and trace --receiver capture, the libpcap way); BEFORE=/path/to/an/older/censorscope times its trace in each round too.
set -euo pipefail
cd "$(dirname "$0")/.."
probes=${1:-200000}
./scripts/setup.sh -c release
cs=$PWD/.build/release/censorscope
bench=$PWD/.build/release/censorscope-probe-bench
scenario=$(mktemp -d /tmp/cs-bench-XXXXXX)/long-path.yaml

# client — r1 — r2 — … — r30 — server; router k has 198.18.(100+k).1 towards the server.
{
  echo "name: long-path"
  echo "description: thirty routers in a row, for timing traceroutes"
  echo "nodes:"
  echo "  - {name: client, role: client}"
  # r1 holds every packet going back to the client 25 ms (the censor's disturb action; this
  # kernel has no netem), so hops 2-30 are 25 ms away and hop-by-hop probing shows its cost.
  echo "  - name: r1"
  echo "    role: censor"
  echo "    censor: {clients: [198.18.1.0/24], rules: [{name: distance, match: {direction: server-to-client}, action: disturb, disturb: {delay_ms: 25}}]}"
  for k in $(seq 2 30); do echo "  - {name: r$k, role: router}"; done
  echo "  - {name: server, role: server, services: [http]}"
  echo "links:"
  echo "  - {between: [r1, client], subnet: 198.18.1.0/24}"
  for k in $(seq 1 29); do echo "  - {between: [r$k, r$((k+1))], subnet: 198.18.$((100+k)).0/24}"; done
  echo "  - {between: [r30, server], subnet: 198.18.9.0/24}"
  echo "routes:"
  echo "  client: [{to: default, via: r1}]"
  for k in $(seq 1 30); do
    if [ "$k" -eq 1 ]; then echo "  r1: [{to: default, via: r2}]"
    elif [ "$k" -eq 30 ]; then echo "  r30: [{to: 198.18.1.0/24, via: r29}]"
    else echo "  r$k: [{to: 198.18.1.0/24, via: r$((k-1))}, {to: default, via: r$((k+1))}]"; fi
  done
  echo "  server: [{to: default, via: r30}]"
} > "$scenario"

trap '$cs lab down long-path >/dev/null 2>&1 || true; rm -rf "$(dirname "$scenario")"' EXIT
$cs lab down long-path >/dev/null 2>&1 || true
$cs lab up "$scenario" >/dev/null
in_client() { $cs lab exec client -- "$@"; }
now() { date +%s.%N; }
elapsed() { python3 -c "print(f'{$2 - $1:.3f}')"; }

[ "${SKIP_FLOOD:-0}" = 1 ] || {
echo "== $probes SYN probes to the first router (198.18.1.1:80, answered by RST), unpaced"
in_client "$bench" --kind syn --target 198.18.1.1 --port 80 --probes "$probes" --timeout 2

echo
echo "== hping3 sending the same $probes SYNs (--flood cannot count answers; -i u1 can)"
t0=$(now); in_client hping3 -q -S -p 80 -i u1 -c "$probes" 198.18.1.1 2>&1 | grep -E "packets|round-trip" || true; t1=$(now)
echo "hping3 -i u1: $(elapsed "$t0" "$t1") s wall"
}

echo
# Traces from three tools follow each other within a second: with the routers' default ICMP
# rate limit (1/s per peer, burst 6) each would steal the next one's time-exceeded answers,
# and whichever comes later waits out its timeout. The limit is turned off for the traces.
for k in $(seq 1 30); do $cs lab exec "r$k" -- sysctl -qw net.ipv4.icmp_ratelimit=0 net.ipv6.icmp.ratelimit=0; done
echo "== 30-hop TCP trace to the server (198.18.9.2:80, 31 hops away, 25 ms round trip beyond hop 1)"
in_client "$bench" --kind trace --target 198.18.9.2 --port 80 --max-ttl 32 --timeout 1
for round in $(seq 1 "${TRACE_ROUNDS:-1}"); do
  if [ -n "${BEFORE:-}" ]; then
    t0=$(now); in_client "$BEFORE" trace 198.18.9.2 --method tcp --max-ttl 32 --timeout 1 | tail -1; t1=$(now)
    echo "censorscope trace, BEFORE binary (whole command): $(elapsed "$t0" "$t1") s"
  fi
  t0=$(now); in_client "$cs" trace 198.18.9.2 --method tcp --max-ttl 32 --timeout 1 | tail -2; t1=$(now)
  echo "censorscope trace (whole command): $(elapsed "$t0" "$t1") s"
  t0=$(now); in_client "$cs" trace 198.18.9.2 --method tcp --max-ttl 32 --timeout 1 --receiver capture | tail -1; t1=$(now)
  echo "censorscope trace --receiver capture (whole command): $(elapsed "$t0" "$t1") s"
  t0=$(now); in_client traceroute -T -O syn -n -q 1 -w 1 -m 32 -p 80 198.18.9.2 | tail -1; t1=$(now)
  echo "traceroute -T -O syn -q 1 -w 1 (16 probes in flight by default): $(elapsed "$t0" "$t1") s"
done
t0=$(now); in_client traceroute -T -O syn -n -q 1 -w 1 -m 32 -p 80 198.18.9.2 | tail -1; t1=$(now)
echo "traceroute -T -O syn -q 1 -w 1 (16 probes in flight by default): $(elapsed "$t0" "$t1") s"
t0=$(now); in_client traceroute -T -O syn -n -q 1 -w 1 -N 1 -m 32 -p 80 198.18.9.2 | tail -1; t1=$(now)
echo "traceroute -T -O syn -q 1 -w 1 -N 1 (hop by hop): $(elapsed "$t0" "$t1") s"
t0=$(now); in_client hping3 -S -p 80 --traceroute -c 32 -i u10000 198.18.9.2 2>&1 | grep -cE "hop=" || true; t1=$(now)
echo "hping3 --traceroute -c 32: $(elapsed "$t0" "$t1") s"
# scamper's traces go hop by hop (one TTL in flight); tcp-ack probes are ACKs, tcp are SYNs.
for method in tcp tcp-ack; do
  t0=$(now); in_client scamper -O text -c "trace -P $method -d 80 -q 1 -w 1 -m 32" -i 198.18.9.2 | tail -1; t1=$(now)
  echo "scamper trace -P $method -q 1 -w 1: $(elapsed "$t0" "$t1") s"
done
