#!/usr/bin/env python3
"""The Python path a researcher would write instead of `warpflow dataset build`: the peer.

Per clip: cv2.VideoCapture decodes every frame; each is centre-cropped to the aspect W/H,
resized to W x H with cv2.INTER_AREA and turned gray (cv2.COLOR_BGR2GRAY, BT.601). Per
non-overlapping window of T frames from frame 0 (stride T): direct flow frame 0 -> t for
t = 1 ... T-1 (cv2.DISOpticalFlow PRESET_MEDIUM, or cv2.calcOpticalFlowFarneback with the
usual 0.5, 3, 15, 3, 5, 1.2, 0), F_0 = 0 prepended, S = np.fft.fft(F, axis=time)[:K], channels
4k+0 Re x, 4k+1 Im x, 4k+2 Re y, 4k+3 Im y (FORMAT.md). One safetensors file per clip, as
warpflow writes: `frames` uint8 [N, H, W, 3] (RGB of each window's first frame), `spectra`
float16 (--dtype) [N, 4K, H, W], and with --trajectories `trajectories` float32
[N, T-1, 2, H, W]. No window filters (warpflow's are switched off in the benchmark so both
sides do the same windows).

--procs 1: one process, OpenCV's default thread count (cv2.getNumThreads(), reported).
--procs N: a multiprocessing.Pool of N processes over clips (in the order given), each with
cv2.setNumThreads(1) so that N processes do not oversubscribe N cores.

Usage: python_path.py CLIP... -o DIR [--flow dis|farneback] [--procs 1] [--window 150]
                      [--size 256x160] [--k 16] [--trajectories] [--dtype float16|float32]
                      [--json OUT]
The JSON: {"seconds": wall seconds from the first clip's start to the last's end (excluding
interpreter start and imports), "clips": [{"source", "frames", "windows", "seconds",
"stages": {"decode", "flow", "dft", "write"}}], "threads": ..., "procs": ..., "flow": ...}.
"""
import argparse
import json
import multiprocessing
import os
import sys
import time

import cv2
import numpy as np
from safetensors.numpy import save_file


def read_clip(path, width, height):
    """Every frame of `path` at the working size: (gray uint8 list, RGB uint8 list)."""
    cap = cv2.VideoCapture(path)
    if not cap.isOpened():
        raise RuntimeError(f"{path}: cannot be opened by cv2.VideoCapture")
    grays, rgbs = [], []
    while True:
        ok, frame = cap.read()
        if not ok:
            break
        h, w = frame.shape[:2]
        if w * height > h * width:          # too wide: crop the sides
            cw = max(1, round(h * width / height))
            x0 = (w - cw) // 2
            frame = frame[:, x0:x0 + cw]
        elif w * height < h * width:        # too tall: crop top and bottom
            ch = max(1, round(w * height / width))
            y0 = (h - ch) // 2
            frame = frame[y0:y0 + ch]
        small = cv2.resize(frame, (width, height), interpolation=cv2.INTER_AREA)
        grays.append(cv2.cvtColor(small, cv2.COLOR_BGR2GRAY))
        rgbs.append(small[..., ::-1])
    cap.release()
    return grays, rgbs


def make_flow(kind):
    """A function (frame0, frame_t) -> flow [H, W, 2] float32: displacement of frame-0 pixels."""
    if kind == "dis":
        dis = cv2.DISOpticalFlow_create(cv2.DISOPTICAL_FLOW_PRESET_MEDIUM)
        return lambda a, b: dis.calc(a, b, None)
    if kind == "farneback":
        return lambda a, b: cv2.calcOpticalFlowFarneback(a, b, None, 0.5, 3, 15, 3, 5, 1.2, 0)
    raise ValueError(f"--flow {kind}: must be dis or farneback")


