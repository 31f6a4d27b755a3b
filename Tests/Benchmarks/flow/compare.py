#!/usr/bin/env python3
"""Side-by-side table of the flow benchmark and the issue's targets, as Markdown.

Targets: warpflow medium EPE <= OpenCV DIS medium EPE at no more time; warpflow fast EPE <=
DIS fast EPE within 1.5x its time. Usage: compare.py OPENCV.json WARPFLOW.json
"""
import json, sys

def main():
    results = {}
    for path in sys.argv[1:3]:
        results.update(json.load(open(path)))
    sizes = sorted({s for r in results.values() for s in r}, key=lambda s: int(s.split("x")[0]))
    print("| method | " + " | ".join(f"{s} EPE (px) | {s} ms/pair" for s in sizes) + " |")
    print("| --- |" + " --- | --- |" * len(sizes))
    for name, r in results.items():
        cells = []
        for s in sizes:
            cells += [f"{r[s]['epe']:.3f}", f"{r[s]['ms']:.1f}"] if s in r else ["", ""]
        print(f"| {name} | " + " | ".join(cells) + " |")
    print()
    checks = [("warpflow-medium", "opencv-dis-medium", 1.0), ("warpflow-fast", "opencv-dis-fast", 1.5)]
    ok = True
    for ours, peer, slack in checks:
        for s in sizes:
            if ours not in results or peer not in results or s not in results[ours]:
                continue
            a, b = results[ours][s], results[peer][s]
            epe_ok, time_ok = a["epe"] <= b["epe"], a["ms"] <= slack * b["ms"]
            ok &= epe_ok and time_ok
            print(f"- {ours} vs {peer} at {s}: EPE {a['epe']:.3f} vs {b['epe']:.3f} "
                  f"{'PASS' if epe_ok else 'FAIL'}; time {a['ms']:.1f} vs {b['ms']:.1f} ms "
                  f"(limit {slack:g}x) {'PASS' if time_ok else 'FAIL'}")
    return 0

if __name__ == "__main__":
    sys.exit(main())
