#!/usr/bin/env bash
# Survival benchmark: atcpath against R survival (coxph, survfit) and lifelines
# (CoxPHFitter, KaplanMeierFitter) on generated data with 5 covariates, N = 10k, 100k, 1M.
# Reports fit time and whole-process time (including reading the CSV), peak memory (KiB),
# and the largest relative difference of the Cox coefficients from R's.
# Needs (benchmark only, not CI): Debian r-base-core r-cran-survival; pip lifelines; GNU time.
# Usage: bench/survival/run.sh [N ...]
set -euo pipefail
cd "$(dirname "$0")/../.."
cargo build --release -q -p atcpath
bin="${CARGO_TARGET_DIR:-target}/release/atcpath"
work=$(mktemp -d)
sizes=("${@:-10000 100000 1000000}")
[ $# -eq 0 ] && sizes=(10000 100000 1000000)
printf "%-8s %-10s %-9s %12s %12s %10s %14s\n" N tool analysis fit_ms process_ms rss_KiB max_rel_diff
for n in "${sizes[@]}"; do
  csv="$work/surv_$n.csv"
  python3 bench/survival/gen.py "$n" "$csv"
  # atcpath
  for analysis in cox km; do
    extra=(); [ "$analysis" = cox ] && extra=(--covariates x1,x2,x3,x4,x5)
    start=$(date +%s.%N)
    /usr/bin/time -f "%M" -o "$work/rss" "$bin" survival "$analysis" --input "$csv" --time time --event status "${extra[@]}" --format json --timing > "$work/atc_$analysis.json" 2> "$work/atc_$analysis.err"
    end=$(date +%s.%N)
    fit=$(grep -o 'fit [0-9.]*' "$work/atc_$analysis.err" | awk '{print $2}')
    printf "%-8s %-10s %-9s %12.1f %12.1f %10s %14s\n" "$n" atcpath "$analysis" "$fit" "$(echo "($end-$start)*1000" | bc -l)" "$(cat "$work/rss")" -
  done
  # R
  cat > "$work/r.R" <<REOF
suppressMessages(library(survival))
t0 <- Sys.time(); d <- read.csv("$csv"); t1 <- Sys.time()
f <- coxph(Surv(time, status) ~ x1 + x2 + x3 + x4 + x5, data = d); t2 <- Sys.time()
s <- survfit(Surv(time, status) ~ 1, data = d); t3 <- Sys.time()
cat(sprintf("%.3f %.3f %.3f\n", as.numeric(t1-t0, units="secs")*1000, as.numeric(t2-t1, units="secs")*1000, as.numeric(t3-t2, units="secs")*1000))
cat(paste(format(coef(f), digits=17), collapse=" "), "\n")
REOF
  start=$(date +%s.%N)
  /usr/bin/time -f "%M" -o "$work/rss" Rscript "$work/r.R" > "$work/r.out"
  end=$(date +%s.%N)
  read -r r_read r_cox r_km < <(head -1 "$work/r.out")
  r_coef=$(sed -n 2p "$work/r.out")
  diff=$(python3 -c "
import json,sys
a=json.load(open('$work/atc_cox.json'))['coef']; r=[float(x) for x in '$r_coef'.split()]
print('%.2e' % max(abs(x-y)/abs(y) for x,y in zip(a,r)))")
  printf "%-8s %-10s %-9s %12.1f %12.1f %10s %14s\n" "$n" R cox "$r_cox" "$(echo "($end-$start)*1000" | bc -l)" "$(cat "$work/rss")" "$diff"
  printf "%-8s %-10s %-9s %12.1f %12s %10s %14s\n" "$n" R km "$r_km" "(same run)" - -
  printf "%-8s %-10s %-9s %12.1f %12s %10s %14s\n" "$n" R read "$r_read" - - -
  # lifelines
  if python3 -c "import lifelines" 2>/dev/null; then
    cat > "$work/l.py" <<PEOF
import time, warnings
warnings.filterwarnings("ignore")
t0 = time.perf_counter()
import pandas as pd
from lifelines import CoxPHFitter, KaplanMeierFitter
d = pd.read_csv("$csv"); t1 = time.perf_counter()
c = CoxPHFitter().fit(d, "time", "status"); t2 = time.perf_counter()
k = KaplanMeierFitter().fit(d["time"], d["status"]); t3 = time.perf_counter()
print("%.3f %.3f %.3f" % ((t1-t0)*1000, (t2-t1)*1000, (t3-t2)*1000))
print(" ".join(repr(float(x)) for x in c.params_.values))
PEOF
    start=$(date +%s.%N)
    /usr/bin/time -f "%M" -o "$work/rss" python3 "$work/l.py" > "$work/l.out"
    end=$(date +%s.%N)
    read -r l_read l_cox l_km < <(head -1 "$work/l.out")
    l_coef=$(sed -n 2p "$work/l.out")
    ldiff=$(python3 -c "
r=[float(x) for x in '$r_coef'.split()]; l=[float(x) for x in '$l_coef'.split()]
print('%.2e' % max(abs(x-y)/abs(y) for x,y in zip(l,r)))")
    printf "%-8s %-10s %-9s %12.1f %12.1f %10s %14s\n" "$n" lifelines cox "$l_cox" "$(echo "($end-$start)*1000" | bc -l)" "$(cat "$work/rss")" "$ldiff"
    printf "%-8s %-10s %-9s %12.1f %12s %10s %14s\n" "$n" lifelines km "$l_km" "(same run)" - -
    printf "%-8s %-10s %-9s %12.1f %12s %10s %14s\n" "$n" lifelines read "$l_read" - - -
  fi
  # atcpath km whole process vs lifelines read + km is what the issue compares.
done
rm -rf "$work"
