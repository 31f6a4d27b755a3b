#!/usr/bin/env python3
"""OpenCV's peers on the flow evaluation set: DIS ultrafast/fast/medium and Farneback.

Protocol (the same as `warpflow-bench flow`): frames read as 8-bit gray; cv2.setNumThreads(2);
per pair one warm-up call, then the median of 3 timed calls of the flow computation alone;
EPE = mean over valid pixels (target inside the frame) of |estimate - truth|, averaged over
the pairs of a size. Farneback: pyr_scale 0.5, levels 5, winsize 15, iterations 3, poly_n 5,
poly_sigma 1.2 (OpenCV's sample settings with more levels for 60 px motion).

JSON: {"method": {"WxH": {"epe": mean EPE (px), "ms": mean of per-pair median ms, "pairs": n}}}
"""
import argparse, json, os, statistics, sys, time
import numpy as np
import cv2
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from make_flow_eval import read_flo


def methods():
    def dis(preset):
        d = cv2.DISOpticalFlow_create(preset)
        return lambda a, b: d.calc(a, b, None)
    far = lambda a, b: cv2.calcOpticalFlowFarneback(a, b, None, 0.5, 5, 15, 3, 5, 1.2, 0)
    return {"opencv-dis-ultrafast": dis(cv2.DISOPTICAL_FLOW_PRESET_ULTRAFAST),
            "opencv-dis-fast": dis(cv2.DISOPTICAL_FLOW_PRESET_FAST),
            "opencv-dis-medium": dis(cv2.DISOPTICAL_FLOW_PRESET_MEDIUM),
            "opencv-farneback": far}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("setdir")
    ap.add_argument("--json")
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    cv2.setNumThreads(2)
    manifest = json.load(open(os.path.join(args.setdir, "manifest.json")))
    results = {}
    for name, fn in methods().items():
        per_size = {}
        for p in manifest["pairs"]:
            a = cv2.imread(os.path.join(args.setdir, p["frame0"]), cv2.IMREAD_GRAYSCALE)
            b = cv2.imread(os.path.join(args.setdir, p["frame1"]), cv2.IMREAD_GRAYSCALE)
            truth = read_flo(os.path.join(args.setdir, p["flow"]))
            valid = cv2.imread(os.path.join(args.setdir, p["valid"]), cv2.IMREAD_GRAYSCALE) > 0
            fn(a, b)
            times = []
            for _ in range(args.repeat):
                t0 = time.perf_counter()
                est = fn(a, b)
                times.append((time.perf_counter() - t0) * 1000)
            epe = float(np.hypot(*(est - truth).transpose(2, 0, 1))[valid].mean())
            per_size.setdefault(p["size"], []).append((epe, statistics.median(times)))
        results[name] = {size: {"epe": statistics.mean(e for e, _ in v), "ms": statistics.mean(t for _, t in v), "pairs": len(v)}
                         for size, v in per_size.items()}
        for size, r in results[name].items():
            print(f"{name:24s} {size:9s} EPE {r['epe']:6.3f} px  {r['ms']:8.1f} ms/pair", file=sys.stderr)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=1)


if __name__ == "__main__":
    main()
