#!/usr/bin/env python3
"""Loop-quality benchmark of `warpflow loop`: every mode on every clip, scored, one run.

Usage: loop_quality.py --bin WARPFLOW --data DIR [--clips a,b] [--modes auto,spectral,pingpong,crossfade]
                       [--window 3] [--crossfade 0.5] [--start S] [--args "--k 8"] [--keep]
                       [--no-shipped] [--out table.md] [--json results.json] [--strict]

Clips: opencv-doc's footage (tree, megamind, vtest, box, cup), the synthetic swaying "grass"
of the README's pictures, Samples/clips/*.mp4. Per clip: the source window is W =
round(window·fps) decoded frames from the start (--start, default 0 and 0.5 s for Megamind,
whose frame 0 is black; fewer frames when the clip is shorter: W = frames available − the
crossfade's frames, so that the crossfade mode, which reads W + fade frames, fits too).
opencv-doc's clips are first copied losslessly at a constant rate (constant_rate_copy); the CLI
and the scores both read the copy. Spectral runs on windows under 31 frames get
--k (W−1)//2+1 (the default 16 is refused). Each explicit mode runs as
  warpflow loop CLIP -o OUT.mp4 --mode M --start S --window W/fps --duration W/fps --json -q [ARGS]
Mode "auto" is the default command, what a user gets without options:
  warpflow loop CLIP -o OUT.mp4 --json -q [ARGS]
on the same file and, for opencv-doc's clips, also on the file as shipped (tree.avi with its 68
irregular frames, vtest.avi, Megamind.avi, box.mp4, cup.mp4 gunzipped; --no-shipped skips
those rows). Its source window is [window_start, window_start + window_duration) as the CLI's
JSON reports it (else 0 and the loop's duration): the decoded frames whose timestamp lies in it
(within half a nominal frame). The JSON's mode (the mode used), window_auto, fallback,
held_fraction and trial_realism are recorded when present. Every run is timed (wall clock of
the whole command) and its output, L frames, is decoded back. Scores, all on luma
Y = 0.299 R + 0.587 G + 0.114 B (0-255) of ffmpeg's rgb24 decode, the same for source and loops:
  seam ratio   = mean|Y[L-1] - Y[0]| / median_i mean|Y[i] - Y[i+1]|  (i = 0 … L-2; ideal ≈ 1)
  naive cut    = the same for the source window itself (its last frame → its first)
  motion ratio = motion per second of the loop ÷ that of the source window, motion per second
                 = Σ_i mean |flow(Y[i] → Y[i+1])| ÷ (t[last] − t[0]) (OpenCV DIS, preset medium,
                 on the 8-bit luma, frame times t from the decode; the wrap pair is left out of
                 both); at one constant rate this is the ratio of the mean flow per step; ideal ≈ 1
  seam flow    = |flow(Y[L-1] → Y[0])| ÷ median_i |flow(Y[i] → Y[i+1])| (a motion-based seam ratio)
  realism      = mean over the loop's frames of the best SSIM against any frame of the source
                 window (luma at half size, skimage's SSIM, data_range 255; realism.py); worst
                 frame = the lowest of those
A strip per clip and mode (strip_loop.py): DIR/strips/CLIP__MODE.png. Targets, printed PASS or
MISS with the rows that miss: spectral seam ratio within [0.7, 1.5] and motion ratio within
[0.6, 1.4] on every clip; auto: realism ≥ 0.90 mean and ≥ 0.80 worst frame, seam ratio ≤ 1.5,
and motion ratio within [0.5, 1.4] where the CLI chose spectral. Per-run JSON:
DIR/results/CLIP__MODE.json (CLIP-shipped for the files as shipped).
"""
import argparse, glob, json, math, os, re, shutil, statistics, subprocess, sys, time
from fractions import Fraction

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", "..", ".."))
sys.path.insert(0, os.path.dirname(HERE))
sys.path.insert(0, HERE)
import opencv_clips  # noqa: E402
import realism  # noqa: E402
import strip_loop  # noqa: E402

