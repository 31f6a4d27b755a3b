#!/usr/bin/env python3
"""Damaged-dataset corpus: builds a small dataset with the real `warpflow dataset build`, damages
copies of it in many ways, runs `warpflow dataset merge` (and, for shard damage, the build again,
which must resume by rebuilding) on each, and classifies what happened. Then damages a loop
spectrum in many ways and renders each (spectrum_cases.py), and kills `fps`, `loop --gif`,
`dataset build` and `dataset merge` at several points, by SIGKILL and by SIGTERM
(kill_cases.py): nothing may sit at a final path early, outputs written together appear
together or not at all, a caught signal leaves no temporary, and the rerun must finish and
leave none.

Usage: damage_corpus.py WARPFLOW_BIN [--work DIR] [--table OUT.md]

Outcomes per case:
  clear error    exit 1, stderr names the damaged file (or key), nothing written under the final
                 names (manifest.jsonl, stats.json), no temporary left
  fine           the pristine control merges; a resumed build rebuilds the damaged clip and its
                 shards come back byte-identical
  wrong result   exit 0 on damaged input (merge listed what it should have refused)
  partial        refused, but a merged file or a temporary was left behind
  hang           no exit within the time limit (20 s)
  crash          killed by a signal, or a trap message on stderr
The script exits 1 unless every case is "clear error" or "fine", and prints
"N passed, M failed" as its last line. Only the standard library is used.
"""
import argparse, json, os, shutil, struct, subprocess, sys, tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from kill_cases import kill_cases  # noqa: E402
from spectrum_cases import spectrum_cases  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
CLIPS = [os.path.join(ROOT, "Samples/clips", n) for n in ("object.mp4", "rotate.mp4", "cut.mp4")]
BUILD = ["--window", "20", "--stride", "20", "--size", "64x40", "--k", "4", "--flow-preset", "fast", "--dtype", "float32",
         "--samples-per-shard", "2", "--min-motion", "0", "--max-camera-motion", "1e9", "--threads", "2"]
TIMEOUT = 20
SHARD = "clips/clip-000000-000.safetensors"
REPORT = "clips/clip-000000.json"


def run(argv):
    try:
        p = subprocess.run(argv, capture_output=True, text=True, timeout=TIMEOUT)
        return p.returncode, p.stderr
    except subprocess.TimeoutExpired:
        return None, ""


# --- damage makers: each takes the dataset directory ---------------------------------------------

def read(d, rel):
    with open(os.path.join(d, rel), "rb") as f:
        return bytearray(f.read())


def write(d, rel, data):
    with open(os.path.join(d, rel), "wb") as f:
        f.write(bytes(data))


def shard_header(d):
    b = read(d, SHARD)
    n = struct.unpack("<Q", b[:8])[0]
    return b, n, json.loads(b[8:8 + n])


def with_header(d, edit):
    """Rewrites the shard's JSON header after `edit(header)`, keeping the data buffer."""
    b, n, h = shard_header(d)
    edit(h)
    text = json.dumps(h).encode()
    text += b" " * ((8 - len(text) % 8) % 8)
    write(d, SHARD, struct.pack("<Q", len(text)) + text + b[8 + n:])


def edit_report(d, edit, rel=REPORT):
    o = json.loads(read(d, rel))
    edit(o)
    write(d, rel, json.dumps(o).encode())


def sample_edit(key, value):
    def f(o):
        o["samples"][0][key] = value
    return f


def drop_checksums(d):
    edit_report(d, lambda o: o.pop("shard_checksums", None))


