#!/usr/bin/env python3
"""Compare a sharded-then-merged warpflow dataset with an unsharded build of the same inputs.

    compare.py SHARDED_DIR UNSHARDED_DIR

Both directories must hold the same files (Samples/python/FORMAT.md layout) and:
  - every clips/*.safetensors byte-identical;
  - manifest.jsonl byte-identical;
  - stats.json byte-identical; if it is not, the report says which top-level fields differ,
    and the run fails unless only fields in TIMING_FIELDS differ (none are expected there);
  - clips/*.json identical as JSON except the timings ("seconds"), which measure the run.
Prints one line per check, exits 1 on any difference, 2 on a malformed directory.
"""
import json
import os
import sys

TIMING_FIELDS = {"seconds"}


def files_under(root):
    found = set()
    for base, _, names in os.walk(root):
        for name in names:
            found.add(os.path.relpath(os.path.join(base, name), root))
    return found


def read_bytes(path):
    with open(path, "rb") as handle:
        return handle.read()


def load_json(path):
    try:
        return json.loads(read_bytes(path))
    except (OSError, ValueError) as error:
        print(f"compare: {path}: not JSON ({error})")
        sys.exit(2)


def without_timings(value):
    if isinstance(value, dict):
        return {k: without_timings(v) for k, v in value.items() if k not in TIMING_FIELDS}
    if isinstance(value, list):
        return [without_timings(v) for v in value]
    return value


def main():
    if len(sys.argv) != 3:
        print("usage: compare.py SHARDED_DIR UNSHARDED_DIR")
        return 2
    sharded, unsharded = sys.argv[1], sys.argv[2]
    problems = []
    a, b = files_under(sharded), files_under(unsharded)
    for name in sorted(a ^ b):
        problems.append(f"{name}: only in {sharded if name in a else unsharded}")
    for required in ("manifest.jsonl", "stats.json"):
        if required not in a or required not in b:
            problems.append(f"{required}: missing")
    common = sorted(a & b)
    tensors = [n for n in common if n.endswith(".safetensors")]
    reports = [n for n in common if n.startswith("clips" + os.sep) and n.endswith(".json")]
    if not tensors:
        problems.append("no .safetensors files to compare")

    same = [n for n in tensors if read_bytes(os.path.join(sharded, n)) == read_bytes(os.path.join(unsharded, n))]
    problems += [f"{n}: tensors differ (bytes)" for n in tensors if n not in same]
    print(f"compare: {len(same)}/{len(tensors)} shard files byte-identical")

    manifest = [b"", b""]
    if "manifest.jsonl" in a and "manifest.jsonl" in b:
        manifest = [read_bytes(os.path.join(d, "manifest.jsonl")) for d in (sharded, unsharded)]
        lines = manifest[0].count(b"\n")
        if manifest[0] == manifest[1] and lines > 0:
            print(f"compare: manifest.jsonl byte-identical ({lines} samples)")
        elif lines == 0:
            problems.append("manifest.jsonl: empty")
        else:
            problems.append("manifest.jsonl: differs")

    if "stats.json" in a and "stats.json" in b:
        raw = [read_bytes(os.path.join(d, "stats.json")) for d in (sharded, unsharded)]
        if raw[0] == raw[1]:
            print("compare: stats.json byte-identical")
        else:
            s, u = (load_json(os.path.join(d, "stats.json")) for d in (sharded, unsharded))
            fields = sorted(k for k in set(s) | set(u) if s.get(k) != u.get(k))
            if set(fields) <= TIMING_FIELDS:
                print(f"compare: stats.json identical except timing fields {fields}")
            else:
                problems.append(f"stats.json: fields differ: {', '.join(fields) or 'formatting only'}")
        stats, lines = load_json(os.path.join(sharded, "stats.json")), manifest[0].count(b"\n")
        if isinstance(stats, dict) and isinstance(stats.get("samples"), int) and stats["samples"] != lines:
            problems.append(f"stats.json: samples {stats['samples']} but manifest.jsonl has {lines} lines")

    differing = []
    for name in reports:
        if without_timings(load_json(os.path.join(sharded, name))) != without_timings(load_json(os.path.join(unsharded, name))):
            differing.append(name)
    problems += [f"{n}: clip report differs (beyond timings)" for n in differing]
    print(f"compare: {len(reports) - len(differing)}/{len(reports)} clip reports identical except timings")

    for problem in problems:
        print(f"compare: MISMATCH {problem}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
