#!/usr/bin/env python3
"""Check a warpflow dataset directory against Samples/python/FORMAT.md and the Python tools.

    python Tests/Python/test_dataset.py DATASET_DIR [--require-trajectories] [--require-confidence]
    python Tests/Python/test_dataset.py --fake [--keep]   # fake datasets (make_fake_dataset.py)
    python Tests/Python/test_dataset.py --unit            # only (u): synthetic, no dataset

--fake writes four small datasets into a temporary directory (removed unless --keep): version 1
float32, version 2 float16 with a skipped clip, version 2 float32 without trajectories (odd T),
and a version 2 float32 one at the default K = T/2, and runs every check on each.
One line per check (PASS / FAIL / SKIP with its figures), then "test_dataset: N passed,
N failed, N skipped". Exit 0 only if no check failed. Checks:
 (a) loader shapes and dtypes for every sample (torch and NumPy sides), frames uint8 RGB equal
     to the shard's, the frequencies= and float_frames= options;
 (b) normalised spectra = sign(v)·sqrt(|v|/s_k) of the raw shard values with stats.json's scales;
 (c) raw spectra = np.fft.fft of the stored trajectories with F_0 = 0 prepended, first K bins,
     channel order Re x, Im x, Re y, Im y (max |diff| < 1e-3 · max |S| per sample);
 (d) stats.json: histogram totals, scales = the FORMAT.md percentile of its histogram, and
     np.percentile of all raw |v| within the bin error 2^(1/b) − 1; clip histograms add up;
 (e) a torch DataLoader with num_workers=2 iterates the whole set, batches equal the samples;
 (f) view_sample.py writes a valid PNG (stored and rebuilt trajectories), the inverse DFT it
     uses matches the stored trajectories when K ≥ T/2 + 1;
 (g) manifest.jsonl = the ok clips' reports' samples in clip order; stats counts agree;
 (h) the loader's errors name the file (missing manifest/stats/shard, unknown version);
 (i), (j), (k), (u): format version 2 (confidence, spectrum_motion), described in dataset_checks.py.
"""
from __future__ import annotations

import glob
import json
import math
import os
import shutil
import subprocess
import sys
import tempfile
import time
from fractions import Fraction

HERE = os.path.dirname(os.path.abspath(__file__))
PYDIR = os.path.join(HERE, "..", "..", "Samples", "python")
sys.path.insert(0, PYDIR)

import numpy as np  # noqa: E402
from safetensors.numpy import load_file, save_file  # noqa: E402

import load_dataset as L  # noqa: E402
import view_sample as V  # noqa: E402
from dataset_checks import (Skip, check_i, check_j, check_k, check_u, fail, png_info,  # noqa: E402
                            shards_of)