OPENCV_ORDER = ["tree", "megamind", "vtest", "box", "cup"]  # tree first: the case spectral loops are for
# Window start per clip, seconds (default 0): Megamind's frame 0 is black and a cut follows
# frame 97, so its window starts at 0.5 s (frame 12) and stays inside one shot.
STARTS = {"megamind": 0.5}
MODES = ["auto", "spectral", "pingpong", "crossfade"]  # auto = the CLI's default command
SEAM_RANGE, MOTION_RANGE = (0.7, 1.5), (0.6, 1.4)  # explicit spectral runs
AUTO_REALISM_MEAN, AUTO_REALISM_MIN, AUTO_SEAM_MAX, AUTO_MOTION_RANGE = 0.90, 0.80, 1.5, (0.5, 1.4)
# What the CLI's --json may say about the default command's choices (recorded when present).
CLI_KEYS = ("mode", "window_start", "window_duration", "window_auto", "fallback", "held_fraction", "trial_realism")
LUMA = np.array([0.299, 0.587, 0.114], np.float32)


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


def decode(path, limit=None):
    """Every decoded frame of PATH once (none dropped or repeated) as uint8 RGB [n, h, w, 3],
    and their times in seconds (ffmpeg's showinfo: the stream's timestamps, as the CLI's
    window_start counts them; Megamind.avi's first frame is at 1/fps, and the CLI's window
    "0.083 s" starts at its frame 1; k/rate when showinfo gives none)."""
    rate, w, h = probe(path)
    args = ["ffmpeg", "-hide_banner", "-nostats", "-v", "info", "-nostdin", "-i", path, "-map", "0:v:0", "-an",
            "-fps_mode", "passthrough", "-vf", "showinfo"]
    if limit:
        args += ["-frames:v", str(limit)]
    p = subprocess.run(args + ["-f", "rawvideo", "-pix_fmt", "rgb24", "-"], capture_output=True)
    err = p.stderr.decode(errors="replace")
    if p.returncode != 0:
        raise RuntimeError(f"ffmpeg could not decode {path}: " + (err.strip().splitlines() or ["?"])[-1])
    n = len(p.stdout) // (w * h * 3)
    rgb = np.frombuffer(p.stdout, np.uint8, n * w * h * 3).reshape(n, h, w, 3)
    stamps = re.findall(r"\bn:\s*\d+\s+pts:\s*\S+\s+pts_time:(\S+)", err)
    try:  # with -frames:v, showinfo may have seen a frame more than was written
        times = np.array([float(s) for s in stamps[:n]], np.float64)
    except ValueError:
        times = np.array([])
    if len(times) != n or (n > 1 and not np.all(np.diff(times) > 0)):
        times = np.arange(n) / float(rate)
    return rgb, times


def luma(rgb):
    """uint8 RGB [n, h, w, 3] → float32 luma [n, h, w] (0-255)."""
    out = np.empty(rgb.shape[:3], np.float32)
    for k in range(0, len(rgb), 16):
        out[k:k + 16] = rgb[k:k + 16].astype(np.float32) @ LUMA
    return out


def clip_duration(times, rate):
    """Length in seconds of a constant-rate sequence of len(TIMES) frames at RATE."""
    return len(times) / float(rate)


def in_window(times, start, duration, rate):
    """Mask of the frames whose time lies in [start, start + duration), within half a frame of RATE."""
    eps = 0.5 / float(rate)
    return (times >= start - eps) & (times < start + duration - eps)


def mean_abs(a, b):
    return float(np.mean(np.abs(a - b)))


def flow_magnitude(dis, a, b):
    """Mean length (pixels) of OpenCV DIS medium's flow from luma a to luma b."""
    f = dis.calc(np.clip(np.rint(a), 0, 255).astype(np.uint8), np.clip(np.rint(b), 0, 255).astype(np.uint8), None)
    return float(np.mean(np.hypot(f[..., 0], f[..., 1])))


def scores(frames, times, dis):
    """Seam ratio, motion (mean consecutive flow per step and per second) and the flow seam
    ratio of a sequence played as a loop."""
    steps = [mean_abs(frames[i], frames[i + 1]) for i in range(len(frames) - 1)]
    flows = [flow_magnitude(dis, frames[i], frames[i + 1]) for i in range(len(frames) - 1)]
    typical, typical_flow = statistics.median(steps), statistics.median(flows)
    seam = mean_abs(frames[-1], frames[0])
    seam_flow = flow_magnitude(dis, frames[-1], frames[0])
    span = float(times[-1] - times[0])
    return {"seam": seam, "median_step": typical, "seam_ratio": seam / typical if typical > 0 else None,
            "motion": float(np.mean(flows)), "motion_per_second": float(np.sum(flows)) / span if span > 0 else None,
            "seam_flow": seam_flow, "seam_flow_ratio": seam_flow / typical_flow if typical_flow > 0 else None}


