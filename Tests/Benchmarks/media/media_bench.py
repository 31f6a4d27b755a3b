#!/usr/bin/env python3
"""Side-by-side MediaIO benchmarks: warpflow vs the ffmpeg CLI, measured in one run.

1. decode: `warpflow-bench decode X --to rgb` (VideoReader + FrameConverter.rgb, planar Float)
   vs `ffmpeg -i X -pix_fmt rgb24 -f null -`.
2. encode: `warpflow run X -o Y -vf null --crf 18 --preset medium` vs
   `ffmpeg -i X -c:v libx264 -crf 18 -preset medium -c:a copy Y`.
3. memory: peak RSS of `warpflow run -vf null` on a clip and on one 10x longer.

Each timing is the median of --repeat runs, peers interleaved so machine load hits both.
"""
import argparse, json, os, statistics, subprocess, sys, time

def run_measured(cmd):
    """Runs cmd, returns (seconds, peak RSS in MiB). Raises on failure."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - start
    err = proc.stderr.read().decode(errors="replace")
    proc.stderr.close()
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"command failed: {' '.join(cmd)}\n{err}")
    return seconds, usage.ru_maxrss / 1024.0

def make_clip(path, seconds, size, rate):
    if os.path.exists(path):
        return
    tmp = path + ".tmp.mp4"
    subprocess.run([
        "ffmpeg", "-v", "error", "-y",
        "-f", "lavfi", "-i", f"testsrc2=size={size}:rate={rate}:duration={seconds}",
        "-f", "lavfi", "-i", f"sine=frequency=440:sample_rate=48000:duration={seconds}",
        "-c:v", "libx264", "-preset", "veryfast", "-crf", "20", "-pix_fmt", "yuv420p",
        "-c:a", "aac", "-shortest", tmp], check=True)
    os.replace(tmp, path)

def median_pair(a_cmd, b_cmd, repeat):
    a, b, ra, rb = [], [], [], []
    for _ in range(repeat):
        s, r = run_measured(a_cmd); a.append(s); ra.append(r)
        s, r = run_measured(b_cmd); b.append(s); rb.append(r)
    return statistics.median(a), statistics.median(b), max(ra), max(rb)

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--warpflow", required=True)
    ap.add_argument("--bench", required=True, help="warpflow-bench binary")
    ap.add_argument("--data", required=True)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--json")
    args = ap.parse_args()
    os.makedirs(args.data, exist_ok=True)
    clip720 = os.path.join(args.data, "bench720p30_10s.mp4")
    short = os.path.join(args.data, "mem360p_10s.mp4")
    long_ = os.path.join(args.data, "mem360p_100s.mp4")
    make_clip(clip720, 10, "1280x720", 30)
    make_clip(short, 10, "640x360", 30)
    make_clip(long_, 100, "640x360", 30)
    out = os.path.join(args.data, "out")
    os.makedirs(out, exist_ok=True)
    rows = {}

    ours, peer, _, _ = median_pair(
        [args.bench, "decode", clip720, "--to", "rgb"],
        ["ffmpeg", "-v", "error", "-threads", "0", "-i", clip720, "-pix_fmt", "rgb24", "-f", "null", "-"],
        args.repeat)
    rows["decode_rgb_720p_300f"] = {"warpflow_s": ours, "ffmpeg_s": peer, "ratio": ours / peer, "target": 1.25}

    ours, peer, _, _ = median_pair(
        [args.warpflow, "run", clip720, "-o", os.path.join(out, "wf.mp4"), "-vf", "null", "--crf", "18", "--preset", "medium", "--quiet"],
        ["ffmpeg", "-v", "error", "-y", "-i", clip720, "-c:v", "libx264", "-crf", "18", "-preset", "medium", "-c:a", "copy",
         "-movflags", "+faststart", os.path.join(out, "ff.mp4")],
        args.repeat)
    rows["run_null_x264_crf18_medium_720p_300f"] = {"warpflow_s": ours, "ffmpeg_s": peer, "ratio": ours / peer}

    _, rss_short = run_measured([args.warpflow, "run", short, "-o", os.path.join(out, "m1.mp4"), "-vf", "null", "--preset", "ultrafast", "--quiet"])
    _, rss_long = run_measured([args.warpflow, "run", long_, "-o", os.path.join(out, "m2.mp4"), "-vf", "null", "--preset", "ultrafast", "--quiet"])
    rows["peak_rss_run_null_360p"] = {"10s_MiB": rss_short, "100s_MiB": rss_long, "growth_MiB": rss_long - rss_short}

    print("| benchmark | warpflow | ffmpeg | ratio |")
    print("| --- | --- | --- | --- |")
    for name, r in rows.items():
        if "ratio" in r:
            target = f" (target ≤ {r['target']})" if "target" in r else ""
            print(f"| {name} | {r['warpflow_s']:.2f} s | {r['ffmpeg_s']:.2f} s | {r['ratio']:.2f}×{target} |")
        else:
            print(f"| {name} | 10 s clip {r['10s_MiB']:.0f} MiB, 100 s clip {r['100s_MiB']:.0f} MiB | | growth {r['growth_MiB']:.1f} MiB |")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(rows, f, indent=2)

if __name__ == "__main__":
    main()
