#!/usr/bin/env bash
# Pages per minute of the digitization pipeline against the bare tesseract
# command, on the same pages at the same resolution, on all cores, measured
# in one run (rounds alternate, so load from elsewhere hits both alike).
#
#   bench/scanning/compare.sh            # 12 pages at 300 dpi, 2 rounds
#   PAGES=20 DPI=200 ROUNDS=3 bench/scanning/compare.sh
#
# The pipeline side is BenchmarkPipeline (scanning/e2e): a scanner-style
# PDF whose pages are the same PNG images (embedded losslessly), rendered
# by MuPDF at the DPI, cleaned, deskewed, OCR'd (vie, one recognizer per
# core), QR-decoded, encoded and written as a searchable PDF.
# SCANBENCH_FORMAT=tiff feeds it a multi-page TIFF instead.
# The tesseract side runs one process per page image, $JOBS at a time,
# with OMP_THREAD_LIMIT=1 and --dpi, writing text and a PDF ("txt pdf", its
# own searchable-PDF output) and, separately, text only.
#
# Each side reports pages/min (wall clock) and CPU seconds per page (all
# threads, all processes). On a shared machine the wall clock follows
# whatever else runs; CPU per page barely does — compare that.
set -euo pipefail
cd "$(dirname "$0")/../.."

PAGES=${PAGES:-12}
DPI=${DPI:-300}
ROUNDS=${ROUNDS:-2}
JOBS=${JOBS:-$(nproc)}
export OMP_THREAD_LIMIT=1

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/pages"

now() { date +%s.%N; }

# Build the test binary once, so that compiling is not measured.
go test -c -o "$work/e2e.test" ./scanning/e2e

# Each side prints "pages/min cpu-seconds/page". CPU time (all threads or
# all child processes) barely moves when other programs load the machine;
# pages/min does.
pipeline() {
  SCANBENCH_DIR=$1 SCANBENCH_PAGES=$PAGES SCANBENCH_DPI=$DPI \
    "$work/e2e.test" -test.run '^$' -test.bench '^BenchmarkPipeline$' -test.benchtime 1x -test.count 1 |
    awk '/^BenchmarkPipeline/ { for (i = 1; i <= NF; i++) { if ($i == "pages/min") r = $(i-1); if ($i == "cpu-s/page") c = $(i-1) } print r, c }'
}

cli() { # $1: output configs; runs in a subshell, whose children are only these
  local start end
  start=$(now)
  find "$work/pages" -name 'page-*.png' -print0 |
    xargs -0 -P "$JOBS" -I{} tesseract {} {}.out -l vie --dpi "$DPI" $1 >/dev/null 2>&1
  end=$(now)
  # `times`, second line: user and system time of the children. Not in a
  # pipeline: that would run it in a subshell without these children.
  times >"$work/times"
  awk -v n="$PAGES" -v s="$start" -v e="$end" 'NR == 2 {
    split($1, u, "m"); split($2, y, "m")
    printf "%.1f %.3f\n", n * 60 / (e - s), (u[1] * 60 + u[2] + y[1] * 60 + y[2]) / n }' "$work/times"
}

echo "pages=$PAGES dpi=$DPI jobs=$JOBS rounds=$ROUNDS $(tesseract --version 2>&1 | head -1)"
results=$work/results
for r in $(seq "$ROUNDS"); do
  dir=$work/pages
  [[ $r == 1 ]] || dir=""     # the corpus is written once
  read -r p_rate p_cpu < <(pipeline "$dir")
  read -r a_rate a_cpu < <(cli "txt pdf")
  read -r t_rate t_cpu < <(cli "txt")
  printf "round %d  pipeline %6.1f pages/min %5.2f cpu-s/page | tesseract txt+pdf %6.1f %5.2f | tesseract txt %6.1f %5.2f\n" \
    "$r" "$p_rate" "$p_cpu" "$a_rate" "$a_cpu" "$t_rate" "$t_cpu"
  echo "$p_rate $p_cpu $a_rate $a_cpu $t_rate $t_cpu" >>"$results"
done
awk '
  { for (i = 1; i <= 6; i++) if (NR == 1 || (i % 2 ? $i > v[i] : $i < v[i])) v[i] = $i }
  END {
    printf "best     pipeline %6.1f pages/min %5.2f cpu-s/page | tesseract txt+pdf %6.1f %5.2f | tesseract txt %6.1f %5.2f\n", v[1], v[2], v[3], v[4], v[5], v[6]
    printf "pipeline / tesseract txt+pdf: %.2f by pages/min, %.2f by CPU per page\n", v[1] / v[3], v[4] / v[2]
    printf "pipeline / tesseract txt:     %.2f by pages/min, %.2f by CPU per page\n", v[1] / v[5], v[6] / v[2]
  }' "$results"
