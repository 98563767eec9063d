#!/usr/bin/env bash
# Debian packages the tests need (idempotent). Docker is set up by scripts/bootstrap-docker.sh.
set -euo pipefail
packages=(make)
missing=()
for p in "${packages[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
