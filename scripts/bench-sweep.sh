#!/usr/bin/env bash
# Bulk sending and sweeps next to zmap and masscan (figures in Docs/benchmarks.md), each
# round running every tool once, in turn (A B A B …), on the same network:
#  flood  1,048,576 SYNs through one veth pair: 198.18.0.0/16 × 16 probes each, every
#         address of the far namespace (AnyIP) answering with the kernel's RST;
#  sweep  a 32,768-address sweep (198.18.0.0/17, one SYN each) through 4 routers to a
#         namespace that listens on port 80 for all of them (SYN-ACKs).
# For each run: whole-process wall time, peak RSS, the tool's own send rate, answers it
# matched and what its capture dropped.
#  census the same network, 4,096 addresses (198.18.0.0/20): `sweep`, then a campaign of
#         Probes/campaigns/census.yaml (an echo and a SYN each) at --rate max with items'
#         first runs shared and with each item making its own (--openings alone).
#  icmp   the 32,768-address network of `sweep`, one echo request each: `sweep --protocol icmp`
#         and `zmap -M icmp_echoscan` (the far namespace's kernel answers every echo).
# Usage: scripts/bench-sweep.sh [ROUNDS] [flood|sweep|both|census|icmp]   (default 3 both). Needs root.
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-3}
which=${2:-both}
for p in zmap masscan time; do
  dpkg -s "$p" >/dev/null 2>&1 || { DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$p" >/dev/null; }
done
swift build -c release --product censorscope 2>&1 | { grep -vE '^\[[0-9]+/[0-9]+\]' || true; }
cs=$PWD/.build/release/censorscope
work=$(mktemp -d /tmp/cs-bench-sweep-XXXXXX)
names=(csb-p csb-r1 csb-r2 csb-r3 csb-r4 csb-s)
cleanup() {
  for n in "${names[@]}"; do ip netns del "$n" 2>/dev/null || true; done
  [ -n "${listener:-}" ] && kill "$listener" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
cleanup_ns() { for n in "${names[@]}"; do ip netns del "$n" 2>/dev/null || true; done; }

# Namespaces in a row, csb-p — [routers…] — csb-s; link k is 198.19.k.0/30 (.1 left, .2 right).
build() {
  local hops=("$@") chain=(csb-p "$@" csb-s) k
  cleanup_ns
  for n in "${chain[@]}"; do
    ip netns add "$n"
    ip -n "$n" link set lo up
    ip netns exec "$n" sysctl -qw net.ipv4.ip_forward=1 net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0
  done
  for k in $(seq 1 $((${#chain[@]} - 1))); do
    local left=${chain[$((k - 1))]} right=${chain[$k]}
    ip link add "l$k" netns "$left" type veth peer name "r$k" netns "$right"
    ip -n "$left" addr add "198.19.$k.1/30" dev "l$k"; ip -n "$left" link set "l$k" up
    ip -n "$right" addr add "198.19.$k.2/30" dev "r$k"; ip -n "$right" link set "r$k" up
    # Towards the targets: forward; back towards the prober: the link's left side.
    ip -n "$left" route add 198.18.0.0/16 via "198.19.$k.2"
    [ "$k" -gt 1 ] && ip -n "$right" route add 198.19.0.0/16 via "198.19.$k.1" 2>/dev/null || true
  done
  ip -n csb-s route del 198.18.0.0/16 2>/dev/null || true
  ip -n csb-s route add local 198.18.0.0/16 dev lo
  # The far side answers every SYN: a listener (SYN-ACK), else the kernel's RST.
  ip netns exec csb-s sysctl -qw net.ipv4.tcp_syncookies=2 net.core.somaxconn=65535
}

measure() {   # measure LABEL COMMAND…: wall seconds and peak RSS (MiB) of the whole process
  local label=$1; shift
  local status=0
  /usr/bin/time -f "%e %M" -o "$work/time" "$@" > "$work/out" 2> "$work/err" || status=$?
  [ "$status" -eq 0 ] || { echo "$label failed ($status): $(tail -1 "$work/err")"; }
  read -r wall rss < <(tail -1 "$work/time")
  printf '%s wall %.3f s, peak RSS %.0f MiB' "$label" "$wall" "$(awk "BEGIN {print $rss / 1024}")"
}

ours() {   # ours TARGETS [sweep options…]   (PORT_ARGS: default --port 80)
  local targets=$1; shift
  measure "censorscope sweep:" ip netns exec csb-p "$cs" sweep "$targets" ${PORT_ARGS---port 80} --rate max --timeout 2 --allow-reserved --json "$@"
  python3 - "$work/err" "$work/out" <<'EOF'
import re, sys
err = open(sys.argv[1]).read()
m = re.search(r"sent (\d+) by (\w+) in ([\d.]+) s \((\d+) probes/s\); (\d+) probes answered \(([\d.]+) %\).*?capture dropped (\d+)", err)
if not m:
    print("; no summary:", err.strip()[:300]); sys.exit()
import os
lines = sum(1 for _ in open(sys.argv[2]))
size = os.path.getsize(sys.argv[2]) / 2**20
print(f"; sent {m[1]} ({m[2]}) at {int(m[4]):,} probes/s; answers matched {m[5]} ({m[6]} %); capture dropped {m[7]}; {lines} JSON lines, {size:.0f} MiB")
EOF
}

zmap_run() {   # zmap_run PROBES_PER_TARGET TARGETS
  local mac try
  mac=$(ip netns exec csb-p ip neigh show dev l1 | awk '/lladdr/ {print $3; exit}')
  # zmap 2.1.1 sometimes fails to open its status file ("could not open output file"):
  # a fresh name each time, and one more try.
  for try in 1 2; do
    rm -f "$work"/status*.csv "$work/meta.json"
    measure "zmap:" ip netns exec csb-p zmap ${ZMAP_PROBE_ARGS--p 80} -P "$1" -r 0 -i l1 -S 198.19.1.1 -G "$mac" -b /dev/null -c 2 -q --disable-syslog \
      -m "$work/meta.json" -u "$work/status$try$RANDOM.csv" -f saddr -o "$work/zmap.csv" "$2"
    [ -s "$work/meta.json" ] && break
    echo
  done
  python3 - "$work/meta.json" "$(ls "$work"/status*.csv | head -1)" "$1" <<'EOF'
import csv, json, sys
try:
    meta = json.load(open(sys.argv[1]))
except Exception as e:
    print("; no metadata:", e); sys.exit()
rows = list(csv.DictReader(open(sys.argv[2])))
per = int(sys.argv[3])
targets = int(meta.get("total_sent", 0))
sent = targets * per
# zmap counts targets, not packets (each gets -P probes): the average it reports once it
# has sent everything, times -P.
avg = next((r.get("sent-avg-per-sec") for r in rows if int(r.get("sent-total", 0) or 0) >= targets), rows[-1].get("sent-avg-per-sec") if rows else 0)
rate = float(avg or 0) * per
answers = int(meta.get("success_total", 0)) + int(meta.get("failure_total", 0))
print(f"; sent {sent} at {int(float(rate or 0)):,} probes/s; answers validated {answers} ({100 * answers / max(sent, 1):.2f} %); "
      f"capture dropped {meta.get('pcap_drop')} (interface {meta.get('pcap_ifdrop')})")
EOF
}

masscan_run() {   # masscan_run TARGETS
  local mac
  mac=$(ip netns exec csb-p ip neigh show dev l1 | awk '/lladdr/ {print $3; exit}')
  measure "masscan:" ip netns exec csb-p masscan "$1" -p80 --rate 100000000 --wait 2 --adapter l1 --adapter-ip 198.19.1.1 \
    --router-mac "$mac" -oL "$work/masscan.txt"
  echo "; open ports reported $(grep -c '^open' "$work/masscan.txt" 2>/dev/null || echo 0)"
}

prime() { ip netns exec csb-p ping -c 1 -W 1 198.19.1.2 >/dev/null; }

if [ "$which" = flood ] || [ "$which" = both ]; then
  echo "== 1,048,576 SYNs through one veth pair (198.18.0.0/16 x 16 each, answered by RSTs), $rounds rounds"
  build
  prime
  for r in $(seq 1 "$rounds"); do
    echo "-- round $r"
    ours 198.18.0.0/16 --repeat 16
    zmap_run 16 198.18.0.0/16
    ours 198.18.0.0/16 --repeat 16 --sender raw
  done
fi

campaign_run() {   # campaign_run HOW TARGETS: one census campaign, --openings HOW
  printf '%s\n' "$2" > "$work/census.txt"
  rm -f "$work/census.sqlite"
  measure "campaign --openings $1:" ip netns exec csb-p "$cs" campaign run Probes/campaigns/census.yaml --targets "$work/census.txt" \
    --db "$work/census.sqlite" --allow-reserved --quiet --rate max --seed 1 --openings "$1"
  "$cs" campaign status --db "$work/census.sqlite" --json | python3 -c "
import json, sys
s = json.load(sys.stdin)
print(f\"; {s['done']} items, {s['probes_sent']} probes, verdicts {dict(sorted(s['verdicts'].items()))}\")"
}

if [ "$which" = sweep ] || [ "$which" = both ] || [ "$which" = census ] || [ "$which" = icmp ]; then
  echo
  if [ "$which" = icmp ]; then
    echo "== 32,768-address echo sweep (198.18.0.0/17, one echo request each) through 4 routers, $rounds rounds"
  elif [ "$which" = census ]; then
    echo "== 4,096-address census (198.18.0.0/20): sweep, then campaigns (an echo and a SYN each) through 4 routers to a listener, $rounds rounds"
  else
    echo "== 32,768-address sweep (198.18.0.0/17, one SYN each) through 4 routers to a listener, $rounds rounds"
  fi
  build csb-r1 csb-r2 csb-r3 csb-r4
  ip netns exec csb-s python3 -c '
import socket, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("0.0.0.0", 80)); s.listen(65535); time.sleep(3600)' &
  listener=$!
  sleep 0.5
  prime
  for r in $(seq 1 "$rounds"); do
    echo "-- round $r"
    if [ "$which" = icmp ]; then
      PORT_ARGS="--protocol icmp" ours 198.18.0.0/17
      ZMAP_PROBE_ARGS="-M icmp_echoscan" zmap_run 1 198.18.0.0/17
    elif [ "$which" = census ]; then
      ours 198.18.0.0/20
      campaign_run shared 198.18.0.0/20
      campaign_run alone 198.18.0.0/20
    else
      ours 198.18.0.0/17
      zmap_run 1 198.18.0.0/17
      masscan_run 198.18.0.0/17
    fi
  done
fi
