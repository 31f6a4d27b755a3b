"""Shared helpers of test_dataset.py and its format version 2 checks (FORMAT.md).

 (i) confidence through the loader: float32 [T−1, H, W] in [0, 1] = stored/255 on both sides,
     the trusted rules (c ≥ 0.5, mean over t ≥ 0.5) against integer arithmetic on the stored
     values; None for every sample of a version 1 shard (then SKIP with that note);
 (j) spectrum_motion.spectrum_to_motion of each stored spectrum against the stored trajectories:
     its error |F − F̂| equals that of truncating the stored trajectories with np.fft (bins
     K … T−K zeroed) within 1e-3 relative plus what the stored spectrum's deviation from
     fft(F) (≤ 1e-3·max |S|, check (c)) can move it; truncation_error agrees;
 (k) damaged confidence (wrong dtype, wrong shape, missing in a version 2 shard, present in a
     version 1 shard) and an unknown manifest line version give a DatasetError naming the file;
 (u) synthetic, no dataset: spectrum_to_motion = np.fft.ifft of signals with only K bins
     (≤ 1e-4 relative), its K ≤ T/2 check, denormalize ∘ normalize, truncation_error, and the
     confidence helpers (NumPy and torch).
"""
from __future__ import annotations

import json
import math
import os
import shutil
import struct
import sys
import tempfile
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))
PYDIR = os.path.join(HERE, "..", "..", "Samples", "python")
sys.path.insert(0, PYDIR)

import numpy as np  # noqa: E402
from safetensors import safe_open  # noqa: E402
from safetensors.numpy import load_file, save_file  # noqa: E402

import load_dataset as L  # noqa: E402
import spectrum_motion as M  # noqa: E402


class Skip(Exception):
    """A check that does not apply to this dataset (the message says why)."""


def fail(msg: str) -> None:
    raise AssertionError(msg)


def shards_of(ix: L.DatasetIndex):
    """(shard facts, its tensors as NumPy, manifest indices in it) for every shard, in order."""
    for rel, shard in ix.shards.items():
        idx = [s["index"] for s in ix.samples if s["shard"] == rel]
        yield shard, load_file(shard.path), idx


def png_info(path: str) -> tuple[int, int]:
    """(width, height) of a PNG after checking signature, chunk CRCs, IHDR/IDAT/IEND, data size."""
    data = open(path, "rb").read()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        fail(f"{path}: no PNG signature")
    pos, types, idat, ihdr = 8, [], b"", None
    while pos < len(data):
        if pos + 12 > len(data):
            fail(f"{path}: truncated chunk")
        length, ctype = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        (crc,) = struct.unpack(">I", data[pos + 8 + length:pos + 12 + length])
        if zlib.crc32(ctype + body) != crc:
            fail(f"{path}: bad CRC in {ctype!r}")
        types.append(ctype)
        ihdr = body if ctype == b"IHDR" else ihdr
        idat += body if ctype == b"IDAT" else b""
        pos += 12 + length
    if not types or types[0] != b"IHDR" or types[-1] != b"IEND" or b"IDAT" not in types:
        fail(f"{path}: chunks {types[:3]}…{types[-1:]} not IHDR … IDAT … IEND")
    w, h, depth, colour = struct.unpack(">IIBB", ihdr[:10])
    channels = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}.get(colour, 0)
    if len(zlib.decompress(idat)) != h * (1 + math.ceil(w * channels * depth / 8)):
        fail(f"{path}: image data size does not match {w}x{h}")
    return w, h


def _np(x):
    return None if x is None else np.asarray(x.numpy() if hasattr(x, "numpy") else x)


