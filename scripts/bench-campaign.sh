#!/usr/bin/env bash
# Campaign benchmark through the lab (figures in Docs/benchmarks.md): the 536 targets of
# Probes/campaigns/lab.txt (clean, SYN-size DPI, blackholed, port-blocked, down) measured
# by Probes/campaigns/lab.yaml in the lab's campaign scenario, at the script's default
# pacing (100 probes/s over all targets, the script's 16 targets at once) and unpaced
# (--rate max), then unpaced with 8 and with 32 targets at once. Prints targets per minute
# and the verdicts of each run.
# Usage: scripts/bench-campaign.sh [ROUNDS]   (default 1). Needs root.
#   BEFORE=/path/to/an/older/censorscope  runs that binary too, interleaved with this one
#                                         (before, after, before, after, …), for a side-by-side table.
#   RUNS="max max-parallel-32"            the runs to make (default: default max max-parallel-8 max-parallel-32;
#                                         also max-parallel-64, max-parallel-128, and max-alone and
#                                         default-alone: items' first runs each made alone, --openings alone).
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-1}
./scripts/setup.sh -c release
cs=$PWD/.build/release/censorscope
work=$(mktemp -d /tmp/cs-bench-campaign-XXXXXX)
trap '"$cs" lab down campaign >/dev/null 2>&1 || true; rm -rf "$work"' EXIT
"$cs" lab down campaign >/dev/null 2>&1 || true
"$cs" lab up campaign >/dev/null
run() {
    local bin=$1 label=$2 name=$3; shift 3
    local start end db="$work/$label-$name-$RANDOM.sqlite"
    start=$(date +%s.%N)
    ip netns exec cslab-campaign.client "$bin" campaign run Probes/campaigns/lab.yaml --targets Probes/campaigns/lab.txt \
        --db "$db" --allow-reserved --quiet --seed 1 "$@" >/dev/null || true
    end=$(date +%s.%N)
    "$cs" campaign status --db "$db" --json | python3 -c "
import json, sys
s = json.load(sys.stdin)
wall = $end - $start
print(f\"$label $name: {s['done']} targets in {wall:.2f} s = {s['done'] / wall * 60:.0f} targets/min; {s['probes_sent']} probes ({s['probes_sent'] / wall:.0f}/s); verdicts {dict(sorted(s['verdicts'].items()))}\")"
}
here=${BEFORE:+after}
declare -A args=([default]="" [max]="--rate max" [max-parallel-8]="--rate max --parallel 8" [max-parallel-32]="--rate max --parallel 32" [max-parallel-64]="--rate max --parallel 64" [max-parallel-128]="--rate max --parallel 128" [max-alone]="--rate max --openings alone" [default-alone]="--openings alone")
for round in $(seq 1 "$rounds"); do
    for name in ${RUNS:-default max max-parallel-8 max-parallel-32}; do
        # shellcheck disable=SC2086
        if [ -n "${BEFORE:-}" ]; then run "$BEFORE" before "$name" ${args[$name]}; fi
        # shellcheck disable=SC2086
        run "$cs" "${here:-this}" "$name" ${args[$name]}
    done
done
