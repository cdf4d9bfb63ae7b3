#!/usr/bin/env python3
"""Writes a synthetic MAF with N rows (GRCh37 columns as oncokb-annotator's example, a mix of
ATC-relevant and other variants). Usage: gen_maf.py N OUT.maf"""
import random
import sys

n, out = int(sys.argv[1]), sys.argv[2]
rng = random.Random(7)
rows = [
    ("BRAF", "Missense_Mutation", "p.V600E", "p.Val600Glu", "7", "140453136", "A", "T"),
    ("NRAS", "Missense_Mutation", "p.Q61R", "p.Gln61Arg", "1", "115256529", "T", "C"),
    ("TP53", "Nonsense_Mutation", "p.R213*", "p.Arg213Ter", "17", "7578212", "G", "A"),
    ("TERT", "5'Flank", "", "", "5", "1295228", "G", "A"),
    ("PIK3CA", "Missense_Mutation", "p.H1047R", "p.His1047Arg", "3", "178952085", "A", "G"),
    ("TTN", "Missense_Mutation", "p.A123T", "p.Ala123Thr", "2", "179400000", "C", "T"),
    ("NF1", "Frame_Shift_Del", "p.K123fs", "p.Lys123fs", "17", "29500000", "A", "-"),
    ("MUC16", "Silent", "p.S100=", "p.Ser100=", "19", "9000000", "G", "A"),
]
cols = ["NCBI_Build", "Hugo_Symbol", "Variant_Classification", "Tumor_Sample_Barcode", "HGVSp_Short", "HGVSp",
        "Chromosome", "Start_Position", "End_Position", "Reference_Allele", "Tumor_Seq_Allele1", "Tumor_Seq_Allele2"]
with open(out, "w") as f:
    f.write("\t".join(cols) + "\n")
    for i in range(n):
        g, vc, ps, pl, ch, pos, ref, alt = rows[rng.randrange(len(rows))]
        f.write("\t".join(["GRCh37", g, vc, f"TCGA-XX-{i % 5000:04d}-01", ps, pl, ch, pos, pos, ref, ref, alt]) + "\n")
