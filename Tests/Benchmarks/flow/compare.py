#!/usr/bin/env python3
"""Side-by-side Markdown table of the flow benchmark and the issue's targets.

Usage: compare.py [--strict] RESULT.json...   (the JSON files of opencv_flow_bench.py and
`warpflow-bench flow`, from one or more interleaved rounds of run.sh)

Rounds are merged per method: EPE is deterministic and taken from the first round (a warning
is printed if rounds disagree); each pair's time is its best (lowest) round, and a size's
ms/pair the mean of those over its pairs, so that load from other work on the machine
penalises neither side. (Files without per-pair detail are merged per size instead.) Targets (warpflow issue 3),
checked per size and over all pairs: warpflow `medium` EPE <= OpenCV DIS medium's at no more
time; warpflow `fast` EPE <= DIS fast's within 1.5x its time. Each check also says on how
many pairs warpflow's EPE is the lower (information, not a target). With --strict the exit
status is 1 when a target fails.
"""
import json, sys

TARGETS = [("warpflow-medium", "opencv-dis-medium", 1.0), ("warpflow-fast", "opencv-dis-fast", 1.5)]


def size_key(size):
    return (1, 0) if size == "all" else (0, int(size.split("x")[0]))


def method_key(method):
    """OpenCV first, then warpflow; within a side, presets from fastest to most accurate."""
    rank = ["ultrafast", "fast", "medium", "high", "farneback"]
    tail = method.rsplit("-", 1)[-1]
    return (not method.startswith("opencv"), rank.index(tail) if tail in rank else len(rank), method)


def merge(paths):
    merged, rounds, loads, pairs = {}, {}, [], {}
    for path in paths:
        with open(path) as f:
            data = json.load(f)
        if "_meta" in data:
            loads.append(f"{data['_meta'].get('side', '?')} {data['_meta'].get('loadavg', -1):.1f}")
        for method, rows in data.get("_pairs", {}).items():
            for name, r in rows.items():
                best = pairs.setdefault(method, {}).setdefault(name, dict(r))
                best["ms"] = min(best["ms"], r["ms"])
        for method, sizes in data.items():
            if method.startswith("_"):
                continue
            rounds[method] = rounds.get(method, 0) + 1
            for size, r in sizes.items():
                best = merged.setdefault(method, {}).get(size)
                if best is None:
                    merged[method][size] = dict(r)
                    continue
                if abs(best["epe"] - r["epe"]) > 1e-6:
                    print(f"warning: {method} {size}: EPE differs between rounds ({best['epe']:.6f} vs {r['epe']:.6f})",
                          file=sys.stderr)
                best["ms"] = min(best["ms"], r["ms"])
    # Per-pair best rounds, where every round of the method gave them.
    for method, rows in pairs.items():
        sizes = {}
        for r in rows.values():
            sizes.setdefault(r["size"], []).append(r["ms"])
        sizes["all"] = [r["ms"] for r in rows.values()]
        for size, times in sizes.items():
            if size in merged.get(method, {}) and merged[method][size]["pairs"] == len(times):
                merged[method][size]["ms"] = sum(times) / len(times)
    return merged, rounds, loads, pairs


def pairs_won(pairs, ours, peer, size):
    """'; lower EPE on k/n pairs' from the per-pair detail (empty without it): a mean over few
    pairs can hinge on one pair where a method misses a large displacement."""
    a, b = pairs.get(ours, {}), pairs.get(peer, {})
    names = [n for n in a if n in b and (size == "all" or a[n]["size"] == size)]
    if not names:
        return ""
    return f"; lower EPE on {sum(a[n]['epe'] < b[n]['epe'] for n in names)}/{len(names)} pairs"


def main():
    args = sys.argv[1:]
    strict = "--strict" in args
    paths = [a for a in args if a != "--strict"]
    if not paths:
        print(__doc__, file=sys.stderr)
        return 2
    results, rounds, loads, pairs = merge(paths)
    sizes = sorted({s for r in results.values() for s in r}, key=size_key)
    n = max(rounds.values(), default=0)
    print(f"ms/pair: mean over pairs of each pair's best of {n} round(s) (a round: median of timed calls); "
          f"2 threads both sides. Load average at each side's start: {', '.join(loads) or 'unknown'}.")
    print()
    print("| method | " + " | ".join(f"{s} EPE (px) | {s} ms/pair" for s in sizes) + " |")
    print("| --- |" + " ---: | ---: |" * len(sizes))
    for name in sorted(results, key=method_key):
        r = results[name]
        cells = []
        for s in sizes:
            cells += [f"{r[s]['epe']:.3f}", f"{r[s]['ms']:.1f}"] if s in r else ["", ""]
        print(f"| {name} | " + " | ".join(cells) + " |")
    print()
    failed = passed = 0
    for ours, peer, slack in TARGETS:
        for s in sizes:
            if s not in results.get(ours, {}) or s not in results.get(peer, {}):
                continue
            a, b = results[ours][s], results[peer][s]
            epe_ok, time_ok = a["epe"] <= b["epe"], a["ms"] <= slack * b["ms"]
            passed += epe_ok + time_ok
            failed += (not epe_ok) + (not time_ok)
            print(f"- {ours} vs {peer} at {s}: EPE {a['epe']:.3f} vs {b['epe']:.3f} px "
                  f"({a['epe'] / b['epe']:.2f}×) {'PASS' if epe_ok else 'FAIL'}; "
                  f"time {a['ms']:.1f} vs {b['ms']:.1f} ms ({a['ms'] / b['ms']:.2f}×, limit {slack:g}×) "
                  f"{'PASS' if time_ok else 'FAIL'}{pairs_won(pairs, ours, peer, s)}")
    print(f"\ntargets: {passed} PASS, {failed} FAIL")
    return 1 if strict and failed else 0


if __name__ == "__main__":
    sys.exit(main())
