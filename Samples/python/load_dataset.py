#!/usr/bin/env python3
"""Read a warpflow motion-spectrum dataset (FORMAT.md beside this file, versions 1 and 2).

    from load_dataset import WarpflowDataset, load_sample
    ds = WarpflowDataset("data/")              # torch.utils.data.Dataset
    frame, spectrum = ds[0]                    # uint8 [3, H, W], float32 [4K, H, W] normalised
    frame, spectrum = load_sample("data/", 0)  # the same as NumPy arrays, without torch
    frame, spectrum, conf = load_sample("data/", 0, return_confidence=True)
    w = spectrum_weight(conf)                  # float32 [H, W], per-pixel weight of the spectrum
    ok = trusted(w)                            # bool [H, W]: w >= 0.5 (trusted(conf): per t)

    python load_dataset.py DIR                 # prints a summary of the dataset

Confidence (version 2 shards): c(p, t) in [0, 1], float32 [T−1, H, W] (t = 1 … T−1, low where
F_t(p) is a regularised guess); trusted when c >= 0.5, a pixel's spectrum when the mean over t
is (helpers from dataset_confidence.py). Version 1 shards have none: their samples give None
(`DatasetIndex.has_confidence` says if every shard has it; a DataLoader cannot batch None).

Units: frames are RGB 0..255 (or 0..1 with float_frames=True); raw spectra and trajectories are
in working-resolution pixels; normalised spectra are sign(v)*sqrt(|v|/s_k), dimensionless,
with s_k the P-th percentile of |S_k| from stats.json (0 where s_k = 0). Shards are opened
lazily with safetensors and read one sample at a time (get_slice), never whole; open handles
are cached per process (so per DataLoader worker).

torch is optional: the module imports without it (or with WARPFLOW_NO_TORCH=1 in the
environment), and then only the NumPy side (NumpyDataset, load_sample) is available.
"""
from __future__ import annotations

import json
import math
import os
import sys
from collections import OrderedDict
from typing import Any

import numpy as np
from safetensors import safe_open

from dataset_confidence import (TRUST_THRESHOLD, confidence_from_stored,  # beside this file
                                confidence_header_problem, spectrum_weight, trusted)

if os.environ.get("WARPFLOW_NO_TORCH") == "1":
    torch = None
else:
    try:
        import torch
    except ImportError:  # the NumPy side works without torch
        torch = None

__all__ = ["DatasetError", "DatasetIndex", "NumpyDataset", "WarpflowDataset", "load_sample",
           "normalize_numpy", "TORCH_AVAILABLE", "SUPPORTED_VERSIONS", "spectrum_weight", "trusted",
           "TRUST_THRESHOLD", "confidence_from_stored"]

#: Dataset format versions this loader reads (2 adds the `confidence` tensor).
SUPPORTED_VERSIONS = (1, 2)
#: True when torch was imported, so WarpflowDataset can be used.
TORCH_AVAILABLE = torch is not None
_MAX_OPEN_SHARDS = 64


class DatasetError(ValueError):
    """A dataset that cannot be read as FORMAT.md says; the message names the file."""


def _fail(path: str, problem: str) -> DatasetError:
    return DatasetError(f"{path}: {problem}")


def _read_json(path: str, what: str) -> Any:
    if not os.path.isfile(path):
        raise _fail(path, f"missing ({what}; a sharded build needs `warpflow dataset merge DIR`)")
    try:
        with open(path, encoding="utf-8") as fh:
            return json.load(fh)
    except (OSError, ValueError) as e:
        raise _fail(path, f"cannot be read as JSON ({e})") from None


def _check_version(path: str, fmt: Any, version: Any, want: str) -> None:
    if fmt != want:
        raise _fail(path, f"format is {fmt!r}, expected {want!r}")
    if str(version) not in {str(v) for v in SUPPORTED_VERSIONS}:
        raise _fail(path, f"version {version!r} is not one this loader reads "
                          f"({', '.join(map(str, SUPPORTED_VERSIONS))})")


