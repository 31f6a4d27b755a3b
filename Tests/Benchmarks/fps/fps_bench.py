#!/usr/bin/env python3
"""Drop-frame benchmark of frame-rate upsampling: warpflow's methods and their peers, one run.

Usage: fps_bench.py --bin WARPFLOW --data DIR [--clips a,b] [--factors 2,4] [--frames 49]
                    [--methods m1,m2] [--speed-frames 61] [--speed-rounds 2] [--no-speed] [--keep]

For every clip and factor F: the reference is the clip's first N frames re-encoded losslessly
(yuv420p, even size, re-timed on the exact grid k/R of the source's rate R, no frame dropped
or repeated); the kept clip is frames 0, F, 2F, … at R/F, checked bit-exact against the
reference (score_fps.py --check-kept); every method brings it back to R (timed, wall clock,
whole command) and score_fps.py scores the result. Then a speed run: Megamind at 1280x720
(first 61 frames), F=2, each method timed --speed-rounds times interleaved, best kept.
Results: DIR/results/CLIP__fF__METHOD.json, DIR/speed/METHOD.json, DIR/meta.json (read by
compare_fps.py). Methods are the tables WARPFLOW (name -> arguments of `warpflow fps`) and PEERS.
"""
import argparse, glob, json, os, re, shutil, subprocess, sys, time
from fractions import Fraction

import score_fps

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
ALL_METHODS = list(WARPFLOW) + list(PEERS)


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


def command(method, binary, help_text, inp, out, rate):
    """(argv, note) for METHOD, or (None, reason it is not available)."""
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
    argv, note = command(method, binary, help_text, kept, out, rational(rate))
    res = {"method": method, "note": note, "command": argv and " ".join(argv)}
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
        print(f"  {tag} {r['method']}: {r['status']} {r.get('note') or r.get('error', '')}", file=sys.stderr)
        return
    ps = "—" if r.get("psnr") is None else f"{r['psnr']:.2f} dB"
    print(f"  {tag} {r['method']}: {r['seconds']:.2f} s, {r['out_frames']}/{r['expected_frames']} frames "
          f"({r['out_fps']:.1f} fps), PSNR {ps}, kept differing {r.get('kept_differ')}", file=sys.stderr)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bin", required=True, help="the warpflow binary")
    ap.add_argument("--data", required=True, help="scratch folder (.build-bench-data/fps)")
    ap.add_argument("--clips", default="", help="comma/space separated subset of clip names")
    ap.add_argument("--factors", default="2 4")
    ap.add_argument("--frames", type=int, default=49, help="reference length N (shorter clips: all frames)")
    ap.add_argument("--methods", default="", help="subset of: " + " ".join(ALL_METHODS))
    ap.add_argument("--speed-frames", type=int, default=61)
    ap.add_argument("--speed-rounds", type=int, default=2)
    ap.add_argument("--no-speed", action="store_true")
    ap.add_argument("--keep", action="store_true", help="keep every output file")
    a = ap.parse_args()
    split = lambda s: [x for x in re.split(r"[,\s]+", s) if x]
    methods = split(a.methods) or ALL_METHODS
    unknown = [m for m in methods if m not in ALL_METHODS]
    if unknown:
        sys.exit(f"unknown methods {unknown}; known: {' '.join(ALL_METHODS)}")
    factors = [int(f) for f in split(a.factors)]
    sources = clip_sources(a.data)
    clips = split(a.clips) or list(sources)
    missing = [c for c in clips if c not in sources]
    if missing:
        sys.exit(f"unknown or missing clips {missing}; found: {' '.join(sources)}")
    help_text = warpflow_features(a.bin)
    if help_text is None:
        print(f"note: `{a.bin} fps` does not exist: warpflow-blend falls back to `run -vf blend`, "
              "the other warpflow methods are not available", file=sys.stderr)
    for sub in ("results", "speed", "logs", "work"):
        shutil.rmtree(os.path.join(a.data, sub), ignore_errors=True)
        os.makedirs(os.path.join(a.data, sub))
    work, logs = os.path.join(a.data, "work"), os.path.join(a.data, "logs")
    save(os.path.join(a.data, "meta.json"), {
        "date": time.strftime("%Y-%m-%d %H:%M:%S"), "loadavg": os.getloadavg()[0], "binary": a.bin,
        "warpflow_fps": help_text is not None, "frames": a.frames, "factors": factors, "clips": clips,
        "methods": methods, "ffmpeg": subprocess.run(["ffmpeg", "-version"], capture_output=True, text=True).stdout.split("\n")[0]})

    for clip in clips:
        ref = os.path.join(work, f"{clip}-ref.mp4")
        rate, n_ref, size = make_reference(sources[clip], ref, a.frames)
        print(f"{clip}: {n_ref} frames {size} at {rational(rate)} (load average {os.getloadavg()[0]:.1f})", file=sys.stderr)
        for factor in factors:
            kept = os.path.join(work, f"{clip}-f{factor}-kept.mp4")
            make_kept(ref, kept, factor, rate)
            for m in methods:
                out = os.path.join(work, f"{clip}-f{factor}-{m}.mp4")
                r = run_method(m, a.bin, help_text, kept, out, ref, factor, rate, n_ref,
                               os.path.join(logs, f"{clip}-f{factor}-{m}.log"))
                r.update(clip=clip, factor=factor, rate=rational(rate), size=size)
                save(os.path.join(a.data, "results", f"{clip}__f{factor}__{m}.json"), r)
                say(f"f={factor}", r)
                if not a.keep and os.path.exists(out):
                    os.remove(out)
            if not a.keep:
                os.remove(kept)
        if not a.keep:
            os.remove(ref)

    if a.no_speed or "megamind" not in sources:
        return
    ref, kept = os.path.join(work, "speed-ref.mp4"), os.path.join(work, "speed-kept.mp4")
    rate, n_ref, size = make_reference(sources["megamind"], ref, a.speed_frames, size="1280:720")
    make_kept(ref, kept, 2, rate)
    print(f"speed run: megamind 1280x720, {n_ref} frames, factor 2, {a.speed_rounds} interleaved rounds", file=sys.stderr)
    runs = {m: [] for m in methods}
    for rnd in range(a.speed_rounds):
        for m in methods:
            out = os.path.join(work, f"speed-{m}.mp4")
            r = run_method(m, a.bin, help_text, kept, out, ref, 2, rate, n_ref, os.path.join(logs, f"speed-{m}-{rnd + 1}.log"))
            r["loadavg"] = os.getloadavg()[0]
            runs[m].append(r)
            say(f"round {rnd + 1}", r)
            if not a.keep and os.path.exists(out):
                os.remove(out)
    for m, rs in runs.items():
        ok = [r for r in rs if r["status"] == "ok"]
        best = dict(min(ok, key=lambda r: r["seconds"]) if ok else rs[0])
        best.update(clip="megamind-720p", factor=2, rate=rational(rate), size=size,
                    rounds=[r["seconds"] for r in ok], failed_rounds=len(rs) - len(ok))
        save(os.path.join(a.data, "speed", f"{m}.json"), best)


if __name__ == "__main__":
    main()
