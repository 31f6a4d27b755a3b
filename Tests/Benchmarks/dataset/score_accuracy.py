#!/usr/bin/env python3
"""Scores stored trajectories and spectra against the synthetic clips' exact ones (synth.py).

Usage: score_accuracy.py SYNTHDIR LABEL=OUTDIR... [--json OUT]

OUTDIR is a `warpflow dataset build ... --trajectories --dtype float32` directory (shards under
clips/) or a `python_path.py --trajectories --dtype float32` directory (one .safetensors per
clip); the clip is recognised by the `source` metadata of its shard. Per clip (one 150-frame
window each):

- EPE: mean over t = 1 ... T-1 and over the pixels at least 8 px from the frame's edge of
  |F_t(p) - F_t^true(p)| (pixels). F_0 = 0 on every side, so it is left out.
- Spectrum error: ||S - S^true|| / ||S^true|| (relative L2 over the stored K bins, 4 real
  channels, the same pixels), with S^true = np.fft.fft(F^true, axis=time)[:K], F_0 = 0.
- frame0: the largest |difference| between the stored first frame (RGB) and the rendered one:
  0 unless a side decoded the lossless clip wrongly (checked: the run fails otherwise).

Flat-background clips (synth.py's `flat` specs) add the background's |F_t| (mean and 95th
percentile over t and the background pixels, whose truth is 0) and the layer's EPE.
"all" is the mean over the other (textured) clips of each figure. Prints one line per method and clip; exit status 1
when a clip is missing from an output or its first frame differs.
"""
import argparse
import glob
import json
import os
import sys

import numpy as np
from safetensors import safe_open

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import synth  # noqa: E402

BORDER = 8


def shards_by_source(outdir):
    """source path (basename) -> shard file, for every shard under outdir."""
    found = {}
    for path in sorted(glob.glob(os.path.join(outdir, "**", "*.safetensors"), recursive=True)):
        with safe_open(path, "np") as f:
            meta = f.metadata() or {}
        if "source" in meta:
            found[os.path.basename(meta["source"])] = path
    return found


def score(spec, shard, frame0):
    with safe_open(shard, "np") as f:
        names = set(f.keys())
        if "trajectories" not in names:
            raise SystemExit(f"{shard}: no trajectories tensor (build with --trajectories)")
        traj = f.get_tensor("trajectories")[0].astype(np.float64)       # [T-1, 2, H, W]
        spec_est = f.get_tensor("spectra")[0].astype(np.float64)         # [4K, H, W]
        frames = f.get_tensor("frames")[0]                               # [H, W, 3]
    truth = synth.truth(spec)                                            # [T, H, W, 2]
    K = spec_est.shape[0] // 4
    b = (slice(BORDER, synth.H - BORDER), slice(BORDER, synth.W - BORDER))
    true_t = truth[1:].transpose(0, 3, 1, 2)                             # [T-1, 2, H, W]
    d = traj - true_t
    epe = float(np.mean(np.hypot(d[:, 0], d[:, 1])[:, b[0], b[1]]))
    S = np.fft.fft(truth, axis=0)[:K]                                    # [K, H, W, 2]
    true_spec = np.stack([S.real[..., 0], S.imag[..., 0], S.real[..., 1], S.imag[..., 1]], axis=1).reshape(4 * K, synth.H, synth.W)
    num = np.linalg.norm((spec_est - true_spec)[:, b[0], b[1]])
    den = np.linalg.norm(true_spec[:, b[0], b[1]])
    frame_diff = int(np.max(np.abs(frames.astype(int) - frame0.astype(int))))
    out = {"epe": epe, "spectrum_rel_l2": float(num / den), "frame0_max_diff": frame_diff,
           "true_mean_motion": float(np.mean(np.hypot(true_t[:, 0], true_t[:, 1])[:, b[0], b[1]]))}
    if spec.get("flat"):
        # Flat background: the truth is 0, so |F_t| is the error. Layer: EPE inside it.
        length = np.hypot(traj[:, 0], traj[:, 1])                           # [T-1, H, W]
        bg = length[:, synth.background_mask(spec)]
        inside = synth.layer_inside(spec)
        out.update(background_mean=float(np.mean(bg)), background_p95=float(np.percentile(bg, 95)),
                   layer_epe=float(np.mean(np.hypot(d[:, 0], d[:, 1])[:, inside])))
    return out


def main():
    p = argparse.ArgumentParser(description="Scores trajectories and spectra against the synthetic truth.")
    p.add_argument("synth")
    p.add_argument("outputs", nargs="+", help="LABEL=OUTDIR")
    p.add_argument("--json")
    a = p.parse_args()
    results, bad = {}, False
    for item in a.outputs:
        label, _, outdir = item.partition("=")
        found = shards_by_source(outdir)
        rows = {}
        for spec in synth.SPECS:
            name = spec["name"] + ".mkv"
            if name not in found:
                print(f"{label}: no shard for {name} in {outdir}", file=sys.stderr)
                bad = True
                continue
            frame0 = np.load(os.path.join(a.synth, spec["name"] + ".frame0.npy"))
            r = score(spec, found[name], frame0)
            if r["frame0_max_diff"] != 0:
                print(f"{label}: {name}: stored first frame differs from the rendered one by up to "
                      f"{r['frame0_max_diff']} levels", file=sys.stderr)
                bad = True
            rows[spec["name"]] = r
            flat = (f"  background |F| mean {r['background_mean']:.2f} p95 {r['background_p95']:.2f} px, "
                    f"layer EPE {r['layer_epe']:.3f} px") if "background_p95" in r else ""
            print(f"{label:24s} {spec['name']:22s} EPE {r['epe']:.3f} px  spectrum rel. L2 {r['spectrum_rel_l2']:.3f}{flat}",
                  file=sys.stderr)
        if rows:
            textured = [r for name, r in rows.items() if "background_p95" not in r]
            if textured:
                rows["all"] = {k: float(np.mean([r[k] for r in textured])) for k in ("epe", "spectrum_rel_l2")}
        results[label] = rows
    if a.json:
        with open(a.json, "w") as fh:
            json.dump(results, fh, indent=1)
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
