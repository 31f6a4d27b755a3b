#!/usr/bin/env python3
"""Trajectories back from a warpflow dataset's stored spectrum (FORMAT.md), with NumPy only.

A shard stores, per pixel p, the first K bins of the DFT of the trajectory over the window,
S_k(p) = Σ_{t=0}^{T−1} F_t(p)·e^{−2πi·kt/T} (pixels, unnormalised, F_0 = 0 included), as 4K
channels: 4k+0 Re S_k.x, 4k+1 Im S_k.x, 4k+2 Re S_k.y, 4k+3 Im S_k.y. F is real, so bin T−k is
conj S_k; the writer keeps K ≤ T/2, and every bin it does not store (K … T−K) is taken as 0:

    F̂_t = (1/T)·(S_0 + 2·Re Σ_{k=1}^{K−1} S_k·e^{+2πi·kt/T}),   t = 0 … T−1

F̂ is the best approximation of F by K harmonics (a low-pass of the motion): exact when the
motion has no energy above K−1 cycles per window, otherwise off by the energy of the dropped
harmonics (so F̂_0 need not be 0). `truncation_error` measures that against stored trajectories.

    import sys; sys.path.insert(0, "Samples/python")
    from load_dataset import load_sample
    from spectrum_motion import spectrum_to_motion, denormalize, truncation_error

    frame, raw = load_sample("data/", 0, normalized=False)       # raw S, float32 [4K, H, W], px
    F = spectrum_to_motion(raw, window=150)                        # float32 [T, 2, H, W], px
    x_end = F[-1, 0]                                               # x displacement at t = T−1

    frame, norm = load_sample("data/", 0)                          # normalised (a model's output)
    raw = denormalize(norm, index.scales)                          # back to pixels (index: DatasetIndex)

    frame, raw, traj = load_sample("data/", 0, normalized=False, return_trajectories=True)
    mean_px, p95_px = truncation_error(traj, raw, window=150)      # needs --trajectories

    python spectrum_motion.py DIR [--sample I] [--k K']            # that error for sample I

Everything is computed in float64 (a matrix of cosines and sines times the spectrum);
results are float32. Any leading batch dimensions are kept: [..., 4K, H, W] → [..., T, 2, H, W].
"""
from __future__ import annotations

import argparse
import os
import sys
from typing import NamedTuple

import numpy as np

__all__ = ["spectrum_to_motion", "denormalize", "truncation_error", "TruncationError"]


class TruncationError(NamedTuple):
    """|F_t(p) − F̂_t(p)| (length of the 2-vector, pixels) over every t and p: mean and the 95th
    percentile (np.percentile, linear). NaN when no value is selected."""
    mean: float
    p95: float


def _frequencies(spectrum: np.ndarray, window: int, k: int | None) -> int:
    """K' to use (all stored when None), after checking the shapes and K' ≤ T/2."""
    if spectrum.ndim < 3 or spectrum.shape[-3] % 4 != 0 or spectrum.shape[-3] == 0:
        raise ValueError(f"spectrum of shape {spectrum.shape}: expected [..., 4K, H, W]")
    stored = spectrum.shape[-3] // 4
    if isinstance(window, bool) or not isinstance(window, (int, np.integer)) or window < 1:
        raise ValueError(f"window {window!r}: must be a positive integer (T, frames)")
    if k is None:
        k = stored
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or not 1 <= k <= stored:
        raise ValueError(f"k={k!r}: must be an integer in 1...{stored} (the stored K)")
    if 2 * k > window:
        raise ValueError(f"K = {k} frequencies need K ≤ T/2, but T = {window}: bins k and T−k "
                         f"would overlap (pass k ≤ {window // 2} to use fewer)")
    return int(k)


def _synthesis(window: int, k: int) -> tuple[np.ndarray, np.ndarray]:
    """(C, S) float64 [T, K]: F̂_t = Σ_k C[t, k]·Re S_k − S[t, k]·Im S_k."""
    t = np.arange(window)
    f = np.arange(k)
    angle = 2 * np.pi * ((t[:, None] * f[None, :]) % window) / window  # reduced mod T: exact phases
    weight = np.where(f == 0, 1.0, 2.0) / window
    return np.cos(angle) * weight, np.sin(angle) * weight


def _motion64(spectrum, window: int, k: int | None) -> np.ndarray:
    s = np.asarray(spectrum, dtype=np.float64)
    k = _frequencies(s, window, k)
    lead, (h, w) = s.shape[:-3], s.shape[-2:]
    c = s[..., :4 * k, :, :].reshape(lead + (k, 4, h * w))
    re = c[..., [0, 2], :].reshape(lead + (k, 2 * h * w))  # x and y side by side
    im = c[..., [1, 3], :].reshape(lead + (k, 2 * h * w))
    cos, sin = _synthesis(window, k)
    return (cos @ re - sin @ im).reshape(lead + (window, 2, h, w))


def spectrum_to_motion(spectrum, window: int, k: int | None = None) -> np.ndarray:
    """Trajectories F̂ float32 [..., T, 2, H, W] (pixels, t = 0 … T−1, channel 0 = x, 1 = y)
    from a RAW stored spectrum [..., 4K, H, W] (pixels; use `denormalize` first on a normalised
    one) of a window of T = `window` frames.

    Inverse DFT of a real signal with bins k ≥ K' taken as 0 (mirrors T−k = conj S_k), K' = k or
    the stored K. Raises ValueError unless K' ≤ T/2 (the writer guarantees it for K).
    """
    return _motion64(spectrum, window, k).astype(np.float32)


