#!/usr/bin/env python3
"""Fake motion on still real backgrounds: `warpflow dataset build` and the OpenCV peers
(python_path.py, DIS medium and Farneback) on the opencv-doc clips cup.mp4 and box.mp4, where
a fixed camera films a plain wall / a tablecloth while a hand moves an object. Where the
background does not change, the truth is zero motion, so every pixel of stored |F_t| there is
error.

Clips: WINDOWS x WINDOW frames (3 x 60 = 180) of each clip from its start frame (cup 0, box
60: box's frames 0-59 hold a timestamp gap of two missing frames, a window warpflow drops as
irregular_time), copied losslessly (FFV1, video only, timestamps passed through) into
DATA/still/NAME-START-180f.mkv; every method reads that file. The gzipped originals are gunzipped once into DATA/clips/ (opencv_clips.py).

Runs (each into a fresh DATA/still/out/METHOD, deleted after unless --keep; logs DATA/logs/):
  WARPFLOW dataset build CLIPS -o OUT --window 60 --stride 60 --size 256x160 --trajectories
      --dtype float32 --min-motion 0 --max-camera-motion 1e9 --scene-threshold 100 --threads 2 -q
  python_path.py CLIPS -o OUT --flow dis|farneback --window 60 --size 256x160 --trajectories
      --dtype float32

Background mask, per window, from the working-size frames warpflow stores (decoded here with
ffmpeg: scale with the area filter to cover 256x160, centre crop; checked equal to the stored
first frame of every window):
  1. luma Y_t (BT.601) after a 3x3 box blur, t = 0 ... T-1;
  2. the camera's global exposure / white-balance drift is removed: per frame, Y_t ~ a_t Y_0 +
     b_t fitted by least squares over the pixels that follow it (3 passes, starting from the
     median offset; cup's auto-exposure shifts the wall by up to ~20 levels);
  3. D = max_t |Y_t - a_t Y_0 - b_t|; still = D <= THRESHOLD (6 grey levels);
  4. eroded by a disk of ERODE (6) px, so that no moving object's edge, shadow fringe or
     blur is in; then cleared within BORDER (8) px of the frame's edge.
For every method, |F_t| (t = 1 ... T-1, as stored) over the window's mask is pooled over the
clip's windows: mean and 95th percentile. The mask's share of the frame is the mean over
windows. Target (warpflow): p95 < 1 px on every clip.

--strip-dir DIR writes DIR/still-NAME.png per clip, the by-eye check of the mask: for frames
0, T/3, 2T/3, T-1 of the first window, the frame with the mask tinted green, and below it
warpflow's |F_t| as a heat map (0 black ... >= 4 px white, the mask's outline in green; under
frame 0, where F_0 = 0, the mean of |F_t| over t = 1 ... T-1).

Usage: still_backgrounds.py --bin WARPFLOW --data DIR [--json OUT] [--strip-dir DIR] [--keep]
"""
import argparse
import glob
import json
import os
import shutil
import subprocess
import sys
import time

import cv2
import numpy as np
from safetensors import safe_open

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", "..", ".."))
sys.path.insert(0, os.path.dirname(HERE))
import opencv_clips  # noqa: E402

CLIPS = {"cup": 0, "box": 60}       # name: first frame used
WINDOW, WINDOWS, W, H = 60, 3, 256, 160
THRESHOLD = 6.0      # grey levels of temporal change (after the blur and the exposure fit)
ERODE = 6            # px
BORDER = 8           # px
HEAT_MAX = 4.0       # px of |F_t| shown white
TARGET_P95 = 1.0     # px
WARPFLOW_ARGS = ["--window", str(WINDOW), "--stride", str(WINDOW), "--size", f"{W}x{H}", "--trajectories",
                 "--dtype", "float32", "--min-motion", "0", "--max-camera-motion", "1e9", "--scene-threshold", "100",
                 "--threads", "2", "-q"]
