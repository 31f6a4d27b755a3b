#!/usr/bin/env python3
"""Scores a frame-rate upsampling against the full-rate reference (drop-frame protocol).

Usage:
  score_fps.py REF OUT --factor F --rate R [--json FILE]     score OUT (an upsampled kept clip)
  score_fps.py --check-kept REF KEPT --factor F --rate R/F    check a kept clip against REF

Both files are decoded by the ffmpeg CLI to raw yuv420p (`-fps_mode passthrough`: every
decoded frame once, no duplicates or drops) and compared frame i with frame i. With the
kept clip made of the reference's frames 0, F, 2F, … (last kept index L):
  * i % F == 0, i <= L: kept frames; they must come back bit-identical (count of those that differ);
  * i % F != 0, i < L: invented frames, scored: PSNR over Y, U and V together (MSE over every
    sample of the three planes, peak 255, an exact frame counts as 99 dB), PSNR of Y alone, and
    SSIM of Y (Wang et al. 2004: 11x11 Gaussian window, sigma 1.5, K1 0.01, K2 0.03, mean over
    the pixels whose window lies inside the frame, no automatic downsampling); means over frames;
  * i > L (the last kept frame held for its duration) and frames beyond the reference: not scored.
Only the common prefix of the two files is compared; the frame counts are reported, and the
packet timestamps of OUT are checked against the grid k/R (relative to its first frame).
"""
import argparse, json, math, subprocess, sys
from fractions import Fraction

import cv2
import numpy as np

PSNR_CAP = 99.0


def probe(path):
    """Size, pixel format, rate, time base, and the sorted presentation times of the packets."""
    cmd = ["ffprobe", "-v", "error", "-select_streams", "v:0", "-show_entries",
           "stream=width,height,pix_fmt,r_frame_rate,time_base:packet=pts", "-of", "json", path]
    data = json.loads(subprocess.run(cmd, check=True, capture_output=True, text=True).stdout)
    s = data["streams"][0]
    pts = sorted(int(p["pts"]) for p in data.get("packets", []) if p.get("pts") not in (None, "N/A"))
    return {"width": int(s["width"]), "height": int(s["height"]), "pix_fmt": s.get("pix_fmt"),
            "rate": s.get("r_frame_rate"), "time_base": s["time_base"], "pts": pts}


def off_grid(info, rate):
    """Frames whose time (from the first frame's) is not k/rate, to the container's tick."""
    tb, r = Fraction(info["time_base"]), Fraction(rate)
    if not info["pts"]:
        return 0, None
    t0 = info["pts"][0]
    bad = sum(1 for k, p in enumerate(info["pts"]) if abs((p - t0) - Fraction(k) / r / tb) > Fraction(1, 2))
    return bad, float(t0 * tb)


def frames(path, width, height):
    """Yields (Y, U, V) uint8 arrays of every frame of PATH decoded to yuv420p."""
    cw, ch = (width + 1) // 2, (height + 1) // 2
    ysize, csize = width * height, cw * ch
    cmd = ["ffmpeg", "-v", "error", "-nostdin", "-i", path, "-map", "0:v:0", "-fps_mode", "passthrough",
           "-f", "rawvideo", "-pix_fmt", "yuv420p", "-"]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE)
    try:
        while True:
            buf = proc.stdout.read(ysize + 2 * csize)
            if len(buf) < ysize + 2 * csize:
                break
            a = np.frombuffer(buf, np.uint8)
            yield (a[:ysize].reshape(height, width), a[ysize:ysize + csize].reshape(ch, cw),
                   a[ysize + csize:].reshape(ch, cw))
    except GeneratorExit:  # the caller stopped early: stop ffmpeg too
        proc.kill()
        raise
    finally:
        proc.stdout.close()
        rc = proc.wait()
    if rc != 0:
        raise RuntimeError(f"ffmpeg could not decode {path}")


def psnr(mse):
    return PSNR_CAP if mse == 0 else min(PSNR_CAP, 10.0 * math.log10(255.0 ** 2 / mse))


def ssim(a, b):
    """Mean SSIM of two 8-bit planes (Gaussian window sigma 1.5 truncated at 11x11)."""
    x, y = a.astype(np.float64), b.astype(np.float64)
    c1, c2 = (0.01 * 255) ** 2, (0.03 * 255) ** 2
    blur = lambda m: cv2.GaussianBlur(m, (11, 11), 1.5, borderType=cv2.BORDER_REFLECT)
    mx, my = blur(x), blur(y)
    sxx, syy, sxy = blur(x * x) - mx * mx, blur(y * y) - my * my, blur(x * y) - mx * my
    m = ((2 * mx * my + c1) * (2 * sxy + c2)) / ((mx * mx + my * my + c1) * (sxx + syy + c2))
    r = 5  # keep only pixels whose 11x11 window lies inside the plane ("valid" filtering)
    return float(m[r:-r, r:-r].mean()) if min(m.shape) > 2 * r else float(m.mean())