class _Shard:
    """Header facts of one shard file: version, sample count, sizes, which tensors, dtypes."""

    def __init__(self, root: str, rel: str):
        self.rel = rel
        self.path = os.path.join(root, rel)
        if not os.path.isfile(self.path):
            raise _fail(self.path, "listed in manifest.jsonl but missing")
        try:
            with safe_open(self.path, framework="np") as f:
                meta = f.metadata() or {}
                keys = set(f.keys())
                shapes = {n: list(f.get_slice(n).get_shape()) for n in keys}
                self.dtypes = {n: f.get_slice(n).get_dtype() for n in keys}
        except Exception as e:  # safetensors raises its own error types
            raise _fail(self.path, f"not a readable safetensors file ({e})") from None
        _check_version(self.path, meta.get("format"), meta.get("version"), "warpflow-dataset")
        self.version = int(str(meta.get("version")))
        for n in ("frames", "spectra"):
            if n not in keys:
                raise _fail(self.path, f"has no '{n}' tensor")
        try:
            self.window, self.k = int(meta["window"]), int(meta["k"])
        except (KeyError, ValueError):
            raise _fail(self.path, "metadata 'window' or 'k' missing or not an integer") from None
        fr, sp = shapes["frames"], shapes["spectra"]
        if len(fr) != 4 or fr[3] != 3 or self.dtypes["frames"] != "U8":
            raise _fail(self.path, f"'frames' is {self.dtypes['frames']} {fr}, expected U8 [N, H, W, 3]")
        self.samples, self.height, self.width = fr[0], fr[1], fr[2]
        if sp != [self.samples, 4 * self.k, self.height, self.width]:
            raise _fail(self.path, f"'spectra' has shape {sp}, expected "
                                   f"{[self.samples, 4 * self.k, self.height, self.width]}")
        if self.dtypes["spectra"] not in ("F16", "F32"):
            raise _fail(self.path, f"'spectra' is {self.dtypes['spectra']}, expected F16 or F32")
        self.has_trajectories = "trajectories" in keys
        if self.has_trajectories:
            want = [self.samples, self.window - 1, 2, self.height, self.width]
            if shapes["trajectories"] != want or self.dtypes["trajectories"] not in ("F16", "F32"):
                raise _fail(self.path, f"'trajectories' is {self.dtypes['trajectories']} "
                                       f"{shapes['trajectories']}, expected F16/F32 {want}")
        self.has_confidence = "confidence" in keys
        problem = confidence_header_problem(self.version, shapes.get("confidence"), self.dtypes.get(
            "confidence"), [self.samples, self.window - 1, self.height, self.width])
        if problem:
            raise _fail(self.path, problem)


class DatasetIndex:
    """The validated contents of a dataset directory, without reading any sample.

    Attributes: `root`, `samples` (manifest lines, dicts), `stats` (stats.json), `k` (K),
    `window` (T, frames), `width`/`height` (pixels), `scales` (float64 [K], pixels),
    `percentile`, `shards` ({relative path: header facts}), `has_trajectories` and
    `has_confidence` (every shard has the tensor), `versions` (the shards' format versions).
    """

    def __init__(self, root: str):
        self.root = os.path.abspath(root)
        if not os.path.isdir(self.root):
            raise _fail(self.root, "not a directory")
        stats_path = os.path.join(self.root, "stats.json")
        self.stats = _read_json(stats_path, "normalisation scales")
        if not isinstance(self.stats, dict):
            raise _fail(stats_path, "is not a JSON object")
        _check_version(stats_path, self.stats.get("format"), self.stats.get("version"),
                       "warpflow-dataset-stats")
        k, scales = self.stats.get("k"), self.stats.get("scales")
        if not isinstance(k, int) or k < 1:
            raise _fail(stats_path, f"'k' is {k!r}, expected a positive integer")
        if (not isinstance(scales, list) or len(scales) != k
                or not all(isinstance(s, (int, float)) and math.isfinite(s) and s >= 0 for s in scales)):
            raise _fail(stats_path, f"'scales' must be {k} finite numbers >= 0")
        self.k, self.scales = k, np.asarray(scales, dtype=np.float64)
        self.percentile = self.stats.get("percentile")
        self.samples = self._read_manifest(os.path.join(self.root, "manifest.jsonl"))
        self.shards: dict[str, _Shard] = {}
        for n, line in enumerate(self.samples, 1):
            shard = self.shards.get(line["shard"])
            if shard is None:
                shard = self.shards[line["shard"]] = _Shard(self.root, line["shard"])
            if line["index"] >= shard.samples:
                raise _fail(os.path.join(self.root, "manifest.jsonl"),
                            f"line {n}: index {line['index']} but {shard.rel} holds {shard.samples} samples")
        first = next(iter(self.shards.values()), None)
        self.window = first.window if first else 0
        self.width = first.width if first else 0
        self.height = first.height if first else 0
        for s in self.shards.values():
            if s.k != k:
                raise _fail(s.path, f"K = {s.k} but stats.json says {k}")
            if (s.window, s.width, s.height) != (self.window, self.width, self.height):
                raise _fail(s.path, f"T={s.window} {s.width}x{s.height} differs from "
                                    f"{first.rel}'s T={self.window} {self.width}x{self.height}")
        self.has_trajectories = bool(self.shards) and all(s.has_trajectories for s in self.shards.values())
        self.has_confidence = bool(self.shards) and all(s.has_confidence for s in self.shards.values())
        self.versions = sorted({s.version for s in self.shards.values()})

    @staticmethod
    def _read_manifest(path: str) -> list[dict]:
        if not os.path.isfile(path):
            raise _fail(path, "missing (written by the build's merge step)")
        lines = []
        with open(path, encoding="utf-8") as fh:
            for n, text in enumerate(fh, 1):
                if not text.strip():
                    continue
                try:
                    line = json.loads(text)
                except ValueError as e:
                    raise _fail(path, f"line {n} is not JSON ({e})") from None
                if not isinstance(line, dict):
                    line = {}
                shard, index = line.get("shard"), line.get("index")
                if (not isinstance(shard, str) or os.path.isabs(shard) or ".." in shard.split("/")
                        or not isinstance(index, int) or isinstance(index, bool) or index < 0):
                    raise _fail(path, f"line {n} needs a relative 'shard' path and an 'index' >= 0")
                if "version" in line and str(line["version"]) not in {str(v) for v in SUPPORTED_VERSIONS}:
                    raise _fail(path, f"line {n}: version {line['version']!r} is not one this loader "
                                      f"reads ({', '.join(map(str, SUPPORTED_VERSIONS))})")
                lines.append(line)
        return lines

    def frequencies(self, requested: int | None) -> int:
        """K' for a `frequencies` option: K when None, else checked to be in 1 ... K."""
        if requested is None:
            return self.k
        if not isinstance(requested, int) or not 1 <= requested <= self.k:
            raise ValueError(f"frequencies={requested!r}: must be an integer in 1...{self.k}")
        return requested

    def channel_scales(self, frequencies: int) -> np.ndarray:
        """s_k for each of the first 4·K' channels (channel c has k = c // 4), float64."""
        return np.repeat(self.scales[:frequencies], 4)