def ratio(a, b):
    return a / b if a is not None and b else None


def run_loop(binary, clip, out, options, extra, log):
    """Runs `warpflow loop CLIP -o OUT [OPTIONS] --json -q [EXTRA]`, timed. Returns (argv, exit
    status, wall seconds, the JSON it printed or None, the last line of its stderr)."""
    argv = [binary, "loop", clip, "-o", out, *options, "--json", "-q", *extra]
    t = time.perf_counter()
    p = subprocess.run(argv, capture_output=True, text=True)
    wall = time.perf_counter() - t
    with open(log, "w") as f:
        f.write(" ".join(argv) + "\n" + p.stdout + p.stderr)
    info = None
    try:
        info = json.loads(p.stdout[p.stdout.index("{"):])
    except ValueError:
        info = None
    return argv, p.returncode, wall, info, (p.stderr.strip().splitlines() or ["?"])[-1]


def score_run(r, out, src_rgb, src_times, src_first, dis, args):
    """Decodes the loop OUT and fills row R with its scores against the source window SRC_RGB
    (frames SRC_FIRST … of the source file, times SRC_TIMES); writes its strip. Returns the
    loop's luma, or None when it cannot be scored."""
    window = luma(src_rgb)
    cache = args.__dict__.setdefault("source_scores", {})  # the explicit modes share one window
    ref = cache.get((r["source"], src_first, len(window)))
    if ref is None:
        ref = cache[(r["source"], src_first, len(window))] = scores(window, src_times, dis)
    r.update(window_frames=len(window), naive_seam_ratio=ref["seam_ratio"], naive_seam_flow_ratio=ref["seam_flow_ratio"],
             source_motion=ref["motion"], source_motion_per_second=ref["motion_per_second"],
             source_median_step=ref["median_step"])
    loop_rgb, loop_times = decode(out)
    loop = luma(loop_rgb)
    r["loop_frames"] = len(loop)
    r["expected_frames"] = (r.get("cli") or {}).get("loop_frames")
    if loop.shape[1:] != window.shape[1:]:
        r["status"], r["error"] = "failed", f"output size {loop.shape[2]}x{loop.shape[1]} differs from the source's"
        return None
    if len(loop) < 3:
        r["status"], r["error"] = "failed", f"{len(loop)} frames"
        return None
    s = scores(loop, loop_times, dis)
    r.update(seam_ratio=s["seam_ratio"], seam_flow_ratio=s["seam_flow_ratio"], loop_motion=s["motion"],
             loop_motion_per_second=s["motion_per_second"],
             motion_ratio=ratio(s["motion_per_second"], ref["motion_per_second"]),
             motion_ratio_per_step=ratio(s["motion"], ref["motion"]),
             loop_median_step=s["median_step"], first_frame_diff=mean_abs(loop[0], window[0]))
    r.update(realism.realism(loop, window))
    png = os.path.join(args.data, "strips", f"{r['key']}__{r['mode']}.png")
    title = (f"{r['label']} {mode_label(r)}: window {r['window_start']:.2f}-{r['window_start'] + r['window_seconds']:.2f} s "
             f"({len(window)} frames), realism {r['realism_mean']:.3f}, worst {r['realism_min']:.3f} at loop #{r['realism_min_frame']}")
    strip_loop.make_strip(png, src_rgb, loop_rgb, r, title, src_first)
    r["strip"] = os.path.relpath(png, ROOT) if png.startswith(ROOT) else png
    return loop


def finish(r, args):
    with open(os.path.join(args.data, "results", f"{r['key']}__{r['mode']}.json"), "w") as f:
        json.dump(r, f, indent=1)
    say(r)
    return r


