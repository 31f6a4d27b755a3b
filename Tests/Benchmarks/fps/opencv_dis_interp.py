#!/usr/bin/env python3
"""OpenCV peer for the fps benchmark: DIS-medium flow, warp both neighbours, blend.

Usage: opencv_dis_interp.py IN OUT --fps R

IN is read as raw yuv420p through an `ffmpeg` pipe (no RGB round trip); OUT is written as raw
yuv420p into an `ffmpeg` pipe encoding H.264 losslessly (libx264 -qp 0, -preset ultrafast) at
the exact rational rate R. Output frame k is the picture at time k/R. With the input at rate r,
its source position is s = k*r/R: i = floor(s), t = s - i.
  * t == 0: input frame i is written unchanged (bit-exact passthrough);
  * 0 < t < 1 between frames i and i+1: interpolated as below;
  * after the last input frame (K-1 <= s < K): the last frame is held for its duration, so OUT
    has ceil(K*R/r) frames for K input frames, the same span as IN.
Interpolation of frames I0, I1 at time t:
  F01 = DIS(Y0 -> Y1), F10 = DIS(Y1 -> Y0), each cv2.DISOpticalFlow_create(PRESET_MEDIUM) on the
  8-bit Y planes, computed once per pair. The flows from the unknown frame at t back to I0 and
  to I1 use the standard symmetric linear approximation (Jiang et al., "Super SloMo", CVPR 2018,
  eq. 4), which assumes straight-line motion and takes each flow as locally constant:
      F_t->0 = -(1-t)*t*F01 + t^2*F10        F_t->1 = (1-t)^2*F01 - t*(1-t)*F10
  (a (1-t, t)-weighted mean of the two estimates of each: -t*F01 and t*F10 for F_t->0,
  (1-t)*F01 and -(1-t)*F10 for F_t->1). Then
      I_t(x) = (1-t) * I0(x + F_t->0(x)) + t * I1(x + F_t->1(x))
  by backward warping (cv2.remap, INTER_LINEAR, BORDER_REPLICATE), rounded to 8 bits. U and V
  are warped with both flows resized to the chroma plane (cv2.resize, INTER_LINEAR) and halved.
No occlusion reasoning: this is the plain warp-and-blend baseline.
"""
import argparse, json, subprocess, sys
from fractions import Fraction

import cv2
import numpy as np


def probe(path):
    cmd = ["ffprobe", "-v", "error", "-select_streams", "v:0", "-show_entries",
           "stream=width,height,r_frame_rate", "-of", "json", path]
    s = json.loads(subprocess.run(cmd, check=True, capture_output=True, text=True).stdout)["streams"][0]
    return int(s["width"]), int(s["height"]), Fraction(s["r_frame_rate"])


def read_frames(path, w, h):
    cw, ch = (w + 1) // 2, (h + 1) // 2
    ysize, csize = w * h, cw * ch
    proc = subprocess.Popen(["ffmpeg", "-v", "error", "-nostdin", "-i", path, "-map", "0:v:0",
                             "-fps_mode", "passthrough", "-f", "rawvideo", "-pix_fmt", "yuv420p", "-"],
                            stdout=subprocess.PIPE)
    while True:
        buf = proc.stdout.read(ysize + 2 * csize)
        if len(buf) < ysize + 2 * csize:
            break
        a = np.frombuffer(buf, np.uint8)
        yield [a[:ysize].reshape(h, w), a[ysize:ysize + csize].reshape(ch, cw), a[ysize + csize:].reshape(ch, cw)]
    if proc.wait() != 0:
        raise RuntimeError(f"ffmpeg could not decode {path}")


def blend(w0, w1, t):
    """(1-t)*w0 + t*w1 of two 8-bit planes, rounded to 8 bits."""
    v = (1 - t) * w0.astype(np.float32) + t * w1.astype(np.float32)
    return np.clip(np.rint(v), 0, 255).astype(np.uint8)


