#!/usr/bin/env python3
"""Writes N synthetic registry cases (atcpath.case/1 JSON, one file each) for the registry
benchmark: stages IVA/IVB/IVC about 10/40/50% (review: IVC in about half at diagnosis), BRAF
V600E in about 40%, BRAF results for 95% and NGS results for 85% (the others pending), fast-track
events with random delays, first treatments by stage and BRAF,
and deaths drawn from exponential survival with stage medians near the review's Table 1 (IVA 8,
IVB 5, IVC 3 months; BRAF-treated longer), censored at a last follow-up before 2026-06-30.
Invented data, not patients. Usage: gen_cases.py N OUT_DIR [SEED]"""
import json
import os
import random
import sys
from datetime import date, timedelta

n, out = int(sys.argv[1]), sys.argv[2]
rng = random.Random(int(sys.argv[3]) if len(sys.argv) > 3 else 11)
os.makedirs(out, exist_ok=True)
START, END = date(2000, 1, 1), date(2026, 6, 30)
span_days = (END - START).days


def d(x):
    return x.isoformat()


for i in range(n):
    pid = f"syn-{i:06d}"
    diag = START + timedelta(days=rng.randrange(span_days - 30))
    first_contact = diag - timedelta(days=rng.randrange(1, 12))
    biopsy = first_contact + timedelta(days=rng.randrange(0, (diag - first_contact).days + 1))
    u = rng.random()
    stage = "IVA" if u < 0.1 else ("IVB" if u < 0.5 else "IVC")
    # AJCC 8th: IVA = T1-T3a N0 M0; IVB = T3b-T4 or N1, M0; IVC = M1.
    t, nn, m = {"IVA": ("T3a", "N0", "M0"), "IVB": ("T4a", "N1b", "M0"), "IVC": ("T4b", "N1b", "M1")}[stage]
    braf = rng.random() < 0.4
    events = [
        {"kind": "first_contact", "date": d(first_contact)},
        {"kind": "biopsy", "date": d(biopsy)},
        {"kind": "pathology_confirmed", "date": d(diag)},
    ]
    resulted, pending = [], []
    if rng.random() < 0.95:
        events.append({"kind": "braf_result", "date": d(biopsy + timedelta(days=rng.randrange(1, 8)))})
        resulted.append("braf_v600e_ihc")
    else:
        pending.append("braf_v600e_ihc")
    if rng.random() < 0.85:
        events.append({"kind": "ngs_result", "date": d(biopsy + timedelta(days=rng.randrange(7, 30)))})
        resulted += ["ngs_dna", "ngs_rna"]
    else:
        pending += ["ngs_dna", "ngs_rna"]
    mdt = first_contact + timedelta(days=rng.randrange(2, 15))
    events.append({"kind": "mdt", "date": d(max(mdt, diag))})
    treat_day = diag + timedelta(days=rng.randrange(3, 30))
    treatments = []
    if braf and "braf_v600e_ihc" in resulted and rng.random() < 0.8:
        treatments = [{"drug": "dabrafenib", "start": d(treat_day)}, {"drug": "trametinib", "start": d(treat_day)}]
        median = 12.0
    elif stage != "IVC" and rng.random() < 0.5:
        events.append({"kind": "surgery", "date": d(treat_day)})
        # Adjuvant chemoradiation: weekly paclitaxel with the radiotherapy.
        rt = treat_day + timedelta(days=rng.randrange(5, 60))
        events.append({"kind": "radiotherapy_start", "date": d(rt)})
        events.append({"kind": "systemic_start", "date": d(rt)})
        treatments = [{"drug": "paclitaxel", "start": d(rt)}]
        median = {"IVA": 10.0, "IVB": 6.0}[stage]
    elif rng.random() < 0.7:
        treatments = [{"drug": "paclitaxel", "start": d(treat_day)}]
        median = {"IVA": 7.0, "IVB": 5.0, "IVC": 3.0}[stage]
    else:
        treat_day = None
        median = 2.0
    if treat_day:
        events.append({"kind": "treatment_start", "date": d(treat_day)})
    survival = timedelta(days=max(1, int(rng.expovariate(0.693 / (median * 30.4375)))))
    end = diag + survival
    follow_up = diag + timedelta(days=rng.randrange(30, 3 * 365))
    last = max(e["date"] for e in events)
    if end <= min(follow_up, END) and d(end) >= last:
        events.append({"kind": "death", "date": d(end)})
        as_of = end
    else:
        fu = max(min(follow_up, END), date.fromisoformat(last))
        events.append({"kind": "last_follow_up", "date": d(fu)})
        as_of = fu
    variants = [{"gene": "BRAF", "hgvs_p": "p.V600E"}] if braf and "ngs_dna" in resulted else []
    case = {
        "schema": "atcpath.case/1",
        "id": pid,
        "source": {"note": "synthetic benchmark case (bench/registry/gen_cases.py)"},
        "as_of": d(as_of),
        "patient": {"age_years": rng.randrange(45, 90), "sex": rng.choice(["male", "female"]), "ecog": rng.randrange(0, 4)},
        "diagnosis": {"histology": "anaplastic", "expert_review": True, "date": d(diag)},
        "tumor": {"t": t, "n": nn, "m": m},
        "molecular": {"resulted": resulted, "pending": pending, "variants": variants, "fusions": []},
        "treatments": treatments,
        "events": events,
    }
    with open(os.path.join(out, f"{pid}.json"), "w") as f:
        json.dump(case, f)
