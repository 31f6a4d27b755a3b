#!/usr/bin/env python3
"""Oracle ceilings for the fps benchmark: interpolations that look at the dropped frames.

Usage: oracle_interp.py REF OUT --factor F --fps R --oracle fusion|motion

Not methods: each one reads the true in-between frame it is about to "invent", so its score
is an upper bound on what a family of methods could reach, never a peer. compare_fps.py
reports every method's share of the distance from opencv-dis to each bound.

REF is the lossless full-rate reference (fps_bench.py's CLIP-ref.mp4, rate R); frames 0, F,
2F, … are the kept frames (the kept clip is those frames bit for bit), the others are invented
from the two kept neighbours I0 = REF[j·F], I1 = REF[(j+1)·F] at t = (i − j·F)/F. OUT is on the
full-rate grid k/R, written like opencv_dis_interp.py's (raw yuv420p piped to libx264 -qp 0,
-preset ultrafast): kept frames copied unchanged (bit-exact), invented frames as below, and
after the last kept frame L that frame held for its duration, so OUT has ceil(N/F)·F frames
for N reference frames, as a method run on the kept clip has. All flows are OpenCV DIS with
PRESET_MEDIUM on the 8-bit Y planes, warps bilinear with replicated edges, chroma flows the luma
flows resized to the chroma plane and halved (opencv_dis_interp.Interpolator, shared code).

  fusion  The bound of choosing, per pixel, among the two warped frames the opencv-dis peer
          makes. Per kept pair, F01 = DIS(Y0 -> Y1), F10 = DIS(Y1 -> Y0) (the peer's flows);
          at t, W0 = I0 pulled to t and W1 = I1 pulled to t by the peer's linear flows, and
          B = round((1-t)·W0 + t·W1) (the peer's output frame). Rule: each luma pixel (x, y)
          takes the candidate c in (B, W0, W1) with the least
              (Yc − Y)² + (Uc − U)² + (Vc − V)²
          where Y is the true luma at (x, y) and U, V the true chroma samples at
          (floor(x/2), floor(y/2)), the 4:2:0 chroma sample that covers it (ties go to B, then
          W0). Each chroma sample (cx, cy) takes the choice of the luma pixel (2cx, 2cy) it is
          co-sited with (top-left of its 2×2 block). So one choice map serves all three planes;
          with B chosen everywhere OUT is the opencv-dis output.
  motion  The bound of the warp-and-blend model given the true motion: Ft0 = DIS(Yt -> Y0) and
          Ft1 = DIS(Yt -> Y1), estimated from the true in-between frame It, pull I0 and I1 back
          onto It (W0(x) = I0(x + Ft0(x)), W1(x) = I1(x + Ft1(x))), and the frame is
          round((1-t)·W0 + t·W1). No occlusion reasoning, as in the peer.
Per invented frame the log (stderr) gives, for fusion, the shares of luma pixels that chose
B, W0 and W1.
"""
import argparse, subprocess, sys
from fractions import Fraction

import numpy as np

import opencv_dis_interp as dis

CANDIDATES = ("blend", "warp0", "warp1")


def fuse(cands, truth):
    """Per-pixel choice among candidate frames (lists of Y, U, V uint8 planes) by the rule in the
    module docstring; returns (fused [Y, U, V], shares of luma pixels per candidate)."""
    h, w = truth[0].shape
    costs = []
    for c in cands:
        ey = (c[0].astype(np.float32) - truth[0]) ** 2
        ec = (c[1].astype(np.float32) - truth[1]) ** 2 + (c[2].astype(np.float32) - truth[2]) ** 2
        costs.append(ey + np.repeat(np.repeat(ec, 2, axis=0), 2, axis=1)[:h, :w])
    choice = np.argmin(np.stack(costs), axis=0)  # first minimum: B, then W0, then W1
    cchoice = choice[0::2, 0::2]  # the luma pixel (2cx, 2cy) of each chroma sample
    out = []
    for p, sel in enumerate((choice, cchoice, cchoice)):
        stack = np.stack([c[p] for c in cands])
        out.append(np.take_along_axis(stack, sel[None], axis=0)[0])
    shares = np.bincount(choice.ravel(), minlength=len(cands)) / choice.size
    return out, shares


def motion_frame(interp, i0, i1, truth, t):
    """I0 and I1 pulled back onto the true frame by flows estimated from it, blended (1-t, t)."""
    out = []
    ft0, ft1 = interp.flow(truth[0], i0[0]), interp.flow(truth[0], i1[0])
    flows = [(ft0, ft1)] + [(interp.chroma_flow(ft0), interp.chroma_flow(ft1))] * 2
    for p, (a, b) in enumerate(flows):
        out.append(dis.blend(interp.warp(i0[p], p, a), interp.warp(i1[p], p, b), t))
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("ref", help="full-rate lossless reference")
    ap.add_argument("output")
    ap.add_argument("--factor", type=int, required=True, help="drop factor F (frames 0, F, 2F, … are kept)")
    ap.add_argument("--fps", required=True, help="output rate R (the reference's), exact rational")
    ap.add_argument("--oracle", required=True, choices=("fusion", "motion"))
    a = ap.parse_args()
    if a.factor < 2:
        sys.exit("--factor must be at least 2")
    w, h, r_ref = dis.probe(a.ref)
    rate = Fraction(a.fps)
    if r_ref != rate:
        sys.exit(f"--fps {a.fps} differs from the reference's rate {r_ref}")
    enc = subprocess.Popen(["ffmpeg", "-v", "error", "-nostdin", "-y", "-f", "rawvideo", "-pix_fmt", "yuv420p",
                            "-s", f"{w}x{h}", "-framerate", f"{rate.numerator}/{rate.denominator}", "-i", "-",
                            "-an", "-c:v", "libx264", "-qp", "0", "-preset", "ultrafast", "-pix_fmt", "yuv420p",
                            a.output], stdin=subprocess.PIPE)
    write = lambda planes: enc.stdin.write(b"".join(np.ascontiguousarray(p).tobytes() for p in planes))
    interp = dis.Interpolator(w, h)
    F = a.factor
    group, n_ref, written = [], 0, 0  # group: reference frames from the last kept frame on
    for frame in dis.read_frames(a.ref, w, h):
        group.append(frame)
        n_ref += 1
        if len(group) < F + 1:
            continue
        i0, i1 = group[0], group[F]
        write(i0)
        if a.oracle == "fusion":
            interp.set_pair(i0, i1)
        for k in range(1, F):
            t = k / F
            truth = [p.astype(np.float32) for p in group[k]] if a.oracle == "fusion" else group[k]
            if a.oracle == "fusion":
                w0, w1 = interp.warps(t)
                out, shares = fuse([[dis.blend(x, y, t) for x, y in zip(w0, w1)], w0, w1], truth)
                print(f"frame {written + k}: " + ", ".join(f"{n} {s:.1%}" for n, s in zip(CANDIDATES, shares)),
                      file=sys.stderr)
            else:
                out = motion_frame(interp, i0, i1, truth, t)
            write(out)
        written += F
        group = [i1]
    if not group:
        sys.exit(f"no frames decoded from {a.ref}")
    total = -(-n_ref // F) * F  # the kept clip's span at R: the last kept frame held for its duration
    while written < total:
        write(group[0])
        written += 1
    enc.stdin.close()
    if enc.wait() != 0:
        sys.exit("ffmpeg could not encode " + a.output)
    print(f"{a.output}: oracle {a.oracle}, {n_ref} reference frames, factor {F}, {written} out", file=sys.stderr)


if __name__ == "__main__":
    main()
