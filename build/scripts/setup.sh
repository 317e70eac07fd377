#!/usr/bin/env bash
# Idempotent set-up for a Debian 12 / Ubuntu machine: Debian packages, the
# pinned Wails CLI, and the frontend's npm dependencies. Each step checks
# before it installs, so a rerun takes about a second.
set -euo pipefail
cd "$(dirname "$0")/../.."

WAILS_VERSION=v2.16.0
APT_PACKAGES=(
  build-essential pkg-config            # cgo
  libgtk-3-dev libwebkit2gtk-4.1-dev    # Wails desktop shell (webkit2_41 build tag)
  chromium                              # end-to-end tests (driven by playwright-core)
  xvfb xauth imagemagick                # desktop smoke test: a real window, screenshot
  poppler-utils zbar-tools              # tests read generated PDFs and decode their QR codes
  fonts-dejavu-core
  libtesseract-dev libleptonica-dev     # OCR (gosseract, cgo)
  tesseract-ocr tesseract-ocr-eng tesseract-ocr-vie tesseract-ocr-osd
  postgresql                            # the hub's database; tests start their own cluster
  sane-utils                            # scanners through scanimage (tests use SANE's virtual test device)
)

log() { printf '\033[1;34m[setup]\033[0m %s\n' "$*"; }

missing=()
while read -r pkg status; do
  [[ "$status" == "installed" ]] || missing+=("$pkg")
done < <(for p in "${APT_PACKAGES[@]}"; do
  s=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
  echo "$p ${s:-missing}"
done)

if ((${#missing[@]})); then
  log "installing Debian packages: ${missing[*]}"
  SUDO=""
  if [[ $(id -u) -ne 0 ]]; then SUDO="sudo"; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

command -v go >/dev/null || { echo "Go is required (https://go.dev/dl/); see README" >&2; exit 1; }
command -v npm >/dev/null || { echo "Node.js 20+ and npm are required; see README" >&2; exit 1; }

GOBIN_DIR="$(go env GOPATH)/bin"
if ! "$GOBIN_DIR/wails" version 2>/dev/null | grep -q "$WAILS_VERSION"; then
  log "installing Wails CLI $WAILS_VERSION"
  go install "github.com/wailsapp/wails/v2/cmd/wails@$WAILS_VERSION"
fi

# npm ci only when the lock file changed since the last install.
stamp=frontend/node_modules/.motcua-installed
if [[ ! -f $stamp || frontend/package-lock.json -nt $stamp ]]; then
  log "installing frontend dependencies"
  (cd frontend && npm ci --no-audit --no-fund --loglevel=error)
  touch "$stamp"
fi
