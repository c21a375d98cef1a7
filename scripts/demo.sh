#!/usr/bin/env bash
# The main job: the founding investigation (seeds/003, the 2018 Telegram block in Russia)
# reproduced in the lab. A censor emulator in a network namespace drops SYNs of 60 bytes
# or more to port 80 and forges RSTs; we look at it the way the story's author did, and
# decode the story's own packets. Needs root (network namespaces).
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh -c release
cs=.build/release/censorscope
server=198.18.9.2

say() { printf '\n== %s\n' "$1"; }
trap '$cs lab down telegram-2018 >/dev/null 2>&1 || true' EXIT

say "the founding story's packets, decoded: the 60-byte SYN and the forged RST (TTL 8, IP ID 1)"
$cs decode --hex '4500 003c d676 0000 1306 b937 c0a8 0002 9f59 b80a a4d1 0050 a609 d8f5 0000 0000 a002 16d0 e900 0000 0204 05b4 0402 080a 6285 a97f 0000 0000 0103 0302'
$cs decode --hex '4500 0028 0001 0000 0806 9ac1 9f59 b80a c0a8 0002 0050 a4d1 0000 0000 a609 d8f5 5004 16d0 5ce1 0000 0000 0000 0000'

say "building the telegram-2018 lab: client - isp - dpi (censor) - transit - dc - server"
$cs lab down telegram-2018 >/dev/null 2>&1 || true
$cs lab up telegram-2018

say "ping passes (ICMP is not blocked)"
$cs lab exec client -- ping -c 2 -W 2 $server

say "curl times out: the browser-sized SYN is dropped and answered by a forged RST"
pcap=$(mktemp /tmp/censorscope-demo-XXXXXX.pcap)
$cs lab exec client -- tcpdump -U -i any -w "$pcap" 'tcp port 80' >/dev/null 2>&1 &
dump=$!
sleep 1
$cs lab exec client -- curl -sS --max-time 3 "http://$server/" || echo "(curl exit $?)"
sleep 0.5; kill $dump 2>/dev/null || true; wait $dump 2>/dev/null || true
say "what the client received, as CensorScope decodes it (compare TTL and IP ID with genuine answers)"
$cs decode --pcap "$pcap" --count 6
rm -f "$pcap"

say "traceroute -T (60-byte SYNs): the 'server' answers at the censor's hop"
$cs lab exec client -- traceroute -T -n -q 1 -w 1 -m 8 -p 80 $server || true
say "traceroute -T -O syn (44-byte SYNs, MSS only): the true path"
$cs lab exec client -- traceroute -T -O syn -n -q 1 -w 1 -m 8 -p 80 $server || true

say "censorscope investigate: the whole afternoon in one command (verdict, trigger, hop, proof)"
# Exit status 2 is the verdict "blocked" (Docs/verdicts.md): what this lab is built to show.
$cs lab exec client -- $cs investigate $server --port 80 --pcap "${TMPDIR:-/tmp}/censorscope-demo-evidence.pcapng" || [ $? -eq 2 ]

say "the far end, as in the story: an agent in the server node traces back and connects from its port 80"
agentdir=$(mktemp -d /tmp/censorscope-demo-agent-XXXXXX)
token=$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')
(umask 077; echo "$token" > "$agentdir/token")
ip netns exec cslab-telegram-2018.server $cs agent serve --listen $server:8443 --token-file "$agentdir/token" \
    --state-dir "$agentdir/state" --allow-reserved > "$agentdir/agent.log" 2>&1 &
agent=$!
trap 'kill $agent 2>/dev/null || true; rm -rf "$agentdir"; $cs lab down telegram-2018 >/dev/null 2>&1 || true' EXIT
for _ in $(seq 50); do grep -q "listening on" "$agentdir/agent.log" && break; sleep 0.1; done
cat "$agentdir/agent.log"
both=(env CENSORSCOPE_KNOWN_AGENTS="$agentdir/known_agents" $cs)
say "trace --both: the way there crosses transit-a, the way back transit-b (the story's asymmetric return path)"
$cs lab exec client -- "${both[@]}" trace $server --both --agent https://$server:8443 --token "$token"
say "investigate --both: the device resets the server's port-80 connection too, in the reverse direction"
{ $cs lab exec client -- "${both[@]}" investigate $server --port 80 --both --agent https://$server:8443 --token "$token" || [ $? -eq 2 ]; } | tail -4
kill $agent 2>/dev/null || true; wait $agent 2>/dev/null || true
rm -rf "$agentdir"

say "tearing the lab down"
$cs lab down telegram-2018
trap - EXIT
