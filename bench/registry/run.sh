#!/usr/bin/env bash
# Registry benchmark: import N generated cases (bench/registry/gen_cases.py, default 100000), then
# time `metrics` and `outcomes` over them, on SQLite and, when ATCPATH_BENCH_POSTGRES_URL is set
# (an empty database), on PostgreSQL. Prints cases per second, query times (median of RUNS runs,
# default 5) and the database size.
#
# Usage: bench/registry/run.sh [N]
#   ATCPATH_BENCH_POSTGRES_URL=postgres://postgres@127.0.0.1:54329/bench bench/registry/run.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
cargo build --release -q -p atcpath
target=${CARGO_TARGET_DIR:-target}
case $target in /*) ;; *) target="$(pwd)/$target" ;; esac
bin="$target/release/atcpath"
n=${1:-100000}
runs=${RUNS:-5}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
echo "processors: $(nproc), load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
python3 bench/registry/gen_cases.py "$n" "$work/cases"
echo "generated $n cases ($(du -sh "$work/cases" | cut -f1))"

median_of() { # command... : median wall time in seconds over $runs runs
    python3 - "$runs" "$@" <<'PY'
import statistics, subprocess, sys, time
runs, cmd = int(sys.argv[1]), sys.argv[2:]
ts = []
for _ in range(runs):
    t = time.perf_counter()
    subprocess.run(cmd, stdout=subprocess.DEVNULL, check=True)
    ts.append(time.perf_counter() - t)
print(f"{statistics.median(ts):.3f}")
PY
}

bench() { # label, location args...
    local label=$1
    shift
    "$bin" registry init "$@" > /dev/null
    local t0 t1
    t0=$(date +%s.%N)
    "$bin" registry import "$work/cases" "$@" > "$work/import.log"
    t1=$(date +%s.%N)
    local secs
    secs=$(echo "$t1 - $t0" | bc -l)
    echo "$label: $(tail -n 1 "$work/import.log")"
    printf "  import: %.1f s, %.0f cases/s\n" "$secs" "$(echo "$n / $secs" | bc -l)"
    # The first analysis call after the import (nothing to rebuild: projections are current).
    printf "  metrics:  %s s (median of %s)\n" "$(median_of "$bin" registry metrics --reason bench --as-of 2026-06-30 "$@")" "$runs"
    printf "  outcomes: %s s (median of %s)\n" "$(median_of "$bin" registry outcomes --reason bench "$@")" "$runs"
    "$bin" registry outcomes --reason bench "$@" | sed -n '4p' | sed 's/^/  overall: /'
}

bench "SQLite" --db "$work/bench.db"
sqlite_bytes=$(( $(stat -c %s "$work/bench.db") + $(stat -c %s "$work/bench.db-wal" 2>/dev/null || echo 0) ))
printf "  database: %.1f MB (file and WAL)\n" "$(echo "$sqlite_bytes / 1000000" | bc -l)"

if [ -n "${ATCPATH_BENCH_POSTGRES_URL:-}" ]; then
    bench "PostgreSQL" --database-url "$ATCPATH_BENCH_POSTGRES_URL"
    if command -v psql > /dev/null; then
        echo "  database: $(psql "$ATCPATH_BENCH_POSTGRES_URL" -Atc 'SELECT pg_size_pretty(pg_database_size(current_database()))')"
    fi
fi
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
