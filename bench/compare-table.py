#!/usr/bin/env python3
"""Summarise a `chorus compare` folder's compare.csv as the Markdown table of bench/results/compare_*.md.

Usage: bench/compare-table.py OUT

Per source x rule: comparisons (method x part x metric) won against plain Ens-Avg, of those with Wilcoxon p < 0.05,
lost with p < 0.05, the measured costs, and the share of the ensemble's gain over one model that the row recovers:
r = (row - single) / (Ens-Avg - single) per comparison, `single` being one member's map (ensemble/single), so that
Ens-Avg is 1 and one model 0; the median over comparisons whose ensemble gain is not zero.
"""
import csv
import statistics
import sys
from collections import OrderedDict

rows = list(csv.DictReader(open(sys.argv[1].rstrip("/") + "/compare.csv")))
key = lambda r: (r["method"], r["part"], r["metric"])
single = {key(r): float(r["mean"]) for r in rows if r["source"] == "ensemble" and r["rule"] == "single"}
groups = OrderedDict()
for r in rows:
    groups.setdefault((r["source"], r["rule"]), []).append(r)

print("| source | rule | better than plain Ens-Avg | of which p<0.05 | worse with p<0.05 | share of the ensemble's gain (median) | train s | explain s |")
print("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |")
for (source, rule), g in groups.items():
    sign = lambda r: 1 if r["higher_is_better"] == "true" else -1
    gain = [float(r["diff_vs_ens_avg"]) * sign(r) for r in g]
    p = [float(r["wilcoxon_p"]) if r["wilcoxon_p"] not in ("", "NaN") else 1.0 for r in g]
    shares = []
    for r in g:
        s, e = single[key(r)], float(r["ens_avg_mean"])
        if e != s:
            shares.append((float(r["mean"]) - s) / (e - s))
    share = statistics.median(shares) if shares else float("nan")
    ref = source == "ensemble" and rule == "mean"
    better = "(reference)" if ref else f"{sum(x > 0 for x in gain)} of {len(g)}"
    sig_b = "" if ref else str(sum(x > 0 and q < 0.05 for x, q in zip(gain, p)))
    sig_w = "" if ref else str(sum(x < 0 and q < 0.05 for x, q in zip(gain, p)))
    t = lambda v: "–" if v in ("", "NaN") else f"{float(v):.1f}"
    print(f"| {source} | {rule} | {better} | {sig_b} | {sig_w} | {share:.2f} | {t(g[0]['train_s'])} | {t(g[0]['explain_s'])} |")