def denormalize(normalised, scales) -> np.ndarray:
    """Raw spectrum (pixels) from a normalised one: v = sign(n)·n²·s_k, the inverse of the
    loader's sign(v)·sqrt(|v|/s_k). `normalised` is [..., 4K', H, W] (channel c has k = c // 4),
    `scales` the first K' of stats.json's (e.g. DatasetIndex.scales[:K']). Where s_k = 0 the
    normalised value is 0 and so is the result (that frequency was 0 everywhere). float32.
    """
    n = np.asarray(normalised, dtype=np.float64)
    s = np.repeat(np.asarray(scales, dtype=np.float64).reshape(-1), 4)
    if n.ndim < 3 or n.shape[-3] != s.shape[0]:
        raise ValueError(f"spectrum of shape {n.shape} but {s.shape[0] // 4} scales: expected "
                         f"[..., {s.shape[0]}, H, W]")
    return (np.sign(n) * n * n * s[:, None, None]).astype(np.float32)


def truncation_error(trajectories, spectrum, window: int, k: int | None = None,
                     mask=None) -> TruncationError:
    """How far spectrum_to_motion(spectrum) is from the stored trajectories, in pixels.

    trajectories: [..., T−1, 2, H, W] = F_1 … F_{T−1} as stored (pixels); F_0 = 0 is prepended.
    spectrum: the raw stored [..., 4K, H, W] of the same window. Returns the mean and 95th
    percentile of |F_t − F̂_t| over t = 0 … T−1 and all pixels. mask (optional, bool
    [..., T−1, H, W], e.g. trusted(confidence)) keeps only the (pixel, t ≥ 1) where it is True.
    """
    tr = np.asarray(trajectories, dtype=np.float64)
    if tr.ndim < 4 or tr.shape[-3] != 2 or tr.shape[-4] != window - 1:
        raise ValueError(f"trajectories of shape {tr.shape}: expected [..., {window - 1}, 2, H, W]")
    full = np.concatenate([np.zeros(tr.shape[:-4] + (1,) + tr.shape[-3:]), tr], axis=-4)
    d = full - _motion64(spectrum, window, k)
    err = np.hypot(d[..., 0, :, :], d[..., 1, :, :])  # [..., T, H, W]
    if mask is not None:
        m = np.asarray(mask, dtype=bool)
        if m.shape != err[..., 1:, :, :].shape:
            raise ValueError(f"mask of shape {m.shape}: expected {err[..., 1:, :, :].shape}")
        err = err[..., 1:, :, :][m]
    if err.size == 0:
        return TruncationError(float("nan"), float("nan"))
    return TruncationError(float(err.mean()), float(np.percentile(err, 95)))


def main(argv: list[str]) -> int:
    """`python spectrum_motion.py DIR [--sample I] [--k K']`: the truncation error of sample I."""
    p = argparse.ArgumentParser(description="Truncation error of the stored spectrum of a dataset "
                                            "sample against its stored trajectories (pixels).")
    p.add_argument("dir", help="dataset directory built with --trajectories")
    p.add_argument("--sample", type=int, default=0, help="sample number (manifest line, 0-based)")
    p.add_argument("--k", type=int, default=None, help="use only the first K' frequencies")
    a = p.parse_args(argv)
    os.environ.setdefault("WARPFLOW_NO_TORCH", "1")  # NumPy is enough here; skip torch's import
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from load_dataset import DatasetError, NumpyDataset, spectrum_weight, trusted

    try:
        ds = NumpyDataset(a.dir, normalized=False, return_trajectories=True, return_confidence=True)
        ix = ds.index
        if not -len(ds) <= a.sample < len(ds):
            raise ValueError(f"sample {a.sample} out of range: {a.dir} has {len(ds)}")
        _, raw, traj, conf = ds[a.sample]
        err = truncation_error(traj, raw, ix.window, a.k)
    except (DatasetError, ValueError) as e:
        print(f"spectrum_motion: {e}", file=sys.stderr)
        return 1
    line = ix.samples[a.sample]
    k = a.k or ix.k
    size = np.hypot(traj[:, 0], traj[:, 1])
    print(f"sample {a.sample} ({line['shard']}[{line['index']}], clip {line.get('clip')}): "
          f"T = {ix.window}, K = {k}, {ix.width}x{ix.height} px; |F_t| mean {size.mean():.3f} px, "
          f"max {size.max():.3f} px")
    print(f"truncation to K = {k} of T = {ix.window} bins: |F_t − F̂_t| mean {err.mean:.4f} px, "
          f"p95 {err.p95:.4f} px (all pixels, t = 0 … {ix.window - 1})")
    if conf is None:
        print("confidence: none (version 1 shard)")
    else:
        ok = trusted(conf)
        sub = truncation_error(traj, raw, ix.window, a.k, mask=ok)
        print(f"trusted (c >= 0.5): {ok.mean():.1%} of (pixel, t), |F_t − F̂_t| mean {sub.mean:.4f} px, "
              f"p95 {sub.p95:.4f} px; trusted spectra (mean_t c >= 0.5): "
              f"{trusted(spectrum_weight(conf)).mean():.1%} of pixels")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