def check_i(ix: L.DatasetIndex) -> str:
    traj = ix.has_trajectories
    sides = [("numpy", L.NumpyDataset(ix.root, return_trajectories=traj, return_confidence=True))]
    if L.TORCH_AVAILABLE:
        sides.append(("torch", L.WarpflowDataset(ix.root, return_trajectories=traj, return_confidence=True)))
    t, h, w = ix.window, ix.height, ix.width
    i = v1 = 0
    frac, wfrac, out_n, out_pos = [], [], 0, 0
    for shard, tensors, idx in shards_of(ix):
        for j in idx:
            got = {}
            for name, ds in sides:
                item = ds[i]
                if len(item) != (4 if traj else 3):
                    fail(f"{name} sample {i}: {len(item)} items with return_confidence=True")
                got[name] = _np(item[-1])
            if not shard.has_confidence:
                if any(c is not None for c in got.values()):
                    fail(f"sample {i}: version {shard.version} shard {shard.rel} but confidence is not None")
                v1, i = v1 + 1, i + 1
                continue
            stored = tensors["confidence"][j]
            for name, c in got.items():
                if c is None or c.dtype != np.float32 or c.shape != (t - 1, h, w):
                    fail(f"{name} sample {i}: confidence {None if c is None else (c.dtype, c.shape)}, "
                         f"want float32 ({t - 1}, {h}, {w})")
                if c.min() < 0 or c.max() > 1 or not np.array_equal(np.round(c * 255).astype(np.uint8), stored):
                    fail(f"{name} sample {i}: confidence is not {shard.rel} confidence[{j}] / 255 in [0, 1]")
            if "torch" in got and not np.array_equal(got["numpy"], got["torch"]):
                fail(f"sample {i}: torch and NumPy confidence differ")
            c = got["numpy"]
            total = stored.astype(np.int64).sum(axis=0)  # the rule in integers: 2·Σq ≥ 255·(T−1)
            weight = L.spectrum_weight(c)
            if weight.dtype != np.float32 or weight.shape != (h, w) or np.abs(weight - c.mean(0)).max() > 1e-6:
                fail(f"sample {i}: spectrum_weight is {weight.dtype} {weight.shape}, not the mean over t")
            if not np.array_equal(L.trusted(c), stored >= 128):
                fail(f"sample {i}: trusted(conf) is not stored >= 128")
            if not np.array_equal(L.trusted(weight), 2 * total >= 255 * (t - 1)):
                fail(f"sample {i}: trusted(spectrum_weight) differs from mean_t c >= 0.5 in integers")
            frac.append(float((stored >= 128).mean()))
            wfrac.append(float(L.trusted(weight).mean()))
            if traj:  # report only: how often c > 0 where p + F_t(p) is > 1 px out of the picture
                tr = tensors["trajectories"][j].astype(np.float64)
                yy, xx = np.mgrid[0:h, 0:w]
                px, py = xx + tr[:, 0], yy + tr[:, 1]
                out = (px < -1) | (px > w) | (py < -1) | (py > h)
                out_n, out_pos = out_n + int(out.sum()), out_pos + int((stored[out] > 0).sum())
            i += 1
    if v1 == i:
        raise Skip(f"version {'/'.join(map(str, ix.versions))} shards have no confidence; "
                   f"return_confidence=True gives None for all {i} samples (checked)")
    note = (f"{i - v1} samples via {' and '.join(s for s, _ in sides)}: float32 ({t - 1}, {h}, {w}) "
            f"in [0, 1] = stored/255")
    if v1:
        note += f", None for the {v1} of version 1 shards"
    note += (f"; trusted (c ≥ 0.5) {np.mean(frac):.1%} of (pixel, t), trusted spectra {np.mean(wfrac):.1%} "
             f"of pixels (rules checked in integers)")
    if traj:
        note += f"; c > 0 at {out_pos} of {out_n} (p, t) with p + F_t > 1 px outside (not asserted)"
    return note


def fft_truncated(full: np.ndarray, k: int) -> np.ndarray:
    """F [T, …] low-passed with np.fft: bins K … T−K zeroed (independent of spectrum_motion)."""
    x = np.fft.fft(full, axis=0)
    x[k:full.shape[0] - k + 1] = 0
    return np.fft.ifft(x, axis=0).real


