#!/usr/bin/env bash
# Cost of encryption at rest (issue 6): the reception benchmark
# (bench/reception) and the search benchmark (BenchmarkSearch in
# app/digitize) on a plain and on an encrypted store — Badger's AES, as the
# desk runs — in alternating rounds, so that load from elsewhere hits both
# alike. Prints, per operation, the median over the rounds of each run's
# p50 in milliseconds and the change.
#
#   bench/encryption/compare.sh                 # 20,000 dossiers, 40,000 pages, 3 rounds
#   ROUNDS=5 DOSSIERS=50000 PAGES=100000 bench/encryption/compare.sh
set -euo pipefail
cd "$(dirname "$0")/../.."

ROUNDS=${ROUNDS:-3}
DOSSIERS=${DOSSIERS:-20000}
PAGES=${PAGES:-40000}

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
go build -o "$work/reception" ./bench/reception
go test -c -o "$work/digitize.test" ./app/digitize

for r in $(seq "$ROUNDS"); do
  for mode in plain encrypted; do
    flag="" plain=1
    if [[ $mode == encrypted ]]; then flag=-encrypt plain=""; fi
    # Rows "| operation | n | p50 | p95 | p99 |".
    "$work/reception" -dossiers "$DOSSIERS" -receptions 300 -queries 200 $flag |
      awk -F'|' -v m="$mode" 'NF >= 6 && $3 + 0 > 0 {
        op = $2; gsub(/^ +| +$/, "", op); print m "\treception: " op "\t" $4 + 0 }' >>"$work/p50"
    # The seeded store is kept for the next rounds (one per mode).
    (cd app/digitize && MOTCUA_BENCH_PLAIN=$plain MOTCUA_BENCH_DOSSIERS=$DOSSIERS MOTCUA_BENCH_PAGES=$PAGES \
      MOTCUA_BENCH_DIR="$work/search-$mode" "$work/digitize.test" -test.run '^$' -test.bench '^BenchmarkSearch$' \
      -test.benchtime 100x 2>/dev/null) |
      awk -v m="$mode" '/^BenchmarkSearch\// {
        q = $1; sub(/^BenchmarkSearch\//, "", q); sub(/-[0-9]+$/, "", q); gsub(/_/, " ", q)
        for (i = 2; i <= NF; i++) if ($i == "p50-ms") print m "\tsearch: " q "\t" $(i - 1) }' >>"$work/p50"
  done
  echo "round $r done" >&2
done

echo "$ROUNDS rounds, $DOSSIERS dossiers, $PAGES OCR'd pages; median p50 ms"
echo
echo "| operation | plain | encrypted | change |"
echo "|---|---|---|---|"
sort -t$'\t' -k2,2 -k1,1 -k3,3n "$work/p50" | awk -F'\t' '
  function median(key,   n) { n = count[key]; return n % 2 ? v[key, (n + 1) / 2] : (v[key, n / 2] + v[key, n / 2 + 1]) / 2 }
  { key = $1 SUBSEP $2; v[key, ++count[key]] = $3; if (!($2 in seen)) { seen[$2] = 1; ops[++nops] = $2 } }
  END {
    for (i = 1; i <= nops; i++) {
      p = median("plain" SUBSEP ops[i]); e = median("encrypted" SUBSEP ops[i])
      printf "| %s | %.2f | %.2f | %+.0f%% |\n", ops[i], p, e, (p > 0 ? (e / p - 1) * 100 : 0)
    }
  }'
