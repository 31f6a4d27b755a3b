#!/usr/bin/env python3
"""Strip of a loop beside its source window: what a viewer would see, worst frame marked.

Usage: strip_loop.py LOOP SOURCE --out PNG [--start S] [--duration D] [--title T]

loop_quality.py calls `make_strip` for every clip and mode (.build-bench-data/loop/strips/
CLIP__MODE.png) with the realism scores it computed (realism.py). The PNG is:
  title:  clip, mode (and the mode the CLI chose), window, realism mean and worst frame;
  top:    5 frames of the source window evenly spaced; the one nearest to the source frame
          that best matches the worst loop frame is replaced by that frame (yellow border);
          each labelled "src #index cov C", C = its coverage (best SSIM of any loop frame);
  bottom: 5 loop frames evenly spaced, the one nearest to the worst-realism loop frame replaced
          by it (red border); each labelled "loop #index R r (~src j)", r = its realism (best
          SSIM against any source-window frame) and j = that best source frame.
Frames are scaled down (never up) so that the strip is at most 1600 pixels wide; labels are
drawn with cv2.putText (no font files needed).
"""
import argparse, os, sys

import cv2
import numpy as np

MAX_WIDTH = 1600
COLS = 5
BAND = 22  # label band height in pixels
BORDER = 3
RED, YELLOW = (0, 0, 255), (0, 220, 255)  # BGR


def spread(n, must, cols=COLS):
    """COLS indices in [0, n) evenly spaced; the one nearest to MUST replaced by MUST."""
    idx = sorted({int(round(k * (n - 1) / (cols - 1))) for k in range(cols)}) if n > 1 else [0]
    if must is not None and must not in idx:
        idx[min(range(len(idx)), key=lambda k: abs(idx[k] - must))] = must
    return sorted(set(idx))


ASCII = {"→": "->", "–": "-", "—": "-", "×": "x", "≥": ">=", "≤": "<=", "≈": "~"}


def _text(img, text, y, scale=0.45, colour=(255, 255, 255)):
    """TEXT in one line at height Y, shrunk to fit (Hershey fonts draw ASCII only)."""
    text = "".join(ASCII.get(ch, ch if ord(ch) < 128 else "?") for ch in text)
    w = img.shape[1]
    while scale > 0.25 and cv2.getTextSize(text, cv2.FONT_HERSHEY_SIMPLEX, scale, 1)[0][0] > w - 8:
        scale -= 0.05
    cv2.putText(img, text, (4, y), cv2.FONT_HERSHEY_SIMPLEX, scale, colour, 1, cv2.LINE_AA)


def panel(rgb, text, width, border=None):
    """RGB frame scaled to WIDTH (aspect kept), BGR, under a black band with TEXT; a coloured
    border when BORDER (a BGR colour) is given."""
    h, w = rgb.shape[:2]
    height = max(1, round(h * width / w))
    img = cv2.cvtColor(np.ascontiguousarray(rgb), cv2.COLOR_RGB2BGR)
    if width != w:
        img = cv2.resize(img, (width, height), interpolation=cv2.INTER_AREA)
    band = np.zeros((BAND, width, 3), np.uint8)
    _text(band, text, BAND - 7, colour=(255, 255, 255) if border is None else border)
    out = np.vstack([band, img])
    if border is not None:
        cv2.rectangle(out, (0, 0), (width - 1, out.shape[0] - 1), border, BORDER)
    return out


def make_strip(out_png, src_rgb, loop_rgb, real, title="", src_first=0):
    """Writes the strip (module docstring). SRC_RGB [N, h, w, 3] and LOOP_RGB [L, h, w, 3] are
    uint8 RGB; REAL is realism.realism()'s dict; SRC_FIRST is the window's first frame index in
    the source file (labels show file indices). Returns the PNG's (width, height)."""
    n, L = len(src_rgb), len(loop_rgb)
    worst, match = real["realism_min_frame"], real["realism_min_source_frame"]
    h, w = src_rgb.shape[1:3]
    width = min(w, MAX_WIDTH // COLS)
    top = [panel(src_rgb[j], f"src #{src_first + j} cov {real['source_coverage'][j]:.3f}", width,
                 YELLOW if j == match else None) for j in spread(n, match)]
    bottom = [panel(loop_rgb[i], f"loop #{i} R {real['realism_per_frame'][i]:.3f} (~src {src_first + real['realism_best_source'][i]})",
                    width, RED if i == worst else None) for i in spread(L, worst)]
    blank = lambda row: np.zeros_like(row[0])
    top += [blank(top)] * (COLS - len(top))
    bottom += [blank(bottom)] * (COLS - len(bottom))
    rows = [np.hstack(top), np.hstack(bottom)]
    head = np.zeros((BAND + 4, rows[0].shape[1], 3), np.uint8)
    _text(head, title, BAND - 4, scale=0.5)
    img = np.vstack([head] + rows)
    os.makedirs(os.path.dirname(os.path.abspath(out_png)), exist_ok=True)
    if not cv2.imwrite(out_png, img):
        raise RuntimeError(f"could not write {out_png}")
    return img.shape[1], img.shape[0]


def main():
    import loop_quality, realism
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("loop")
    ap.add_argument("source")
    ap.add_argument("--out", required=True)
    ap.add_argument("--start", type=float, default=0.0, help="source window start, seconds")
    ap.add_argument("--duration", type=float, help="source window length, seconds (default: the loop's)")
    ap.add_argument("--title", default="")
    a = ap.parse_args()
    loop, loop_times = loop_quality.decode(a.loop)
    duration = a.duration or loop_quality.clip_duration(loop_times, loop_quality.probe(a.loop)[0])
    src, times = loop_quality.decode(a.source)
    keep = np.flatnonzero(loop_quality.in_window(times, a.start, duration, loop_quality.probe(a.source)[0]))
    if len(keep) < 2:
        sys.exit(f"the window holds {len(keep)} source frames")
    src = src[keep]
    real = realism.realism(loop_quality.luma(loop), loop_quality.luma(src))
    size = make_strip(a.out, src, loop, real, a.title or os.path.basename(a.loop), int(keep[0]))
    print(f"{a.out}: {size[0]}x{size[1]}; realism {real['realism_mean']:.3f}, worst loop frame {real['realism_min_frame']} "
          f"{real['realism_min']:.3f}")


if __name__ == "__main__":
    main()