def _errors(d: np.ndarray) -> tuple[float, float]:
    e = np.hypot(d[:, 0], d[:, 1])
    return float(e.mean()), float(np.percentile(e, 95))


def check_j(ix: L.DatasetIndex) -> str:
    k, t = ix.k, ix.window
    if not ix.has_trajectories:
        raise Skip("the shards hold no trajectories (build with --trajectories)")
    if 2 * k > t:
        raise Skip(f"K = {k} > T/2 = {t / 2} (an older build): spectrum_to_motion refuses it")
    rows, worst, n = [], 0.0, 0
    for shard, tensors, idx in shards_of(ix):
        conf_all = tensors.get("confidence")
        for j in idx:
            tr = tensors["trajectories"][j].astype(np.float64)
            full = np.concatenate([np.zeros((1,) + tr.shape[1:]), tr])
            raw = tensors["spectra"][j]
            mine = M.spectrum_to_motion(raw, t).astype(np.float64)
            ref = fft_truncated(full, k)
            s = np.fft.fft(full, axis=0)[:k]
            want = np.stack([s[:, 0].real, s[:, 0].imag, s[:, 1].real, s[:, 1].imag], axis=1).reshape(raw.shape)
            dev = float(np.abs(raw.astype(np.float64) - want).max())
            if dev >= 1e-3 * np.abs(want).max():
                fail(f"sample {n}: stored spectrum off fft(F) by {dev:.3g} (≥ 1e-3·max |S|)")
            # |F̂_t − F̃_t| ≤ √2·(4K−3)·dev/T (each of 2K−1 complex bins moves by ≤ dev per part)
            slack = np.sqrt(2) * (4 * k - 3) * dev / t + 1e-6 * np.abs(full).max()
            gap = float(np.abs(mine - ref).max())
            e1, e2 = _errors(full - mine), _errors(full - ref)
            for what, a, b in (("mean", e1[0], e2[0]), ("p95", e1[1], e2[1])):
                if abs(a - b) > 1e-3 * b + slack:
                    fail(f"sample {n} ({shard.rel}[{j}]): {what} |F − F̂| = {a:.6g} px but np.fft truncation "
                         f"gives {b:.6g} px (allowed 1e-3 relative + {slack:.2g}; max |F̂ − F̃| {gap:.3g})")
            if gap > slack:
                fail(f"sample {n}: spectrum_to_motion differs from np.fft truncation by {gap:.3g} px > {slack:.3g}")
            te, f32 = M.truncation_error(tr, raw, t), 1e-6 * max(np.abs(full).max(), 1.0)  # F̂ in float32
            if abs(te.mean - e1[0]) > f32 or abs(te.p95 - e1[1]) > f32:
                fail(f"sample {n}: truncation_error {te} but the direct figures are {e1}")
            if conf_all is not None:
                m = L.trusted(conf_all[j])
                e = np.hypot(*(full - mine)[1:].transpose(1, 0, 2, 3))[m]
                tm = M.truncation_error(tr, raw, t, mask=m)
                if e.size and abs(tm.mean - e.mean()) > f32:
                    fail(f"sample {n}: truncation_error(mask=trusted) {tm.mean} vs {e.mean()}")
            rows.append(e1 + e2)
            worst = max(worst, gap / max(slack, 1e-30))
            n += 1
    r = np.array(rows)
    return (f"{n} samples, K = {k} of T = {t}: |F − spectrum_to_motion(S)| mean {r[:, 0].mean():.4f} px, "
            f"p95 {r[:, 1].mean():.4f} px (worst sample {r[:, 0].max():.4f} / {r[:, 1].max():.4f}); np.fft "
            f"truncation {r[:, 2].mean():.4f} / {r[:, 3].mean():.4f} px; max |F̂ − F̃| ≤ {worst:.2f} of its bound")