METHODS = {"warpflow": "warpflow medium", "python-dis": "Python DIS medium", "python-farneback": "Python Farneback"}


def rel(path):
    path = os.path.abspath(path)
    return path[len(ROOT) + 1:] if path.startswith(ROOT + "/") else path


def count_frames(path):
    out = subprocess.run(["ffprobe", "-v", "error", "-select_streams", "v:0", "-count_frames", "-show_entries",
                          "stream=nb_read_frames", "-of", "csv=p=0", path], capture_output=True, text=True, check=True)
    return int(out.stdout.strip().split(",")[0])


def prepare(data):
    """[(name, trimmed clip path, source path)] for the clips opencv-doc has."""
    sdir = os.path.join(data, "still")
    os.makedirs(sdir, exist_ok=True)
    out = []
    for name, start in CLIPS.items():
        src = opencv_clips.local_path(name, os.path.join(data, "clips"))
        if not src:
            continue
        n = WINDOW * WINDOWS
        dst = os.path.join(sdir, f"{name}-{start}-{n}f.mkv")
        if not os.path.exists(dst):
            tmp = dst + ".tmp.mkv"
            subprocess.run(["ffmpeg", "-v", "error", "-y", "-i", src, "-map", "0:v:0", "-vf", f"trim=start_frame={start}",
                            "-frames:v", str(n), "-fps_mode", "passthrough", "-c:v", "ffv1", "-an", tmp], check=True)
            os.replace(tmp, dst)
        out.append((name, dst, src))
    return out


def decode(path):
    """Every frame at the working size as warpflow makes it: [N, H, W, 3] uint8 RGB."""
    vf = f"scale={W}:{H}:force_original_aspect_ratio=increase:flags=area,crop={W}:{H}"
    raw = subprocess.run(["ffmpeg", "-v", "error", "-i", path, "-map", "0:v:0", "-fps_mode", "passthrough",
                          "-vf", vf, "-pix_fmt", "rgb24", "-f", "rawvideo", "-"], capture_output=True, check=True).stdout
    return np.frombuffer(raw, np.uint8).reshape(-1, H, W, 3)


def run(cmd, log):
    start = time.perf_counter()
    with open(log, "w") as err:
        p = subprocess.run(cmd, stdout=err, stderr=subprocess.STDOUT)
    if p.returncode != 0:
        with open(log) as fh:
            sys.exit(f"still_backgrounds: {' '.join(cmd)} failed (exit {p.returncode}); {log}:\n{fh.read()[-3000:]}")
    return time.perf_counter() - start


def commands(method, a, paths, out):
    if method == "warpflow":
        return [a.bin, "dataset", "build", *paths, "-o", out, *WARPFLOW_ARGS]
    flow = method.split("-", 1)[1]
    return [sys.executable, os.path.join(HERE, "python_path.py"), *paths, "-o", out, "--flow", flow,
            "--window", str(WINDOW), "--size", f"{W}x{H}", "--trajectories", "--dtype", "float32"]


def load(outdir):
    """basename(source) -> (frames [N, H, W, 3] uint8, trajectories [N, T-1, 2, H, W] float32),
    the windows in order (shards sorted by name)."""
    parts = {}
    for path in sorted(glob.glob(os.path.join(outdir, "**", "*.safetensors"), recursive=True)):
        with safe_open(path, "np") as f:
            src = (f.metadata() or {}).get("source")
            if src is None or "trajectories" not in f.keys():
                continue
            parts.setdefault(os.path.basename(src), []).append((f.get_tensor("frames"), f.get_tensor("trajectories")))
    return {k: (np.concatenate([p[0] for p in v]), np.concatenate([p[1] for p in v])) for k, v in parts.items()}


