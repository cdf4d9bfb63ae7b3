#!/usr/bin/env bash
# annotate throughput on a synthetic MAF (bench/genomics/gen_maf.py), against `wc -l` on the same
# file in the same run, with peak memory (GNU time).
#
# Usage: bench/genomics/annotate.sh [ROWS ...]
#   default 1000000 rows; several sizes show that memory does not grow with the file, e.g.
#   bench/genomics/annotate.sh 100000 1000000 10000000
# RUNS (default 10) sets the number of timed runs of each command (after 2 warm-up runs); times
# are medians, with the output file deleted before each annotate run. The load average is printed:
# other processes on the machine skew the figures.
set -euo pipefail
cd "$(dirname "$0")/../.."
cargo build --release -q -p atcpath
bin="${CARGO_TARGET_DIR:-target}/release/atcpath"
runs=${RUNS:-10}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
[ $# -gt 0 ] || set -- 1000000
echo "processors: $(nproc), load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
for n in "$@"; do
    python3 bench/genomics/gen_maf.py "$n" "$work/in.maf"
    # Medians of interleaved runs of both commands, the file in the page cache.
    read -r wc_s an_s < <(python3 - "$bin" "$work" "$runs" <<'EOF'
import os, statistics, subprocess, sys, time
bin, work, runs = sys.argv[1], sys.argv[2], int(sys.argv[3])
src, out = f"{work}/in.maf", f"{work}/out.maf"
def timed(cmd):
    t = time.perf_counter()
    subprocess.run(cmd, stdout=subprocess.DEVNULL, check=True)
    return time.perf_counter() - t
wc, an = [], []
for i in range(runs + 2):
    if os.path.exists(out):
        os.remove(out)
    w, a = timed(["wc", "-l", src]), timed([bin, "annotate", "--maf", src, "--out", out])
    if i >= 2:
        wc.append(w)
        an.append(a)
print(statistics.median(wc), statistics.median(an))
EOF
    )
    rm -f "$work/out.maf"
    /usr/bin/time -f "%M" -o "$work/rss" "$bin" annotate --maf "$work/in.maf" --out "$work/out.maf" > /dev/null
    size=$(stat -c %s "$work/in.maf")
    printf "rows %d, %.1f MB (output %.1f MB)\n" "$n" "$(echo "$size/1000000" | bc -l)" \
        "$(echo "$(stat -c %s "$work/out.maf")/1000000" | bc -l)"
    printf "  wc -l:    %.3f s, %.0f rows/s\n" "$wc_s" "$(echo "$n/$wc_s" | bc -l)"
    printf "  annotate: %.3f s, %.0f rows/s (%.1f%% of wc -l throughput), peak RSS %s KiB\n" \
        "$an_s" "$(echo "$n/$an_s" | bc -l)" "$(echo "100*$wc_s/$an_s" | bc -l)" "$(cat "$work/rss")"
    rm -f "$work/in.maf" "$work/out.maf"
done
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
