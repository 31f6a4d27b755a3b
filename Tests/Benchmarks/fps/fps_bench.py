#!/usr/bin/env python3
"""Drop-frame benchmark of frame-rate upsampling: warpflow's methods, their peers and two oracles, one run.

Usage: fps_bench.py --bin WARPFLOW --data DIR [--clips a,b] [--factors 2,4] [--frames 49]
                    [--methods m1,m2] [--speed-sizes "720p 1080p"] [--speed-frames-720p 61]
                    [--speed-frames-1080p 31] [--speed-rounds 2] [--no-speed]
                    [--strip-method warpflow-node] [--no-strips] [--keep]

For every clip and factor F: the reference is the clip's first N frames re-encoded losslessly
(yuv420p, even size, re-timed on the exact grid k/R of the source's rate R, no frame dropped
or repeated); the kept clip is frames 0, F, 2F, … at R/F, checked bit-exact against the
reference (score_fps.py --check-kept); every method brings it back to R (timed, wall clock,
whole command) and score_fps.py scores the result. The oracles (oracle_interp.py) read the
reference itself, dropped frames included, and are scored the same way; they are upper bounds,
never peers. Once every method has run on a clip and factor, the worst invented frame of
--strip-method (lowest PSNR) is drawn next to the best peer's and the truth (strip_fps.py).
Then the speed runs: Megamind scaled to 1280x720 (first 61 frames) and to 1920x1080 (first 31
frames), F=2, each method but the oracles timed --speed-rounds times interleaved, best kept.
Results: DIR/results/CLIP__fF__METHOD.json, DIR/speed/SIZE__METHOD.json (SIZE 720p, 1080p),
DIR/strips/CLIP__fF.png and .json, DIR/meta.json (read by compare_fps.py). Methods are the
tables WARPFLOW (name -> arguments of `warpflow fps`), PEERS and ORACLES.
"""
import argparse, glob, json, os, re, shutil, subprocess, sys, time
from fractions import Fraction

import compare_fps
import score_fps
import strip_fps

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", "..", ".."))
sys.path.insert(0, os.path.dirname(HERE))
import opencv_clips  # noqa: E402
X264 = ["-c:v", "libx264", "-qp", "0", "-preset", "ultrafast", "-pix_fmt", "yuv420p"]

# warpflow's methods: name -> arguments after `warpflow fps IN -o OUT --fps R` (add rows here).
WARPFLOW = {
    "warpflow-node": ["--method", "node"],
    "warpflow-flow": ["--method", "flow"],
    "warpflow-blend": ["--method", "blend"],
    # Ablation of node (defaults: midpoint-sampled symmetric init, no fit, occlusion weights):
    "warpflow-node-sym": ["--method", "node", "--midpoint", "0"],   # plain symmetric init ½(F01 − F10)
    "warpflow-node-fit": ["--method", "node", "--fit", "8"],        # + 8 Adam steps per level of the fit
    "warpflow-node-noocc": ["--method", "node", "--no-occlusion"],  # − visibility weights
    "warpflow-node-noaccel": ["--method", "node", "--no-acceleration"],  # − acceleration (two-frame trajectories)
    "warpflow-node-refine": ["--method", "node", "--refine", "5"],  # + symmetric variational refinement of the field
    "warpflow-node-bilinear": ["--method", "node", "--sampling", "bilinear"],  # − bicubic luma reads
}
WARPFLOW_COMMON = ["--crf", "0", "--preset", "ultrafast", "--no-audio", "-q"]
# Used when `warpflow fps` does not exist yet: name -> `warpflow run` filter chain.
WARPFLOW_FALLBACK = {"warpflow-blend": "blend=fps={rate}"}
# Peers: name -> function (input, output, rate) -> argv.
PEERS = {
    "ffmpeg-mci": lambda i, o, r: ["ffmpeg", "-v", "error", "-nostdin", "-y", "-i", i, "-an", "-vf",
                                   f"minterpolate=fps={r}:mi_mode=mci", *X264, o],
    "ffmpeg-blend": lambda i, o, r: ["ffmpeg", "-v", "error", "-nostdin", "-y", "-i", i, "-an", "-vf",
                                     f"minterpolate=fps={r}:mi_mode=blend", *X264, o],
    "opencv-dis": lambda i, o, r: [sys.executable, os.path.join(HERE, "opencv_dis_interp.py"), i, o, "--fps", r],
}
# Oracles (oracle_interp.py): name -> function (reference, output, rate, factor) -> argv. They read
# the dropped frames, so they are bounds, not methods: never peers, not timed in the speed runs.
ORACLES = {
    "oracle-fusion": lambda ref, o, r, f: [sys.executable, os.path.join(HERE, "oracle_interp.py"), ref, o,
                                           "--fps", r, "--factor", str(f), "--oracle", "fusion"],
    "oracle-motion": lambda ref, o, r, f: [sys.executable, os.path.join(HERE, "oracle_interp.py"), ref, o,
                                           "--fps", r, "--factor", str(f), "--oracle", "motion"],
}
ALL_METHODS = list(WARPFLOW) + list(PEERS) + list(ORACLES)
# Speed runs: name -> (scale of Megamind, reference frames by default); factor 2.
SPEED_SIZES = {"720p": ("1280:720", 61), "1080p": ("1920:1080", 31)}


