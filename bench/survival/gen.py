#!/usr/bin/env python3
"""Writes a survival dataset with N rows and 5 covariates (exponential times, proportional
hazards with known coefficients, about 30% censoring) as CSV: time,status,x1..x5.
Usage: gen.py N OUT.csv [SEED]"""
import math
import random
import sys

n, out = int(sys.argv[1]), sys.argv[2]
rng = random.Random(int(sys.argv[3]) if len(sys.argv) > 3 else 42)
beta = [0.5, -0.3, 0.2, 0.0, 0.8]
with open(out, "w") as f:
    f.write("time,status,x1,x2,x3,x4,x5\n")
    for _ in range(n):
        x = [rng.gauss(0, 1), rng.gauss(0, 1), rng.random(), float(rng.random() < 0.5), rng.gauss(0, 0.5)]
        rate = 0.1 * math.exp(sum(b * v for b, v in zip(beta, x)))
        t = rng.expovariate(rate)
        c = rng.expovariate(0.04)
        time, status = (t, 1) if t <= c else (c, 0)
        # Rounded times create ties, as real follow-up in days does.
        f.write(f"{round(time, 2)},{status}," + ",".join(f"{v:.6f}" for v in x) + "\n")
