#!/usr/bin/env bash
# Sets up (packages, build) and runs every test: unit, property, fuzz, CLI and the
# namespace end-to-end tests (those need root; without it they are skipped, saying so),
# then a coverage-guided fuzzing smoke of every harness (CENSORSCOPE_FUZZ_SECONDS each,
# default 30; 0 skips it).
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
# Namespaces left by an earlier crashed run would only get in the way.
for ns in $(ip netns list 2>/dev/null | awk '{print $1}' | grep -E '^(cstest-|cslab-)' || true); do ip netns del "$ns" || true; done
# PostgreSQL clusters of a test run that died (the tests stop their own at exit).
scripts/pg-cleanup.sh
status=0
# Serial: the lab suites share one machine-wide state (namespaces, /run/censorscope/lab).
swift test --no-parallel 2>&1 | { grep -vE '^\[[0-9]+/[0-9]+\]' || true; } || status=$?
fuzz_seconds=${CENSORSCOPE_FUZZ_SECONDS:-30}
if [ "$fuzz_seconds" != 0 ]; then ./scripts/fuzz.sh "$fuzz_seconds" || status=$?; fi
scripts/pg-cleanup.sh
left=$(ip netns list 2>/dev/null | awk '{print $1}' | grep -E '^(cstest-|cslab-)' || true)
if [ -n "$left" ]; then echo "error: tests left network namespaces behind: $left" >&2; exit 1; fi
exit "$status"