def normalize_numpy(raw: np.ndarray, scales: np.ndarray) -> np.ndarray:
    """sign(v)·sqrt(|v|/s_k) over raw spectra [..., 4K', H, W] (k = channel // 4), 0 where
    s_k = 0; computed in float64, returned as float32. `scales` holds K' values (pixels)."""
    v = np.asarray(raw, dtype=np.float64)
    s = np.repeat(np.asarray(scales, dtype=np.float64), 4)
    if v.shape[-3] != s.shape[0]:
        raise ValueError(f"spectrum has {v.shape[-3]} channels but {s.shape[0] // 4} scales were given")
    s = s.reshape((-1, 1, 1))
    safe = np.where(s > 0, s, 1.0)
    out = np.where(s > 0, np.sign(v) * np.sqrt(np.abs(v) / safe), 0.0)
    return out.astype(np.float32)


class _SampleReader:
    """Shared reading logic; subclasses set _framework ("np" or "pt") and convert arrays."""

    _framework = "np"

    def __init__(self, root: str, normalized: bool = True, return_trajectories: bool = False,
                 frequencies: int | None = None, float_frames: bool = False,
                 index: DatasetIndex | None = None, *, return_confidence: bool = False):
        self.index = index if index is not None else DatasetIndex(root)
        self.normalized = bool(normalized)
        self.return_trajectories = bool(return_trajectories)
        self.return_confidence = bool(return_confidence)
        self.float_frames = bool(float_frames)
        self.num_frequencies = self.index.frequencies(frequencies)
        if self.return_trajectories and not self.index.has_trajectories:
            bad = next((s for s in self.index.shards.values() if not s.has_trajectories), None)
            where = bad.path if bad else os.path.join(self.index.root, "manifest.jsonl")
            raise _fail(where, "has no 'trajectories' tensor (build with --trajectories), "
                               "so return_trajectories=True cannot be served")
        self._handles: OrderedDict[str, Any] = OrderedDict()
        self._pid = os.getpid()

    def __len__(self) -> int:
        return len(self.index.samples)

    def __getstate__(self) -> dict:
        state = self.__dict__.copy()
        state["_handles"] = OrderedDict()  # handles stay in the process that opened them
        return state

    def _handle(self, shard: _Shard):
        if self._pid != os.getpid():  # a forked DataLoader worker opens its own handles
            self._handles, self._pid = OrderedDict(), os.getpid()
        h = self._handles.get(shard.rel)
        if h is None:
            try:
                h = safe_open(shard.path, framework=self._framework)
            except Exception as e:
                raise _fail(shard.path, f"cannot be opened ({e})") from None
            self._handles[shard.rel] = h
            if len(self._handles) > _MAX_OPEN_SHARDS:
                self._handles.popitem(last=False)
        else:
            self._handles.move_to_end(shard.rel)
        return h

    def _raw(self, i: int):
        """(frame [H, W, 3] U8, spectrum [4K', H, W], trajectories, confidence U8) of sample i."""
        n = len(self)
        if not isinstance(i, (int, np.integer)) or isinstance(i, bool):
            raise TypeError(f"sample index must be an integer, not {type(i).__name__}")
        if not -n <= i < n:
            raise IndexError(f"sample {i} out of range: the dataset has {n}")
        line = self.index.samples[int(i) % n]
        shard = self.index.shards[line["shard"]]
        j = line["index"]
        h = self._handle(shard)
        frame = h.get_slice("frames")[j:j + 1][0]
        spectrum = h.get_slice("spectra")[j:j + 1, 0:4 * self.num_frequencies][0]
        traj = h.get_slice("trajectories")[j:j + 1][0] if self.return_trajectories else None
        want_conf = self.return_confidence and shard.has_confidence
        conf = h.get_slice("confidence")[j:j + 1][0] if want_conf else None
        return frame, spectrum, traj, conf

    def _item(self, frame, spectrum, traj, conf) -> tuple:
        """(frame, spectrum[, trajectories][, confidence]) as the options ask."""
        item = (frame, spectrum) + ((traj,) if self.return_trajectories else ())
        if self.return_confidence:
            item += (None if conf is None else confidence_from_stored(conf),)
        return item


