#!/usr/bin/env python3
"""Loop-quality benchmark of `warpflow loop`: every mode on every clip, scored, one run.

Usage: loop_quality.py --bin WARPFLOW --data DIR [--clips a,b] [--modes spectral,pingpong,crossfade]
                       [--window 3] [--crossfade 0.5] [--start S] [--args "--k 8"] [--keep]
                       [--out table.md] [--json results.json] [--strict]

Clips: opencv-doc's footage (tree, megamind, vtest, box, cup), the synthetic swaying "grass"
of the README's pictures, Samples/clips/*.mp4. Per clip: the source window is W =
round(window·fps) decoded frames from the start (--start, default 0 and 0.5 s for Megamind,
whose frame 0 is black; fewer frames when the clip is shorter: W = frames available − the
crossfade's frames, so that the crossfade mode, which reads W + fade frames, fits too).
opencv-doc's clips are first copied losslessly at a constant rate (constant_rate_copy); the CLI
and the scores both read the copy. Spectral runs on windows under 31 frames get
--k (W−1)//2+1 (the default 16 is refused). Each mode runs as
  warpflow loop CLIP -o OUT.mp4 --mode M --start S --window W/fps --duration W/fps --json [ARGS]
(timed, wall clock of the whole command) and its output, L frames, is decoded back. Scores,
all on luma Y = 0.299 R + 0.587 G + 0.114 B (0-255) of ffmpeg's rgb24 decode, the same for
source and loops:
  seam ratio   = mean|Y[L-1] - Y[0]| / median_i mean|Y[i] - Y[i+1]|  (i = 0 … L-2; ideal ≈ 1)
  naive cut    = the same for the source window itself (its last frame → its first)
  motion ratio = mean over i of mean |flow(Y[i] → Y[i+1])| of the loop ÷ the same over the
                 source window (OpenCV DIS, preset medium, on the 8-bit luma; the wrap pair is
                 left out of both); ideal ≈ 1
  seam flow    = |flow(Y[L-1] → Y[0])| ÷ median_i |flow(Y[i] → Y[i+1])| (a motion-based seam ratio)
Targets: spectral seam ratio within [0.7, 1.5] and motion ratio within [0.6, 1.4] on every
clip, printed PASS or MISS with the clips that miss. Per-run JSON: DIR/results/CLIP__MODE.json.
"""
import argparse, glob, json, math, os, shutil, statistics, subprocess, sys, time
from fractions import Fraction

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", "..", ".."))
sys.path.insert(0, os.path.dirname(HERE))
import opencv_clips  # noqa: E402

OPENCV_ORDER = ["tree", "megamind", "vtest", "box", "cup"]  # tree first: the case spectral loops are for
# Window start per clip, seconds (default 0): Megamind's frame 0 is black and a cut follows
# frame 97, so its window starts at 0.5 s (frame 12) and stays inside one shot.
STARTS = {"megamind": 0.5}
MODES = ["spectral", "pingpong", "crossfade"]
SEAM_RANGE, MOTION_RANGE = (0.7, 1.5), (0.6, 1.4)


def clip_sources(data):
    """name -> path: opencv-doc's footage (tree first), the synthetic swaying grass of the
    README's pictures (Samples/loops/make-loop-pictures.sh --clip, 4 s), the sample clips."""
    found = {}
    os.makedirs(os.path.join(data, "src"), exist_ok=True)
    for name in OPENCV_ORDER:
        path = opencv_clips.local_path(name, os.path.join(data, "src"))
        if path:
            found[name] = path
    grass = os.path.join(data, "src", "grass.mp4")
    if not os.path.exists(grass):
        subprocess.run([os.path.join(ROOT, "Samples/loops/make-loop-pictures.sh"), "--clip", grass + ".tmp", "4"], check=True)
        os.replace(grass + ".tmp", grass)
    found["grass"] = grass
    for p in sorted(glob.glob(os.path.join(ROOT, "Samples/clips/*.mp4"))):
        found[os.path.splitext(os.path.basename(p))[0]] = p
    return found


