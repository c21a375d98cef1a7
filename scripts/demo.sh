#!/usr/bin/env bash
# The main job, for now: decode the founding investigation's packets (seeds/003, the 2018
# Telegram block in Russia) and a real capture of a censorship device, with CensorScope.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh -c release
cs=.build/release/censorscope

say() { printf '\n== %s\n' "$1"; }

say "traceroute -T's 44-byte SYN (MSS only): it passes the DPI"
$cs decode --hex '4500 002c f1ed 0000 1306 9dd0 c0a8 0002 9f59 b80a e2c9 0050 e569 3ed5 0000 0000 6002 16d0 61ef 0000 0204 05b4'
say "the genuine SYN-ACK from the server: TTL 51, IP ID 0, DF"
$cs decode --hex '4500 002c 0000 4000 3306 2fbe 9f59 b80a c0a8 0002 0050 e2c9 97a3 5f23 e569 3ed6 6012 7210 0feb 0000 0204 05a0 0000'
say "a browser's 60-byte SYN (MSS, SACK, timestamps, window scale): the DPI drops it"
$cs decode --hex '4500 003c d676 0000 1306 b937 c0a8 0002 9f59 b80a a4d1 0050 a609 d8f5 0000 0000 a002 16d0 e900 0000 0204 05b4 0402 080a 6285 a97f 0000 0000 0103 0302'
say "...and answers with a forged RST: TTL 8, IP ID 1, no DF, seq 0 (as JSON)"
$cs decode --json --hex '4500 0028 0001 0000 0806 9ac1 9f59 b80a c0a8 0002 0050 a4d1 0000 0000 a609 d8f5 5004 16d0 5ce1 0000 0000 0000 0000'

capture=../shared/centrace-sample/188.65.24.82_www.nifty.org_www.nifty.org.pcap
if [ -f "$capture" ]; then
  say "a real TTL-limited probe of a censorship device (CenTrace): the first 12 packets"
  $cs decode --pcap "$capture" --count 12
fi
