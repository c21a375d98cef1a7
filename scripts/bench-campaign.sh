#!/usr/bin/env bash
# Campaign benchmark through the lab (figures in Docs/benchmarks.md): the 536 targets of
# Probes/campaigns/lab.txt (clean, SYN-size DPI, blackholed, port-blocked, down) measured
# by Probes/campaigns/lab.yaml in the lab's campaign scenario, at the script's default
# pacing (100 probes/s over all targets) and unpaced (--rate max), then unpaced with
# 32 targets at once. Prints targets per minute for each run.
# Usage: scripts/bench-campaign.sh. Needs root.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh -c release
cs=$PWD/.build/release/censorscope
work=$(mktemp -d /tmp/cs-bench-campaign-XXXXXX)
trap '"$cs" lab down campaign >/dev/null 2>&1 || true; rm -rf "$work"' EXIT
"$cs" lab down campaign >/dev/null 2>&1 || true
"$cs" lab up campaign >/dev/null
run() {
    local name=$1; shift
    local start end
    start=$(date +%s.%N)
    ip netns exec cslab-campaign.client "$cs" campaign run Probes/campaigns/lab.yaml --targets Probes/campaigns/lab.txt \
        --db "$work/$name.sqlite" --allow-reserved --quiet --seed 1 "$@" >/dev/null
    end=$(date +%s.%N)
    "$cs" campaign status --db "$work/$name.sqlite" --json | python3 -c "
import json, sys
s = json.load(sys.stdin)
wall = $end - $start
print(f\"$name: {s['done']} targets in {wall:.1f} s = {s['done'] / wall * 60:.0f} targets/min; {s['probes_sent']} probes ({s['probes_sent'] / wall:.0f}/s); verdicts {s['verdicts']}\")"
}
run default
run max --rate max
run max-parallel-32 --rate max --parallel 32
