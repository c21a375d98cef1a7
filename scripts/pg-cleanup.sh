#!/usr/bin/env bash
# Stops and removes the throwaway PostgreSQL clusters the tests make (/tmp/cs-pg-*) whose
# test process is gone. A running test process's cluster is left alone.
set -uo pipefail
for dir in /tmp/cs-pg-*; do
  [ -d "$dir" ] || continue
  owner=$(cat "$dir/owner.pid" 2>/dev/null || echo)
  if [ -n "$owner" ] && kill -0 "$owner" 2>/dev/null; then continue; fi
  if [ -f "$dir/data/postmaster.pid" ]; then
    ctl=$(ls -d /usr/lib/postgresql/*/bin/pg_ctl 2>/dev/null | sort -V | tail -1)
    if [ -n "$ctl" ]; then
      if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$ctl" -D "$dir/data" -m immediate -w stop >/dev/null 2>&1
      else "$ctl" -D "$dir/data" -m immediate -w stop >/dev/null 2>&1; fi
    fi
  fi
  rm -rf "$dir"
done
exit 0