def background_mask(frames):
    """The still-background mask of one window ([T, H, W, 3] uint8 RGB): (mask [H, W] bool,
    D [H, W] float32, gains [T], offsets [T], the largest chroma change inside the mask)."""
    Y = np.stack([cv2.blur(cv2.cvtColor(f, cv2.COLOR_RGB2GRAY).astype(np.float32), (3, 3)) for f in frames])
    y0 = Y[0].ravel().astype(np.float64)
    D = np.zeros(Y.shape[1:], np.float32)
    gains, offsets = [1.0], [0.0]
    for t in range(1, len(Y)):
        yt = Y[t].ravel().astype(np.float64)
        a, b = 1.0, float(np.median(yt - y0))
        for tol in (4 * THRESHOLD, 2 * THRESHOLD, THRESHOLD):
            sel = np.abs(yt - a * y0 - b) <= tol
            if sel.sum() < 1000:
                break
            x = y0[sel]
            if np.ptp(x) > 20:          # enough spread of brightness for a gain
                a, b = np.polyfit(x, yt[sel], 1)
            else:
                a, b = 1.0, float(np.mean(yt[sel] - x))
        gains.append(float(a))
        offsets.append(float(b))
        D = np.maximum(D, np.abs(Y[t] - (a * Y[0] + b)).astype(np.float32))
    still = (D <= THRESHOLD).astype(np.uint8)
    disk = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * ERODE + 1, 2 * ERODE + 1))
    mask = cv2.erode(still, disk, borderType=cv2.BORDER_CONSTANT, borderValue=1).astype(bool)
    edge = np.zeros_like(mask)
    edge[BORDER:H - BORDER, BORDER:W - BORDER] = True
    mask &= edge
    # A check, not a criterion: the mask's colour must not change either (an object of the
    # wall's luma but another hue would show here). Cr, Cb minus each frame's median change.
    Q = np.stack([cv2.blur(cv2.cvtColor(f, cv2.COLOR_RGB2YCrCb)[..., 1:].astype(np.float32), (3, 3)) for f in frames])
    dq = Q - Q[0]
    dq -= np.median(dq.reshape(len(Q), -1, 2), axis=1)[:, None, None, :]
    chroma = float(np.abs(dq[:, mask]).max()) if mask.any() else 0.0
    return mask, D, np.array(gains), np.array(offsets), chroma


def heat(length):
    """|F| [H, W] -> BGR heat map, 0 black ... >= HEAT_MAX white (OpenCV's 'hot')."""
    v = np.clip(length / HEAT_MAX * 255.0, 0, 255).astype(np.uint8)
    return cv2.applyColorMap(v, cv2.COLORMAP_HOT)


def label(img, text, scale=0.4):
    bar = np.zeros((16, img.shape[1], 3), np.uint8)
    cv2.putText(bar, text, (4, 12), cv2.FONT_HERSHEY_SIMPLEX, scale, (255, 255, 255), 1, cv2.LINE_AA)
    return np.concatenate([bar, img], 0)