def role(method):
    return "oracle" if method in ORACLES else "peer" if method in PEERS else "warpflow"


def rational(q):
    return f"{q.numerator}/{q.denominator}"


def ffmpeg(args):
    p = subprocess.run(["ffmpeg", "-v", "error", "-nostdin", "-y", *args], capture_output=True, text=True)
    if p.returncode != 0:
        raise RuntimeError("ffmpeg " + " ".join(args) + " failed:\n" + p.stderr[-2000:])


def source_rate(path):
    out = subprocess.run(["ffprobe", "-v", "error", "-select_streams", "v:0", "-show_entries",
                          "stream=r_frame_rate,width,height", "-of", "json", path],
                         check=True, capture_output=True, text=True).stdout
    s = json.loads(out)["streams"][0]
    return Fraction(s["r_frame_rate"]), int(s["width"]), int(s["height"])


def clip_sources(data):
    """name -> source path: the repository's sample clips, then opencv-doc's footage."""
    found = {os.path.splitext(os.path.basename(p))[0]: p for p in sorted(glob.glob(os.path.join(ROOT, "Samples/clips/*.mp4")))}
    for name in opencv_clips.CLIPS:
        path = opencv_clips.local_path(name, os.path.join(data, "src"))
        if path:
            found[name] = path
    return found


def make_reference(src, dst, frames, size=None):
    """First `frames` decoded frames, lossless yuv420p, re-timed to k/R; returns (R, frame count, size)."""
    rate, w, h = source_rate(src)
    chain = [f"settb=expr={rational(1 / rate)}", "setpts=N"]
    if size:
        chain.append(f"scale={size}")
    elif w % 2 or h % 2:
        chain.append("scale=trunc(iw/2)*2:trunc(ih/2)*2")
    ffmpeg(["-i", src, "-map", "0:v:0", "-frames:v", str(frames), "-an", "-vf", ",".join(chain),
            "-fps_mode", "passthrough", "-r", rational(rate), *X264, dst])
    info = score_fps.probe(dst)
    return rate, len(info["pts"]), f"{info['width']}x{info['height']}"


def make_kept(ref, dst, factor, rate):
    """Frames 0, F, 2F, … of REF at R/F on the exact grid, lossless; checked against REF."""
    kept_rate = rate / factor
    ffmpeg(["-i", ref, "-an", "-vf", f"select=not(mod(n\\,{factor})),settb=expr={rational(1 / kept_rate)},setpts=N",
            "-fps_mode", "passthrough", "-r", rational(kept_rate), *X264, dst])
    problems = score_fps.check_kept(ref, dst, factor, rational(kept_rate))
    if problems:
        raise RuntimeError(f"{dst}: " + "; ".join(problems))


def warpflow_features(binary):
    """The `warpflow fps --help` text, or None when the subcommand does not exist."""
    p = subprocess.run([binary, "fps", "--help"], capture_output=True, text=True)
    text = p.stdout + p.stderr
    return text if p.returncode == 0 and re.search(r"USAGE:\s*warpflow fps\b", text) else None


