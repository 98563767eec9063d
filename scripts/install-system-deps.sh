#!/usr/bin/env bash
# Debian packages the project and its tests need (idempotent). The Docker engine and the base
# image are set up separately by scripts/bootstrap-docker.sh.
set -euo pipefail
packages=(
  make
  # WeasyPrint (PDF reports) needs Pango and a font.
  libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core
  # Report tests: headless Chromium renders the HTML report, poppler turns the PDF into PNG pages.
  chromium poppler-utils
)
missing=()
for p in "${packages[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
