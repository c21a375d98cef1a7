#!/usr/bin/env bash
# Installs the Debian packages CensorScope builds and tests with, when missing, then builds.
# Safe to run again: it installs nothing that is already there.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(libpcap-dev libnetfilter-queue-dev libssl-dev libsqlite3-dev openssl pkg-config tcpdump tshark iproute2 iptables procps
          traceroute iputils-ping curl python3 dnsutils hping3 chromium-headless-shell
          postgresql)
missing=()
for p in "${packages[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "error: packages missing (${missing[*]}) and not root: run this script with sudo" >&2
    exit 1
  fi
  echo "installing: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq "${missing[@]}" >/dev/null
fi
command -v swift >/dev/null || { echo "error: swift is not on PATH (Swift 6 toolchain required)" >&2; exit 1; }
# Progress lines ("[12/80] Compiling …") are noise in logs; errors pass through.
swift build "$@" 2>&1 | { grep -vE '^\[[0-9]+/[0-9]+\]' || true; }
