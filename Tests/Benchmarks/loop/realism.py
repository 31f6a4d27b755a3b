#!/usr/bin/env python3
"""Realism of a loop: how much each of its frames looks like some frame of the source window.

Usage: realism.py LOOP SOURCE [--start S] [--duration D] [--check]

realism(loop frame i) = max over the source window's frames j of SSIM(loop_i, source_j), on
luma (Y = 0.299 R + 0.587 G + 0.114 B, 0-255, of ffmpeg's rgb24 decode) downscaled to half
size (cv2.INTER_AREA), with scikit-image's `structural_similarity` defaults and data_range 255:
a 7×7 uniform window, sample covariance (×49/48), K1 0.01, K2 0.03, the mean taken over the
SSIM map without its 3-pixel border. A loop's realism is the mean of that over its frames; its
worst frame is the minimum. Tearing, smears, ghosts of a crossfade and hole filling lower it; a
loop that replays source frames (pingpong) scores about as much as its encoding keeps (≈ 0.97
at crf 18). Also given: the coverage of each source frame (the best SSIM of any loop frame
against it), low where the loop never visits that part of the window.

`ssim_matrix` computes every pair (loop frame × source frame) at once: the per-frame means and
variances once, the cross term as one box filter over the products of a loop frame with all
source frames stacked into one tall image (the rows where neighbouring frames mix fall inside
the border that is cropped anyway). It matches skimage to float32 rounding (`--check`: ~1e-7) and takes about
0.03 s per loop frame for a 90-frame window of 320×240 (half of 640×480) on one core.
"""
import argparse, sys, time

import numpy as np

WIN = 7
PAD = (WIN - 1) // 2
K1, K2, RANGE = 0.01, 0.03, 255.0
C1, C2 = (K1 * RANGE) ** 2, (K2 * RANGE) ** 2
COV_NORM = WIN * WIN / (WIN * WIN - 1.0)  # skimage's use_sample_covariance
SHIFT = 128.0  # (co)variances from shifted luma: float32 keeps its precision