def process_clip(job):
    """One clip: decode, windows, flow, FFT, write. Returns its timing record."""
    path, out, name, a = job
    start = time.perf_counter()
    stages = {"decode": 0.0, "flow": 0.0, "dft": 0.0, "write": 0.0}
    t0 = time.perf_counter()
    grays, rgbs = read_clip(path, a.width, a.height)
    stages["decode"] += time.perf_counter() - t0
    flow = make_flow(a.flow)
    T, K = a.window, a.k
    frames, spectra, trajs = [], [], []
    for s in range(0, len(grays) - T + 1, T):
        t0 = time.perf_counter()
        F = np.zeros((T, a.height, a.width, 2), np.float32)
        for t in range(1, T):
            F[t] = flow(grays[s], grays[s + t])
        t1 = time.perf_counter()
        S = np.fft.fft(F, axis=0)[:K]                            # [K, H, W, 2] complex
        spec = np.stack([S.real[..., 0], S.imag[..., 0], S.real[..., 1], S.imag[..., 1]], axis=1)
        spectra.append(spec.reshape(4 * K, a.height, a.width).astype(a.dtype))
        frames.append(rgbs[s])
        if a.trajectories:
            trajs.append(F[1:].transpose(0, 3, 1, 2))            # [T-1, 2, H, W]
        t2 = time.perf_counter()
        stages["flow"] += t1 - t0
        stages["dft"] += t2 - t1
    t0 = time.perf_counter()
    if frames:
        tensors = {"frames": np.ascontiguousarray(np.stack(frames)), "spectra": np.stack(spectra)}
        if a.trajectories:
            tensors["trajectories"] = np.ascontiguousarray(np.stack(trajs))
        save_file(tensors, os.path.join(out, name + ".safetensors"),
                  metadata={"source": path, "window": str(T), "k": str(K), "samples": str(len(frames))})
    stages["write"] += time.perf_counter() - t0
    return {"source": path, "frames": len(grays), "windows": len(frames),
            "seconds": time.perf_counter() - start, "stages": stages}


def _worker_init():
    cv2.setNumThreads(1)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("clips", nargs="+")
    p.add_argument("-o", "--output", required=True)
    p.add_argument("--flow", default="dis", choices=["dis", "farneback"])
    p.add_argument("--procs", type=int, default=1)
    p.add_argument("--window", type=int, default=150)
    p.add_argument("--size", default="256x160")
    p.add_argument("--k", type=int, default=16)
    p.add_argument("--trajectories", action="store_true")
    p.add_argument("--dtype", default="float16", choices=["float16", "float32"], help="of the stored spectra")
    p.add_argument("--json")
    a = p.parse_args()
    a.width, a.height = (int(v) for v in a.size.lower().split("x"))
    if a.procs < 1 or a.window < 2 or not 1 <= a.k <= a.window:
        p.error("--procs >= 1, --window >= 2 and 1 <= --k <= --window")
    os.makedirs(a.output, exist_ok=True)
    jobs = [(c, a.output, f"clip-{i:06d}", a) for i, c in enumerate(a.clips)]
    start = time.perf_counter()
    if a.procs == 1:
        threads = cv2.getNumThreads()
        records = [process_clip(j) for j in jobs]
    else:
        threads = 1
        with multiprocessing.get_context("fork").Pool(a.procs, initializer=_worker_init) as pool:
            records = pool.map(process_clip, jobs, chunksize=1)
    seconds = time.perf_counter() - start
    result = {"seconds": seconds, "clips": records, "threads": threads, "procs": a.procs, "flow": a.flow,
              "opencv": cv2.__version__, "numpy": np.__version__}
    if a.json:
        with open(a.json, "w") as fh:
            json.dump(result, fh, indent=1)
    windows = sum(r["windows"] for r in records)
    print(f"python_path {a.flow} procs={a.procs} threads={threads}: {len(records)} clips, {windows} windows, "
          f"{seconds:.1f} s", file=sys.stderr)


if __name__ == "__main__":
    main()