def shard_cases():
    """(name, damage) pairs that damage the first shard; merge must name it, resume must rebuild."""
    def truncate(k):
        return lambda d: write(d, SHARD, read(d, SHARD)[:k] if k >= 0 else read(d, SHARD)[:k])

    def flip(at):
        def f(d):
            b = read(d, SHARD)
            b[at % len(b)] ^= 0x5A
            write(d, SHARD, b)
        return f

    def nan_spectra(d):
        b, n, h = shard_header(d)
        lo = h["spectra"]["data_offsets"][0]
        b[8 + n + lo + 16: 8 + n + lo + 20] = b"\xff\xff\xff\x7f"
        write(d, SHARD, b)

    cases = [("shard: empty", truncate(0)), ("shard: 7 bytes", truncate(7)), ("shard: one byte short", truncate(-1)),
             ("shard: header only", lambda d: write(d, SHARD, read(d, SHARD)[:8 + shard_header(d)[1]])),
             ("shard: half", lambda d: write(d, SHARD, read(d, SHARD)[: len(read(d, SHARD)) // 2])),
             ("shard: one byte too many", lambda d: write(d, SHARD, read(d, SHARD) + b"\0")),
             ("shard: missing", lambda d: os.remove(os.path.join(d, SHARD))),
             ("shard: a directory", lambda d: (os.remove(os.path.join(d, SHARD)), os.mkdir(os.path.join(d, SHARD)))),
             ("shard: a FIFO", lambda d: (os.remove(os.path.join(d, SHARD)), os.mkfifo(os.path.join(d, SHARD)))),
             ("shard: symlink loop", lambda d: (os.remove(os.path.join(d, SHARD)), os.symlink(os.path.join(d, SHARD), os.path.join(d, SHARD)))),
             ("shard: another clip's", lambda d: shutil.copy(os.path.join(d, "clips/clip-000001-000.safetensors"), os.path.join(d, SHARD))),
             ("shard: header length huge", lambda d: write(d, SHARD, struct.pack("<Q", 1 << 40) + read(d, SHARD)[8:])),
             ("shard: header length past the end", lambda d: write(d, SHARD, struct.pack("<Q", len(read(d, SHARD))) + read(d, SHARD)[8:])),
             ("shard: header not JSON", lambda d: write(d, SHARD, read(d, SHARD)[:8] + b"#" + read(d, SHARD)[9:])),
             ("shard: dtype unknown", lambda d: with_header(d, lambda h: h["spectra"].update(dtype="Q7"))),
             ("shard: dtype changed", lambda d: with_header(d, lambda h: h["frames"].update(dtype="I8"))),
             ("shard: shape overflow", lambda d: with_header(d, lambda h: h["spectra"].update(shape=[2 ** 62, 2 ** 62, 4, 4]))),
             ("shard: shape mismatch", lambda d: with_header(d, lambda h: h["spectra"].update(shape=[1] + h["spectra"]["shape"][1:]))),
             ("shard: offsets overlap", lambda d: with_header(d, lambda h: h["spectra"].update(data_offsets=[0, h["spectra"]["data_offsets"][1] - h["spectra"]["data_offsets"][0]]))),
             ("shard: offsets out of range", lambda d: with_header(d, lambda h: h["spectra"].update(data_offsets=[h["spectra"]["data_offsets"][0], 1 << 40]))),
             ("shard: no spectra tensor", lambda d: with_header(d, lambda h: h.pop("spectra"))),
             ("shard: metadata clip", lambda d: with_header(d, lambda h: h["__metadata__"].update(clip="7"))),
             ("shard: metadata samples", lambda d: with_header(d, lambda h: h["__metadata__"].update(samples="9"))),
             ("shard: NaN spectrum (no checksum)", lambda d: (drop_checksums(d), nan_spectra(d))),
             ("shard: NaN spectrum", nan_spectra)]
    for at in (0, 9, 100, 1000, 5000, -9, -1):
        cases.append((f"shard: byte {at} flipped", flip(at)))
    return cases


def report_cases():
    """(name, damage, words) that damage clip 0's report (or the clip reports); merge must refuse."""
    def windows(**kw):
        return lambda o: o["windows"].update(kw)

    def hist_times(k):
        def f(o):
            o["histogram"]["counts"] = [[[b, c * k] for b, c in freq] for freq in o["histogram"]["counts"]]
        return f
    edits = [
        ("report: sample index -1", sample_edit("index", -1)), ("report: sample index 10^6", sample_edit("index", 10 ** 6)),
        ("report: frames -5", sample_edit("frames", -5)), ("report: start_frame -1", sample_edit("start_frame", -1)),
        ("report: start_frame 10^9", sample_edit("start_frame", 10 ** 9)), ("report: width 0", sample_edit("width", 0)),
        ("report: height 10^12", sample_edit("height", 10 ** 12)), ("report: fps -30/1", sample_edit("fps", "-30/1")),
        ("report: fps 0/1", sample_edit("fps", "0/1")), ("report: source with NUL", sample_edit("source", "a\u0000b")),
        ("report: shard /etc/passwd", sample_edit("shard", "/etc/passwd")), ("report: shard ../../x", sample_edit("shard", "../../x.safetensors")),
        ("report: shards list edited", lambda o: o.update(shards=["../../evil.safetensors"] + o["shards"][1:])),
        ("report: sample duplicated", lambda o: o["samples"].append(o["samples"][0])),
        ("report: sample removed", lambda o: o["samples"].pop()),
        ("report: skipped with samples", lambda o: o.update(status="skipped")),
        ("report: kept 10^15", windows(kept=10 ** 15)), ("report: windows beyond frames", windows(low_motion=10 ** 6)),
        ("report: histogram x1000", hist_times(1000)), ("report: histogram emptied", lambda o: o["histogram"].update(counts=[[] for _ in o["histogram"]["counts"]])),
        ("report: clip out of range", lambda o: o.update(clip=99)), ("report: clips_total 0", lambda o: o.update(clips_total=0)),
        ("report: configuration window", lambda o: o["configuration"].update(window="abc")),
        ("report: configuration size", lambda o: o["configuration"].update(size="0x0")),
        ("report: checksum changed", lambda o: o["shard_checksums"].update({SHARD: "0" * 16})),
        ("report: checksum not hex", lambda o: o["shard_checksums"].update({SHARD: "zz"})),
        ("report: percentile nan", lambda o: o["configuration"].update(percentile="nan")),
    ]
    cases = [(n, (lambda e: lambda d: edit_report(d, e))(e)) for n, e in edits]
    cases += [
        ("report: empty", lambda d: write(d, REPORT, b"")),
        ("report: truncated", lambda d: write(d, REPORT, read(d, REPORT)[:100])),
        ("report: 1e999", lambda d: write(d, REPORT, b'{"clip": 1e999}')),
        ("report: not an object", lambda d: write(d, REPORT, b"[1, 2]")),
        ("report: a FIFO", lambda d: (os.remove(os.path.join(d, REPORT)), os.mkfifo(os.path.join(d, REPORT)))),
        ("report: a directory", lambda d: (os.remove(os.path.join(d, REPORT)), os.mkdir(os.path.join(d, REPORT)))),
        ("report: copied as .bak", lambda d: shutil.copy(os.path.join(d, REPORT), os.path.join(d, "clips/clip-000000.bak.json"))),
        ("report: under another clip's name", lambda d: os.rename(os.path.join(d, "clips/clip-000002.json"), os.path.join(d, "clips/clip-000005.json"))),
        ("report: clips_total 8e15 everywhere", lambda d: [edit_report(d, lambda o: o.update(clips_total=8 * 10 ** 15), rel=f"clips/clip-00000{i}.json") for i in range(3)]),
        ("report: missing", lambda d: os.remove(os.path.join(d, REPORT))),
        ("stats.json is a directory", lambda d: os.mkdir(os.path.join(d, "stats.json"))),
        ("manifest.jsonl is a directory", lambda d: os.mkdir(os.path.join(d, "manifest.jsonl"))),
    ]
    return cases


def leftovers(d):
    found = [n for n in ("manifest.jsonl", "stats.json") if os.path.isfile(os.path.join(d, n))]
    for root, _, names in os.walk(d):
        found += [os.path.join(root, n) for n in names if n.endswith(".tmp")]
    return found


def classify_refusal(code, stderr, d):
    if code is None:
        return "hang"
    if code < 0 or code >= 128 or "Fatal error" in stderr or "Illegal instruction" in stderr:
        return "crash"
    if code == 0:
        return "wrong result"
    if leftovers(d):
        return "partial"
    named = ("clip-0000", "stats.json", "manifest.jsonl", "clips are not built yet (clips ")
    return "clear error" if any(w in stderr for w in named) else "unclear error"


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("bin")
    ap.add_argument("--work", default=None)
    ap.add_argument("--table", default=None)
    a = ap.parse_args()
    work = a.work or tempfile.mkdtemp(prefix="warpflow-damage-")
    pristine = os.path.join(work, "pristine")
    shutil.rmtree(pristine, ignore_errors=True)
    code, err = run([a.bin, "dataset", "build", *CLIPS, "-o", pristine, *BUILD, "-q"])
    if code != 0:
        sys.exit(f"the pristine build failed ({code}): {err}")
    results = []

    def fresh(name):
        d = os.path.join(work, "case")
        shutil.rmtree(d, ignore_errors=True)
        shutil.copytree(pristine, d, symlinks=True)
        for n in ("manifest.jsonl", "stats.json"):
            os.remove(os.path.join(d, n))
        return d

    d = fresh("control")
    code, err = run([a.bin, "dataset", "merge", d])
    results.append(("control: pristine merges", "fine" if code == 0 and len(leftovers(d)) == 2 else f"wrong result ({code}: {err.strip()[:80]})"))
    for name, damage in shard_cases() + report_cases():
        d = fresh(name)
        damage(d)
        code, err = run([a.bin, "dataset", "merge", d])
        results.append((name, classify_refusal(code, err, d), err.strip().splitlines()[-1][:160] if err.strip() else ""))
    # Resume: a damaged shard's clip is built again, byte-identical.
    for name, damage in shard_cases():
        if "FIFO" in name or "symlink" in name or "directory" in name:
            continue  # the build would replace them too, but the comparison below reads files
        d = fresh(name)
        damage(d)
        code, err = run([a.bin, "dataset", "build", *CLIPS, "-o", d, *BUILD, "-q"])
        same = code == 0 and read(d, SHARD) == read(pristine, SHARD) and not [x for x in leftovers(d) if x.endswith(".tmp")]
        results.append(("resume after " + name, "fine" if same else ("hang" if code is None else "wrong result"), err.strip()[:160]))
    results += spectrum_cases(a.bin, CLIPS[0], work)
    results += kill_cases(a.bin, work, pristine, CLIPS, BUILD)
    counts = {}
    for r in results:
        counts[r[1]] = counts.get(r[1], 0) + 1
    lines = ["| outcome | cases |", "| --- | ---: |"] + [f"| {k} | {v} |" for k, v in sorted(counts.items())]
    bad = [r for r in results if r[1] not in ("clear error", "fine")]
    for r in bad:
        print(f"FAIL {r[0]}: {r[1]} {r[2] if len(r) > 2 else ''}")
    print("\n".join(lines))
    if a.table:
        with open(a.table, "w") as f:
            f.write("\n".join(lines) + "\n\n" + "\n".join(f"- {r[0]}: {r[1]}" for r in results) + "\n")
    if not a.work:
        shutil.rmtree(work, ignore_errors=True)
    print(f"damage corpus: {len(results) - len(bad)} passed, {len(bad)} failed")
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
