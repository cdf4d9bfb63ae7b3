#!/usr/bin/env bash
# annotate throughput on a synthetic MAF (default 1,000,000 rows), against `wc -l` on the same
# file in the same run, with peak memory (GNU time). Usage: bench/genomics/annotate.sh [ROWS]
set -euo pipefail
cd "$(dirname "$0")/../.."
n=${1:-1000000}
cargo build --release -q -p atcpath
bin="${CARGO_TARGET_DIR:-target}/release/atcpath"
work=$(mktemp -d)
python3 bench/genomics/gen_maf.py "$n" "$work/in.maf"
size=$(stat -c %s "$work/in.maf")
s=$(date +%s.%N); wc -l "$work/in.maf" > /dev/null; e=$(date +%s.%N)
wc_s=$(echo "$e - $s" | bc -l)
s=$(date +%s.%N); /usr/bin/time -f "%M" -o "$work/rss" "$bin" annotate --maf "$work/in.maf" --out "$work/out.maf" > /dev/null; e=$(date +%s.%N)
an_s=$(echo "$e - $s" | bc -l)
printf "rows %d, %.1f MB\n" "$n" "$(echo "$size/1000000" | bc -l)"
printf "wc -l:    %.3f s, %.0f rows/s\n" "$wc_s" "$(echo "$n/$wc_s" | bc -l)"
printf "annotate: %.3f s, %.0f rows/s (%.1f%% of wc -l throughput), peak RSS %s KiB\n" "$an_s" "$(echo "$n/$an_s" | bc -l)" "$(echo "100*$wc_s/$an_s" | bc -l)" "$(cat "$work/rss")"
rm -rf "$work"
