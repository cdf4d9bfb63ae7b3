#!/usr/bin/env bash
# Speed figures for the `assess` command:
#  1. assessments per second in one process (criterion, over every example and published case);
#  2. wall time of one `atcpath assess` process on one case (hyperfine when installed, else a loop).
# Usage: ./bench.sh   (release build; reads ../shared/cases when present)
set -euo pipefail
cd "$(dirname "$0")"
cargo build --release -q -p atcpath
bin="${CARGO_TARGET_DIR:-target}/release/atcpath"
cargo bench -q -p atcpath-core --bench assess -- --noplot 2>/dev/null | grep -E "assess|time:|thrpt:|knowledge"
case=examples/ivc-braf.json
if command -v hyperfine >/dev/null; then
  hyperfine -N --warmup 5 --runs 200 "$bin assess $case --format json"
else
  n=200
  start=$(date +%s.%N)
  for _ in $(seq $n); do $bin assess "$case" --format json >/dev/null; done
  end=$(date +%s.%N)
  echo "one process, mean of $n runs: $(echo "($end - $start) * 1000 / $n" | bc -l | cut -c1-6) ms"
fi
