#!/usr/bin/env bash
# Installs the Debian packages CensorScope builds and tests with, when missing, then builds
# and, as root, installs the man page (`man censorscope`) and the bash, zsh and fish
# completions, both generated from the built binary's own argument parser.
# Safe to run again: it installs nothing that is already there.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(libpcap-dev libnetfilter-queue-dev libssl-dev libsqlite3-dev openssl pkg-config tcpdump tshark iproute2 iptables procps
          traceroute iputils-ping curl python3 dnsutils hping3 chromium-headless-shell man-db bash-completion tmux
          postgresql scamper dnsmasq-base coturn python3-venv openssl)
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
# A QUIC server we did not write, for the sweep's QUIC test (aioquic, from PyPI; not in Debian).
# Best effort: without it that one test is skipped, saying why.
pyenv=/opt/censorscope-test/pyenv
if [ "$(id -u)" -eq 0 ] && ! "$pyenv/bin/python" -c 'import aioquic' 2>/dev/null; then
  { python3 -m venv "$pyenv" && "$pyenv/bin/pip" install -q 'aioquic==1.7.2'; } >/dev/null 2>&1 \
    || echo "note: aioquic could not be installed into $pyenv; the QUIC sweep test will be skipped" >&2
fi
command -v swift >/dev/null || { echo "error: swift is not on PATH (Swift 6 toolchain required)" >&2; exit 1; }
# Progress lines ("[12/80] Compiling …") are noise in logs; errors pass through.
swift build "$@" 2>&1 | { grep -vE '^\[[0-9]+/[0-9]+\]' || true; }

# The man page and completions come from the parser of the binary just built, so they
# list exactly the commands and options it has.
bin="$(swift build "$@" --show-bin-path)/censorscope"
if [ "$(id -u)" -eq 0 ]; then
  man_dir=/usr/local/share/man/man1
  install -d "$man_dir" /usr/share/bash-completion/completions /usr/local/share/zsh/site-functions \
    /usr/share/fish/vendor_completions.d
  python3 scripts/manpage.py "$bin" > "$man_dir/censorscope.1"
  "$bin" --generate-completion-script bash > /usr/share/bash-completion/completions/censorscope
  "$bin" --generate-completion-script zsh > /usr/local/share/zsh/site-functions/_censorscope
  "$bin" --generate-completion-script fish > /usr/share/fish/vendor_completions.d/censorscope.fish
  mandb -q 2>/dev/null || true
else
  echo "note: not root, so the man page and shell completions were not installed" >&2
fi
