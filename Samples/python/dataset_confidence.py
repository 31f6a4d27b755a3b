#!/usr/bin/env python3
"""Confidence of a warpflow dataset's trajectories (FORMAT.md, version 2): weights and masks.

A version 2 shard stores `confidence` U8 [N, T−1, H, W] = round(255·c(p, t)) for t = 1 … T−1
(the same t as `trajectories`); c ∈ [0, 1] is the product of the first frame's local texture at
p, the forward-backward consistency of the flows 0 → t and t → 0 at p, and 0 where p + F_t(p)
has left the picture. Where c is low the stored trajectory is a regularised guess, not a
measurement. The documented rule:

- a (pixel, time) is trusted when c(p, t) ≥ 0.5 (stored value ≥ 128);
- a pixel's spectrum (one value per pixel over the window) has the weight
  w(p) = mean over t of c(p, t) ∈ [0, 1] and is trusted when w(p) ≥ 0.5.

    from load_dataset import NumpyDataset          # re-exports the helpers below
    frame, spectrum, conf = NumpyDataset("data/", return_confidence=True)[0]
    w = spectrum_weight(conf)        # float32 [H, W]: per-pixel weight, e.g. for a weighted loss
    ok = trusted(w)                  # bool [H, W]: pixels whose spectrum is trusted
    ok_t = trusted(conf)             # bool [T−1, H, W]: trusted (pixel, time) pairs

Every function takes NumPy arrays or torch tensors (and returns the same kind), either the
loader's float32 confidence in [0, 1] or the stored uint8 values 0 … 255, with any leading batch
dimensions ([..., T−1, H, W]). Only NumPy is needed; torch is used only when given a tensor.
"""
from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["TRUST_THRESHOLD", "confidence_from_stored", "confidence_header_problem",
           "spectrum_weight", "trusted"]

#: c (or w) at or above this is trusted (FORMAT.md); the stored value 128 is the first above it.
TRUST_THRESHOLD = 0.5
# A weight that is exactly 0.5 can come out of float32 arithmetic as 0.49999997. Stored values are
# multiples of 1/255 and a mean over T−1 of them is a multiple of 1/(255·(T−1)), so this slack
# changes no decision for windows shorter than 3900 frames.
_SLACK = 1e-6


def _is_torch(x: Any) -> bool:
    return type(x).__module__.split(".")[0] == "torch"


def confidence_header_problem(version: int, shape: list[int] | None, dtype: str | None,
                              want: list[int]) -> str | None:
    """What is wrong with a shard's `confidence` tensor, or None when nothing is.

    version: the shard's format version; shape/dtype: the tensor's header (None when the shard has
    no such tensor); want: [N, T−1, H, W] from the shard's other tensors and metadata. Version 2
    shards must have it (U8, that shape); version 1 shards must not (it is new in version 2).
    """
    if version >= 2 and shape is None:
        return f"has no 'confidence' tensor (every version {version} shard has one)"
    if version < 2 and shape is not None:
        return f"has a 'confidence' tensor but metadata version {version} (it is new in version 2)"
    if shape is not None and (list(shape) != list(want) or dtype != "U8"):
        return f"'confidence' is {dtype} {list(shape)}, expected U8 {list(want)}"
    return None


def confidence_from_stored(stored: Any) -> Any:
    """The stored U8 values (0 … 255) as c = value/255, float32 in [0, 1]; same kind as input."""
    if _is_torch(stored):
        import torch
        return stored.to(torch.float32) / 255.0
    return np.asarray(stored).astype(np.float32) / np.float32(255)


def _as_float64(conf: Any) -> Any:
    """c in float64, dividing stored uint8 values by 255."""
    if _is_torch(conf):
        import torch
        c = conf.to(torch.float64)
        return c / 255.0 if conf.dtype == torch.uint8 else c
    a = np.asarray(conf)
    c = a.astype(np.float64)
    return c / 255.0 if a.dtype == np.uint8 else c


def spectrum_weight(conf: Any) -> Any:
    """w(p) = mean over t of c(p, t): float32 [..., H, W] in [0, 1] from c [..., T−1, H, W].

    The weight of pixel p's spectrum (the spectrum summarises the whole window, so a pixel that
    is a guess for most of the window gets a low weight). Computed in float64.
    """
    if getattr(conf, "ndim", 0) < 3:
        raise ValueError(f"confidence of shape {tuple(conf.shape)}: expected [..., T−1, H, W]")
    c = _as_float64(conf)
    if _is_torch(conf):
        import torch
        return c.mean(dim=-3).to(torch.float32)
    return c.mean(axis=-3).astype(np.float32)


def trusted(x: Any, threshold: float = TRUST_THRESHOLD) -> Any:
    """Boolean mask of x ≥ threshold (default 0.5), same shape as x.

    x is a confidence c [..., T−1, H, W] (trusted (pixel, time) pairs) or a weight w [..., H, W]
    from spectrum_weight (trusted spectra). uint8 input is taken as stored (value/255).
    """
    if _is_torch(x):
        import torch
        if x.dtype == torch.uint8:
            return x.to(torch.float64) / 255.0 >= threshold - _SLACK
        return x >= threshold - _SLACK
    a = np.asarray(x)
    v = a.astype(np.float64) / 255.0 if a.dtype == np.uint8 else a
    return v >= threshold - _SLACK