def bench_auto(base, path, rgb, times, rate, dis, args, extra):
    """The default command on PATH (decoded: RGB, TIMES), scored on the window its JSON names."""
    r = dict(base, mode="auto")
    out = os.path.join(args.data, "work", f"{r['key']}__auto.mp4")
    argv, rc, wall, info, last = run_loop(args.bin, path, out, [], extra,
                                          os.path.join(args.data, "logs", f"{r['key']}__auto.log"))
    r.update(command=" ".join(argv), wall_seconds=wall, status="ok" if rc == 0 else "failed", cli=info)
    for key in CLI_KEYS:
        if key in (info or {}):
            r["cli_" + key] = info[key]
    r["chosen_mode"] = (info or {}).get("mode")
    if rc != 0:
        r["error"] = (info or {}).get("error") or last
        return finish(r, args)
    try:
        loop_rate = probe(out)[0]
        start, duration = (info or {}).get("window_start"), (info or {}).get("window_duration")
        r["window_reported"] = start is not None and duration is not None
        if start is None:
            start = 0.0
        if duration is None:  # the loop's duration
            duration = (info or {}).get("duration") or clip_duration(decode(out)[1], loop_rate)
        keep = np.flatnonzero(in_window(times, float(start), float(duration), rate))
        r.update(window_start=float(start), window_seconds=float(duration), window_auto=(info or {}).get("window_auto"),
                 start=float(start), start_frame=int(keep[0]) if len(keep) else None)
        if len(keep) < 2:
            r["status"], r["error"] = "failed", f"the window {start}+{duration} s holds {len(keep)} source frames"
        else:
            r["cli_window_frames"] = n = (info or {}).get("window_frames")
            loop = score_run(r, out, rgb[keep[0]:keep[-1] + 1], times[keep[0]:keep[-1] + 1], int(keep[0]), dis, args)
            a = int(keep[0])
            if loop is not None and isinstance(n, int) and 2 <= n != len(keep) and a + n <= len(rgb):
                # The CLI's window_duration is its window's frames ÷ the nominal rate: on a file
                # with irregular times (tree.avi) its frames span more (or less) of the file than
                # that. Scored also against those frames, as the CLI took them.
                window = luma(rgb[a:a + n])
                ref = scores(window, times[a:a + n], dis)
                again = realism.realism(loop, window)
                r["by_frames"] = {"first_frame": a, "window_frames": n, "file_seconds": float(times[a + n - 1] - times[a]),
                                  "motion_ratio": ratio(r.get("loop_motion_per_second"), ref["motion_per_second"]),
                                  **{k: again[k] for k in ("realism_mean", "realism_min", "realism_min_frame", "realism_per_frame")}}
    except (RuntimeError, ValueError, subprocess.CalledProcessError) as e:
        r["status"], r["error"] = "failed", f"scoring: {e}"
    if not args.keep and os.path.exists(out):
        os.remove(out)
    return finish(r, args)


def bench_clip(name, path, args, dis, extra):
    rate, w, h = probe(path)
    fade = max(1, round(args.crossfade * rate))
    want = round(Fraction(args.window).limit_denominator(1000) * rate)
    start = STARTS.get(name, 0.0) if args.start is None else args.start
    # The loop filter's window starts at the first frame whose time is ≥ start − half a period.
    first = max(0, math.ceil(start * rate - Fraction(1, 2)))
    shipped = path
    if name in opencv_clips.CLIPS:
        path = constant_rate_copy(path, args.data, first + want + fade)
    rate, w, h = probe(path)
    rgb, times = decode(path)
    avail = min(len(rgb), first + want + fade) - first
    if avail < 4:
        print(f"warning: {name}: only {avail} frames after {start} s; skipped", file=sys.stderr)
        return []
    frames = min(want, avail - fade)
    seconds = float(Fraction(frames) / rate)
    rel = lambda p: os.path.relpath(p, ROOT) if p.startswith(ROOT) else p
    base = {"clip": name, "key": name, "label": name, "variant": "copy" if path != shipped else "file",
            "source": rel(path), "fps": str(rate), "size": f"{w}x{h}"}
    results = []
    for mode in args.modes:
        if mode == "auto":
            results.append(bench_auto(base, path, rgb, times, rate, dis, args, extra))
            continue
        out = os.path.join(args.data, "work", f"{name}__{mode}.mp4")
        mode_extra = list(extra)
        limit = (frames - 1) // 2 + 1  # the CLI's largest K for a window of W frames (harmonics below W/2)
        if mode == "spectral" and "--k" not in extra and limit < 16:
            mode_extra += ["--k", str(limit)]  # the default 16 needs W ≥ 31 frames
        options = ["--mode", mode, "--start", repr(start), "--window", repr(seconds), "--duration", repr(seconds)]
        argv, rc, wall, info, last = run_loop(args.bin, path, out, options, mode_extra,
                                              os.path.join(args.data, "logs", f"{name}__{mode}.log"))
        r = dict(base, mode=mode, chosen_mode=mode, command=" ".join(argv), wall_seconds=wall,
                 status="ok" if rc == 0 else "failed", k_lowered=len(mode_extra) > len(extra), cli=info,
                 window_start=start, window_seconds=seconds, window_frames=frames, window_reported=True, start=start,
                 start_frame=first)
        if rc != 0:
            r["error"] = last
        else:
            try:
                score_run(r, out, rgb[first:first + frames], times[first:first + frames], first, dis, args)
            except (RuntimeError, ValueError, subprocess.CalledProcessError) as e:
                r["status"], r["error"] = "failed", f"scoring: {e}"
            if not args.keep and os.path.exists(out):
                os.remove(out)
        results.append(finish(r, args))
    if "auto" in args.modes and args.shipped and shipped != path:
        srate, sw, sh = probe(shipped)
        srgb, stimes = decode(shipped)
        sbase = {"clip": name, "key": f"{name}-shipped", "label": f"{name} (shipped)", "variant": "shipped",
                 "source": rel(shipped), "fps": str(srate), "size": f"{sw}x{sh}", "source_frames": len(srgb),
                 "source_seconds": float(stimes[-1] - stimes[0]) if len(stimes) > 1 else None}
        results.append(bench_auto(sbase, shipped, srgb, stimes, srate, dis, args, extra))
    return results


