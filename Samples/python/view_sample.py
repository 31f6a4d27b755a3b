#!/usr/bin/env python3
"""Draw one sample of a warpflow dataset into a PNG.

    python view_sample.py DIR INDEX -o out.png [--grid 16] [--reconstruct]

Left: the sample's first frame with the trajectories of a sparse grid of pixels (one polyline
per grid pixel, coloured from frame 0 to T−1, a dot at its end; pixels of the working
resolution). If the shard holds `trajectories` (built with --trajectories) they are drawn as
stored; otherwise (or with --reconstruct) they are rebuilt from the K stored frequencies by an
inverse DFT: F_t ≈ (1/T)·Re Σ_k S_k·exp(2πi·k·t/T), with the missing bins T−k filled by
Hermitian symmetry (S_{T−k} = conj S_k, F being real) and all other missing bins taken as 0.
That is exact when K ≥ ⌊T/2⌋ + 1 (older builds only); builds keep K ≤ T/2, so it is the motion
low-passed to K − 1 cycles per window, as `spectrum_motion.spectrum_to_motion` gives it (whose
`truncation_error` says what the dropped harmonics cost).

Right: the energy per frequency, mean over pixels of |S_k|² for x and y (pixels², log scale).
"""
from __future__ import annotations

import argparse
import os
import sys

import numpy as np


