#!/usr/bin/env python3
"""Dataset benchmark driver: `warpflow dataset build` against the Python path (python_path.py),
side by side in one run, then accuracy on synthetic clips with known trajectories (synth.py).

Usage: bench.py --bin WARPFLOW --data DIR [--rounds 2] [--variants NAME,...] [--no-speed]
                [--no-accuracy] [--no-still] --json OUT

Speed: the clips (prepare_clips) in decreasing order of windows, the same list and order on
every side; rounds of Python variants then warpflow presets (A B A B), each run into a fresh
output directory (deleted after, its per-clip reports kept in the JSON). The 1-minute load
average at each run's start is recorded. Accuracy: synth.py's clips (made once per
SYNTH_VERSION and checked), each method once with trajectories in float32, scored by
score_accuracy.py. Still: fake motion on the still real backgrounds of cup and box
(still_backgrounds.py: warpflow and the OpenCV peers, 3 windows of 60 frames per clip; its JSON
is DIR/still.json, its by-eye PNGs DIR/still/still-NAME.png).
Logs of every run: DIR/logs/.
"""
import argparse
import glob
import json
import os
import resource
import shutil
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", "..", ".."))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.dirname(HERE))
import synth  # noqa: E402
import opencv_clips  # noqa: E402

WINDOW, SIZE, K = 150, "256x160", 16
# opencv-doc clips in order, with how many extra times each is played (tree is short).
DOC_CLIPS = [("megamind", 0), ("vtest", 0), ("tree", 2), ("box", 0), ("cup", 0)]
# The window filters off, so both sides process every window.
NO_FILTERS = ["--min-motion", "0", "--max-camera-motion", "1e9", "--scene-threshold", "100"]
# name -> (side, arguments). warpflow: a budget of 2 threads (its default on a 2-core machine;
# it runs 2 clips at once with 1 flow thread each), the cores the 2-process Python variants use.
VARIANTS = {
    "python-dis-1p": ("python", ["--flow", "dis", "--procs", "1"]),
    "python-farneback-1p": ("python", ["--flow", "farneback", "--procs", "1"]),
    "python-dis-2p": ("python", ["--flow", "dis", "--procs", "2"]),
    "python-farneback-2p": ("python", ["--flow", "farneback", "--procs", "2"]),
    "warpflow-medium": ("warpflow", ["--flow-preset", "medium"]),
    "warpflow-fast": ("warpflow", ["--flow-preset", "fast"]),
}


def load_average():
    try:
        with open("/proc/loadavg") as fh:
            return float(fh.read().split()[0])
    except OSError:
        return None


def count_frames(path):
    out = subprocess.run(["ffprobe", "-v", "error", "-select_streams", "v:0", "-count_frames", "-show_entries",
                          "stream=nb_read_frames,width,height,r_frame_rate", "-of", "json", path],
                         capture_output=True, text=True, check=True)
    s = json.loads(out.stdout)["streams"][0]
    return int(s["nb_read_frames"]), f"{s['width']}x{s['height']}", s["r_frame_rate"]


def loop(src, dst, extra):
    """dst: src played 1 + extra times (stream copy, video only)."""
    if not os.path.exists(dst):
        tmp = dst + ".tmp" + os.path.splitext(dst)[1]
        subprocess.run(["ffmpeg", "-v", "error", "-y", "-stream_loop", str(extra), "-i", src, "-map", "0:v:0",
                        "-c", "copy", tmp], check=True)
        os.replace(tmp, dst)
    return dst


def prepare_clips(data):
    """The benchmark's clips: [{name, path, frames, size, rate, windows, note}], most windows first."""
    cdir = os.path.join(data, "clips")
    os.makedirs(cdir, exist_ok=True)
    clips = []
    for src in sorted(glob.glob(os.path.join(ROOT, "Samples", "clips", "*.mp4"))):
        name = os.path.splitext(os.path.basename(src))[0]
        # 90 frames is too short for a 150-frame window: played twice (180 frames).
        clips.append((name, loop(src, os.path.join(cdir, name + "-x2.mp4"), 1), "Samples/clips, looped x2"))
    for name, extra in DOC_CLIPS:
        src = opencv_clips.local_path(name, cdir)
        if not src:
            continue
        note = "opencv-doc"
        if extra:
            src = loop(src, os.path.join(cdir, f"{name}-x{extra + 1}" + os.path.splitext(src)[1]), extra)
            note = f"opencv-doc, looped x{extra + 1}"
        clips.append((name, src, note))
    out = []
    for name, path, note in clips:
        frames, size, rate = count_frames(path)
        windows = (frames - WINDOW) // WINDOW + 1 if frames >= WINDOW else 0
        out.append({"name": name, "path": path, "frames": frames, "size": size, "rate": rate,
                    "windows": windows, "note": note})
    out.sort(key=lambda c: (-c["windows"], -c["frames"], c["name"]))
    return out


