#!/usr/bin/env python3
"""OpenCV's peers on the flow evaluation set: DIS ultrafast/fast/medium and Farneback.

Protocol (the same as `warpflow-bench flow`): each pair's 8-bit gray frames (NAME_{0,1}_gray.png,
the bit-identical input both sides read); cv2.setNumThreads(2); per pair one warm-up call,
then the median of `--repeat` (3) timed calls of the flow computation alone (no I/O, the DIS
object made once per preset); EPE = mean over valid pixels (target inside the frame) of
|estimate - truth|, then averaged over the pairs of a size ("all": over every pair).
Farneback: pyr_scale 0.5, levels 5, winsize 15, iterations 3, poly_n 5, poly_sigma 1.2,
flags 0 (OpenCV's sample settings with more levels for 60 px motion).

JSON: {"method": {"WxH" or "all": {"epe": mean EPE (px), "ms": mean of per-pair median ms,
"pairs": n}}, "_pairs": {"method": {"NAME": {"size", "epe", "ms"}}}, "_meta": {...}}.
--save-flow DIR writes each estimate as DIR/NAME.METHOD.flo (re-scored by score_flow.py).
Usage: opencv_flow_bench.py SETDIR [--json OUT] [--repeat N] [--save-flow DIR]
"""
import argparse, json, os, statistics, sys, time
import numpy as np
import cv2
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from make_flow_eval import read_flo, write_flo

THREADS = 2


def methods():
    def dis(preset):
        d = cv2.DISOpticalFlow_create(preset)
        return lambda a, b: d.calc(a, b, None)
    far = lambda a, b: cv2.calcOpticalFlowFarneback(a, b, None, 0.5, 5, 15, 3, 5, 1.2, 0)
    return {"opencv-dis-ultrafast": dis(cv2.DISOPTICAL_FLOW_PRESET_ULTRAFAST),
            "opencv-dis-fast": dis(cv2.DISOPTICAL_FLOW_PRESET_FAST),
            "opencv-dis-medium": dis(cv2.DISOPTICAL_FLOW_PRESET_MEDIUM),
            "opencv-farneback": far}


def read_gray(setdir, pair, t):
    # Sets of version 1 had no gray files: fall back to OpenCV's own RGB-to-gray on read.
    path = os.path.join(setdir, pair.get(f"gray{t}", pair[f"frame{t}"]))
    img = cv2.imread(path, cv2.IMREAD_GRAYSCALE)
    if img is None:
        sys.exit(f"opencv_flow_bench: cannot read {path}")
    return img


def summarise(rows):
    return {"epe": statistics.mean(e for e, _ in rows), "ms": statistics.mean(t for _, t in rows), "pairs": len(rows)}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("setdir")
    ap.add_argument("--json")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--save-flow", metavar="DIR", help="also write each estimate as DIR/NAME.METHOD.flo")
    args = ap.parse_args()
    cv2.setNumThreads(THREADS)
    manifest_path = os.path.join(args.setdir, "manifest.json")
    if not os.path.isfile(manifest_path):
        sys.exit(f"opencv_flow_bench: {manifest_path} not found (make the set with make_flow_eval.py)")
    manifest = json.load(open(manifest_path))
    pairs = []
    for p in manifest["pairs"]:
        try:
            truth = read_flo(os.path.join(args.setdir, p["flow"]))
        except (OSError, ValueError) as error:
            sys.exit(f"opencv_flow_bench: {error}")
        valid = cv2.imread(os.path.join(args.setdir, p["valid"]), cv2.IMREAD_GRAYSCALE)
        a, b = read_gray(args.setdir, p, 0), read_gray(args.setdir, p, 1)
        for what, img in (("valid mask", valid), ("frame 1", b), ("flow", truth)):
            if img is None or img.shape[:2] != a.shape[:2]:
                sys.exit(f"opencv_flow_bench: {p['name']}: {what} unreadable or not the size of frame 0 "
                         f"({args.setdir})")
        pairs.append((p, a, b, truth, valid > 0))
    results, detail = {}, {}
    for name, fn in methods().items():
        per_size = {}
        for p, a, b, truth, valid in pairs:
            fn(a, b)
            times = []
            for _ in range(max(1, args.repeat)):
                t0 = time.perf_counter()
                est = fn(a, b)
                times.append((time.perf_counter() - t0) * 1000)
            if args.save_flow:
                os.makedirs(args.save_flow, exist_ok=True)
                write_flo(os.path.join(args.save_flow, f"{p['name']}.{name}.flo"), est)
            epe = float(np.hypot(*(est - truth).transpose(2, 0, 1))[valid].mean())
            per_size.setdefault(p["size"], []).append((epe, statistics.median(times)))
            detail.setdefault(name, {})[p["name"]] = {"size": p["size"], "epe": epe, "ms": statistics.median(times)}
        results[name] = {size: summarise(rows) for size, rows in per_size.items()}
        results[name]["all"] = summarise([r for rows in per_size.values() for r in rows])
        for size, r in results[name].items():
            print(f"{name:24s} {size:9s} EPE {r['epe']:6.3f} px  {r['ms']:8.1f} ms/pair", file=sys.stderr)
    results["_pairs"] = detail
    results["_meta"] = {"side": "opencv", "opencv": cv2.__version__, "threads": THREADS, "repeat": args.repeat,
                        "set_version": manifest.get("version", 1), "loadavg": os.getloadavg()[0]}
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=1)
    else:
        print(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