def check_k(ix: L.DatasetIndex) -> str:
    tmp = tempfile.mkdtemp(prefix="warpflow-badconf-")
    seen = []
    try:
        first = ix.samples[0]
        shard = ix.shards[first["shard"]]
        src = load_file(shard.path)
        with safe_open(shard.path, framework="np") as fh:
            meta = dict(fh.metadata())
        n, t, h, w = shard.samples, ix.window, ix.height, ix.width
        good = src.get("confidence", np.full((n, t - 1, h, w), 200, dtype=np.uint8))
        path = os.path.join(tmp, first["shard"])
        os.makedirs(os.path.dirname(path), exist_ok=True)
        json.dump(dict(ix.stats, version=2), open(os.path.join(tmp, "stats.json"), "w"))

        def write(conf, version="2", line=first) -> None:
            tensors = {k: v for k, v in src.items() if k != "confidence"}
            if conf is not None:
                tensors["confidence"] = conf
            save_file(tensors, path, metadata=dict(meta, version=version))
            with open(os.path.join(tmp, "manifest.jsonl"), "w") as fh:
                fh.write(json.dumps(line) + "\n")

        def expect(name: str, needle: str, also: str = "") -> None:
            try:
                L.DatasetIndex(tmp)
            except L.DatasetError as e:
                if needle not in str(e) or also not in str(e) or "\n" in str(e):
                    fail(f"{name}: error {str(e)!r} does not name {needle!r} ({also!r}) on one line")
                seen.append(name)
                return
            fail(f"{name}: no error")
        write(good)
        if not L.DatasetIndex(tmp).has_confidence:
            fail("a version 2 copy with a good confidence tensor does not load with confidence")
        base = os.path.basename(first["shard"])
        write(good.astype(np.float32))
        expect("confidence F32", base, "confidence")
        write(good[:, :-1] if t > 2 else good[:, :, :-1])
        expect("confidence shape", base, "confidence")
        write(None)
        expect("version 2 without confidence", base, "confidence")
        write(good, version="1")
        expect("version 1 with confidence", base, "confidence")
        write(good, line=dict(first, version=99))
        expect("manifest line version 99", "manifest.jsonl", "line 1")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return "one-line errors naming the file for: " + ", ".join(seen)


def _k_bin_signal(rng, t: int, k: int, lead=(2, 3), hw=(5, 7)) -> np.ndarray:
    """A real signal [*lead, T, 2, H, W] whose DFT has only bins 0 … K−1 (and their mirrors)."""
    x = np.zeros(lead + (t, 2) + hw, dtype=np.complex128)
    x[..., :k, :, :, :] = rng.normal(size=lead + (k, 2) + hw) + 1j * rng.normal(size=lead + (k, 2) + hw)
    x[..., 0, :, :, :] = x[..., 0, :, :, :].real
    for b in range(1, k):
        x[..., t - b, :, :, :] = np.conj(x[..., b, :, :, :])
    f = np.fft.ifft(x, axis=-4)
    if np.abs(f.imag).max() > 1e-12:
        fail("the synthetic spectrum is not Hermitian")
    return f.real


def _channels(f: np.ndarray, k: int) -> np.ndarray:
    """Stored layout [..., 4K, H, W] of the first K bins of np.fft.fft(f) along its T axis."""
    s = np.fft.fft(f, axis=-4)[..., :k, :, :, :]
    c = np.stack([s[..., 0, :, :].real, s[..., 0, :, :].imag, s[..., 1, :, :].real, s[..., 1, :, :].imag], axis=-3)
    return c.reshape(f.shape[:-4] + (4 * k,) + f.shape[-2:])


