#!/usr/bin/env bash
# Records the investigations that Tests/MeasurementTests replay through the engine: each
# one a real run in the lab with a fixed seed, kept as its evidence pcapng (one interface
# per run of the engine) and its JSON verdict. Rerun after a change to how the engine
# builds its probes (the replay test then says the recording is stale). Needs root and a
# built binary (./scripts/setup.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
cs=$(realpath "${CENSORSCOPE:-.build/debug/censorscope}")
out=Tests/MeasurementTests/Fixtures
mkdir -p "$out"

record() {  # record SCENARIO NAME SEED TARGET ARGS...
  local scenario=$1 name=$2 seed=$3; shift 3
  # Exit status 2 (blocked) and 3 (inconclusive) are verdicts, not failures.
  "$cs" lab exec client -- "$cs" investigate "$@" --seed "$seed" --pcap "$PWD/$out/$name.pcapng" --json > "$out/$name.json" \
    || { status=$?; [ "$status" -eq 2 ] || [ "$status" -eq 3 ]; }
  echo "recorded $name: $(python3 -c "import json,sys; print(json.load(open('$out/$name.json'))['verdict'])")"
}

lab() {  # lab SCENARIO: brings it up (down first, in case)
  "$cs" lab down "$1" >/dev/null 2>&1 || true
  "$cs" lab up "$1" >/dev/null
}

lab telegram-2018
record telegram-2018 telegram-80 101 198.18.9.2 --port 80
record telegram-2018 telegram-443 102 198.18.9.2 --port 443
record telegram-2018 telegram-80-v6 103 2001:db8:9::2 --port 80
"$cs" lab down telegram-2018 >/dev/null

lab gfw-sni
record gfw-sni gfw-sni 201 198.18.9.2 --port 443 --sni blocked.example
"$cs" lab down gfw-sni >/dev/null

lab keyword-http
record keyword-http keyword-http 301 198.18.9.2 --port 80 --host blocked.example
"$cs" lab down keyword-http >/dev/null

lab campaign
record campaign blackhole 401 198.18.22.5 --port 80
record campaign host-down 402 198.18.29.5 --port 80
record campaign port-443 403 198.18.23.5 --port 443
"$cs" lab down campaign >/dev/null

# Plain kernel rules on the plain lab's mid: every TCP port of the server reset by REJECT (no
# SYN-ACK anywhere to compare with), and the first two echo
# requests dropped (the experiment sends two): the echoes are sent again before phase 2, and
# the recording holds that confirmation run as a part of its own.
lab plain
"$cs" lab exec mid -- iptables -A FORWARD -p tcp -d 198.18.9.2 -j REJECT --reject-with tcp-reset
for _ in 1 2; do
  "$cs" lab exec mid -- iptables -A FORWARD -p icmp --icmp-type echo-request -m statistic --mode nth --every 1000000 --packet 0 -j DROP
done
record plain lost-echo 501 198.18.9.2 --port 443
"$cs" lab down plain >/dev/null