def command(variant, a, paths, outdir, extra=()):
    side, args = VARIANTS[variant]
    if side == "warpflow":
        return [a.bin, "dataset", "build", *paths, "-o", outdir, "--window", str(WINDOW), "--stride", str(WINDOW),
                "--size", SIZE, "--k", str(K), *args, "--tracking", "direct", "--threads", "2", *NO_FILTERS, *extra,
                "--json"]
    return [sys.executable, os.path.join(HERE, "python_path.py"), *paths, "-o", outdir, "--window", str(WINDOW),
            "--size", SIZE, "--k", str(K), *args, *extra, "--json", os.path.join(outdir, "result.json")]


def run_variant(variant, a, clips, outdir, log, extra=()):
    """Runs one side once; returns its record (seconds, per-clip figures, stages, load)."""
    shutil.rmtree(outdir, ignore_errors=True)
    os.makedirs(outdir)
    paths = [c["path"] for c in clips]
    cmd = command(variant, a, paths, outdir, extra)
    load = load_average()
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    with open(log, "w") as err:
        p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=err, text=True)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if p.returncode != 0:
        with open(log) as fh:
            sys.exit(f"{variant} failed (exit {p.returncode}); {log}:\n{fh.read()[-3000:]}")
    rec = {"variant": variant, "side": VARIANTS[variant][0], "load": load, "wall": wall, "cpu": cpu,
           "command": " ".join(cmd).replace(ROOT + "/", "")}
    by_path = {os.path.abspath(c["path"]): c["name"] for c in clips}
    if rec["side"] == "warpflow":
        j = json.loads(p.stdout)
        rec.update(seconds=j["seconds"], jobs=j["jobs"], threads_per_job=j["threads_per_job"])
        rec["clips"] = {}
        for f in sorted(glob.glob(os.path.join(outdir, "clips", "clip-*.json"))):
            with open(f) as fh:
                r = json.load(fh)
            st = r["seconds"]
            rec["clips"][by_path[os.path.abspath(r["source"])]] = {"windows": r["windows"].get("total", 0),
                                                                   "kept": r["windows"].get("kept", 0),
                                                  "status": r["status"], "seconds": sum(st.values()), "stages": st}
    else:
        with open(os.path.join(outdir, "result.json")) as fh:
            j = json.load(fh)
        rec.update(seconds=j["seconds"], threads=j["threads"], procs=j["procs"])
        rec["clips"] = {by_path[os.path.abspath(c["source"])]: {"windows": c["windows"], "kept": c["windows"], "status": "ok",
                                               "seconds": c["seconds"], "stages": c["stages"]} for c in j["clips"]}
    return rec


def speed(a, clips, results):
    variants = a.variants
    order = [v for v in variants if VARIANTS[v][0] == "python"] + [v for v in variants if VARIANTS[v][0] == "warpflow"]
    runs = results.setdefault("runs", [])
    for r in range(1, a.rounds + 1):
        for v in order:
            print(f"round {r}/{a.rounds}: {v} (load average {load_average()})", file=sys.stderr)
            rec = run_variant(v, a, clips, os.path.join(a.data, "out", v), os.path.join(a.data, "logs", f"{v}-{r}.log"))
            rec["round"] = r
            print(f"  {rec['seconds']:.1f} s", file=sys.stderr)
            runs.append(rec)
            shutil.rmtree(os.path.join(a.data, "out", v), ignore_errors=True)


