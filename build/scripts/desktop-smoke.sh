#!/usr/bin/env bash
# Desktop smoke test: start the real Wails window under Xvfb on a fresh data
# dir, take a screenshot, and check that (1) the window is not blank and
# (2) the UI inside the webview reached the API through the AssetServer
# middleware (the request shows up in the app's log).
set -euo pipefail
cd "$(dirname "$0")/../.."
BIN=${1:-build/bin/motcua}
OUT=${SMOKE_SHOT:-}

work=$(mktemp -d)
app_pid=""; xvfb_pid=""
cleanup() {
  [[ -n $app_pid ]] && kill "$app_pid" 2>/dev/null || true
  [[ -n $xvfb_pid ]] && kill "$xvfb_pid" 2>/dev/null || true
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

# Pick a free display number.
disp=97
while [[ -e /tmp/.X${disp}-lock ]]; do disp=$((disp + 1)); done
Xvfb ":$disp" -screen 0 1280x900x24 -nolisten tcp >"$work/xvfb.log" 2>&1 &
xvfb_pid=$!
for _ in $(seq 50); do [[ -e /tmp/.X11-unix/X$disp ]] && break; sleep 0.1; done

DISPLAY=":$disp" "$BIN" --data "$work/data" >"$work/app.log" 2>&1 &
app_pid=$!

shot="$work/shot.png"
ok=""
for _ in $(seq 40); do
  sleep 0.5
  if ! kill -0 "$app_pid" 2>/dev/null; then
    echo "desktop smoke: the app exited early" >&2
    cat "$work/app.log" >&2
    exit 1
  fi
  if grep -q '"path":"/api/setup","status":200' "$work/data/motcua.log" 2>/dev/null; then
    sleep 1.5 # let the page paint after the data arrived
    ok=1
    break
  fi
done
DISPLAY=":$disp" import -window root "$shot"
[[ -n $OUT ]] && cp "$shot" "$OUT"

if [[ -z $ok ]]; then
  echo "desktop smoke: the UI never reached GET /api/setup through the webview" >&2
  cat "$work/app.log" >&2
  exit 1
fi
colors=$(convert "$shot" -format '%k' info:)
if ((colors < 50)); then
  echo "desktop smoke: screenshot looks blank ($colors colours)" >&2
  exit 1
fi
echo "desktop smoke: window up, API reached from the webview, screenshot has $colors colours"