class NumpyDataset(_SampleReader):
    """Samples as NumPy arrays (no torch needed): `ds[i]` is (frame, spectrum[, trajectories]
    [, confidence]).

    frame: uint8 [3, H, W] RGB, or float32 in [0, 1] with float_frames=True; spectrum: float32
    [4K', H, W], normalised with stats.json's scales unless normalized=False (then raw, pixels);
    trajectories (return_trajectories=True): float32 [T−1, 2, H, W], F_1 … F_{T−1}, pixels;
    confidence (return_confidence=True, keyword only): float32 [T−1, H, W] in [0, 1], c of
    F_1 … F_{T−1}, or None for a sample of a version 1 shard.
    """

    _framework = "np"

    def __getitem__(self, i: int):
        frame, spectrum, traj, conf = self._raw(i)
        frame = np.ascontiguousarray(np.transpose(frame, (2, 0, 1)))
        if self.float_frames:
            frame = frame.astype(np.float32) / np.float32(255)
        if self.normalized:
            spectrum = normalize_numpy(spectrum, self.index.scales[:self.num_frequencies])
        else:
            spectrum = spectrum.astype(np.float32)
        return self._item(frame, spectrum, None if traj is None else traj.astype(np.float32), conf)


_INDEX_CACHE: OrderedDict[tuple, DatasetIndex] = OrderedDict()


def load_sample(root: str, i: int, normalized: bool = True, return_trajectories: bool = False,
                frequencies: int | None = None, float_frames: bool = False,
                return_confidence: bool = False):
    """Sample i of the dataset at `root` as NumPy arrays, like NumpyDataset(root, ...)[i].

    The directory's index is cached (keyed by path and the manifest's and stats' mtimes), so
    calling this in a loop does not re-read the manifest.
    """
    root = os.path.abspath(root)
    key = [root]
    for name in ("manifest.jsonl", "stats.json"):
        p = os.path.join(root, name)
        key.append(os.stat(p).st_mtime_ns if os.path.exists(p) else None)
    index = _INDEX_CACHE.get(tuple(key))
    if index is None:
        index = DatasetIndex(root)
        _INDEX_CACHE[tuple(key)] = index
        while len(_INDEX_CACHE) > 4:
            _INDEX_CACHE.popitem(last=False)
    ds = NumpyDataset(root, normalized=normalized, return_trajectories=return_trajectories,
                      frequencies=frequencies, float_frames=float_frames, index=index,
                      return_confidence=return_confidence)
    return ds[i]


_TorchBase = torch.utils.data.Dataset if torch is not None else object


