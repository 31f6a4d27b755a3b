#!/usr/bin/env python3
"""Write a small warpflow dataset (Samples/python/FORMAT.md, version 2 or 1) with NumPy only.

For developing and testing the Python loader without the Swift builder: random smooth
trajectories with F_0 = 0 (pixels), spectra = np.fft.fft of them (first K bins, unnormalised,
pixels), magnitude histograms and normalisation scales by the FORMAT.md rule, shards in
safetensors, per-clip reports, manifest.jsonl and stats.json. Version 2 (the default) adds the
`confidence` tensor, U8 [N, T−1, H, W] = round(255·c): a fake c that is the product of a texture
factor (low in a flat rectangle), a moving "occlusion" blob and 0 where p + F_t(p) has left the
picture. --version 1 writes the older format (no confidence, no manifest versions).

    python make_fake_dataset.py OUT_DIR [--clips 3] [--samples 3] [--window 30] [--k min(16, T/2)]
        [--width 64] [--height 40] [--dtype float32|float16] [--no-trajectories]
        [--per-shard 2] [--skipped] [--percentile 97] [--seed 1] [--version 2|1]
"""
from __future__ import annotations

import argparse
import json
import math
import os
import sys
from fractions import Fraction

import numpy as np
from safetensors.numpy import save_file

MIN_EXPONENT = -20
MAX_EXPONENT = 20
BINS_PER_OCTAVE = 32


def histogram_bins(values: np.ndarray, min_exp: int = MIN_EXPONENT, max_exp: int = MAX_EXPONENT,
                   bins_per_octave: int = BINS_PER_OCTAVE) -> np.ndarray:
    """FORMAT.md bin index of |v| for every value (int64, same shape as `values`).

    Bin 0: |v| < 2^min; bin 1 + j: 2^(min + j/b) <= |v| < 2^(min + (j+1)/b); last bin:
    |v| >= 2^max. Edges are checked exactly after the log2 guess, so values on an edge land in
    the bin that starts there.
    """
    a = np.abs(np.asarray(values, dtype=np.float64))
    inner = (max_exp - min_exp) * bins_per_octave
    bins = np.zeros(a.shape, dtype=np.int64)
    mid = (a >= 2.0 ** min_exp) & (a < 2.0 ** max_exp)
    am = a[mid]
    j = np.floor((np.log2(am) - min_exp) * bins_per_octave).astype(np.int64)
    j = np.clip(j, 0, inner - 1)
    low = np.exp2(min_exp + j / bins_per_octave)
    j = np.where(am < low, j - 1, j)
    high = np.exp2(min_exp + (j + 1) / bins_per_octave)
    j = np.where(am >= high, j + 1, j)
    bins[mid] = 1 + np.clip(j, 0, inner - 1)
    bins[a >= 2.0 ** max_exp] = inner + 1
    return bins


def histogram_counts(spectra: np.ndarray, k: int) -> list[dict[int, int]]:
    """Per frequency, {bin: count} over the four channels 4k..4k+3 of spectra [N, 4K, H, W]."""
    out = []
    for f in range(k):
        bins = histogram_bins(spectra[:, 4 * f:4 * f + 4])
        uniq, counts = np.unique(bins, return_counts=True)
        out.append({int(b): int(c) for b, c in zip(uniq, counts)})
    return out


def percentile_from_counts(counts: dict[int, int], percentile: float,
                           min_exp: int = MIN_EXPONENT, max_exp: int = MAX_EXPONENT,
                           bins_per_octave: int = BINS_PER_OCTAVE) -> float:
    """The FORMAT.md percentile of a histogram: rank r = ceil(P/100 * n) (1-based); in the bin
    holding it, with c values and `before` values below it, the fraction q = (r - before) / c;
    value lo * (hi/lo)^q (geometric), bin 0: q * 2^min, last bin: 2^max. 0 for an empty one."""
    n = sum(counts.values())
    if n == 0:
        return 0.0
    rank = math.ceil(Fraction(str(percentile)) * n / 100)
    rank = min(max(rank, 1), n)
    inner = (max_exp - min_exp) * bins_per_octave
    before = 0
    for b in sorted(counts):
        c = counts[b]
        if before + c >= rank:
            q = (rank - before) / c
            if b == 0:
                return q * 2.0 ** min_exp
            if b > inner:
                return 2.0 ** max_exp
            lo = min_exp + (b - 1) / bins_per_octave
            return float(2.0 ** (lo + q / bins_per_octave))
        before += c
    return 2.0 ** max_exp


