#!/usr/bin/env python3
"""Re-scores saved flow estimates independently of the benchmark that made them.

Usage: score_flow.py SETDIR FLODIR [--compare RESULT.json...]

FLODIR holds NAME.METHOD.flo files written with --save-flow by opencv_flow_bench.py or
`warpflow-bench flow`. For each METHOD the mean EPE over valid pixels (the set's
NAME_valid.png) is computed per pair with numpy, then averaged per size and over all pairs,
exactly as the benchmarks do. With --compare, each pair's EPE is checked against the
"_pairs" detail of the given result JSON files; exit status 1 if any differs by more than
1e-3 px (the two EPE implementations disagree) or a file is missing or malformed.
"""
import argparse, glob, json, os, sys
import numpy as np
import cv2
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from make_flow_eval import read_flo


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("setdir")
    ap.add_argument("flodir")
    ap.add_argument("--compare", nargs="+", default=[], metavar="RESULT.json")
    args = ap.parse_args()
    manifest = json.load(open(os.path.join(args.setdir, "manifest.json")))
    reported = {}
    for path in args.compare:
        for method, rows in json.load(open(path)).get("_pairs", {}).items():
            for name, r in rows.items():
                reported[(method, name)] = r["epe"]
    scores, problems = {}, 0
    for p in manifest["pairs"]:
        truth = read_flo(os.path.join(args.setdir, p["flow"]))
        valid = cv2.imread(os.path.join(args.setdir, p["valid"]), cv2.IMREAD_GRAYSCALE) > 0
        for path in sorted(glob.glob(os.path.join(args.flodir, glob.escape(p["name"]) + ".*.flo"))):
            method = os.path.basename(path)[len(p["name"]) + 1:-len(".flo")]
            try:
                est = read_flo(path)
            except (AssertionError, ValueError) as error:
                print(f"{path}: unreadable ({error})")
                problems += 1
                continue
            if est.shape != truth.shape:
                print(f"{path}: {est.shape[1]}x{est.shape[0]}, expected {truth.shape[1]}x{truth.shape[0]}")
                problems += 1
                continue
            epe = float(np.hypot(*(est - truth).transpose(2, 0, 1))[valid].mean())
            scores.setdefault(method, {}).setdefault(p["size"], []).append(epe)
            if (method, p["name"]) in reported and abs(reported[(method, p["name"])] - epe) > 1e-3:
                print(f"{p['name']} {method}: EPE {epe:.4f} px here, {reported[(method, p['name'])]:.4f} px reported")
                problems += 1
    if not scores:
        print(f"no NAME.METHOD.flo files of this set in {args.flodir}")
        return 1
    for method, sizes in sorted(scores.items()):
        every = [e for rows in sizes.values() for e in rows]
        cells = [f"{s} {np.mean(rows):.3f} px ({len(rows)})" for s, rows in sizes.items()]
        print(f"{method:24s} " + "  ".join(cells) + f"  all {np.mean(every):.3f} px")
    if args.compare:
        checked = sum(1 for m, rows in scores.items() for s in rows.values() for _ in s)
        print(f"compared with {', '.join(args.compare)}: {problems} problem(s) over {checked} estimates")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
