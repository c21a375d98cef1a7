#!/usr/bin/env bash
# The campaign report at Telegram-list scale (figures in the issue-18 note and Docs/reports.md):
# a real lab campaign over 11,008 targets in the `campaign` scenario (clean, SYN-size DPI,
# port-blocked, blackholed, down; IPv4 and IPv6), then `campaign report --format html`: its
# size and the time to write it, and the time Chromium takes to load and first paint it;
# beside it the same results as the per-result page of `censorscope report --format html`
# (what `campaign report` printed before the overview).
# Usage: [CONFIG=debug] scripts/bench-report.sh [DB]   (with DB: reuse that store, no lab;
# CONFIG: the build measured, release by default). Needs root.
set -euo pipefail
cd "$(dirname "$0")/.."
config=${CONFIG:-release}
swift build -c "$config" --product censorscope >/dev/null
cs=$PWD/.build/$config/censorscope
work=$(mktemp -d /tmp/cs-bench-report-XXXXXX)
trap 'rm -rf "$work"' EXIT
db=${1:-}
if [ -z "$db" ]; then
    db=$work/11k.sqlite
    cat >"$work/targets.txt" <<'EOF'
198.18.20.0/24        # clean: 256
2001:db8:20::/115     # clean over IPv6: 8192
198.18.21.0/24        # SYN-size DPI: 256
2001:db8:21::/118     # SYN-size DPI over IPv6: 1024
198.18.22.0/24        # blackholed: 256
198.18.23.0/24:443    # port 443 reset: 256
198.18.29.0/24        # down: 256
2001:db8:29::/121     # down over IPv6: 128
EOF
    flock /tmp/cs-lab.lock bash -c "
        trap '$cs lab down campaign >/dev/null 2>&1 || true' EXIT
        $cs lab down campaign >/dev/null 2>&1 || true
        $cs lab up campaign >/dev/null
        start=\$(date +%s.%N)
        ip netns exec cslab-campaign.client $cs campaign run Probes/campaigns/lab.yaml --targets $work/targets.txt \
            --db $db --allow-reserved --quiet --seed 1 --rate max --parallel 32 >/dev/null || true
        echo \"campaign: \$(echo \"\$(date +%s.%N) - \$start\" | bc) s\""
fi
"$cs" campaign status --db "$db" | sed -n 5,6p
time_it() { local s e; s=$(date +%s.%N); "$@"; e=$(date +%s.%N); echo "$e - $s" | bc; }
t_html=$(time_it "$cs" campaign report --db "$db" --format html --output "$work/campaign.html")
t_md=$(time_it "$cs" campaign report --db "$db" --format md --output "$work/campaign.md")
"$cs" campaign report --db "$db" --format json >"$work/results.jsonl"
t_old=$(time_it "$cs" report "$work/results.jsonl" --format html --output "$work/per-result.html")
echo "campaign report html: $(stat -c %s "$work/campaign.html") bytes in ${t_html} s"
echo "campaign report md:   $(stat -c %s "$work/campaign.md") bytes in ${t_md} s"
echo "report html (one section per result): $(stat -c %s "$work/per-result.html") bytes in ${t_old} s"
python3 - "$work/campaign.html" "$work/per-result.html" <<'EOF'
import os, sys, time
sys.path.insert(0, "scripts")
import cdp
with cdp.Browser(width=1280, height=900, timeout=300) as b:
    for path in sys.argv[1:]:
        runs = []
        for _ in range(3):
            b.navigate("about:blank")
            load = b.navigate("file://" + os.path.abspath(path))
            # Until the first frame after the load event: the page is on screen.
            painted = b.evaluate("new Promise(r => requestAnimationFrame(() => requestAnimationFrame(() => r(performance.now()))))")
            runs.append((load, painted / 1000))
        best = min(runs)
        print("%s in Chromium: load %.2f s, first frame after load %.2f s (best of 3; all: %s)" % (
            os.path.basename(path), best[0], best[1], ", ".join("%.2f/%.2f" % r for r in runs)), flush=True)
        if b.evaluate("document.querySelector('details.all:not([open]) summary') !== null"):
            start = time.monotonic()
            b.click("details.all summary")
            rows = b.evaluate("new Promise(r => requestAnimationFrame(() => requestAnimationFrame(() => "
                              "r(document.querySelectorAll('table.targets tr').length))))")
            print("  the table of every target opened: %d rows on screen in %.2f s" % (rows, time.monotonic() - start))
EOF