def smooth_field(rng: np.random.Generator, h: int, w: int, cells: int = 4) -> np.ndarray:
    """A smooth random field [h, w] in about [-1, 1]: a coarse grid upsampled bilinearly."""
    coarse = rng.uniform(-1, 1, size=(cells + 1, cells + 1))
    ys = np.linspace(0, cells, h)
    xs = np.linspace(0, cells, w)
    y0 = np.minimum(ys.astype(int), cells - 1)
    x0 = np.minimum(xs.astype(int), cells - 1)
    fy = (ys - y0)[:, None]
    fx = (xs - x0)[None, :]
    a = coarse[y0][:, x0]
    b = coarse[y0][:, x0 + 1]
    c = coarse[y0 + 1][:, x0]
    d = coarse[y0 + 1][:, x0 + 1]
    return (a * (1 - fx) + b * fx) * (1 - fy) + (c * (1 - fx) + d * fx) * fy


def fake_sample(rng: np.random.Generator, t: int, h: int, w: int):
    """One window: frame [H, W, 3] uint8 and trajectories F [T, 2, H, W] float64 with F_0 = 0."""
    times = np.arange(t, dtype=np.float64)[:, None, None]
    traj = np.zeros((t, 2, h, w))
    for axis in range(2):
        for _ in range(3):
            amp = 4.0 * smooth_field(rng, h, w)
            period = rng.uniform(3.0, float(t))
            phase = smooth_field(rng, h, w) * math.pi
            traj[:, axis] += amp * (np.sin(2 * math.pi * times / period + phase) - np.sin(phase))
        traj[:, axis] += rng.uniform(-0.3, 0.3) * times  # drift
        traj[1:, axis] += rng.normal(0, 0.05, size=(t - 1, h, w))
    yy, xx = np.mgrid[0:h, 0:w]
    frame = np.stack([
        128 + 100 * np.sin(xx / 5.0 + rng.uniform(0, 6)),
        128 + 100 * np.cos(yy / 7.0 + rng.uniform(0, 6)),
        128 + 60 * smooth_field(rng, h, w, 6),
    ], axis=-1) + rng.normal(0, 10, size=(h, w, 3))
    return np.clip(frame, 0, 255).astype(np.uint8), traj


