#!/usr/bin/env python3
"""Fusion and refit study: classical ways to fuse two warped frames, or to refit the motion at
time t, measured against the plain warp-and-blend and the per-pixel oracle on real footage.

Usage: fusion_study.py CLIP [CLIP …] [--frames 25] [--gap 2]

For each clip: the first N frames (luma, 8-bit, every frame once), triplets (i, i + gap/2,
i + gap) with the middle frame as truth; OpenCV DIS *medium* flows both ways between the outer
frames; the midpoint velocity field v(x) = ½(F01(x − ½v) − F10(x + ½v)) (two fixed-point steps,
as `warpflow fps` initialises its field); W0 = I0(x − ½v), W1 = I1(x + ½v). Every rule below
makes the middle frame from the same flows; the table gives mean luma PSNR (dB):

  blend       ½(W0 + W1): the baseline every rule must beat
  oracle      per pixel the better of W0 and W1 (uses the truth; a ceiling, not a method)
  photo-w     weights exp(−e/8), e = 5×5 mean of each source's own brightness-constancy error
              |I0 − I1(x + F01)| (resp. |I1 − I0(x + F10)|) read at the source
  softsplat   forward softmax splatting of I0 by ½F01 and I1 by ½F10 with Z = −0.1·e
              (Niklaus & Liu 2020), holes from the blend
  vis-half    visibility from the forward-backward check at half strength (as warpflow fps)
  vis-gated   full strength where the two warps disagree (5×5 |W0 − W1| from 8, full at 24)
  zero-hyp    per pixel, zero motion where its 5×5 two-frame difference is lower than the
              warps' (motion under 4 px), the choice smoothed (σ 2)
  refit       v refined by 5 fixed-point iterations of a symmetric variational step (data
              |I1(x + ½v) − I0(x − ½v)| and its gradient, Charbonnier, smoothness 20), as the
              flow engine refines its own flows

This is a measurement of methods, not of warpflow: it tells which fusion rule deserves a place
in the product. Needs numpy and opencv-python (the bench venv has both).
"""
import argparse, json, subprocess

import cv2
import numpy as np