def constant_rate_copy(path, data, frames):
    """The first FRAMES decoded frames of PATH, every frame once, re-timed on the exact grid k/R
    of its nominal rate R, lossless yuv420p (x264 qp 0), even size, in DIR/src. For opencv-doc's
    footage, which `warpflow loop` cannot take as it is: tree.avi is rgb24 cinepak (refused by
    the loop filter) with 68 frames at irregular times over 29.6 s (its nominal rate, 15 fps, is
    what the fps benchmark plays it at too); box.mp4's timestamps wobble."""
    rate, w, h = probe(path)
    dst = os.path.join(data, "src", f"{os.path.splitext(os.path.basename(path))[0]}-{frames}.mp4")
    if not os.path.exists(dst):
        chain = [f"settb=expr={rate.denominator}/{rate.numerator}", "setpts=N"]
        if w % 2 or h % 2:
            chain.append("scale=trunc(iw/2)*2:trunc(ih/2)*2")
        subprocess.run(["ffmpeg", "-v", "error", "-nostdin", "-y", "-i", path, "-map", "0:v:0", "-an", "-frames:v", str(frames),
                        "-vf", ",".join(chain), "-fps_mode", "passthrough", "-r", f"{rate.numerator}/{rate.denominator}",
                        "-c:v", "libx264", "-qp", "0", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-f", "mp4", dst + ".tmp"],
                       check=True)
        os.replace(dst + ".tmp", dst)
    return dst


def probe(path):
    """(frame rate as a Fraction, width, height) of the first video stream."""
    out = subprocess.run(["ffprobe", "-v", "error", "-select_streams", "v:0", "-show_entries",
                          "stream=r_frame_rate,width,height", "-of", "json", path],
                         check=True, capture_output=True, text=True).stdout
    s = json.loads(out)["streams"][0]
    return Fraction(s["r_frame_rate"]), int(s["width"]), int(s["height"])


def luma_frames(path, limit=None):
    """Decoded frames as float32 luma arrays [n, h, w] (every frame once, none dropped or repeated)."""
    _, w, h = probe(path)
    args = ["ffmpeg", "-v", "error", "-nostdin", "-i", path, "-map", "0:v:0", "-an", "-fps_mode", "passthrough"]
    if limit:
        args += ["-frames:v", str(limit)]
    raw = subprocess.run(args + ["-f", "rawvideo", "-pix_fmt", "rgb24", "-"], check=True, capture_output=True).stdout
    n = len(raw) // (w * h * 3)
    rgb = np.frombuffer(raw[:n * w * h * 3], np.uint8).reshape(n, h, w, 3).astype(np.float32)
    return rgb @ np.array([0.299, 0.587, 0.114], np.float32)


def mean_abs(a, b):
    return float(np.mean(np.abs(a - b)))


def flow_magnitude(dis, a, b):
    """Mean length (pixels) of OpenCV DIS medium's flow from luma a to luma b."""
    f = dis.calc(np.clip(np.rint(a), 0, 255).astype(np.uint8), np.clip(np.rint(b), 0, 255).astype(np.uint8), None)
    return float(np.mean(np.hypot(f[..., 0], f[..., 1])))


def scores(frames, dis):
    """Seam ratio, mean consecutive flow and the flow seam ratio of a sequence played as a loop."""
    steps = [mean_abs(frames[i], frames[i + 1]) for i in range(len(frames) - 1)]
    flows = [flow_magnitude(dis, frames[i], frames[i + 1]) for i in range(len(frames) - 1)]
    typical, typical_flow = statistics.median(steps), statistics.median(flows)
    seam = mean_abs(frames[-1], frames[0])
    seam_flow = flow_magnitude(dis, frames[-1], frames[0])
    return {"seam": seam, "median_step": typical, "seam_ratio": seam / typical if typical > 0 else None,
            "motion": float(np.mean(flows)), "seam_flow": seam_flow,
            "seam_flow_ratio": seam_flow / typical_flow if typical_flow > 0 else None}


def run_loop(binary, clip, out, mode, start, seconds, extra, log):
    argv = [binary, "loop", clip, "-o", out, "--mode", mode, "--start", repr(start), "--window", repr(seconds),
            "--duration", repr(seconds), "--json", "-q", *extra]
    t = time.perf_counter()
    p = subprocess.run(argv, capture_output=True, text=True)
    wall = time.perf_counter() - t
    with open(log, "w") as f:
        f.write(" ".join(argv) + "\n" + p.stdout + p.stderr)
    info = None
    if p.returncode == 0:
        try:
            info = json.loads(p.stdout[p.stdout.index("{"):])
        except ValueError:
            info = None
    return argv, p.returncode, wall, info, (p.stderr.strip().splitlines() or ["?"])[-1]


def bench_clip(name, path, args, dis, extra):
    rate, w, h = probe(path)
    fade = max(1, round(args.crossfade * rate))
    want = round(Fraction(args.window).limit_denominator(1000) * rate)
    start = STARTS.get(name, 0.0) if args.start is None else args.start
    # The loop filter's window starts at the first frame whose time is ≥ start − half a period.
    first = max(0, math.ceil(start * rate - Fraction(1, 2)))
    if name in opencv_clips.CLIPS:
        path = constant_rate_copy(path, args.data, first + want + fade)
    src = luma_frames(path, first + want + fade)[first:]
    if len(src) < 4:
        print(f"warning: {name}: only {len(src)} frames after {start} s; skipped", file=sys.stderr)
        return []
    frames = min(want, len(src) - fade)
    seconds = float(Fraction(frames) / rate)
    window = src[:frames]
    ref = scores(window, dis)
    base = {"clip": name, "source": os.path.relpath(path, ROOT) if path.startswith(ROOT) else path, "fps": str(rate),
            "size": f"{w}x{h}", "window_frames": frames, "window_seconds": seconds, "start": start, "start_frame": first,
            "naive_seam_ratio": ref["seam_ratio"], "naive_seam_flow_ratio": ref["seam_flow_ratio"],
            "source_motion": ref["motion"], "source_median_step": ref["median_step"]}
    results = []
    for mode in args.modes:
        out = os.path.join(args.data, "work", f"{name}__{mode}.mp4")
        mode_extra = list(extra)
        limit = (frames - 1) // 2 + 1  # the CLI's largest K for a window of W frames (harmonics below W/2)
        if mode == "spectral" and "--k" not in extra and limit < 16:
            mode_extra += ["--k", str(limit)]  # the default 16 needs W ≥ 31 frames
        argv, rc, wall, info, last = run_loop(args.bin, path, out, mode, start, seconds, mode_extra,
                                              os.path.join(args.data, "logs", f"{name}__{mode}.log"))
        r = dict(base, mode=mode, command=" ".join(argv), wall_seconds=wall, status="ok" if rc == 0 else "failed",
                 k_lowered=len(mode_extra) > len(extra))
        if rc != 0:
            r["error"] = last
        else:
            r["cli"] = info
            loop = luma_frames(out)
            r["loop_frames"] = len(loop)
            r["expected_frames"] = (info or {}).get("loop_frames")
            if loop.shape[1:] != window.shape[1:]:
                r["status"], r["error"] = "failed", f"output size {loop.shape[2]}x{loop.shape[1]} differs from the source's"
            elif len(loop) < 3:
                r["status"], r["error"] = "failed", f"{len(loop)} frames"
            else:
                s = scores(loop, dis)
                r.update(seam_ratio=s["seam_ratio"], seam_flow_ratio=s["seam_flow_ratio"], loop_motion=s["motion"],
                         motion_ratio=s["motion"] / ref["motion"] if ref["motion"] > 0 else None,
                         loop_median_step=s["median_step"], first_frame_diff=mean_abs(loop[0], window[0]))
            if not args.keep:
                os.remove(out)
        with open(os.path.join(args.data, "results", f"{name}__{mode}.json"), "w") as f:
            json.dump(r, f, indent=1)
        say(r)
        results.append(r)
    return results


def say(r):
    if r["status"] != "ok":
        print(f"  {r['clip']:9s} {r['mode']:9s} FAILED: {r.get('error')}", file=sys.stderr)
        return
    print(f"  {r['clip']:9s} {r['mode']:9s} seam {fmt(r['seam_ratio'])} (naive {fmt(r['naive_seam_ratio'])})  "
          f"motion {fmt(r['motion_ratio'])}  {r['wall_seconds']:.2f} s", file=sys.stderr)


def fmt(x, digits=2):
    return "—" if x is None else f"{x:.{digits}f}"


def within(x, lo_hi):
    return x is not None and lo_hi[0] <= x <= lo_hi[1]


def report(results, modes, args):
    """The Markdown tables and the PASS/MISS lines."""
    clips = list(dict.fromkeys(r["clip"] for r in results))
    by = {(r["clip"], r["mode"]): r for r in results}
    lines = ["| clip | fps | W (frames) | naive cut seam | " + " | ".join(f"{m} seam" for m in modes) + " | "
             + " | ".join(f"{m} motion" for m in modes) + " | " + " | ".join(f"{m} s" for m in modes) + " |",
             "|" + " --- |" * (3 + 3 * len(modes) + 1)]
    for c in clips:
        any_r = next(by[(c, m)] for m in modes if (c, m) in by)
        cells = [c, f"{float(Fraction(any_r['fps'])):.3g}", str(any_r["window_frames"]), fmt(any_r["naive_seam_ratio"])]
        for key in ("seam_ratio", "motion_ratio"):
            for m in modes:
                r = by.get((c, m))
                cells.append("—" if r is None else (fmt(r.get(key)) if r["status"] == "ok" else "failed"))
        for m in modes:
            r = by.get((c, m))
            cells.append("—" if r is None or r["status"] != "ok" else f"{r['wall_seconds']:.2f}")
        lines.append("| " + " | ".join(cells) + " |")
    lines += ["", "Seam measured by motion (flow at the seam ÷ median consecutive flow; 1 = no jump):", "",
              "| clip | naive cut | " + " | ".join(modes) + " |", "|" + " --- |" * (2 + len(modes))]
    for c in clips:
        any_r = next(by[(c, m)] for m in modes if (c, m) in by)
        cells = [c, fmt(any_r["naive_seam_flow_ratio"])]
        for m in modes:
            r = by.get((c, m))
            cells.append("—" if r is None or r["status"] != "ok" else fmt(r.get("seam_flow_ratio")))
        lines.append("| " + " | ".join(cells) + " |")
    notes = [f"{r['clip']} {r['mode']}: {r['loop_frames']} frames decoded, CLI said {r['expected_frames']}"
             for r in results if r["status"] == "ok" and r.get("loop_frames") != r.get("expected_frames")]
    notes += [f"{r['clip']} {r['mode']}: failed: {r.get('error')}" for r in results if r["status"] != "ok"]
    notes += [f"{r['clip']} spectral: window of {r['window_frames']} frames, run with `{' '.join(r['command'].split()[-2:])}` "
              "(the default 16 needs ≥ 31 frames)" for r in results if r.get("k_lowered")]
    notes += [f"{c}: window starts at {r['start']} s (frame {r['start_frame']})" for c, r in
              ((c, next(by[(c, m)] for m in modes if (c, m) in by)) for c in clips) if r["start_frame"]]
    if notes:
        lines += ["", "Notes:"] + [f"- {n}" for n in notes]
    ok = True
    if "spectral" in modes:
        lines.append("")
        for key, rng, label in (("seam_ratio", SEAM_RANGE, "seam ratio"), ("motion_ratio", MOTION_RANGE, "motion-energy ratio")):
            rows = [by[(c, "spectral")] for c in clips if (c, "spectral") in by]
            miss = [f"{r['clip']} {fmt(r.get(key))}" for r in rows if r["status"] != "ok" or not within(r.get(key), rng)]
            ok &= not miss
            lines.append(f"{'MISS' if miss else 'PASS'}: spectral {label} within [{rng[0]}, {rng[1]}] on every clip "
                         f"({len(rows) - len(miss)}/{len(rows)})" + (": misses " + ", ".join(miss) if miss else ""))
    lines += ["", "Commands (CLIP, OUT and the window per clip as in the table; W/fps seconds):", ""]
    for m in modes:
        r = next((r for r in results if r["mode"] == m), None)
        if r:
            lines.append(f"    {r['command']}")
    return "\n".join(lines), ok


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bin", required=True, help="the warpflow binary")
    ap.add_argument("--data", required=True, help="scratch folder (.build-bench-data/loop)")
    ap.add_argument("--clips", default="", help="comma/space separated subset of clip names")
    ap.add_argument("--modes", default=",".join(MODES))
    ap.add_argument("--window", type=float, default=3.0, help="window and loop length, seconds (default 3)")
    ap.add_argument("--crossfade", type=float, default=0.5, help="the CLI's --crossfade default, seconds")
    ap.add_argument("--start", type=float, help="window start, seconds (default: 0, Megamind 0.5)")
    ap.add_argument("--args", default="", help="extra arguments for every `warpflow loop` run")
    ap.add_argument("--keep", action="store_true", help="keep the loops under DIR/work")
    ap.add_argument("--out", help="also write the printed text here")
    ap.add_argument("--json", help="write every result into this one JSON file")
    ap.add_argument("--strict", action="store_true", help="exit 1 when a target is missed")
    args = ap.parse_args()
    args.modes = [m for m in args.modes.replace(",", " ").split() if m]
    if any(m not in MODES for m in args.modes):
        ap.error("--modes: choose from " + " ".join(MODES))
    if not (args.window > 0):
        ap.error("--window must be > 0 seconds")
    for sub in ("work", "logs", "results"):
        os.makedirs(os.path.join(args.data, sub), exist_ok=True)
    import cv2
    cv2.setNumThreads(1)
    dis = cv2.DISOpticalFlow_create(cv2.DISOPTICAL_FLOW_PRESET_MEDIUM)
    sources = clip_sources(args.data)
    wanted = [c for c in args.clips.replace(",", " ").split() if c]
    unknown = [c for c in wanted if c not in sources]
    if unknown:
        ap.error("unknown or missing clips: " + " ".join(unknown) + " (have: " + " ".join(sources) + ")")
    results = []
    for name, path in sources.items():
        if wanted and name not in wanted:
            continue
        print(f"{name}: {path}", file=sys.stderr)
        results += bench_clip(name, path, args, dis, args.args.split())
    text, ok = report(results, args.modes, args)
    print(text)
    if args.out:
        with open(args.out, "w") as f:
            f.write(text + "\n")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=1)
    return 1 if args.strict and not ok else 0


if __name__ == "__main__":
    sys.exit(main())