class Interpolator:
    """DIS-medium flows of one pair of frames and the warps of the pair to any time t in (0, 1).

    Also used by oracle_interp.py: `warp` pulls one plane along a flow, `chroma_flow` carries a
    luma flow over to the chroma planes, and `warps` gives the two warped frames that `frame`
    blends."""

    def __init__(self, w, h):
        self.dis = cv2.DISOpticalFlow_create(cv2.DISOPTICAL_FLOW_PRESET_MEDIUM)
        cw, ch = (w + 1) // 2, (h + 1) // 2
        self.grids = [np.meshgrid(np.arange(pw, dtype=np.float32), np.arange(ph, dtype=np.float32))
                      for pw, ph in ((w, h), (cw, ch), (cw, ch))]
        self.csize = (cw, ch)
        self.pair = None

    def flow(self, y_from, y_to):
        """DIS-medium flow of two Y planes: y_from(x) ~ y_to(x + flow(x))."""
        return self.dis.calc(y_from, y_to, None)

    def chroma_flow(self, f):
        """A luma-plane flow resized to the chroma planes (bilinear) and halved."""
        return cv2.resize(f, self.csize, interpolation=cv2.INTER_LINEAR) * 0.5

    def warp(self, plane, p, f):
        """Backward warp of plane number p (0 Y, 1 U, 2 V): out(x) = plane(x + f(x)), bilinear, edges replicated."""
        gx, gy = self.grids[p]
        return cv2.remap(plane, gx + f[..., 0], gy + f[..., 1], cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)

    def set_pair(self, f0, f1):
        """Flows of a new pair, for the luma and (resized, halved) chroma planes."""
        f01 = self.flow(f0[0], f1[0])
        f10 = self.flow(f1[0], f0[0])
        c01, c10 = self.chroma_flow(f01), self.chroma_flow(f10)
        self.pair = (f0, f1, [(f01, f10), (c01, c10), (c01, c10)])

    def warps(self, t):
        """([Y, U, V] of I0 pulled to t, [Y, U, V] of I1 pulled to t), 8-bit planes."""
        f0, f1, flows = self.pair
        out0, out1 = [], []
        for p, (a, b) in enumerate(flows):
            ft0 = -(1 - t) * t * a + t * t * b
            ft1 = (1 - t) ** 2 * a - t * (1 - t) * b
            out0.append(self.warp(f0[p], p, ft0))
            out1.append(self.warp(f1[p], p, ft1))
        return out0, out1

    def frame(self, t):
        w0, w1 = self.warps(t)
        return [blend(a, b, t) for a, b in zip(w0, w1)]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("input")
    ap.add_argument("output")
    ap.add_argument("--fps", required=True, help="output rate, exact rational (e.g. 30000/1001)")
    a = ap.parse_args()
    w, h, r_in = probe(a.input)
    rate = Fraction(a.fps)
    step = r_in / rate  # input frames per output frame
    enc = subprocess.Popen(["ffmpeg", "-v", "error", "-nostdin", "-y", "-f", "rawvideo", "-pix_fmt", "yuv420p",
                            "-s", f"{w}x{h}", "-framerate", f"{rate.numerator}/{rate.denominator}", "-i", "-",
                            "-an", "-c:v", "libx264", "-qp", "0", "-preset", "ultrafast", "-pix_fmt", "yuv420p",
                            a.output], stdin=subprocess.PIPE)
    interp = Interpolator(w, h)
    write = lambda planes: enc.stdin.write(b"".join(np.ascontiguousarray(p).tobytes() for p in planes))
    k, prev, n_in = 0, None, 0
    for cur in read_frames(a.input, w, h):
        if prev is not None:
            i0 = n_in - 1  # prev is input frame i0, cur (not yet counted) is i0 + 1
            have_flow = False
            while k * step < i0 + 1:
                t = k * step - i0
                if t == 0:
                    write(prev)
                else:
                    if not have_flow:
                        interp.set_pair(prev, cur)
                        have_flow = True
                    write(interp.frame(float(t)))
                k += 1
        prev = cur
        n_in += 1
    while prev is not None and k * step < n_in:  # the last frame, held for its duration
        write(prev)
        k += 1
    enc.stdin.close()
    if enc.wait() != 0:
        sys.exit("ffmpeg could not encode " + a.output)
    print(f"{a.output}: {n_in} frames in, {k} out", file=sys.stderr)


if __name__ == "__main__":
    main()