def accuracy(a, results):
    sdir = os.path.join(a.data, "synth")
    meta = os.path.join(sdir, "synth.json")
    have = None
    if os.path.exists(meta):
        with open(meta) as fh:
            have = json.load(fh).get("version")
    if have != synth.SYNTH_VERSION:
        shutil.rmtree(sdir, ignore_errors=True)
        print("rendering the synthetic clips (synth.py, once)", file=sys.stderr)
        subprocess.run([sys.executable, os.path.join(HERE, "synth.py"), sdir], check=True)
        if subprocess.run([sys.executable, os.path.join(HERE, "synth.py"), sdir, "--check"]).returncode != 0:
            shutil.rmtree(sdir, ignore_errors=True)
            sys.exit("the synthetic clips failed their check (synth.py --check)")
    with open(meta) as fh:
        results["synth"] = json.load(fh)
    clips = [{"name": s["name"], "path": os.path.join(sdir, s["name"] + ".mkv")} for s in synth.SPECS]
    labels = []
    for v in ["warpflow-fast", "warpflow-medium", "python-dis-1p", "python-farneback-1p"]:
        print(f"accuracy: {v}", file=sys.stderr)
        extra = ["--trajectories", "--dtype", "float32"]
        rec = run_variant(v, a, clips, os.path.join(a.data, "acc", v), os.path.join(a.data, "logs", f"acc-{v}.log"), extra)
        results.setdefault("accuracy_commands", {})[v] = rec["command"]
        labels.append(f"{v}={os.path.join(a.data, 'acc', v)}")
    out = os.path.join(a.data, "accuracy.json")
    p = subprocess.run([sys.executable, os.path.join(HERE, "score_accuracy.py"), sdir, *labels, "--json", out])
    if p.returncode != 0:
        sys.exit("score_accuracy.py failed (see above)")
    with open(out) as fh:
        results["accuracy"] = json.load(fh)
    shutil.rmtree(os.path.join(a.data, "acc"), ignore_errors=True)


def still(a, results):
    out = os.path.join(a.data, "still.json")
    cmd = [sys.executable, os.path.join(HERE, "still_backgrounds.py"), "--bin", a.bin, "--data", a.data,
           "--json", out, "--strip-dir", os.path.join(a.data, "still")]
    if os.path.exists(out):
        os.remove(out)
    if subprocess.run(cmd).returncode != 0:
        sys.exit("still_backgrounds.py failed (see above)")
    with open(out) as fh:
        results["still"] = json.load(fh)


def main():
    p = argparse.ArgumentParser(description="warpflow dataset build vs the Python path.")
    p.add_argument("--bin", required=True)
    p.add_argument("--data", required=True)
    p.add_argument("--rounds", type=int, default=2)
    p.add_argument("--variants", default="")
    p.add_argument("--no-speed", action="store_true")
    p.add_argument("--no-accuracy", action="store_true")
    p.add_argument("--no-still", action="store_true", help="skip the still-background part")
    p.add_argument("--json", required=True)
    a = p.parse_args()
    a.bin = os.path.abspath(a.bin)
    a.variants = [v for v in a.variants.replace(",", " ").split()] or list(VARIANTS)
    unknown = [v for v in a.variants if v not in VARIANTS]
    if unknown:
        p.error(f"unknown variants {unknown}; known: {', '.join(VARIANTS)}")
    os.makedirs(os.path.join(a.data, "logs"), exist_ok=True)
    import cv2, numpy
    results = {"meta": {"cpus": os.cpu_count(), "opencv": cv2.__version__, "numpy": numpy.__version__,
                        "opencv_threads_default": cv2.getNumThreads(), "python": sys.version.split()[0],
                        "bin": a.bin, "rounds": a.rounds, "window": WINDOW, "size": SIZE, "k": K,
                        "date": time.strftime("%Y-%m-%d %H:%M")}}
    start = time.perf_counter()
    if not a.no_speed:
        results["clips"] = prepare_clips(a.data)
        speed(a, results["clips"], results)
    if not a.no_accuracy:
        accuracy(a, results)
    if not a.no_still:
        still(a, results)
    results["meta"]["bench_seconds"] = time.perf_counter() - start
    with open(a.json, "w") as fh:
        json.dump(results, fh, indent=1)


if __name__ == "__main__":
    main()