def identical(p, q):
    return all(np.array_equal(a, b) for a, b in zip(p, q))


def score(ref, out, factor, rate, ref_frames=None):
    """Scores OUT against REF; returns a dict (see the module docstring)."""
    ri, oi = probe(ref), probe(out)
    res = {"ref_frames": len(ri["pts"]), "out_frames": len(oi["pts"]), "out_rate": oi["rate"],
           "out_pix_fmt": oi["pix_fmt"], "out_size": f"{oi['width']}x{oi['height']}"}
    res["off_grid"], res["out_start"] = off_grid(oi, rate)
    if (oi["width"], oi["height"]) != (ri["width"], ri["height"]):
        res["error"] = f"size {res['out_size']} differs from the reference's {ri['width']}x{ri['height']}"
        return res
    n_ref = ref_frames or res["ref_frames"]
    last_kept = (n_ref - 1) // factor * factor
    kept_total = kept_differ = 0
    differ_at, per_frame = [], []
    compared = 0
    for i, (r, o) in enumerate(zip(frames(ref, ri["width"], ri["height"]), frames(out, oi["width"], oi["height"]))):
        if i > last_kept:
            break
        compared += 1
        if i % factor == 0:
            kept_total += 1
            if not identical(r, o):
                kept_differ += 1
                differ_at.append(i)
            continue
        d = [(a.astype(np.float64) - b.astype(np.float64)) ** 2 for a, b in zip(r, o)]
        mse_all = sum(float(x.sum()) for x in d) / sum(x.size for x in d)
        per_frame.append({"i": i, "psnr": psnr(mse_all), "psnr_y": psnr(float(d[0].mean())), "ssim_y": ssim(r[0], o[0])})
    invented_expected = sum(1 for i in range(last_kept) if i % factor)
    res.update({"last_kept": last_kept, "compared": compared, "kept_total": kept_total, "kept_differ": kept_differ,
                "kept_missing": last_kept // factor + 1 - kept_total,
                "kept_differ_at": differ_at[:20], "invented": len(per_frame), "invented_expected": invented_expected,
                "frames": per_frame})
    for key in ("psnr", "psnr_y", "ssim_y"):
        res[key] = float(np.mean([f[key] for f in per_frame])) if per_frame else None
    return res


def check_kept(ref, kept, factor, rate):
    """Verifies that KEPT holds exactly REF's frames 0, F, 2F, … on the grid k/rate; returns problems."""
    ri, ki = probe(ref), probe(kept)
    n = len(ri["pts"])
    want = -(-n // factor)
    problems = []
    if len(ki["pts"]) != want:
        problems.append(f"{len(ki['pts'])} frames, expected ceil({n}/{factor}) = {want}")
    if Fraction(ki["rate"]) != Fraction(rate):
        problems.append(f"rate {ki['rate']}, expected {rate}")
    bad, _ = off_grid(ki, rate)
    if bad:
        problems.append(f"{bad} frames off the grid k/({rate})")
    kf = frames(kept, ki["width"], ki["height"])
    for i, r in enumerate(frames(ref, ri["width"], ri["height"])):
        if i % factor:
            continue
        k = next(kf, None)
        if k is None or not identical(r, k):
            problems.append(f"kept frame {i // factor} is not reference frame {i}")
            break
    for _ in kf:
        pass
    return problems


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("ref")
    ap.add_argument("out")
    ap.add_argument("--factor", type=int, required=True)
    ap.add_argument("--rate", required=True, help="OUT's expected rate (kept clip: R/F), exact rational")
    ap.add_argument("--check-kept", action="store_true")
    ap.add_argument("--json")
    a = ap.parse_args()
    if a.check_kept:
        problems = check_kept(a.ref, a.out, a.factor, a.rate)
        for p in problems:
            print(f"{a.out}: {p}", file=sys.stderr)
        sys.exit(1 if problems else 0)
    res = score(a.ref, a.out, a.factor, a.rate)
    if a.json:
        with open(a.json, "w") as f:
            json.dump(res, f, indent=1)
    brief = {k: v for k, v in res.items() if k != "frames"}
    print(json.dumps(brief, indent=1))


if __name__ == "__main__":
    main()