def mode_label(r):
    if r["mode"] != "auto":
        return r["mode"]
    chosen = r.get("chosen_mode")
    return "auto" + (f" → {chosen}" if chosen else "") + ("*" if r.get("cli_fallback") else "")


def say(r):
    if r["status"] != "ok":
        print(f"  {r['label']:17s} {mode_label(r):18s} FAILED: {r.get('error')}", file=sys.stderr)
        return
    print(f"  {r['label']:17s} {mode_label(r):18s} seam {fmt(r['seam_ratio'])} (naive {fmt(r['naive_seam_ratio'])})  "
          f"motion {fmt(r['motion_ratio'])}  realism {fmt(r['realism_mean'], 3)} / worst {fmt(r['realism_min'], 3)} "
          f"(#{r['realism_min_frame']})  {r['wall_seconds']:.2f} s  (realism scored in {r['realism_seconds']:.1f} s, "
          f"{r['loop_frames']}×{r['window_frames']} frames)", file=sys.stderr)


def fmt(x, digits=2):
    return "—" if x is None else f"{x:.{digits}f}"


def within(x, lo_hi):
    return x is not None and lo_hi[0] <= x <= lo_hi[1]


def cli_trial(r):
    """What the CLI's JSON says of its trial and held pixels, or "" (negative values: not applicable)."""
    cli, parts = r.get("cli") or {}, []
    num = lambda k: cli.get(k) if isinstance(cli.get(k), (int, float)) and cli.get(k) >= 0 else None
    if num("trial_realism") is not None:
        parts.append(f"trial realism {num('trial_realism'):.3f}"
                     + (f", worst frame {num('trial_worst_realism'):.3f}" if num("trial_worst_realism") is not None else "")
                     + (f", motion {num('trial_motion_ratio'):.2f}" if num("trial_motion_ratio") is not None else ""))
    if num("held_fraction") is not None:
        parts.append(f"held fraction {num('held_fraction'):.3f}")
    return "; ".join(parts)


def window_cell(r):
    if r.get("window_start") is None:
        return "—"
    cell = f"{r['window_start']:.2f}–{r['window_start'] + r['window_seconds']:.2f}"
    if r["mode"] == "auto":
        cell += " auto" if r.get("window_auto") else ("" if r.get("window_reported") else " (not reported)")
    return cell


def target(lines, label, rows, bad):
    """Appends a PASS/MISS line: BAD(r) gives the miss text for row r or None."""
    miss = [m for m in (bad(r) for r in rows) if m]
    lines.append(f"{'MISS' if miss else 'PASS'}: {label} ({len(rows) - len(miss)}/{len(rows)}"
                 + ("" if rows else ": no such row") + ")" + (": misses " + ", ".join(miss) if miss else ""))
    return not miss