def half_size(frames):
    """[n, h, w] luma → [n, h//2, w//2] float32 (INTER_AREA)."""
    import cv2
    frames = np.asarray(frames, np.float32)
    n, h, w = frames.shape
    size = (max(WIN, w // 2), max(WIN, h // 2))
    return np.stack([cv2.resize(f, size, interpolation=cv2.INTER_AREA) for f in frames])


def _box(stack):
    """7×7 mean of every frame of [n, h, w] (float32), frames stacked as one tall image."""
    import cv2
    n, h, w = stack.shape
    return cv2.boxFilter(np.ascontiguousarray(stack).reshape(n * h, w), -1, (WIN, WIN), normalize=True,
                         borderType=cv2.BORDER_REFLECT_101).reshape(n, h, w)


def _crop(a):
    return a[..., PAD:a.shape[-2] - PAD, PAD:a.shape[-1] - PAD]


def _stats(stack):
    """Means (interior), shifted data (full) and variances (interior) of [n, h, w]."""
    shifted = stack - SHIFT
    mu_s = _box(shifted)
    var = COV_NORM * (_crop(_box(shifted * shifted)) - _crop(mu_s) ** 2)
    return _crop(mu_s) + SHIFT, shifted, _crop(mu_s), var


def ssim_matrix(loop, src, chunk=4):
    """SSIM of every loop frame against every source frame: [L, N] float64. LOOP and SRC are
    [n, h, w] luma (0-255) of the same size (already downscaled). Source frames are taken CHUNK
    at a time (small buffers stay in cache; 4 was the fastest of 4, 8, 16, 32)."""
    import cv2
    loop, src = np.asarray(loop, np.float32), np.asarray(src, np.float32)
    if loop.shape[1:] != src.shape[1:]:
        raise ValueError(f"sizes differ: {loop.shape[1:]} vs {src.shape[1:]}")
    c = np.ascontiguousarray
    mu_y, ys, mys, var_y = map(c, _stats(src))
    mu_x, xs, mxs, var_x = map(c, _stats(loop))
    sq_y, vy, mu_y2 = mu_y * mu_y + C1, var_y + C2, 2 * mu_y
    n, h, w = src.shape
    prod, box = np.empty((chunk, h, w), np.float32), np.empty((chunk * h, w), np.float32)
    t1 = np.empty((chunk, h - 2 * PAD, w - 2 * PAD), np.float32)
    t2 = np.empty_like(t1)
    out = np.empty((len(loop), n))
    for j0 in range(0, n, chunk):
        k = min(chunk, n - j0)
        j = slice(j0, j0 + k)
        for i in range(len(loop)):
            p = prod[:k]
            np.multiply(ys[j], xs[i], out=p)
            b = box[:k * h]
            cv2.boxFilter(p.reshape(k * h, w), -1, (WIN, WIN), dst=b, normalize=True, borderType=cv2.BORDER_REFLECT_101)
            a2 = t1[:k]
            np.multiply(mys[j], mxs[i], out=a2)
            np.subtract(_crop(b.reshape(k, h, w)), a2, out=a2)  # covariance / COV_NORM
            a2 *= 2 * COV_NORM
            a2 += C2                                              # A2 = 2 σxy + C2
            a1 = t2[:k]
            np.multiply(mu_y2[j], mu_x[i], out=a1)
            a1 += C1                                              # A1 = 2 μx μy + C1
            a2 *= a1
            np.add(sq_y[j], mu_x[i] * mu_x[i], out=a1)            # B1 = μx² + μy² + C1
            a1 *= vy[j] + var_x[i]                                # B2 = σx² + σy² + C2
            a2 /= a1
            out[i, j] = a2.reshape(k, -1).mean(axis=1, dtype=np.float64)
    return out


def realism(loop, src):
    """Scores of loop frames [L, h, w] against source-window frames [N, h, w] (full-size luma;
    downscaled here). Returns a dict (module docstring)."""
    t = time.perf_counter()
    m = ssim_matrix(half_size(loop), half_size(src))
    best = m.max(axis=1)
    worst = int(np.argmin(best))
    return {"realism_mean": float(best.mean()), "realism_min": float(best[worst]), "realism_min_frame": worst,
            "realism_min_source_frame": int(np.argmax(m[worst])),
            "realism_per_frame": [round(float(v), 5) for v in best],
            "realism_best_source": [int(v) for v in m.argmax(axis=1)],
            "source_coverage": [round(float(v), 5) for v in m.max(axis=0)],
            "realism_seconds": time.perf_counter() - t}


def check(loop, src, pairs=6, seed=1):
    """Largest difference between ssim_matrix and skimage's structural_similarity on random pairs."""
    from skimage.metrics import structural_similarity
    lo, sr = half_size(loop), half_size(src)
    rng = np.random.default_rng(seed)
    ii, jj = rng.integers(len(lo), size=pairs), rng.integers(len(sr), size=pairs)
    m = ssim_matrix(lo[ii], sr[jj])
    ref = [structural_similarity(lo[i].astype(np.float64), sr[j].astype(np.float64), data_range=RANGE) for i, j in zip(ii, jj)]
    return max(abs(m[k, k] - ref[k]) for k in range(pairs))


def main():
    import loop_quality
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("loop")
    ap.add_argument("source")
    ap.add_argument("--start", type=float, default=0.0, help="source window start, seconds")
    ap.add_argument("--duration", type=float, help="source window length, seconds (default: the loop's)")
    ap.add_argument("--check", action="store_true", help="also compare a few pairs with skimage")
    a = ap.parse_args()
    loop, loop_times = loop_quality.decode(a.loop)
    duration = a.duration or loop_quality.clip_duration(loop_times, loop_quality.probe(a.loop)[0])
    src, times = loop_quality.decode(a.source)
    keep = loop_quality.in_window(times, a.start, duration, loop_quality.probe(a.source)[0])
    src = loop_quality.luma(src[keep])
    loop = loop_quality.luma(loop)
    r = realism(loop, src)
    print(f"{a.loop}: realism {r['realism_mean']:.4f}, worst frame {r['realism_min_frame']} {r['realism_min']:.4f} "
          f"(nearest source frame {r['realism_min_source_frame']}), {len(loop)} × {len(src)} frames, {r['realism_seconds']:.2f} s")
    if a.check:
        print(f"largest |difference| from skimage on 6 random pairs: {check(loop, src):.2e}")


if __name__ == "__main__":
    sys.exit(main())