def fake_confidence(rng: np.random.Generator, traj: np.ndarray) -> np.ndarray:
    """A plausible c(p, t) for t = 1 … T−1 from F [T, 2, H, W], stored as U8 round(255·c).

    c = texture × consistency × inside: texture 0.05 in a random flat rectangle (about a sixth
    of the picture) and 1 − 0.3·u elsewhere (u uniform); consistency 1 − 0.95·exp(−d²/r²) around
    a blob moving across the picture (d: distance to its centre); inside 0 where p + F_t(p) is
    out of [0, W−1] × [0, H−1].
    """
    t, _, h, w = traj.shape
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float64)
    texture = 1 - 0.3 * rng.uniform(size=(h, w))
    y0, x0 = int(rng.integers(0, max(1, h // 2))), int(rng.integers(0, max(1, w // 2)))
    texture[y0:y0 + max(1, h // 3), x0:x0 + max(1, w // 2)] = 0.05
    bx, by = rng.uniform(0, 1, size=2) * (w - 1), rng.uniform(0, 1, size=2) * (h - 1)  # from, to
    r = max(2.0, min(h, w) / 5)
    c = np.empty((t - 1, h, w))
    for i in range(1, t):
        cx = bx[0] + (bx[1] - bx[0]) * i / (t - 1)
        cy = by[0] + (by[1] - by[0]) * i / (t - 1)
        consistency = 1 - 0.95 * np.exp(-((xx - cx) ** 2 + (yy - cy) ** 2) / r ** 2)
        px, py = xx + traj[i, 0], yy + traj[i, 1]
        inside = (px >= 0) & (px <= w - 1) & (py >= 0) & (py <= h - 1)
        c[i - 1] = texture * consistency * inside
    return np.round(255 * np.clip(c, 0, 1)).astype(np.uint8)


def spectrum_channels(traj: np.ndarray, k: int) -> np.ndarray:
    """[4K, H, W] float64 from F [T, 2, H, W]: Re x, Im x, Re y, Im y of np.fft.fft[:K]."""
    s = np.fft.fft(traj, axis=0)[:k]  # [K, 2, H, W]
    out = np.empty((k, 4) + traj.shape[2:])
    out[:, 0], out[:, 1] = s[:, 0].real, s[:, 0].imag
    out[:, 2], out[:, 3] = s[:, 1].real, s[:, 1].imag
    return out.reshape((4 * k,) + traj.shape[2:])


def histogram_json(counts: list[dict[int, int]]) -> dict:
    """The FORMAT.md histogram object for per-frequency {bin: count} maps."""
    return {"min_exponent": MIN_EXPONENT, "max_exponent": MAX_EXPONENT,
            "bins_per_octave": BINS_PER_OCTAVE,
            "counts": [[[b, c] for b, c in sorted(m.items())] for m in counts]}


def main(argv: list[str]) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("out")
    p.add_argument("--clips", type=int, default=3)
    p.add_argument("--samples", type=int, default=3, help="samples per clip")
    p.add_argument("--window", type=int, default=30, help="T, frames")
    p.add_argument("--k", type=int, default=None,
                   help="K, frequencies kept (default min(16, T/2), like the builder)")
    p.add_argument("--width", type=int, default=64)
    p.add_argument("--height", type=int, default=40)
    p.add_argument("--dtype", choices=["float32", "float16"], default="float32")
    p.add_argument("--no-trajectories", action="store_true")
    p.add_argument("--per-shard", type=int, default=2, help="samples per shard file")
    p.add_argument("--skipped", action="store_true", help="add a skipped clip as clip 1")
    p.add_argument("--percentile", type=float, default=97.0)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--version", type=int, choices=[1, 2], default=2,
                   help="format version: 2 adds the confidence tensor")
    a = p.parse_args(argv)
    if a.k is None:
        a.k = max(1, min(16, a.window // 2))
    if not (a.clips >= 1 and a.samples >= 1 and a.window >= 2 and 1 <= a.k <= a.window
            and a.width >= 1 and a.height >= 1 and a.per_shard >= 1 and 0 < a.percentile <= 100):
        p.error("need clips, samples, per-shard >= 1, window >= 2, 1 <= k <= window, "
                "size >= 1, percentile in (0, 100]")
    rng = np.random.default_rng(a.seed)
    dtype = np.float32 if a.dtype == "float32" else np.float16
    t, k, h, w = a.window, a.k, a.height, a.width
    os.makedirs(os.path.join(a.out, "clips"), exist_ok=True)
    fps = Fraction(30000, 1001)
    manifest, all_counts = [], [dict() for _ in range(k)]
    windows = {"total": 0, "kept": 0, "scene_cut": 0, "low_motion": 0, "camera_motion": 0}
    skipped, ok = [], 0
    for clip in range(a.clips + (1 if a.skipped else 0)):
        source = f"clips/fake-{clip}.mp4"
        report = {"format": "warpflow-dataset-clip", "version": a.version, "clip": clip,
                  "source": source}
        if a.skipped and clip == 1:
            reason = "fake: shorter than one window"
            report.update(status="skipped", reason=reason, shards=[], samples=[],
                          windows={"total": 0, "kept": 0, "scene_cut": 0, "low_motion": 0,
                                   "camera_motion": 0},
                          histogram=histogram_json([{} for _ in range(k)]))
            skipped.append({"clip": clip, "source": source, "reason": reason})
        else:
            ok += 1
            samples = [fake_sample(rng, t, h, w) for _ in range(a.samples)]
            shards, lines, clip_counts = [], [], [dict() for _ in range(k)]
            for part, first in enumerate(range(0, a.samples, a.per_shard)):
                chunk = samples[first:first + a.per_shard]
                name = f"clip-{clip:06d}-{part:03d}.safetensors"
                traj = np.stack([c[1] for c in chunk])  # [n, T, 2, H, W]
                spectra = np.stack([spectrum_channels(c[1], k) for c in chunk]).astype(dtype)
                tensors = {"frames": np.stack([c[0] for c in chunk]), "spectra": spectra}
                if not a.no_trajectories:
                    tensors["trajectories"] = np.ascontiguousarray(traj[:, 1:]).astype(dtype)
                if a.version >= 2:
                    tensors["confidence"] = np.stack([fake_confidence(rng, c[1]) for c in chunk])
                meta = {"format": "warpflow-dataset", "version": str(a.version), "window": str(t),
                        "k": str(k), "width": str(w), "height": str(h), "clip": str(clip),
                        "source": source, "samples": str(len(chunk))}
                save_file(tensors, os.path.join(a.out, "clips", name), metadata=meta)
                shards.append(name)
                for f, m in enumerate(histogram_counts(spectra, k)):
                    for b, c in m.items():
                        clip_counts[f][b] = clip_counts[f].get(b, 0) + c
                for idx, (_, tr) in enumerate(chunk):
                    start_frame = (first + idx) * t
                    length = np.hypot(tr[:, 0], tr[:, 1])
                    med = np.hypot(np.median(tr[:, 0], axis=(1, 2)), np.median(tr[:, 1], axis=(1, 2)))
                    start = Fraction(start_frame) / fps
                    lines.append({"shard": f"clips/{name}", "index": idx, "clip": clip,
                                  "source": source, "start": f"{start.numerator}/{start.denominator}",
                                  "start_frame": start_frame, "frames": t,
                                  "fps": f"{fps.numerator}/{fps.denominator}", "width": w,
                                  "height": h, "mean_motion": round(float(length.mean()), 4),
                                  "global_motion": round(float(med.mean()), 4),
                                  "max_motion": round(float(length.max()), 4)})
                    if a.version >= 2:
                        lines[-1]["version"] = a.version
            for f in range(k):
                for b, c in clip_counts[f].items():
                    all_counts[f][b] = all_counts[f].get(b, 0) + c
            win = {"total": a.samples + 1, "kept": a.samples, "scene_cut": 0, "low_motion": 1,
                   "camera_motion": 0}
            for key in windows:
                windows[key] += win[key]
            manifest += lines
            report.update(status="ok", reason=None, windows=win, shards=shards, samples=lines,
                          histogram=histogram_json(clip_counts),
                          seconds={"decode": 0.0, "flow": 0.0, "dft": 0.0, "write": 0.0})
        with open(os.path.join(a.out, "clips", f"clip-{clip:06d}.json"), "w") as fh:
            json.dump(report, fh)
    with open(os.path.join(a.out, "manifest.jsonl"), "w") as fh:
        for line in manifest:
            fh.write(json.dumps(line) + "\n")
    stats = {"format": "warpflow-dataset-stats", "version": a.version, "percentile": a.percentile,
             "k": k, "scales": [percentile_from_counts(m, a.percentile) for m in all_counts],
             "histogram": histogram_json(all_counts), "samples": len(manifest),
             "clips": {"total": ok + len(skipped), "ok": ok, "skipped": len(skipped)},
             "windows": windows, "skipped_clips": skipped}
    with open(os.path.join(a.out, "stats.json"), "w") as fh:
        json.dump(stats, fh, indent=1)
    print(f"make_fake_dataset: {len(manifest)} samples, {ok} clips (+{len(skipped)} skipped), "
          f"T={t}, K={k}, {w}x{h}, {a.dtype}, trajectories={'no' if a.no_trajectories else 'yes'}, "
          f"version {a.version}{' (confidence)' if a.version >= 2 else ''} -> {a.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