class WarpflowDataset(_TorchBase):
    """A torch map-style Dataset over a warpflow dataset directory.

    `ds[i]` is (frame, spectrum[, trajectories][, confidence]) as torch tensors, like NumpyDataset:
    frame uint8 [3, H, W] (float32 in [0, 1] with float_frames=True); spectrum float32 [4K', H, W],
    normalised sign(v)·sqrt(|v|/s_k) with stats.json's scales (normalized=False: raw, pixels);
    return_trajectories=True: float32 [T−1, 2, H, W] (pixels); return_confidence=True: float32
    [T−1, H, W] in [0, 1] (None for a version 1 shard: see `self.index.has_confidence`).
    frequencies=K' keeps the first K' ≤ K frequencies (4K' channels). Works with
    DataLoader(num_workers > 0): each worker opens its own shard handles.
    """

    def __init__(self, root: str, normalized: bool = True, return_trajectories: bool = False,
                 frequencies: int | None = None, float_frames: bool = False,
                 return_confidence: bool = False):
        if torch is None:
            raise ImportError("WarpflowDataset needs torch (not importable here"
                              + (", WARPFLOW_NO_TORCH=1" if os.environ.get("WARPFLOW_NO_TORCH") == "1" else "")
                              + "); use NumpyDataset or load_sample instead")
        self._reader = _TorchReader(root, normalized, return_trajectories, frequencies, float_frames,
                                    return_confidence=return_confidence)
        self.index = self._reader.index

    def __len__(self) -> int:
        return len(self._reader)

    def __getitem__(self, i: int):
        return self._reader[i]


class _TorchReader(_SampleReader):
    """The torch side of WarpflowDataset: safe_open(framework="pt") slices, torch arithmetic."""

    _framework = "pt"

    def __getitem__(self, i: int):
        frame, spectrum, traj, conf = self._raw(i)
        frame = frame.permute(2, 0, 1).contiguous()
        if self.float_frames:
            frame = frame.to(torch.float32) / 255.0
        if self.normalized:
            v = spectrum.to(torch.float64)
            s = torch.from_numpy(self.index.channel_scales(self.num_frequencies)).reshape(-1, 1, 1)
            safe = torch.where(s > 0, s, torch.ones_like(s))
            spectrum = torch.where(s > 0, torch.sign(v) * torch.sqrt(v.abs() / safe),
                                   torch.zeros_like(v)).to(torch.float32)
        else:
            spectrum = spectrum.to(torch.float32)
        return self._item(frame, spectrum, None if traj is None else traj.to(torch.float32), conf)


def summary(root: str) -> str:
    """A few lines describing the dataset at `root`: samples, clips, K, T, size, version,
    confidence, scales."""
    ix = DatasetIndex(root)
    st = ix.stats
    clips = st.get("clips", {})
    dtypes = sorted({s.dtypes["spectra"] for s in ix.shards.values()})
    tdt = sorted({s.dtypes.get("trajectories") for s in ix.shards.values() if s.has_trajectories})
    n_conf = sum(s.has_confidence for s in ix.shards.values())
    conf = (f"U8 [T−1, H, W] in all {n_conf} shards (trusted: c >= {TRUST_THRESHOLD})" if ix.has_confidence
            else f"in {n_conf} of {len(ix.shards)} shards (the others are version 1)" if n_conf
            else "none (version 1 shards)")
    lines = [
        f"{ix.root}: {len(ix.samples)} samples in {len(ix.shards)} shards, clips "
        f"{clips.get('ok', '?')} ok / {clips.get('skipped', '?')} skipped",
        f"window T = {ix.window} frames, K = {ix.k} frequencies, {ix.width}x{ix.height} px, "
        f"spectra {'/'.join(dtypes) or '-'}, trajectories "
        f"{'/'.join(tdt) if ix.has_trajectories else 'no'}",
        f"format version {'/'.join(map(str, ix.versions)) or '-'}, confidence: {conf}",
        f"scales (P{ix.percentile} of |S_k|, px): " + " ".join(f"{s:.4g}" for s in ix.scales),
        "torch: " + (f"{torch.__version__} (WarpflowDataset available)" if torch is not None
                     else "not available (NumpyDataset / load_sample only)"),
    ]
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    """`python load_dataset.py DIR`: print the summary, or one error line and exit 1."""
    if len(argv) != 1 or argv[0] in ("-h", "--help"):
        print("usage: load_dataset.py DATASET_DIR", file=sys.stderr)
        return 2
    try:
        print(summary(argv[0]))
    except DatasetError as e:
        print(f"load_dataset: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
