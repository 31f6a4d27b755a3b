#!/usr/bin/env python3
"""A stand-in for `warpflow dataset` that exercises the cluster harness without a Swift build.

    WARPFLOW_BIN=Tests/Cluster/fake-warpflow.py Tests/Cluster/run.sh

It follows the CLI contract of `warpflow dataset build|merge` (shard selection from --shard,
SLURM_ARRAY_TASK_ID/SLURM_ARRAY_TASK_COUNT, JOB_COMPLETION_INDEX with --shard-count; clip i
belongs to shard i mod N; an unsharded build merges at its end) and the file layout of
Samples/python/FORMAT.md, but its "tensors" are only a digest of each input file, and each
clip report carries a random timing under "seconds", as the real one does, so the comparison
has to ignore timings. FAKE_WARPFLOW_SLEEP (seconds per clip, default 0) makes it slow, to
test cancellation and teardown; FAKE_WARPFLOW_FAIL_SHARD=I makes shard I fail.
"""
import hashlib
import json
import os
import random
import sys
import time

VIDEO = (".mp4", ".mov", ".mkv", ".webm", ".avi", ".m4v", ".ts")
VALUED = {"-o", "--window", "--stride", "--size", "--fit", "--k", "--percentile", "--tracking", "--flow-preset",
          "--dtype", "--scene-threshold", "--min-motion", "--max-camera-motion", "--samples-per-shard",
          "--shard", "--shard-count", "--threads", "--jobs"}


def fail(message):
    print(f"fake-warpflow: {message}", file=sys.stderr)
    sys.exit(2)


def expand(inputs):
    clips = []
    for path in inputs:
        if os.path.isdir(path):
            found = []
            for base, _, names in os.walk(path):
                found += [os.path.join(base, n) for n in names if n.lower().endswith(VIDEO)]
            clips += sorted(found)
        elif os.path.isfile(path):
            clips.append(path)
        else:
            fail(f"{path}: no such file or directory")
    return clips


def shard_of(options):
    if "--shard" in options:
        index, count = options["--shard"].split("/")
        return int(index), int(count)
    if "SLURM_ARRAY_TASK_ID" in os.environ and "SLURM_ARRAY_TASK_COUNT" in os.environ:
        return int(os.environ["SLURM_ARRAY_TASK_ID"]), int(os.environ["SLURM_ARRAY_TASK_COUNT"])
    if "JOB_COMPLETION_INDEX" in os.environ:
        if "--shard-count" not in options:
            fail("JOB_COMPLETION_INDEX is set but --shard-count is not")
        return int(os.environ["JOB_COMPLETION_INDEX"]), int(options["--shard-count"])
    return None


def write_atomic(path, data):
    tmp = path + ".tmp"
    with open(tmp, "wb") as handle:
        handle.write(data)
    os.replace(tmp, path)


def build(args):
    options, inputs, i = {}, [], 0
    while i < len(args):
        if args[i] in VALUED:
            if i + 1 >= len(args):
                fail(f"{args[i]} needs a value")
            options[args[i]] = args[i + 1]
            i += 2
        elif args[i].startswith("--"):
            options[args[i]] = True
            i += 1
        else:
            inputs.append(args[i])
            i += 1
    if "-o" not in options or not inputs:
        fail("usage: dataset build INPUTS... -o DIR")
    out, shard = options["-o"], shard_of(options)
    index, count = shard if shard else (0, 1)
    if count < 1 or not 0 <= index < count:
        fail(f"--shard {index}/{count}: out of range")
    if shard and os.environ.get("FAKE_WARPFLOW_FAIL_SHARD") == str(index):
        fail(f"shard {index} told to fail by FAKE_WARPFLOW_FAIL_SHARD")
    os.makedirs(os.path.join(out, "clips"), exist_ok=True)
    ignored = ("-o", "--threads", "--jobs", "--json", "--shard", "--shard-count")
    settings = json.dumps({k: v for k, v in sorted(options.items()) if k not in ignored})
    done = []
    for clip, source in enumerate(expand(inputs)):
        if clip % count != index:
            continue
        time.sleep(float(os.environ.get("FAKE_WARPFLOW_SLEEP", "0")))
        with open(source, "rb") as handle:
            digest = hashlib.sha256(handle.read() + settings.encode()).digest()
        shard_name = f"clip-{clip:06d}-000.safetensors"
        write_atomic(os.path.join(out, "clips", shard_name), digest * 64)
        samples = [{"shard": f"clips/{shard_name}", "index": n, "clip": clip, "source": source,
                    "start": f"{n}/1", "start_frame": 30 * n, "mean_motion": digest[n] / 16} for n in range(3)]
        report = {"format": "warpflow-dataset-clip", "version": 1, "clip": clip, "source": source,
                  "status": "ok", "reason": None, "shards": [shard_name], "samples": samples,
                  "histogram": {str(k): digest[k] for k in range(4)},
                  "seconds": {"flow": random.random()}}
        write_atomic(os.path.join(out, "clips", f"clip-{clip:06d}.json"), json.dumps(report).encode())
        done.append(clip)
    print(json.dumps({"shard": [index, count], "clips": done}) if "--json" in options
          else f"fake-warpflow: shard {index}/{count}: clips {done}")
    if not shard:
        merge(out)


def merge(out):
    folder = os.path.join(out, "clips")
    names = sorted(n for n in os.listdir(folder) if n.endswith(".json"))
    lines, histogram, samples = [], {}, 0
    for name in names:
        with open(os.path.join(folder, name)) as handle:
            report = json.load(handle)
        for sample in report["samples"]:
            lines.append(json.dumps(sample, sort_keys=True))
        for key, value in report["histogram"].items():
            histogram[key] = histogram.get(key, 0) + value
        samples += len(report["samples"])
    write_atomic(os.path.join(out, "manifest.jsonl"), "".join(line + "\n" for line in lines).encode())
    stats = {"format": "warpflow-dataset-stats", "version": 1, "samples": samples,
             "scales": [histogram[k] / 7 for k in sorted(histogram)], "histogram": histogram,
             "clips": {"total": len(names), "ok": len(names), "skipped": 0}}
    write_atomic(os.path.join(out, "stats.json"), json.dumps(stats, sort_keys=True).encode())


def main():
    args = sys.argv[1:]
    if args[:1] != ["dataset"] or len(args) < 2:
        fail("usage: fake-warpflow.py dataset build|merge ...")
    if args[1] in ("--help", "-h", "help"):
        print("fake-warpflow: dataset build INPUTS... -o DIR | dataset merge DIR")
    elif args[1] == "build":
        build(args[2:])
    elif args[1] == "merge" and len(args) == 3:
        merge(args[2])
    else:
        fail(f"unknown: {' '.join(args[1:])}")


if __name__ == "__main__":
    main()
