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
  # apt-get needs root: as_root uses sudo when we are not root, or says clearly why it cannot.
  # shellcheck source=as_root.sh
  . "$(dirname "${BASH_SOURCE[0]}")/as_root.sh"
  echo "installing system packages: ${missing[*]}"
  as_root apt-get update -qq
  if ! as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null; then
    echo "error: apt-get could not install ${missing[*]} (needs root and a package mirror)" >&2
    exit 1
  fi
fi
