#!/usr/bin/env python3
"""Worst-frame strips of the fps benchmark: one invented frame of two methods next to the truth.

Usage: strip_fps.py REF OURS PEER --frame I --out PNG [--labels "ours,peer"]

fps_bench.py calls `make_strip` for every clip and factor on warpflow-node's worst invented
frame (lowest PSNR Y+U+V) with the best peer of that clip and factor, before the outputs are
deleted; the CLI does the same by hand on kept outputs (FPS_BENCH_KEEP=1). The PNG is:
  top:    [ours | peer | truth]   frame I of each file, converted from yuv420p to RGB (BT.601,
                                  limited range, as OpenCV's I420 conversion), labelled;
  bottom: [|ours − truth| | |peer − truth| | who is closer]   absolute difference of Y ×4
          (grey, 64 levels of error saturate), and green where ours is closer to the truth
          than the peer, red where the peer is, brightness ×4 the difference of the two |errors|.
A file without frame I (minterpolate leaves out the last kept interval) gives a grey panel
marked "no frame". Panels are scaled down (never up) so that the strip is at most 1600 pixels
wide; labels are drawn with cv2.putText (no font files needed).
"""
import argparse, os

import cv2
import numpy as np

import score_fps

MAX_WIDTH = 1600
BAND = 22  # label band height in pixels
GAIN = 4


def read_frame(path, index):
    """Frame INDEX of PATH as [Y, U, V] uint8 planes (decoded to yuv420p), or None when PATH is shorter."""
    info = score_fps.probe(path)
    gen = score_fps.frames(path, info["width"], info["height"])
    try:
        for i, planes in enumerate(gen):
            if i == index:
                return [p.copy() for p in planes]
    finally:
        gen.close()
    return None


def to_bgr(planes):
    y, u, v = planes
    h, w = y.shape
    if h % 2 or w % 2:  # I420 conversion needs even sizes: fall back to nearest-neighbour chroma
        up = lambda c: np.repeat(np.repeat(c, 2, 0), 2, 1)[:h, :w]
        return cv2.cvtColor(np.dstack([y, up(v), up(u)]), cv2.COLOR_YCrCb2BGR)
    return cv2.cvtColor(np.concatenate([y.ravel(), u.ravel(), v.ravel()]).reshape(h * 3 // 2, w), cv2.COLOR_YUV2BGR_I420)


def labelled(img, text, width):
    """IMG scaled to WIDTH (aspect kept) under a black band with TEXT in white."""
    h, w = img.shape[:2]
    height = max(1, round(h * width / w))
    img = cv2.resize(img, (width, height), interpolation=cv2.INTER_AREA) if width != w else img
    band = np.zeros((BAND, width, 3), np.uint8)
    scale = 0.45
    while scale > 0.25 and cv2.getTextSize(text, cv2.FONT_HERSHEY_SIMPLEX, scale, 1)[0][0] > width - 8:
        scale -= 0.05
    cv2.putText(band, text, (4, BAND - 7), cv2.FONT_HERSHEY_SIMPLEX, scale, (255, 255, 255), 1, cv2.LINE_AA)
    return np.vstack([band, img])


def make_strip(ref, ours, peer, index, out_png, ours_label="ours", peer_label="peer", truth_label="truth"):
    """Writes the strip (module docstring) for frame INDEX; PEER may be None (two columns then).
    Returns the PNG's (width, height)."""
    truth = read_frame(ref, index)
    if truth is None:
        raise RuntimeError(f"{ref} has no frame {index}")
    h, w = truth[0].shape
    frames = [read_frame(ours, index)] + ([read_frame(peer, index)] if peer else [])
    labels = [ours_label] + ([peer_label] if peer else [])
    short = lambda lab: lab.split(":")[0].split(" (")[0]
    cols = len(frames) + 1
    width = min(w, MAX_WIDTH // cols)
    grey = lambda: np.full((h, w, 3), 96, np.uint8)
    top, bottom = [], []
    for f, lab in zip(frames, labels):
        if f is None:
            top.append(labelled(grey(), lab + ": no frame", width))
            bottom.append(labelled(grey(), "no frame", width))
            continue
        top.append(labelled(to_bgr(f), lab, width))
        err = np.abs(f[0].astype(np.int16) - truth[0])
        bottom.append(labelled(cv2.cvtColor(np.clip(err * GAIN, 0, 255).astype(np.uint8), cv2.COLOR_GRAY2BGR),
                               f"|{short(lab)} - truth| Y x{GAIN}", width))
    top.append(labelled(to_bgr(truth), truth_label, width))
    if peer and frames[0] is not None and frames[1] is not None:
        e_ours = np.abs(frames[0][0].astype(np.int16) - truth[0])
        e_peer = np.abs(frames[1][0].astype(np.int16) - truth[0])
        d = e_peer - e_ours  # > 0: ours closer
        who = np.zeros((h, w, 3), np.uint8)
        who[..., 1] = np.clip(d * GAIN, 0, 255)   # green: ours closer
        who[..., 2] = np.clip(-d * GAIN, 0, 255)  # red: peer closer
        bottom.append(labelled(who, f"closer: green {short(labels[0])}, red {short(labels[1])} (x{GAIN})", width))
    else:
        bottom.append(labelled(np.zeros((h, w, 3), np.uint8), "", width))
    img = np.vstack([np.hstack(top), np.hstack(bottom)])
    os.makedirs(os.path.dirname(os.path.abspath(out_png)), exist_ok=True)
    if not cv2.imwrite(out_png, img):
        raise RuntimeError(f"could not write {out_png}")
    return img.shape[1], img.shape[0]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("ref")
    ap.add_argument("ours")
    ap.add_argument("peer")
    ap.add_argument("--frame", type=int, required=True, help="frame index on the full-rate grid")
    ap.add_argument("--out", required=True)
    ap.add_argument("--labels", default="ours,peer", help="two comma-separated labels")
    a = ap.parse_args()
    lo, lp = (a.labels.split(",", 1) + ["peer"])[:2]
    size = make_strip(a.ref, a.ours, a.peer, a.frame, a.out, lo, lp, f"truth (frame {a.frame})")
    print(f"{a.out}: {size[0]}x{size[1]}")


if __name__ == "__main__":
    main()