def spectrum_complex(raw: np.ndarray) -> np.ndarray:
    """Raw spectra [4K, H, W] (Re x, Im x, Re y, Im y per k) as complex128 [K, 2, H, W]."""
    raw = np.asarray(raw, dtype=np.float64)
    if raw.ndim != 3 or raw.shape[0] % 4 != 0:
        raise ValueError(f"spectrum shape {raw.shape}: expected [4K, H, W]")
    c = raw.reshape((raw.shape[0] // 4, 4) + raw.shape[1:])
    return np.stack([c[:, 0] + 1j * c[:, 1], c[:, 2] + 1j * c[:, 3]], axis=1)


def reconstruct_trajectories(raw: np.ndarray, window: int) -> np.ndarray:
    """Trajectories F [T, 2, H, W] (pixels, F_0 included) from the first K bins of their DFT.

    Bins 0 … K−1 are the stored ones; bin T−k (1 ≤ k < K) that is not stored is conj S_k; the
    rest are 0. Exact when K ≥ ⌊T/2⌋ + 1, else a low-pass approximation.
    """
    s = spectrum_complex(raw)
    k = s.shape[0]
    if window < 1:
        raise ValueError(f"window {window}: must be >= 1")
    full = np.zeros((window,) + s.shape[1:], dtype=np.complex128)
    kept = min(k, window)
    full[:kept] = s[:kept]
    for b in range(1, kept):
        mirror = window - b
        if mirror >= kept:  # not stored: Hermitian symmetry of a real signal
            full[mirror] = np.conj(s[b])
    return np.fft.ifft(full, axis=0).real


def frequency_energy(raw: np.ndarray) -> np.ndarray:
    """Mean over pixels of |S_k.x|² and |S_k.y|² (pixels²) as float64 [K, 2]."""
    s = spectrum_complex(raw)
    return (np.abs(s) ** 2).mean(axis=(2, 3))


def render(frame: np.ndarray, traj: np.ndarray, energy: np.ndarray, out: str, title: str,
           traj_label: str, grid: int) -> None:
    """Write the two-panel PNG: frame [H, W, 3] uint8, traj [T, 2, H, W] px, energy [K, 2]."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.collections import LineCollection

    h, w = frame.shape[:2]
    t = traj.shape[0]
    fig, (ax0, ax1) = plt.subplots(1, 2, figsize=(13, 5.2), gridspec_kw={"width_ratios": [1.6, 1]})
    ax0.imshow(frame, interpolation="nearest")
    ys, xs = np.mgrid[grid // 2:h:grid, grid // 2:w:grid]
    px = xs[None] + traj[:, 0][:, ys, xs]  # [T, gy, gx]
    py = ys[None] + traj[:, 1][:, ys, xs]
    pts = np.stack([px, py], axis=-1).reshape(t, -1, 2).transpose(1, 0, 2)  # [P, T, 2]
    segs = np.concatenate([pts[:, :-1, None], pts[:, 1:, None]], axis=2).reshape(-1, 2, 2)
    colors = np.tile(np.arange(t - 1), pts.shape[0])
    lc = LineCollection(segs, cmap="plasma", linewidths=1.2)
    lc.set_array(colors)
    ax0.add_collection(lc)
    ax0.plot(xs.ravel(), ys.ravel(), "o", ms=2, color="white")
    ax0.plot(pts[:, -1, 0], pts[:, -1, 1], "o", ms=2.5, color="yellow")
    ax0.set_xlim(-0.5, w - 0.5)
    ax0.set_ylim(h - 0.5, -0.5)
    ax0.set_title(traj_label, fontsize=9)
    cb = fig.colorbar(lc, ax=ax0, fraction=0.03, pad=0.01)
    cb.set_label("frame t")

    k = np.arange(energy.shape[0])
    tiny = np.finfo(np.float64).tiny
    ax1.semilogy(k, np.maximum(energy[:, 0], tiny), "o-", label="x: mean |S_k.x|²")
    ax1.semilogy(k, np.maximum(energy[:, 1], tiny), "s-", label="y: mean |S_k.y|²")
    ax1.set_xlabel("frequency k (cycles per window)")
    ax1.set_ylabel("energy (px²)")
    ax1.set_title("spectrum energy per frequency", fontsize=9)
    ax1.grid(True, which="both", alpha=0.3)
    ax1.legend(fontsize=8)
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    fig.savefig(out, dpi=100, format="png")
    plt.close(fig)


def main(argv: list[str]) -> int:
    """Command line: DIR INDEX -o out.png [--grid N] [--reconstruct]."""
    p = argparse.ArgumentParser(description="Draw a warpflow dataset sample (frame + "
                                            "trajectories, spectrum energy) into a PNG.")
    p.add_argument("dir", help="dataset directory (manifest.jsonl, stats.json, clips/)")
    p.add_argument("index", type=int, help="sample number (manifest line, 0-based)")
    p.add_argument("-o", "--output", required=True, help="PNG file to write")
    p.add_argument("--grid", type=int, default=0,
                   help="spacing of the drawn pixels (px; default: about 14 across)")
    p.add_argument("--reconstruct", action="store_true",
                   help="rebuild trajectories from the spectrum even if the shard stores them")
    a = p.parse_args(argv)
    # The viewer needs no torch: skip importing it (seconds) in this process.
    os.environ.setdefault("WARPFLOW_NO_TORCH", "1")
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from load_dataset import DatasetError, NumpyDataset

    try:
        ds = NumpyDataset(a.dir, normalized=False)
        if not -len(ds) <= a.index < len(ds):
            print(f"view_sample: sample {a.index} out of range: {a.dir} has {len(ds)}", file=sys.stderr)
            return 1
        ix = ds.index
        line = ix.samples[a.index]
        frame, raw = ds[a.index]
        if ix.shards[line["shard"]].has_trajectories and not a.reconstruct:
            stored = NumpyDataset(a.dir, normalized=False, return_trajectories=True, index=ix)
            tr = stored[a.index][2].astype(np.float64)
            traj = np.concatenate([np.zeros((1,) + tr.shape[1:]), tr])
            label = f"stored trajectories F_0 … F_{ix.window - 1}"
        else:
            traj = reconstruct_trajectories(raw, ix.window)
            exact = ix.k >= ix.window // 2 + 1
            label = (f"trajectories rebuilt from K={ix.k} of T={ix.window} DFT bins "
                     + ("(exact: K ≥ T/2+1)" if exact else "(approximate: low-pass, K < T/2+1)"))
    except (DatasetError, ValueError) as e:
        print(f"view_sample: {e}", file=sys.stderr)
        return 1
    grid = a.grid if a.grid > 0 else max(4, ix.width // 14)
    title = (f"{os.path.basename(os.path.abspath(a.dir))} sample {a.index}: clip {line.get('clip')} "
             f"({line.get('source', '?')}), start {line.get('start', '?')} s, "
             f"{ix.width}x{ix.height} px, T={ix.window}, K={ix.k}")
    render(np.transpose(frame, (1, 2, 0)), traj, frequency_energy(raw), a.output, title, label, grid)
    print(f"view_sample: wrote {a.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