def check_u() -> str:
    rng = np.random.default_rng(7)
    worst, cases = 0.0, []
    for t, k in ((30, 15), (31, 15), (150, 16), (8, 4), (9, 1), (2, 1)):
        f = _k_bin_signal(rng, t, k)
        got = M.spectrum_to_motion(_channels(f, k), t)
        if got.dtype != np.float32 or got.shape != f.shape:
            fail(f"T={t} K={k}: {got.dtype} {got.shape}, want float32 {f.shape}")
        rel = float(np.abs(got - f).max() / np.abs(f).max())
        worst = max(worst, rel)
        if rel > 1e-4:
            fail(f"T={t} K={k}: spectrum_to_motion off np.fft.ifft by {rel:.3g} relative (> 1e-4)")
        cases.append(f"{t}/{k}")
    f = rng.normal(size=(30, 2, 4, 6))  # all bins: k=K' and truncation_error against np.fft
    raw = _channels(f, 15)
    part = M.spectrum_to_motion(raw, 30, k=6)
    if np.abs(part - fft_truncated(f, 6)).max() > 1e-4 * np.abs(f).max():
        fail("spectrum_to_motion(k=6) is not np.fft truncation to 6 bins")
    f0 = f - f[0]  # F_0 = 0
    te, direct = M.truncation_error(f0[1:], _channels(f0, 15), 30), _errors(f0 - fft_truncated(f0, 15))
    if abs(te.mean - direct[0]) > 1e-6 * direct[0] or abs(te.p95 - direct[1]) > 1e-6 * direct[1]:
        fail(f"truncation_error {te} vs np.fft {direct}")
    for bad in ((np.zeros((64, 2, 2)), 30, None), (np.zeros((6, 2, 2)), 30, None), (raw, 29, None), (raw, 30, 16)):
        try:
            M.spectrum_to_motion(*bad)
        except ValueError:
            continue
        fail(f"spectrum_to_motion accepted shape {bad[0].shape}, T={bad[1]}, k={bad[2]}")
    scales = np.array([3.0, 0.0, 0.5])
    v = rng.normal(scale=4, size=(12, 3, 5))
    v[4:8] = 0  # s_1 = 0 comes with a frequency that is 0 everywhere
    back = M.denormalize(L.normalize_numpy(v, scales), scales)
    if back.dtype != np.float32 or np.abs(back - v).max() > 1e-5 * np.abs(v).max():
        fail("denormalize(normalize_numpy(v)) is not v")
    # [T−1 = 2, 1, 6]: the first four pixels have a mean of exactly 0.5 (trusted), the last two just below.
    q = np.array([[[0, 127, 128, 255, 127, 126]], [[255, 128, 127, 0, 127, 128]]], dtype=np.uint8)
    c = L.confidence_from_stored(q)
    wts = L.spectrum_weight(c)
    want_w = q.astype(np.float64).mean(0) / 255
    if (np.abs(wts - want_w).max() > 1e-7 or not np.array_equal(L.trusted(wts), [[True] * 4 + [False] * 2])
            or not np.array_equal(L.trusted(L.spectrum_weight(q)), L.trusted(wts))):
        fail(f"spectrum_weight/trusted on {q.tolist()}: {wts.tolist()} {L.trusted(wts).tolist()}")
    if not np.array_equal(L.trusted(c), q >= 128) or not np.array_equal(L.trusted(q), q >= 128):
        fail("trusted(conf) is not stored >= 128")
    note = ""
    if L.TORCH_AVAILABLE:
        import torch
        tc = torch.from_numpy(c)
        if not (np.array_equal(L.spectrum_weight(tc).numpy(), wts) and np.array_equal(L.trusted(tc).numpy(), q >= 128)
                and np.array_equal(L.trusted(torch.from_numpy(q)).numpy(), q >= 128)):
            fail("the confidence helpers differ on torch tensors")
        note = ", torch too"
    return (f"spectrum_to_motion vs np.fft.ifft of K-bin signals (T/K {', '.join(cases)}, batched): worst "
            f"{worst:.1e} relative (limit 1e-4); k=K', K > T/2 and bad shapes refused; denormalize inverts "
            f"normalize_numpy; truncation_error = np.fft figures; weight/trusted rules on the 0.5 edge{note}")
