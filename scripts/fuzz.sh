#!/usr/bin/env bash
# Coverage-guided fuzzing (libFuzzer + AddressSanitizer) of every parser that reads outside
# bytes. Usage: scripts/fuzz.sh SECONDS [HARNESS ...]   (default: every harness)
# Each harness starts from its seed corpus in Fuzz/Corpus/<harness> (inputs it finds go to a
# scratch corpus, not into the repository); a crash, a leak or an input that takes more than
# 10 s or 2 GiB is written to Fuzz/Crashes/ and fails the run. Prints one line per harness:
# executions, coverage (edges), features, peak RSS. CENSORSCOPE_FUZZ_JOBS=N runs N harnesses
# at once (default 1); CENSORSCOPE_FUZZ_LOGS=DIR keeps each harness's libFuzzer log there.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:?usage: scripts/fuzz.sh SECONDS [HARNESS ...]}
shift
all=(packets frames sweep-answer capture-file sweep-import json experiment scenario censor-policy targets dns stun quic
     http-response agent-request agent-response routes investigations asn-database)
harnesses=("$@")
[ ${#harnesses[@]} -gt 0 ] || harnesses=("${all[@]}")

# -parse-as-library: the fuzzer brings its own main. lld: gold fails on the sanitizer's sections.
(cd Fuzz && swift build -c release -Xswiftc -sanitize=fuzzer,address -Xswiftc -parse-as-library \
    -Xswiftc -use-ld=lld >&2)
binary=Fuzz/.build/release/censorscope-fuzz
scratch=$(mktemp -d /tmp/censorscope-fuzz.XXXXXX)
trap 'rm -rf "$scratch"' EXIT
mkdir -p Fuzz/Crashes
jobs=${CENSORSCOPE_FUZZ_JOBS:-1}
logs=${CENSORSCOPE_FUZZ_LOGS:-$scratch}
mkdir -p "$logs"
for h in "${harnesses[@]}"; do
    [ -d "Fuzz/Corpus/$h" ] || { echo "error: no harness $h (Fuzz/Corpus/$h missing)" >&2; exit 64; }
done

# One harness: its summary line goes to $scratch/$h.line, its status to $scratch/$h.status.
run_one() {
    local h=$1 log="$logs/$1.log" status=0 result
    mkdir -p "$scratch/$h"
    # Swift's own crash reporter off: ASan and libFuzzer report, and it outlived the run once.
    SWIFT_BACKTRACE=enable=no CENSORSCOPE_FUZZ_HARNESS=$h ASAN_OPTIONS=detect_leaks=1 "$binary" \
        -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=65536 -print_final_stats=1 \
        -artifact_prefix="Fuzz/Crashes/$h-" "$scratch/$h" "Fuzz/Corpus/$h" >"$log" 2>&1 || status=$?
    local execs rss cov ft
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    rss=$(sed -n 's/^stat::peak_rss_mb: *//p' "$log" | tail -1)
    cov=$(grep -oE 'cov: [0-9]+' "$log" | tail -1 | cut -d' ' -f2)
    ft=$(grep -oE 'ft: [0-9]+' "$log" | tail -1 | cut -d' ' -f2)
    if [ "$status" -eq 0 ]; then result=ok; else result="FAILED (exit $status, see Fuzz/Crashes/$h-*)"
        grep -E 'ERROR|Fatal error|SUMMARY|==[0-9]+==' "$log" | head -5 >&2 || true
    fi
    printf '%-15s %12s %8s %8s %8s  %s\n' "$h" "${execs:-?}" "${cov:-?}" "${ft:-?}" "${rss:-?}" "$result" >"$scratch/$h.line"
    echo "$status" >"$scratch/$h.status"
}

printf '%-15s %12s %8s %8s %8s  %s\n' harness executions cov ft rss_mb result
running=0
for h in "${harnesses[@]}"; do
    run_one "$h" &
    running=$((running + 1))
    if [ "$running" -ge "$jobs" ]; then wait -n || true; running=$((running - 1)); fi
done
wait
failed=0
for h in "${harnesses[@]}"; do
    cat "$scratch/$h.line"
    [ "$(cat "$scratch/$h.status")" = 0 ] || failed=1
done
exit $failed