def command(method, binary, help_text, inp, out, rate, ref=None, factor=None):
    """(argv, note) for METHOD run on the kept clip INP (an oracle reads the reference REF and
    the FACTOR instead), or (None, reason it is not available)."""
    if method in ORACLES:
        return ORACLES[method](ref, out, rate, factor), "oracle (reads the dropped frames)"
    if method in PEERS:
        return PEERS[method](inp, out, rate), ""
    args = WARPFLOW[method]
    if help_text is None:
        if method in WARPFLOW_FALLBACK:
            chain = WARPFLOW_FALLBACK[method].format(rate=rate)
            return [binary, "run", inp, "-o", out, "-vf", chain, *WARPFLOW_COMMON], f"via `run -vf {chain}`"
        return None, "not available (no `warpflow fps`)"
    for opt in args:
        if opt.startswith("--") and opt not in help_text:
            return None, f"not available (`warpflow fps` has no {opt})"
    values = re.search(r"--method\b.*?\(values:\s*([^;)]*)", help_text, re.S)
    if values and args[1] not in re.split(r"[,\s]+", values.group(1)):
        return None, f"not available (--method {args[1]} not offered)"
    return [binary, "fps", inp, "-o", out, "--fps", rate, *args, *WARPFLOW_COMMON], ""


def timed(argv, log):
    start = time.perf_counter()
    p = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    seconds = time.perf_counter() - start
    with open(log, "w") as f:
        f.write(" ".join(argv) + "\n" + p.stdout)
    return seconds, p.returncode, p.stdout


