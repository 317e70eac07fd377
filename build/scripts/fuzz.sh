#!/usr/bin/env bash
# Run every Go fuzz target of the module, one at a time, and stop at the
# first crash. Targets are found by grep, so a new FuzzXxx in any *_test.go
# is picked up without editing this script.
#
#   build/scripts/fuzz.sh            # CI: 5 s per target
#   build/scripts/fuzz.sh 30         # 30 s per target
#   FUZZTIME=5m build/scripts/fuzz.sh   # long mode
#
# FUZZTIME takes anything `go test -fuzztime` takes (30s, 5m, 1000x); the
# optional argument is seconds. FUZZPARALLEL sets the number of fuzz workers
# (default: GOMAXPROCS). FUZZMINIMIZETIME bounds how much the fuzzer shrinks
# an input (default 100x, i.e. 100 tries): Go otherwise spends up to a
# minute shrinking every new interesting input, which eats a short run whole
# (the API targets ran 28 inputs in 5 s that way). A crasher is written out
# whether or not it was shrunk; give it FUZZMINIMIZETIME=60s to shrink more.
#
# One line per target: ok/FAIL, name, package, wall time, executions. A
# crash prints the fuzzer's report and leaves the failing input under the
# package's testdata/fuzz/<Target>/, where plain `go test` replays it.
set -euo pipefail
cd "$(dirname "$0")/../.."

if [[ $# -gt 0 ]]; then
  [[ $1 =~ ^[0-9]+$ ]] || { echo "usage: $0 [seconds]" >&2; exit 2; }
  FUZZTIME="${1}s"
fi
FUZZTIME=${FUZZTIME:-5s}
MINIMIZE=${FUZZMINIMIZETIME:-100x}

# A hung input is not reported by the fuzzer itself; the test timeout is.
# Give each target its fuzz time twice over plus slack for building.
seconds() {
  case $1 in
    *h) echo $(( ${1%h} * 3600 )) ;;
    *m) echo $(( ${1%m} * 60 )) ;;
    *s) echo "${1%s}" ;;
    *) echo 300 ;; # an execution count: no time to derive
  esac
}
[[ $FUZZTIME =~ ^[0-9]+[hms]$|^[0-9]+x$ ]] || { echo "FUZZTIME=$FUZZTIME: want e.g. 5s, 5m or 1000x" >&2; exit 2; }
timeout="$(( $(seconds "$FUZZTIME") * 2 + 300 ))s"

parallel=()
[[ -n ${FUZZPARALLEL:-} ]] && parallel=(-parallel "$FUZZPARALLEL")

# "dir name" pairs, sorted so runs are comparable.
mapfile -t targets < <(
  grep -rE --include='*_test.go' --exclude-dir=node_modules --exclude-dir=.git \
    '^func Fuzz[A-Za-z0-9_]*\(f \*testing\.F\)' . |
    sed -E 's#^(.*)/[^/]+_test\.go:func (Fuzz[A-Za-z0-9_]*)\(.*#\1 \2#' |
    sort -u
)
if [[ ${#targets[@]} -eq 0 ]]; then
  echo "fuzz: no Fuzz targets found" >&2
  exit 1
fi

log=$(mktemp)
trap 'rm -f "$log"' EXIT
echo "fuzz: ${#targets[@]} targets, $FUZZTIME each"
for t in "${targets[@]}"; do
  dir=${t% *}
  name=${t#* }
  start=$(date +%s.%N)
  status=ok
  for try in 1 2; do
    status=ok
    go test -run '^$' -fuzz "^${name}\$" -fuzztime "$FUZZTIME" -fuzzminimizetime "$MINIMIZE" \
      -timeout "$timeout" "${parallel[@]}" "$dir" >"$log" 2>&1 || status=FAIL
    # Go 1.26's fuzz coordinator can report a bare "context deadline
    # exceeded" when -fuzztime runs out under CPU load (golang/go#75804,
    # fixed in Go 1.27). A real finding always writes its input out, so
    # only that failure, with no input written and nothing else failing,
    # is run once more.
    if [[ $status == FAIL ]] && grep -q 'context deadline exceeded' "$log" &&
      ! grep -qE 'Failing input written|panic:|_test\.go:[0-9]+:' "$log"; then
      status=FLAKY
      continue
    fi
    break
  done
  [[ $status == FLAKY ]] && status=FAIL
  took=$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1fs", b - a }')
  execs=$(grep -oE 'execs: [0-9]+' "$log" | tail -1 | grep -oE '[0-9]+' || true)
  printf '%-4s %-24s %-22s %7s  execs=%s\n' "$status" "$name" "$dir" "$took" "${execs:-0}"
  if [[ $status == FAIL ]]; then
    # The fuzzer's own report: the panic or failed check, and where the
    # failing input was written.
    grep -vE '^fuzz: elapsed' "$log" | tail -60
    exit 1
  fi
done