def report(results, modes, args):
    """The Markdown tables and the PASS/MISS lines."""
    lines = ["| clip | fps | mode | window (s) | W | naive cut seam | seam | seam by motion | motion | realism | worst frame | s |",
             "|" + " --- |" * 12]
    for r in results:
        ok = r["status"] == "ok"
        cell = lambda key, d=2: fmt(r.get(key), d) if ok else "—"
        lines.append("| " + " | ".join([
            r["label"], f"{float(Fraction(r['fps'])):.3g}", mode_label(r) + ("" if ok else " (failed)"), window_cell(r),
            str(r.get("window_frames", "—")), cell("naive_seam_ratio"), cell("seam_ratio"), cell("seam_flow_ratio"),
            cell("motion_ratio"), cell("realism_mean", 3),
            f"{fmt(r['realism_min'], 3)} (#{r['realism_min_frame']})" if ok else "—",
            f"{r['wall_seconds']:.2f}" if ok else "—"]) + " |")
    labels = list(dict.fromkeys(r["label"] for r in results))
    by = {(r["label"], r["mode"]): r for r in results}
    lines += ["", "Realism, mean / worst frame (best SSIM of each loop frame against the source window; "
              "luma, half size):", "", "| clip | " + " | ".join(modes) + " |", "|" + " --- |" * (1 + len(modes))]
    for c in labels:
        cells = [c]
        for m in modes:
            r = by.get((c, m))
            cells.append("—" if r is None else ("failed" if r["status"] != "ok"
                                                 else f"{r['realism_mean']:.3f} / {r['realism_min']:.3f}"))
        lines.append("| " + " | ".join(cells) + " |")
    notes = [f"{r['label']} {r['mode']}: {r['loop_frames']} frames decoded, CLI said {r['expected_frames']}"
             for r in results if r["status"] == "ok" and r.get("expected_frames") is not None
             and r.get("loop_frames") != r.get("expected_frames")]
    notes += [f"{r['label']} {r['mode']}: failed: {r.get('error')}" for r in results if r["status"] != "ok"]
    notes += [f"{r['label']} auto: fell back to {r.get('chosen_mode')}: {r['cli_fallback']}" for r in results
              if r["mode"] == "auto" and r.get("cli_fallback")]
    notes += [f"{r['label']} auto: {cli_trial(r)}" for r in results if r["mode"] == "auto" and cli_trial(r)]
    notes += [f"{r['label']} auto: the CLI's window holds {r['cli_window_frames']} frames, the scored one "
              f"(the file's frames in [window_start, window_start + window_duration)) {r['window_frames']}"
              + ("" if not r.get("by_frames") else
                 f"; against the CLI's {r['by_frames']['window_frames']} frames from frame {r['by_frames']['first_frame']} "
                 f"({r['by_frames']['file_seconds']:.2f} s of the file): realism {r['by_frames']['realism_mean']:.3f} / "
                 f"{r['by_frames']['realism_min']:.3f}, motion ratio {fmt(r['by_frames']['motion_ratio'])}")
              for r in results if r["mode"] == "auto" and r["status"] == "ok"
              and r.get("cli_window_frames") is not None and r["cli_window_frames"] != r.get("window_frames")]
    if any(r["mode"] == "auto" and r["status"] == "ok" and not r.get("window_reported") for r in results):
        notes.append("auto rows marked (not reported): the CLI's JSON has no window_start/window_duration; "
                     "scored against [0, the loop's duration)")
    notes += [f"{r['label']} spectral: window of {r['window_frames']} frames, run with `{' '.join(r['command'].split()[-2:])}` "
              "(the default 16 needs ≥ 31 frames)" for r in results if r.get("k_lowered")]
    notes += [f"{r['label']} {r['mode']}: window starts at {r['window_start']} s (frame {r['start_frame']})"
              for r in results if r["mode"] != "auto" and r.get("start_frame")]
    scored = [r for r in results if r.get("realism_seconds") is not None]
    if scored:
        slow = max(scored, key=lambda r: r["realism_seconds"])
        notes.append(f"realism scoring: {sum(r['realism_seconds'] for r in scored):.1f} s for {len(scored)} loop(s), "
                     f"at most {slow['realism_seconds']:.1f} s ({slow['label']} {slow['mode']}, "
                     f"{slow['loop_frames']}×{slow['window_frames']} frames)")
    if any(r.get("strip") for r in results):
        notes.append("strips (5 source-window frames over 5 loop frames, the worst loop frame in red): "
                     + os.path.join(os.path.relpath(args.data, ROOT) if os.path.abspath(args.data).startswith(ROOT)
                                    else args.data, "strips", "CLIP__MODE.png"))
    if notes:
        lines += ["", "Notes:"] + [f"- {n}" for n in notes]
    ok = True
    if "spectral" in modes:
        lines.append("")
        rows = [r for r in results if r["mode"] == "spectral"]
        for key, rng, label in (("seam_ratio", SEAM_RANGE, "seam ratio"), ("motion_ratio", MOTION_RANGE, "motion-energy ratio")):
            ok &= target(lines, f"spectral {label} within [{rng[0]}, {rng[1]}] on every clip", rows,
                         lambda r: None if r["status"] == "ok" and within(r.get(key), rng)
                         else f"{r['label']} {fmt(r.get(key)) if r['status'] == 'ok' else 'failed'}")
    if "auto" in modes:
        lines.append("")
        rows = [r for r in results if r["mode"] == "auto"]
        failed = lambda r: f"{r['label']} failed" if r["status"] != "ok" else None
        ok &= target(lines, f"auto realism ≥ {AUTO_REALISM_MEAN:.2f} mean and ≥ {AUTO_REALISM_MIN:.2f} worst frame on every clip",
                     rows, lambda r: failed(r) or (None if r["realism_mean"] >= AUTO_REALISM_MEAN and r["realism_min"] >= AUTO_REALISM_MIN
                                                   else f"{r['label']} {r['realism_mean']:.3f} / {r['realism_min']:.3f}"))
        ok &= target(lines, f"auto seam ratio ≤ {AUTO_SEAM_MAX} on every clip", rows,
                     lambda r: failed(r) or (None if r.get("seam_ratio") is not None and r["seam_ratio"] <= AUTO_SEAM_MAX
                                             else f"{r['label']} {fmt(r.get('seam_ratio'))}"))
        spectral = [r for r in rows if r["status"] == "ok" and r.get("chosen_mode") == "spectral"]
        ok &= target(lines, f"auto motion ratio within [{AUTO_MOTION_RANGE[0]}, {AUTO_MOTION_RANGE[1]}] where it chose spectral",
                     spectral, lambda r: None if within(r.get("motion_ratio"), AUTO_MOTION_RANGE)
                     else f"{r['label']} {fmt(r.get('motion_ratio'))}")
    lines += ["", "Commands (CLIP, OUT and the window per clip as in the table; W/fps seconds):", ""]
    for m in modes:
        for variant in ("copy", "file", "shipped"):
            r = next((r for r in results if r["mode"] == m and r["variant"] == variant), None)
            if r and (variant != "file" or not any(x["mode"] == m and x["variant"] == "copy" for x in results)):
                lines.append(f"    {r['command']}")
    return "\n".join(lines), ok


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bin", required=True, help="the warpflow binary")
    ap.add_argument("--data", required=True, help="scratch folder (.build-bench-data/loop)")
    ap.add_argument("--clips", default="", help="comma/space separated subset of clip names")
    ap.add_argument("--modes", default=",".join(MODES), help="subset of " + " ".join(MODES))
    ap.add_argument("--window", type=float, default=3.0, help="window and loop length, seconds (default 3)")
    ap.add_argument("--crossfade", type=float, default=0.5, help="the CLI's --crossfade default, seconds")
    ap.add_argument("--start", type=float, help="window start, seconds (default: 0, Megamind 0.5)")
    ap.add_argument("--args", default="", help="extra arguments for every `warpflow loop` run (auto too)")
    ap.add_argument("--no-shipped", dest="shipped", action="store_false",
                    help="no auto rows on opencv-doc's clips as shipped (only on the constant-rate copies)")
    ap.add_argument("--keep", action="store_true", help="keep the loops under DIR/work")
    ap.add_argument("--out", help="also write the printed text here")
    ap.add_argument("--json", help="write every result into this one JSON file")
    ap.add_argument("--strict", action="store_true", help="exit 1 when a target is missed")
    args = ap.parse_args()
    args.modes = list(dict.fromkeys(m for m in args.modes.replace(",", " ").split() if m))
    if not args.modes or any(m not in MODES for m in args.modes):
        ap.error("--modes: choose from " + " ".join(MODES))
    if not (args.window > 0):
        ap.error("--window must be > 0 seconds")
    for sub in ("work", "logs", "results", "strips"):
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