def run_method(method, binary, help_text, kept, out, ref, factor, rate, n_ref, log):
    argv, note = command(method, binary, help_text, kept, out, rational(rate), ref, factor)
    res = {"method": method, "role": role(method), "note": note, "command": argv and " ".join(argv)}
    if argv is None:
        return dict(res, status="not available")
    if os.path.exists(out):
        os.remove(out)
    seconds, rc, text = timed(argv, log)
    if rc != 0 or not os.path.exists(out):
        return dict(res, status="failed", seconds=seconds, error=f"exit {rc}: " + text.strip()[-600:])
    res.update(status="ok", seconds=seconds)
    try:
        res.update(score_fps.score(ref, out, factor, rational(rate), n_ref))
    except (RuntimeError, subprocess.CalledProcessError, KeyError, IndexError, ValueError) as e:
        return dict(res, status="failed", error=f"output could not be scored: {e}")
    res["expected_frames"] = -(-n_ref // factor) * factor  # the kept clip's span at R
    res["out_fps"] = res["out_frames"] / seconds
    return res


def save(path, obj):
    with open(path + ".tmp", "w") as f:
        json.dump(obj, f, indent=1)
    os.replace(path + ".tmp", path)


def say(tag, r):
    if r["status"] != "ok":
        why = r.get("error") or r.get("note") or ""
        print(f"  {tag} {r['method']}: " + (why if why.startswith(r["status"]) else f"{r['status']} {why}"), file=sys.stderr)
        return
    ps = "—" if r.get("psnr") is None else f"{r['psnr']:.2f} dB"
    print(f"  {tag} {r['method']}: {r['seconds']:.2f} s, {r['out_frames']}/{r['expected_frames']} frames "
          f"({r['out_fps']:.1f} fps), PSNR {ps}, kept differing {r.get('kept_differ')}", file=sys.stderr)


def worst_frame_strip(data, clip, factor, results, outputs, ref, subject):
    """Strip of SUBJECT's worst invented frame on CLIP at FACTOR beside the best peer's frame and
    the truth: DATA/strips/CLIP__fF.png, its facts in the .json beside it. RESULTS: method ->
    result of this clip and factor; OUTPUTS: method -> output file (still on disk)."""
    r = results.get(subject)
    if not (r and r["status"] == "ok" and r.get("frames")):
        return None
    worst = min(r["frames"], key=lambda f: f["psnr"])
    peers = [(results[p]["psnr"], p) for p in compare_fps.PEERS if p != subject and p in results
             and results[p]["status"] == "ok" and results[p].get("psnr") is not None]
    peer = max(peers)[1] if peers else None
    peer_at = next((f["psnr"] for f in results[peer]["frames"] if f["i"] == worst["i"]), None) if peer else None
    i, name = worst["i"], f"{clip}__f{factor}"
    png = os.path.join(data, "strips", name + ".png")
    t = f"{i % factor}/{factor}"
    peer_label = (f"{peer} (best peer): " + (f"{peer_at:.2f} dB" if peer_at is not None else "no frame")) if peer else ""
    size = strip_fps.make_strip(ref, outputs[subject], outputs.get(peer), i, png,
                                f"{subject}: frame {i} (t={t}), {worst['psnr']:.2f} dB", peer_label,
                                f"truth: {clip} frame {i}, F={factor}")
    info = {"clip": clip, "factor": factor, "method": subject, "frame": i, "t": t, "psnr": worst["psnr"],
            "psnr_mean": r["psnr"], "peer": peer, "peer_psnr": peer_at,
            "peer_psnr_mean": results[peer]["psnr"] if peer else None, "png": os.path.relpath(png, data),
            "size": f"{size[0]}x{size[1]}"}
    save(os.path.join(data, "strips", name + ".json"), info)
    return info


def speed_run(a, sources, methods, help_text, work, logs, size_name):
    """Megamind scaled to SIZE_NAME (SPEED_SIZES), factor 2, every method but the oracles timed
    a.speed_rounds times, rounds interleaved; the best round of each saved in DIR/speed."""
    scale, _ = SPEED_SIZES[size_name]
    frames = getattr(a, f"speed_frames_{size_name}")
    ref, kept = os.path.join(work, f"speed-{size_name}-ref.mp4"), os.path.join(work, f"speed-{size_name}-kept.mp4")
    rate, n_ref, size = make_reference(sources["megamind"], ref, frames, size=scale)
    make_kept(ref, kept, 2, rate)
    timed_methods = [m for m in methods if m not in ORACLES]
    print(f"speed run: megamind {size}, {n_ref} frames, factor 2, {a.speed_rounds} interleaved rounds", file=sys.stderr)
    runs = {m: [] for m in timed_methods}
    for rnd in range(a.speed_rounds):
        for m in timed_methods:
            out = os.path.join(work, f"speed-{size_name}-{m}.mp4")
            r = run_method(m, a.bin, help_text, kept, out, ref, 2, rate, n_ref,
                           os.path.join(logs, f"speed-{size_name}-{m}-{rnd + 1}.log"))
            r["loadavg"] = os.getloadavg()[0]
            runs[m].append(r)
            say(f"{size_name} round {rnd + 1}", r)
            if not a.keep and os.path.exists(out):
                os.remove(out)
    for m, rs in runs.items():
        ok = [r for r in rs if r["status"] == "ok"]
        best = dict(min(ok, key=lambda r: r["seconds"]) if ok else rs[0])
        best.pop("frames", None)
        best.update(clip=f"megamind-{size_name}", variant=size_name, factor=2, rate=rational(rate), size=size,
                    rounds=[r["seconds"] for r in ok], failed_rounds=len(rs) - len(ok))
        save(os.path.join(a.data, "speed", f"{size_name}__{m}.json"), best)
    if not a.keep:
        for f in (ref, kept):
            os.remove(f)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bin", required=True, help="the warpflow binary")
    ap.add_argument("--data", required=True, help="scratch folder (.build-bench-data/fps)")
    ap.add_argument("--clips", default="", help="comma/space separated subset of clip names")
    ap.add_argument("--factors", default="2 4")
    ap.add_argument("--frames", type=int, default=49, help="reference length N (shorter clips: all frames)")
    ap.add_argument("--methods", default="", help="subset of: " + " ".join(ALL_METHODS))
    ap.add_argument("--speed-sizes", default=" ".join(SPEED_SIZES), help="speed runs to make, of: " + " ".join(SPEED_SIZES))
    for name, (scale, n) in SPEED_SIZES.items():
        flags = [f"--speed-frames-{name}"] + (["--speed-frames"] if name == "720p" else [])
        ap.add_argument(*flags, dest=f"speed_frames_{name}", type=int, default=n,
                        help=f"reference frames of the {scale.replace(':', 'x')} speed run (default {n})")
    ap.add_argument("--speed-rounds", type=int, default=2)
    ap.add_argument("--no-speed", action="store_true", help="no speed run at all")
    ap.add_argument("--strip-method", default="warpflow-node",
                    help="method whose worst invented frame each strip shows (default warpflow-node)")
    ap.add_argument("--no-strips", action="store_true", help="no worst-frame strips")
    ap.add_argument("--keep", action="store_true", help="keep every output file")
    a = ap.parse_args()
    split = lambda s: [x for x in re.split(r"[,\s]+", s) if x]
    methods = split(a.methods) or ALL_METHODS
    unknown = [m for m in methods if m not in ALL_METHODS]
    if unknown:
        sys.exit(f"unknown methods {unknown}; known: {' '.join(ALL_METHODS)}")
    speed_sizes = [] if a.no_speed else split(a.speed_sizes)
    bad = [s for s in speed_sizes if s not in SPEED_SIZES]
    if bad:
        sys.exit(f"unknown speed sizes {bad}; known: {' '.join(SPEED_SIZES)}")
    if not a.no_strips and a.strip_method not in ALL_METHODS:
        sys.exit(f"unknown --strip-method {a.strip_method}; known: {' '.join(ALL_METHODS)}")
    factors = [int(f) for f in split(a.factors)]
    if any(f < 2 for f in factors):
        sys.exit("factors must be at least 2")
    sources = clip_sources(a.data)
    clips = split(a.clips) or list(sources)
    missing = [c for c in clips if c not in sources]
    if missing:
        sys.exit(f"unknown or missing clips {missing}; found: {' '.join(sources)}")
    help_text = warpflow_features(a.bin)
    if help_text is None and any(role(m) == "warpflow" for m in methods):
        print(f"note: `{a.bin} fps` does not exist: warpflow-blend falls back to `run -vf blend`, "
              "the other warpflow methods are not available", file=sys.stderr)
    for sub in ("results", "speed", "logs", "work", "strips"):
        shutil.rmtree(os.path.join(a.data, sub), ignore_errors=True)
        os.makedirs(os.path.join(a.data, sub))
    work, logs = os.path.join(a.data, "work"), os.path.join(a.data, "logs")
    save(os.path.join(a.data, "meta.json"), {
        "date": time.strftime("%Y-%m-%d %H:%M:%S"), "loadavg": os.getloadavg()[0], "binary": a.bin,
        "warpflow_fps": help_text is not None, "frames": a.frames, "factors": factors, "clips": clips,
        "methods": methods, "roles": {m: role(m) for m in methods}, "oracles": [m for m in methods if m in ORACLES],
        "speed_sizes": {s: {"scale": SPEED_SIZES[s][0], "frames": getattr(a, f"speed_frames_{s}")} for s in speed_sizes},
        "strip_method": None if a.no_strips else a.strip_method,
        "ffmpeg": subprocess.run(["ffmpeg", "-version"], capture_output=True, text=True).stdout.split("\n")[0]})

    for clip in clips:
        ref = os.path.join(work, f"{clip}-ref.mp4")
        rate, n_ref, size = make_reference(sources[clip], ref, a.frames)
        print(f"{clip}: {n_ref} frames {size} at {rational(rate)} (load average {os.getloadavg()[0]:.1f})", file=sys.stderr)
        for factor in factors:
            kept = os.path.join(work, f"{clip}-f{factor}-kept.mp4")
            make_kept(ref, kept, factor, rate)
            results, outputs = {}, {}
            for m in methods:
                out = os.path.join(work, f"{clip}-f{factor}-{m}.mp4")
                r = run_method(m, a.bin, help_text, kept, out, ref, factor, rate, n_ref,
                               os.path.join(logs, f"{clip}-f{factor}-{m}.log"))
                r.update(clip=clip, factor=factor, rate=rational(rate), size=size)
                save(os.path.join(a.data, "results", f"{clip}__f{factor}__{m}.json"), r)
                say(f"f={factor}", r)
                results[m] = r
                if os.path.exists(out):
                    outputs[m] = out
            if not a.no_strips:
                try:
                    info = worst_frame_strip(a.data, clip, factor, results, outputs, ref, a.strip_method)
                except (RuntimeError, OSError, subprocess.CalledProcessError) as e:
                    info = None
                    print(f"  strip of {clip} f={factor} failed: {e}", file=sys.stderr)
                if info:
                    print(f"  strip {info['png']}: {a.strip_method} frame {info['frame']} {info['psnr']:.2f} dB, "
                          f"best peer {info['peer']}", file=sys.stderr)
                else:
                    print(f"  no strip for {clip} f={factor}: {a.strip_method} not scored", file=sys.stderr)
            if not a.keep:
                for f in list(outputs.values()) + [kept]:
                    os.remove(f)
        if not a.keep:
            os.remove(ref)

    if speed_sizes and "megamind" not in sources:
        print("note: no megamind clip (opencv-doc): no speed run", file=sys.stderr)
        return
    for size_name in speed_sizes:
        speed_run(a, sources, methods, help_text, work, logs, size_name)


if __name__ == "__main__":
    main()