def strip(path, name, frames, mask, traj, share):
    """The by-eye check of one clip's first window (frames [T, H, W, 3] RGB, traj [T-1, 2, H, W])."""
    T = len(frames)
    ts = [0, T // 3, 2 * T // 3, T - 1]
    outline = (cv2.dilate(mask.astype(np.uint8), np.ones((3, 3), np.uint8)) > 0) & ~mask
    top, bottom = [], []
    for t in ts:
        bgr = frames[t][..., ::-1].astype(np.float32)
        bgr[mask] = 0.55 * bgr[mask] + 0.45 * np.array([0, 255, 0], np.float32)
        top.append(label(np.clip(bgr, 0, 255).astype(np.uint8), f"frame {t}, mask green"))
        if t == 0:
            length, text = np.mean(np.hypot(traj[:, 0], traj[:, 1]), 0), f"mean |F_t|, t = 1..{T - 1}"
        else:
            length, text = np.hypot(traj[t - 1, 0], traj[t - 1, 1]), f"warpflow |F_{t}|"
        hm = heat(length)
        hm[outline] = (0, 255, 0)
        bottom.append(label(hm, text))
    sep = np.full((top[0].shape[0], 2, 3), 64, np.uint8)
    row = lambda tiles: np.concatenate(sum([[t, sep] for t in tiles], [])[:-1], 1)
    body = np.concatenate([row(top), row(bottom)], 0)
    width = body.shape[1]
    title = label(np.zeros((0, width, 3), np.uint8),
                  f"{name}, window 1 (frames 0-{T - 1}): green = still-background mask ({100 * share:.0f} % of the frame: "
                  f"|dY| <= {THRESHOLD:g} levels after a 3x3 blur and exposure fit, eroded {ERODE} px, {BORDER} px "
                  f"from the edge)", 0.38)
    legend = np.zeros((22, width, 3), np.uint8)
    x0, x1 = 150, 150 + 256
    legend[4:14, x0:x1] = heat(np.linspace(0, HEAT_MAX, x1 - x0)[None, :].repeat(10, 0))
    cv2.putText(legend, "heat |F_t|:", (4, 13), cv2.FONT_HERSHEY_SIMPLEX, 0.38, (255, 255, 255), 1, cv2.LINE_AA)
    for v in range(int(HEAT_MAX) + 1):
        x = x0 + int(round(v / HEAT_MAX * (x1 - x0 - 1)))
        cv2.putText(legend, f"{v}{'+ px' if v == HEAT_MAX else ''}", (x + 3, 21), cv2.FONT_HERSHEY_SIMPLEX, 0.3,
                    (255, 255, 255), 1, cv2.LINE_AA)
    cv2.putText(legend, "green outline: the mask's edge", (x1 + 40, 13), cv2.FONT_HERSHEY_SIMPLEX, 0.38,
                (0, 255, 0), 1, cv2.LINE_AA)
    img = np.concatenate([title, body, legend], 0)
    try:        # a 256-colour palette keeps the PNG small enough to commit (~60-110 KB, not ~300)
        from PIL import Image
        Image.fromarray(img[..., ::-1].copy()).quantize(256, method=Image.Quantize.MEDIANCUT).save(path, optimize=True)
    except ImportError:
        cv2.imwrite(path, img, [cv2.IMWRITE_PNG_COMPRESSION, 9])
    return img.shape


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--bin", required=True, help="the warpflow binary")
    p.add_argument("--data", required=True, help="work folder (clips, outputs, logs)")
    p.add_argument("--json", help="write the figures here")
    p.add_argument("--strip-dir", help="write the by-eye PNGs here (still-NAME.png)")
    p.add_argument("--keep", action="store_true", help="keep the output directories")
    a = p.parse_args()
    a.bin = os.path.abspath(a.bin)
    os.makedirs(os.path.join(a.data, "logs"), exist_ok=True)
    start = time.perf_counter()
    clips = prepare(a.data)
    if not clips:
        sys.exit("still_backgrounds: neither cup.mp4 nor box.mp4 is there (package opencv-doc)")
    paths = [c[1] for c in clips]
    outs, result_cmds, seconds = {}, {}, {}
    for m in METHODS:
        out = os.path.join(a.data, "still", "out", m)
        shutil.rmtree(out, ignore_errors=True)
        os.makedirs(out)
        cmd = commands(m, a, paths, out)
        print(f"still backgrounds: {m}", file=sys.stderr)
        seconds[m] = run(cmd, os.path.join(a.data, "logs", f"still-{m}.log"))
        result_cmds[m] = " ".join(rel(x) if os.path.isabs(x) and x.startswith(ROOT) else x for x in cmd)
        outs[m] = load(out)
    results = {"window": WINDOW, "windows_per_clip": WINDOWS, "size": f"{W}x{H}", "threshold": THRESHOLD,
               "blur": 3, "erode_px": ERODE, "border_px": BORDER, "heat_max_px": HEAT_MAX, "target_p95_px": TARGET_P95,
               "bin": a.bin, "commands": result_cmds, "seconds": seconds, "labels": METHODS, "clips": {}}
    for name, path, src in clips:
        frames = decode(path)
        n = len(frames) // WINDOW
        masks, shares, exposure = [], [], []
        for w in range(n):
            mask, D, gains, offsets, chroma = background_mask(frames[w * WINDOW:(w + 1) * WINDOW])
            masks.append(mask)
            shares.append(float(mask.mean()))
            exposure.append({"gain_min": float(gains.min()), "gain_max": float(gains.max()),
                             "offset_min": float(offsets.min()), "offset_max": float(offsets.max()),
                             "chroma_max": chroma})
        rec = {"source": rel(src), "clip": rel(path), "frames": len(frames), "windows": n,
               "mask_share": float(np.mean(shares)), "mask_share_windows": shares, "exposure_fit": exposure,
               "methods": {}}
        key = os.path.basename(path)
        for m in METHODS:
            if key not in outs[m]:
                sys.exit(f"still_backgrounds: {m} stored no window of {key}")
            stored, traj = outs[m][key]
            if len(traj) != n:
                sys.exit(f"still_backgrounds: {m} stored {len(traj)} windows of {key}, expected {n}")
            # The stored first frames: equal to this decode for warpflow (same scaler); the Python
            # path resamples with cv2.INTER_AREA after cropping (a few levels apart, same geometry).
            diff = [float(np.mean(np.abs(stored[w].astype(np.int16) - frames[w * WINDOW].astype(np.int16))))
                    for w in range(n)]
            if max(diff) > 12:
                sys.exit(f"still_backgrounds: {m}: stored first frames of {key} differ from the decoded window "
                         f"starts by {max(diff):.1f} levels mean: windows misaligned?")
            pooled, per = [], []
            for w in range(n):
                length = np.hypot(traj[w, :, 0], traj[w, :, 1])[:, masks[w]]       # [T-1, pixels]
                if length.size:
                    pooled.append(length.ravel())
                    per.append({"mean": float(length.mean()), "p95": float(np.percentile(length, 95))})
                else:
                    per.append(None)
            allv = np.concatenate(pooled) if pooled else np.zeros(0)
            rec["methods"][m] = {"mean": float(allv.mean()) if allv.size else None,
                                 "p95": float(np.percentile(allv, 95)) if allv.size else None,
                                 "windows": per, "frame0_mean_diff": diff}
            r = rec["methods"][m]
            fig = "no mask" if r["p95"] is None else f"mean {r['mean']:.2f} px, p95 {r['p95']:.2f} px"
            print(f"{METHODS[m]:20s} {name}: background |F_t| {fig} (mask {100 * rec['mask_share']:.0f} % of the "
                  f"frame, {n} windows)", file=sys.stderr)
        if a.strip_dir:
            os.makedirs(a.strip_dir, exist_ok=True)
            png = os.path.join(a.strip_dir, f"still-{name}.png")
            strip(png, name, frames[:WINDOW], masks[0], outs["warpflow"][key][1][0], shares[0])
            rec["strip"] = rel(png)
            print(f"  {png}: {os.path.getsize(png) // 1024} KB", file=sys.stderr)
        results["clips"][name] = rec
    p95s = [c["methods"]["warpflow"]["p95"] for c in results["clips"].values()]
    results["target_met"] = bool(p95s) and all(v is not None and v < TARGET_P95 for v in p95s)
    results["bench_seconds"] = time.perf_counter() - start
    print(f"target warpflow p95 < {TARGET_P95:g} px on every clip: {'yes' if results['target_met'] else 'no'}",
          file=sys.stderr)
    if a.json:
        with open(a.json, "w") as fh:
            json.dump(results, fh, indent=1)
    if not a.keep:
        shutil.rmtree(os.path.join(a.data, "still", "out"), ignore_errors=True)


if __name__ == "__main__":
    main()
