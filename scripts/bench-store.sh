#!/usr/bin/env bash
# Results per second written into the campaign store: SQLite with one vantage, PostgreSQL
# with one and with three vantages writing at once (three processes, as three machines would).
# Each result is a verdict and 20 answers in one transaction, as the campaign runner records
# it. PostgreSQL is a throwaway cluster of Debian's server in a temporary directory, default
# settings (fsync and synchronous_commit on), over its Unix socket; removed at the end.
# Usage: scripts/bench-store.sh [ITEMS] [THREADS]   (default 5000 8; CONFIG=debug for a debug build)
set -euo pipefail
cd "$(dirname "$0")/.."
items=${1:-5000}
threads=${2:-8}
config=${CONFIG:-release}
swift build -c "$config" --product censorscope-store-bench 2>&1 | { grep -vE '^\[[0-9]+/[0-9]+\]' || true; } >&2
bench=".build/$config/censorscope-store-bench"
pgbin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
[ -x "$pgbin/initdb" ] || { echo "error: PostgreSQL's server is not installed: run scripts/setup.sh" >&2; exit 1; }
work=$(mktemp -d /tmp/cs-pg-bench.XXXXXX)
as=()
if [ "$(id -u)" = 0 ]; then chown postgres "$work"; as=(runuser -u postgres --); fi
stop() { "${as[@]}" "$pgbin/pg_ctl" -D "$work/data" -m fast -w stop >/dev/null 2>&1 || true; rm -rf "$work"; }
trap stop EXIT
"${as[@]}" "$pgbin/initdb" -D "$work/data" -U postgres --auth=trust -E UTF8 --no-instructions >/dev/null
"${as[@]}" "$pgbin/pg_ctl" -D "$work/data" -l "$work/server.log" -w -o "-k $work -c listen_addresses=''" start >/dev/null
psql() { "$pgbin/psql" -X -q -h "$work" -U postgres -d postgres -c "$1"; }
url() { echo "postgres://postgres@/$1?host=$work"; }

echo "$items results of 20 answers per vantage, $threads threads per vantage, $config build; $(nproc) cores, load $(cut -d' ' -f1 /proc/loadavg)"

"$bench" create "$work/bench.sqlite" "$items"
printf 'sqlite     1 vantage:   '; "$bench" write "$work/bench.sqlite" v1 "$threads"

psql "CREATE DATABASE one"
"$bench" create "$(url one)" "$items"
printf 'postgresql 1 vantage:   '; "$bench" write "$(url one)" v1 "$threads"

psql "CREATE DATABASE three"
"$bench" create "$(url three)" "$items"
begin=$(date +%s.%N)
for v in v1 v2 v3; do "$bench" write "$(url three)" "$v" "$threads" > "$work/$v.out" & done
wait
end=$(date +%s.%N)
for v in v1 v2 v3; do printf 'postgresql 3 vantages: '; cat "$work/$v.out"; done
awk -v n="$items" -v b="$begin" -v e="$end" 'BEGIN { printf "postgresql 3 vantages together: %d results in %.2f s: %.0f results/s\n", 3 * n, e - b, 3 * n / (e - b) }'