def luma_frames(path, n):
    info = subprocess.run(["ffprobe", "-v", "error", "-select_streams", "v:0", "-show_entries", "stream=width,height",
                           "-of", "json", path], check=True, capture_output=True, text=True).stdout
    s = json.loads(info)["streams"][0]
    w, h = s["width"], s["height"]
    raw = subprocess.run(["ffmpeg", "-v", "error", "-i", path, "-fps_mode", "passthrough", "-frames:v", str(n),
                          "-f", "rawvideo", "-pix_fmt", "gray", "-"], check=True, capture_output=True).stdout
    return np.frombuffer(raw, np.uint8)[: len(raw) // (w * h) * w * h].reshape(-1, h, w).astype(np.float32)


DIS = cv2.DISOpticalFlow_create(cv2.DISOPTICAL_FLOW_PRESET_MEDIUM)


def flow(a, b):
    return DIS.calc(a.astype(np.uint8), b.astype(np.uint8), None)


def warp(img, f):
    h, w = img.shape[:2]
    gx, gy = np.meshgrid(np.arange(w, dtype=np.float32), np.arange(h, dtype=np.float32))
    return cv2.remap(img, gx + f[..., 0], gy + f[..., 1], cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)


def box(x, r=2):
    return cv2.blur(x, (2 * r + 1, 2 * r + 1))


def psnr(a, b):
    mse = float(((a - b) ** 2).mean())
    return 99.0 if mse == 0 else 10 * np.log10(255.0 ** 2 / mse)


def midpoint(f01, f10, steps=2):
    v = 0.5 * (f01 - f10)
    for _ in range(steps):
        v = 0.5 * (warp(f01, -0.5 * v) - warp(f10, 0.5 * v))
    return v


def occlusion(f, b):
    """Forward-backward check (warpflow's thresholds), blurred σ 1: 1 = hidden in the other frame."""
    bw = warp(b, f)
    s = f + bw
    bad = (s ** 2).sum(-1) > 0.01 * ((f ** 2).sum(-1) + (bw ** 2).sum(-1)) + 0.49
    return cv2.GaussianBlur(bad.astype(np.float32), (0, 0), 1)


def splat(img, f, z):
    """Softmax splatting (bilinear footprint) of img by f with importance z; returns image, coverage."""
    h, w = img.shape
    gx, gy = np.meshgrid(np.arange(w, dtype=np.float32), np.arange(h, dtype=np.float32))
    tx, ty = gx + f[..., 0], gy + f[..., 1]
    x0, y0 = np.floor(tx).astype(np.int64), np.floor(ty).astype(np.int64)
    fx, fy = tx - x0, ty - y0
    e = np.exp(z - z.max())
    num, den, cover = np.zeros(h * w), np.zeros(h * w), np.zeros(h * w)
    for dx, dy, k in ((0, 0, (1 - fx) * (1 - fy)), (1, 0, fx * (1 - fy)), (0, 1, (1 - fx) * fy), (1, 1, fx * fy)):
        xx, yy = x0 + dx, y0 + dy
        ok = (xx >= 0) & (xx < w) & (yy >= 0) & (yy < h)
        idx = (yy * w + xx)[ok]
        np.add.at(num, idx, (k * e * img)[ok])
        np.add.at(den, idx, (k * e)[ok])
        np.add.at(cover, idx, k[ok])
    return (num / np.maximum(den, 1e-12)).reshape(h, w), cover.reshape(h, w)


def derivatives(img):
    k = np.array([1, -8, 0, 8, -1], np.float32) / 12
    return (cv2.filter2D(img, -1, k.reshape(1, 5), borderType=cv2.BORDER_REPLICATE),
            cv2.filter2D(img, -1, k.reshape(5, 1), borderType=cv2.BORDER_REPLICATE))


def refit(i0, i1, v, alpha=20.0, gamma=10.0, delta=5.0, outer=5, inner=30, eps=1e-3, zeta=0.1):
    """Symmetric variational refinement of the midpoint field (Jacobi sweeps, lagged weights)."""
    v = v.copy()
    for _ in range(outer):
        a, b = warp(i0, -0.5 * v), warp(i1, 0.5 * v)
        ax, ay = derivatives(a)
        bx, by = derivatives(b)
        ix, iy, iz = 0.5 * (ax + bx), 0.5 * (ay + by), b - a
        ixx, ixy = derivatives(ix)
        iyy = derivatives(iy)[1]
        ixz, iyz = bx - ax, by - ay
        du, dv = np.zeros_like(i0), np.zeros_like(i0)
        nd = 1 / (ix * ix + iy * iy + zeta ** 2)
        nx, ny = 1 / (ixx ** 2 + ixy ** 2 + zeta ** 2), 1 / (ixy ** 2 + iyy ** 2 + zeta ** 2)
        for it in range(inner):
            if it % 5 == 0:
                rd = iz + ix * du + iy * dv
                wd = delta * nd / np.sqrt(nd * rd * rd + eps ** 2)
                rx, ry = ixz + ixx * du + ixy * dv, iyz + ixy * du + iyy * dv
                wg = gamma / np.sqrt(nx * rx * rx + ny * ry * ry + eps ** 2)
                gx, gy = wg * nx, wg * ny
                a11 = wd * ix * ix + gx * ixx * ixx + gy * ixy * ixy
                a12 = wd * ix * iy + gx * ixx * ixy + gy * ixy * iyy
                a22 = wd * iy * iy + gx * ixy * ixy + gy * iyy * iyy
                b1 = -(wd * iz * ix + gx * ixz * ixx + gy * iyz * ixy)
                b2 = -(wd * iz * iy + gx * ixz * ixy + gy * iyz * iyy)
                uu, vv = v[..., 0] + du, v[..., 1] + dv
                grad = sum(np.diff(q, axis=ax_, append=np.take(q, [-1], axis=ax_)) ** 2 for q in (uu, vv) for ax_ in (0, 1))
                ws = alpha / np.sqrt(grad + eps ** 2)
            uu, vv = v[..., 0] + du, v[..., 1] + dv
            wl = np.pad(ws, ((0, 0), (1, 0)))[:, :-1]
            wu = np.pad(ws, ((1, 0), (0, 0)))[:-1]
            wr, wd_ = ws.copy(), ws.copy()
            wr[:, -1] = 0
            wd_[-1] = 0

            def neighbours(q):
                return (wl * np.pad(q, ((0, 0), (1, 0)), mode="edge")[:, :-1] + wr * np.pad(q, ((0, 0), (0, 1)), mode="edge")[:, 1:]
                        + wu * np.pad(q, ((1, 0), (0, 0)), mode="edge")[:-1] + wd_ * np.pad(q, ((0, 1), (0, 0)), mode="edge")[1:])
            sw = wl + wr + wu + wd_
            su, sv = neighbours(uu) - sw * v[..., 0], neighbours(vv) - sw * v[..., 1]
            du = (b1 + su - a12 * dv) / (a11 + sw + 1e-9)
            dv = (b2 + sv - a12 * du) / (a22 + sw + 1e-9)
        v = v + np.stack([du, dv], -1)
    return v


def rules(i0, truth, i1):
    f01, f10 = flow(i0, i1), flow(i1, i0)
    v = midpoint(f01, f10)
    w0, w1 = warp(i0, -0.5 * v), warp(i1, 0.5 * v)
    blend = 0.5 * (w0 + w1)
    out = {"blend": blend, "oracle": np.where(np.abs(w0 - truth) < np.abs(w1 - truth), w0, w1)}
    e0, e1 = np.abs(i0 - warp(i1, f01)), np.abs(i1 - warp(i0, f10))
    p0, p1 = np.exp(-warp(box(e0), -0.5 * v) / 8), np.exp(-warp(box(e1), 0.5 * v) / 8)
    out["photo-w"] = (p0 * w0 + p1 * w1) / (p0 + p1 + 1e-6)
    s0, c0 = splat(i0, 0.5 * f01, -0.1 * e0)
    s1, c1 = splat(i1, 0.5 * f10, -0.1 * e1)
    k0, k1 = (c0 > 0.3).astype(np.float32), (c1 > 0.3).astype(np.float32)
    out["softsplat"] = np.where(k0 + k1 > 0, (k0 * s0 + k1 * s1) / np.maximum(k0 + k1, 1e-9), blend)
    h0, h1 = warp(occlusion(f01, f10), -0.5 * v), warp(occlusion(f10, f01), 0.5 * v)
    disagree = box(np.abs(w0 - w1))

    def visibility(strength):
        a, b = 0.5 * (1 - strength * h1), 0.5 * (1 - strength * h0)
        k = b / np.maximum(a + b, 1e-6)
        return (1 - k) * w0 + k * w1
    out["vis-half"] = visibility(0.5)
    out["vis-gated"] = visibility(0.5 + 0.5 * np.clip((disagree - 8) / 16, 0, 1))
    still = (box(np.abs(i0 - i1)) < disagree) & ((v ** 2).sum(-1) < 16)
    g = cv2.GaussianBlur(still.astype(np.float32), (0, 0), 2)
    out["zero-hyp"] = g * 0.5 * (i0 + i1) + (1 - g) * blend
    vr = refit(i0, i1, v)
    out["refit"] = 0.5 * (warp(i0, -0.5 * vr) + warp(i1, 0.5 * vr))
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("clips", nargs="+")
    ap.add_argument("--frames", type=int, default=25)
    ap.add_argument("--gap", type=int, default=2, help="distance between the outer frames (even)")
    a = ap.parse_args()
    if a.gap < 2 or a.gap % 2:
        ap.error("--gap must be an even number ≥ 2")
    names = None
    for clip in a.clips:
        frames = luma_frames(clip, a.frames)
        scores = {}
        for i in range(0, len(frames) - a.gap, a.gap):
            truth = frames[i + a.gap // 2]
            for name, img in rules(frames[i], truth, frames[i + a.gap]).items():
                scores.setdefault(name, []).append(psnr(img, truth))
        if names is None:
            names = list(scores)
            print("| clip | " + " | ".join(names) + " |")
            print("| --- |" + " ---: |" * len(names))
        print(f"| {clip.rsplit('/', 1)[-1]} | " + " | ".join(f"{np.mean(scores[n]):.2f}" for n in names) + " |", flush=True)


if __name__ == "__main__":
    main()