def check_a(ix: L.DatasetIndex) -> str:
    k, t, h, w, n = ix.k, ix.window, ix.height, ix.width, len(ix.samples)
    if n == 0:
        fail("manifest.jsonl lists no sample")
    traj = ix.has_trajectories
    sides = [("numpy", L.NumpyDataset(ix.root, return_trajectories=traj))]
    if L.TORCH_AVAILABLE:
        sides.append(("torch", L.WarpflowDataset(ix.root, return_trajectories=traj)))
    kk = max(1, k // 2)
    part = L.NumpyDataset(ix.root, frequencies=kk, float_frames=True)
    i = grey = 0
    for shard, tensors, idx in shards_of(ix):
        for j in idx:
            outs = {}
            for name, ds in sides:
                item = [np.asarray(x.numpy() if hasattr(x, "numpy") else x) for x in ds[i]]
                if len(item) != (3 if traj else 2):
                    fail(f"{name} sample {i}: {len(item)} items")
                fr, sp = item[0], item[1]
                if fr.dtype != np.uint8 or fr.shape != (3, h, w):
                    fail(f"{name} sample {i}: frame {fr.dtype} {fr.shape}, want uint8 (3, {h}, {w})")
                if not np.array_equal(fr, np.transpose(tensors["frames"][j], (2, 0, 1))):
                    fail(f"{name} sample {i}: frame differs from {shard.rel} frames[{j}] as RGB planes")
                if sp.dtype != np.float32 or sp.shape != (4 * k, h, w) or not np.isfinite(sp).all():
                    fail(f"{name} sample {i}: spectrum {sp.dtype} {sp.shape}, want finite float32 ({4*k}, {h}, {w})")
                if traj and (item[2].dtype != np.float32 or item[2].shape != (t - 1, 2, h, w)):
                    fail(f"{name} sample {i}: trajectories {item[2].dtype} {item[2].shape}")
                outs[name] = item
            if "torch" in outs and not all(np.array_equal(a, b) for a, b in zip(outs["numpy"], outs["torch"])):
                fail(f"sample {i}: torch and NumPy sides differ")
            fr = outs["numpy"][0]
            grey += int(np.array_equal(fr[0], fr[1]) and np.array_equal(fr[1], fr[2]))
            fr01, sp_part = part[i]
            if sp_part.shape != (4 * kk, h, w) or not np.array_equal(sp_part, outs["numpy"][1][:4 * kk]):
                fail(f"sample {i}: frequencies={kk} is not the first {4*kk} channels")
            if fr01.dtype != np.float32 or np.abs(fr01 * 255 - outs["numpy"][0]).max() > 1e-3:
                fail(f"sample {i}: float_frames=True is not frame/255")
            i += 1
    if i != n:
        fail(f"{i} samples read, manifest lists {n}")
    return (f"{n} samples via {' and '.join(s for s, _ in sides)}: frame uint8 (3, {h}, {w}) = shard's RGB "
            f"({n - grey} in colour), spectrum float32 ({4*k}, {h}, {w})"
            + (f", trajectories ({t-1}, 2, {h}, {w})" if traj else "") + f"; frequencies={kk}, float_frames ok")


def check_b(ix: L.DatasetIndex) -> str:
    worst, n, big = 0.0, 0, 0.0
    ds = L.NumpyDataset(ix.root)
    raw_ds = L.NumpyDataset(ix.root, normalized=False)
    tds = L.WarpflowDataset(ix.root) if L.TORCH_AVAILABLE else None
    for shard, tensors, idx in shards_of(ix):
        for j in idx:
            v = tensors["spectra"][j].astype(np.float64)
            s = np.repeat(ix.scales, 4)[:, None, None]
            want = np.where(s > 0, np.sign(v) * np.sqrt(np.abs(v) / np.where(s > 0, s, 1)), 0.0)
            outs = [ds[n][1]] + ([tds[n][1].numpy()] if tds is not None else [])
            for got in outs:
                d = np.abs(got.astype(np.float64) - want)
                worst = max(worst, float(d.max()))
                if (d > 1e-6 * np.maximum(1.0, np.abs(want))).any():
                    fail(f"sample {n}: normalised value off by {d.max():.3g} from the formula")
            if not np.array_equal(raw_ds[n][1], tensors["spectra"][j].astype(np.float32)):
                fail(f"sample {n}: normalized=False is not the shard's raw spectrum")
            big = max(big, float(np.abs(want).max()))
            n += 1
    return (f"{n} samples{' (NumPy and torch)' if tds is not None else ''}: max |diff| {worst:.2e} "
            f"(limit 1e-6, relative above 1), max |normalised| {big:.3g}; normalized=False = raw")


def check_c(ix: L.DatasetIndex) -> str:
    if not ix.has_trajectories:
        raise Skip("the shards hold no trajectories (build with --trajectories)")
    worst, n, k = 0.0, 0, ix.k
    for shard, tensors, idx in shards_of(ix):
        for j in idx:
            tr = tensors["trajectories"][j].astype(np.float64)  # [T-1, 2, H, W]
            f = np.concatenate([np.zeros((1,) + tr.shape[1:]), tr])
            s = np.fft.fft(f, axis=0)[:k]
            want = np.stack([s[:, 0].real, s[:, 0].imag, s[:, 1].real, s[:, 1].imag], axis=1)
            want = want.reshape((4 * k,) + tr.shape[2:])
            got = tensors["spectra"][j].astype(np.float64)
            rel = float(np.abs(got - want).max() / max(np.abs(want).max(), 1e-30))
            worst = max(worst, rel)
            if rel >= 1e-3:
                fail(f"sample {n} ({shard.rel}[{j}]): max |S − fft(F)| = {rel:.3g} · max |S| (limit 1e-3)")
            n += 1
    return f"{n} samples: worst max |S − fft(F)| / max |S| = {worst:.2e} (limit 1e-3)"


def hist_percentile(pairs, p, lo_e, hi_e, b, variant="q"):
    """FORMAT.md percentile of [[bin, count], …]; variant picks the fraction inside the bin
    ("q": (r − before)/c, "mid": (r − before − ½)/c, "low": (r − before − 1)/c)."""
    if not pairs:
        return 0.0
    a = np.array(sorted(pairs), dtype=np.int64).reshape(-1, 2)
    cum = np.cumsum(a[:, 1])
    n = int(cum[-1])
    r = min(max(math.ceil(Fraction(str(p)) * n / 100), 1), n)
    i = int(np.searchsorted(cum, r))
    before, c, bin_ = int(cum[i] - a[i, 1]), int(a[i, 1]), int(a[i, 0])
    q = (r - before - {"q": 0.0, "mid": 0.5, "low": 1.0}[variant]) / c
    if bin_ == 0:
        return q * 2.0 ** lo_e
    if bin_ > (hi_e - lo_e) * b:
        return 2.0 ** hi_e
    return 2.0 ** (lo_e + (bin_ - 1 + q) / b)


def check_d(ix: L.DatasetIndex) -> str:
    st, k = ix.stats, ix.k
    hist = st.get("histogram") or fail("stats.json has no 'histogram'")
    lo_e, hi_e, b = hist.get("min_exponent"), hist.get("max_exponent"), hist.get("bins_per_octave")
    if not all(isinstance(x, int) for x in (lo_e, hi_e, b)) or hi_e <= lo_e or b < 1:
        fail(f"stats.json histogram exponents/bins {lo_e}, {hi_e}, {b} are not valid")
    counts, p = hist.get("counts"), st.get("percentile")
    if not isinstance(counts, list) or len(counts) != k:
        fail(f"stats.json histogram 'counts' is not a list of {k}")
    if not isinstance(p, (int, float)) or not 0 < p <= 100:
        fail(f"stats.json percentile {p!r} not in (0, 100]")
    per_k = 4 * ix.width * ix.height * len(ix.samples)
    worst_h = 0.0
    for f in range(k):
        bins = [c[0] for c in counts[f]]
        if any(not isinstance(c[0], int) or not 0 <= c[0] <= (hi_e - lo_e) * b + 1 or
               not isinstance(c[1], int) or c[1] <= 0 for c in counts[f]) or len(set(bins)) != len(bins):
            fail(f"stats.json histogram k={f}: bins must be distinct in range with counts > 0")
        total = sum(c[1] for c in counts[f])
        if total != per_k:
            fail(f"stats.json histogram k={f} counts {total} values, the manifest's samples have {per_k}")
        want = hist_percentile(counts[f], p, lo_e, hi_e, b)
        got = float(ix.scales[f])
        rel = abs(got - want) / max(want, 1e-300) if want else abs(got)
        worst_h = max(worst_h, rel)
        if rel > 1e-6:  # scales may be stored as float32 (the Swift side's Float)
            other = [v for v in ("mid", "low") if abs(hist_percentile(counts[f], p, lo_e, hi_e, b, v) - got) <= 1e-6 * max(got, 1e-300)]
            fail(f"s_{f} = {got!r} but the histogram's P{p} is {want!r} (rel {rel:.2e})"
                 + (f"; it matches the in-bin fraction variant {other[0]!r}" if other else ""))
    # Directly from the raw values (np.percentile, inverted CDF = rank ceil(P/100·n)).
    values = [[] for _ in range(k)]
    f16 = False
    for shard, tensors, idx in shards_of(ix):
        f16 |= tensors["spectra"].dtype == np.float16
        for j in idx:
            sp = np.abs(tensors["spectra"][j].astype(np.float64))
            for f in range(k):
                values[f].append(sp[4 * f:4 * f + 4].ravel())
    bound = 2.0 ** (1.0 / b) - 1 + (2.0 ** -10 if f16 else 1e-7)
    worst_d, recount = 0.0, 0
    for f in range(k):
        v = np.concatenate(values[f])
        direct = float(np.percentile(v, p, method="inverted_cdf"))
        got = float(ix.scales[f])
        small = 2.0 ** lo_e
        err = abs(got - direct) / direct if direct >= small else abs(got - direct) / small
        worst_d = max(worst_d, err)
        if err >= bound:
            fail(f"s_{f} = {got:.6g} but np.percentile of the {v.size} raw |v| is {direct:.6g} "
                 f"(rel {err:.3g} ≥ bin error {bound:.3g})")
        edges = np.exp2(lo_e + np.arange((hi_e - lo_e) * b + 1) / b)
        mine = np.where(v < small, 0, np.searchsorted(edges, v, side="right"))
        uniq, cnt = np.unique(mine, return_counts=True)
        theirs = dict((int(x), int(y)) for x, y in counts[f])
        recount += sum(abs(theirs.get(int(u), 0) - int(c)) for u, c in zip(uniq, cnt)) // 2
    # Clip reports' histograms add up to stats.json's.
    summed = [dict() for _ in range(k)]
    for path in sorted(glob.glob(os.path.join(ix.root, "clips", "clip-*.json"))):
        rep = json.load(open(path))
        if rep.get("status") != "ok":
            continue
        for f, pairs in enumerate(rep.get("histogram", {}).get("counts", [])):
            for bin_, c in pairs:
                summed[f][bin_] = summed[f].get(bin_, 0) + c
    if any(summed[f] != dict(map(tuple, counts[f])) for f in range(k)):
        fail("the ok clips' histograms do not add up to stats.json's")
    return (f"K={k}, P{p}: {per_k} values per k; scales = histogram percentile (worst rel {worst_h:.1e}, limit 1e-6); "
            f"vs np.percentile of raw |v|: worst rel {worst_d:.2e} < {bound:.4f}; clip histograms add up; "
            f"{recount} of {per_k * k} values in another bin when re-binned from the shards")


def check_e(ix: L.DatasetIndex) -> str:
    if not L.TORCH_AVAILABLE:
        raise Skip("torch not available: " + torch_reason())
    import torch
    from torch.utils.data import DataLoader
    ds = L.WarpflowDataset(ix.root, return_trajectories=ix.has_trajectories,
                           return_confidence=ix.has_confidence)
    start = time.monotonic()
    loader = DataLoader(ds, batch_size=4, num_workers=2, shuffle=False)
    seen = 0
    for batch in loader:
        b = batch[0].shape[0]
        for x, y in zip(batch, [torch.stack(z) for z in zip(*(ds[seen + i] for i in range(b)))]):
            if x.dtype != y.dtype or x.shape != y.shape or not torch.equal(x, y):
                fail(f"batch at sample {seen}: differs from the samples read one by one")
        seen += b
    if seen != len(ds):
        fail(f"DataLoader gave {seen} samples of {len(ds)}")
    return (f"{seen} samples in {math.ceil(seen / 4)} batches of ≤ 4 with 2 workers in "
            f"{time.monotonic() - start:.2f} s; batches equal the samples"
            + (" (with confidence)" if ix.has_confidence else ""))


def check_f(ix: L.DatasetIndex) -> str:
    import matplotlib.image
    out, notes = tempfile.mkdtemp(prefix="warpflow-view-"), []
    try:
        for extra in ([], ["--reconstruct"]):
            png = os.path.join(out, f"view{len(extra)}.png")
            r = subprocess.run([sys.executable, os.path.join(PYDIR, "view_sample.py"), ix.root, "0",
                                "-o", png] + extra, capture_output=True, text=True, timeout=300)
            if r.returncode != 0 or not os.path.isfile(png):
                fail(f"view_sample.py {' '.join(extra)} exit {r.returncode}: {r.stderr.strip()[-300:]}")
            w, h = png_info(png)
            img = matplotlib.image.imread(png)
            if img.shape[:2] != (h, w) or float(img[..., :3].std()) < 0.01:
                fail(f"{png}: decodes to {img.shape} with no contrast")
            notes.append(f"{w}x{h}{' rebuilt' if extra else ''}")
    finally:
        shutil.rmtree(out, ignore_errors=True)
    if ix.has_trajectories:
        exact = ix.k >= ix.window // 2 + 1
        frame, raw, tr = L.load_sample(ix.root, 0, normalized=False, return_trajectories=True)
        rebuilt = V.reconstruct_trajectories(raw, ix.window)
        rel = float(np.abs(rebuilt[1:] - tr).max() / max(np.abs(tr).max(), 1e-30))
        if abs(rebuilt[0]).max() > 1e-3 * max(np.abs(tr).max(), 1e-30) and exact:
            fail(f"rebuilt F_0 is not 0 (max {abs(rebuilt[0]).max():.3g})")
        if exact and rel >= 1e-3:
            fail(f"inverse DFT of all {ix.k} ≥ T/2+1 bins misses the stored trajectories by {rel:.3g} · max |F|")
        notes.append(f"inverse DFT vs stored trajectories: {rel:.2e} · max |F| "
                     + ("(exact case, limit 1e-3)" if exact else f"(approximate, K={ix.k} < T/2+1)"))
    return "valid PNGs " + ", ".join(notes)


def check_g(ix: L.DatasetIndex) -> str:
    reports = []
    for path in sorted(glob.glob(os.path.join(ix.root, "clips", "clip-*.json"))):
        rep = json.load(open(path))
        if rep.get("format") != "warpflow-dataset-clip" or rep.get("version") not in L.SUPPORTED_VERSIONS:
            fail(f"{path}: format/version {rep.get('format')!r} {rep.get('version')!r}")
        reports.append(rep)
    reports.sort(key=lambda r: r["clip"])
    ok = [r for r in reports if r.get("status") == "ok"]
    lines = [s for r in ok for s in r.get("samples", [])]
    if lines != ix.samples:
        fail(f"manifest.jsonl ({len(ix.samples)} lines) is not the ok clips' samples in clip order ({len(lines)})")
    st = ix.stats
    clips = st.get("clips", {})
    if st.get("samples") != len(ix.samples) or clips.get("ok") != len(ok) or clips.get("total") != len(reports):
        fail(f"stats.json samples/clips {st.get('samples')}/{clips} vs {len(ix.samples)} samples, "
             f"{len(ok)} ok of {len(reports)} reports")
    kept = sum(r["windows"]["kept"] for r in ok)
    if st.get("windows", {}).get("kept") != kept or kept != len(ix.samples):
        fail(f"stats.json windows.kept {st.get('windows', {}).get('kept')} vs clips' {kept}")
    return f"{len(reports)} clip reports ({len(ok)} ok), manifest and stats.json counts agree"


def check_h(ix: L.DatasetIndex) -> str:
    tmp = tempfile.mkdtemp(prefix="warpflow-bad-")
    seen = []
    try:
        def expect(name: str, needle: str) -> None:
            try:
                L.DatasetIndex(tmp)
            except L.DatasetError as e:
                if needle not in str(e) or "\n" in str(e):
                    fail(f"{name}: error {str(e)!r} does not name {needle!r} on one line")
                seen.append(name)
                return
            fail(f"{name}: no error")
        expect("missing stats", "stats.json")
        shutil.copy(os.path.join(ix.root, "stats.json"), tmp)
        expect("missing manifest", "manifest.jsonl")
        first = ix.samples[0]
        with open(os.path.join(tmp, "manifest.jsonl"), "w") as fh:
            fh.write(json.dumps(first) + "\n")
        expect("missing shard", os.path.basename(first["shard"]))
        os.makedirs(os.path.dirname(os.path.join(tmp, first["shard"])), exist_ok=True)
        src = load_file(os.path.join(ix.root, first["shard"]))
        from safetensors import safe_open
        with safe_open(os.path.join(ix.root, first["shard"]), framework="np") as fh:
            meta = dict(fh.metadata())
        save_file(src, os.path.join(tmp, first["shard"]), metadata=dict(meta, version="99"))
        expect("shard version 99", os.path.basename(first["shard"]))
        stats = dict(ix.stats, version=3)
        json.dump(stats, open(os.path.join(tmp, "stats.json"), "w"))
        expect("stats version 3", "stats.json")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return "one-line errors naming the file for: " + ", ".join(seen)


def torch_reason() -> str:
    if os.environ.get("WARPFLOW_NO_TORCH") == "1":
        return "WARPFLOW_NO_TORCH=1"
    note = os.path.join(sys.prefix, ".torch-unavailable")
    if os.path.isfile(note):
        return open(note).read().strip().splitlines()[0]
    return "import torch failed"


CHECKS = [("(a) loader shapes", check_a), ("(b) normalisation", check_b),
          ("(c) spectrum = fft(trajectories)", check_c), ("(d) stats and scales", check_d),
          ("(e) DataLoader num_workers=2", check_e), ("(f) view_sample PNG", check_f),
          ("(g) clip reports", check_g), ("(h) loader errors", check_h), ("(i) confidence", check_i),
          ("(j) spectrum_to_motion vs trajectories", check_j), ("(k) confidence errors", check_k)]
# --fake: (name, make_fake_dataset.py options). K defaults to min(16, T/2) like the builder.
FAKES = [("v1-float32-k16", ["--version", "1", "--k", "16"]),  # an older build: K > T/2
         ("v2-float16", ["--dtype", "float16", "--skipped"]),
         ("v2-no-trajectories", ["--no-trajectories", "--window", "31", "--k", "12"]),
         ("v2-float32-k5", ["--window", "24", "--k", "5", "--per-shard", "3", "--seed", "5"])]
USAGE = ("usage: test_dataset.py DATASET_DIR [--require-trajectories] [--require-confidence]\n"
         "       test_dataset.py --fake [--keep]\n       test_dataset.py --unit")


def run_check(name: str, fn, tally: dict) -> None:
    try:
        verdict, text = "PASS", fn()
    except Skip as e:
        verdict, text = "SKIP", str(e)
    except Exception as e:  # any failure, assertion or crash, is this check's FAIL
        verdict, text = "FAIL", f"{type(e).__name__ + ': ' if not isinstance(e, AssertionError) else ''}{e}"
    tally[verdict] += 1
    print(f"{verdict} {name}: {text}", flush=True)


def check_dir(root: str, flags: set, tally: dict) -> None:
    try:
        ix = L.DatasetIndex(root)
    except L.DatasetError as e:
        print(f"FAIL load: {e}")
        tally["FAIL"] += 1
        return
    for flag, ok, what in (("--require-trajectories", ix.has_trajectories, "trajectories"),
                           ("--require-confidence", ix.has_confidence, "confidence (version 2)")):
        if flag in flags and not ok:
            print(f"FAIL load: {ix.root}: shards have no {what} but {flag} was given")
            tally["FAIL"] += 1
            return
    for name, fn in CHECKS:
        run_check(name, lambda: fn(ix), tally)


def main(argv: list[str]) -> int:
    flags = {a for a in argv if a.startswith("-")}
    args = [a for a in argv if not a.startswith("-")]
    if flags & {"-h", "--help"}:
        print(__doc__.strip() + "\n\n" + USAGE)
        return 0
    dataless = flags & {"--fake", "--unit"}
    if (flags - {"--require-trajectories", "--require-confidence", "--fake", "--keep", "--unit"}
            or len(dataless) > 1 or len(args) != (0 if dataless else 1)):
        print(USAGE, file=sys.stderr)
        return 2
    print("torch: " + (f"{L.torch.__version__}" if L.TORCH_AVAILABLE
                       else f"unavailable ({torch_reason()}); using safetensors.numpy"))
    tally = {"PASS": 0, "FAIL": 0, "SKIP": 0}
    run_check("(u) spectrum_motion and confidence helpers (synthetic)", check_u, tally)
    if "--fake" in flags:
        tmp = tempfile.mkdtemp(prefix="warpflow-fake-")
        try:
            for name, extra in FAKES:
                out = os.path.join(tmp, name)
                r = subprocess.run([sys.executable, os.path.join(HERE, "make_fake_dataset.py"), out] + extra,
                                   capture_output=True, text=True, timeout=600)
                print(f"== {name}: {(r.stdout or r.stderr).strip()}", flush=True)
                if r.returncode != 0:
                    print(f"FAIL make_fake_dataset.py {' '.join(extra)}: exit {r.returncode}")
                    tally["FAIL"] += 1
                    continue
                check_dir(out, flags, tally)
        finally:
            if "--keep" in flags:
                print(f"fake datasets kept in {tmp}")
            else:
                shutil.rmtree(tmp, ignore_errors=True)
    elif args:
        check_dir(args[0], flags, tally)
    print(f"test_dataset: {tally['PASS']} passed, {tally['FAIL']} failed, {tally['SKIP']} skipped")
    return 1 if tally["FAIL"] else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
