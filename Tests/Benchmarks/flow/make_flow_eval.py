#!/usr/bin/env python3
"""Makes the optical-flow evaluation set: pairs of real photographs in motion with exact flow.

Each pair: a background photo moved by one affine map, and 2-4 textured foreground layers
(patches of other photos under elliptical or polygonal masks) moved by their own affine maps,
composited in depth order, so there are occlusions and motion boundaries. Frames are rendered
by backward mapping with the exact transforms (bilinear sampling, same for both frames); the
ground-truth flow of frame 0 at pixel p is the motion of the topmost layer at p:
A_layer(p) - p, in pixels. Displacements reach 60 px.

Photographs: the images bundled inside scikit-image's wheel (skimage.data; no download).

Output in OUTDIR, per pair NAME: NAME_0.png, NAME_1.png (8-bit RGB), NAME_0_gray.png and
NAME_1_gray.png (8-bit gray, BT.601 luma by cv2.cvtColor: the input both benchmark sides read,
so OpenCV and warpflow see bit-identical pixels), NAME.flo (Middlebury),
NAME_valid.png (255 where p + flow(p) stays inside the frame: EPE is averaged there),
NAME_occ.png (255 where p is hidden or leaves the frame in frame 1; used by --check only),
and manifest.json. Pairs whose names end in "_bright" have frame 1 brightened
(x1.08 + 0.02) to test robustness to brightness change.

Usage: make_flow_eval.py OUTDIR [--seed N] [--pairs N]   (make the set)
       make_flow_eval.py OUTDIR --check                   (verify a set; exit status 1 on a problem)
"""
import argparse, json, os, sys
import numpy as np
import cv2
import skimage
from skimage import data as skdata

# Bump when the set's content or layout changes; run.sh regenerates a set of another version.
SET_VERSION = 2

PHOTOS = ["astronaut", "coffee", "chelsea", "rocket", "hubble_deep_field", "retina",
          "immunohistochemistry", "cat", "colorwheel", "brick", "grass", "gravel", "camera", "coins"]
SIZES = [(512, 368), (1280, 720)]


def load_photo(name):
    im = getattr(skdata, name)()
    if im.ndim == 2:
        im = np.stack([im] * 3, axis=-1)
    return np.ascontiguousarray(im[..., :3]).astype(np.float32) / 255.0


def affine(rng, max_shift, max_rot_deg, max_scale, centre):
    """A 3x3 affine map about `centre`: rotation, isotropic scale, then translation."""
    a = np.deg2rad(rng.uniform(-max_rot_deg, max_rot_deg))
    s = 1.0 + rng.uniform(-max_scale, max_scale)
    t = rng.uniform(-1, 1, size=2)
    t = t / max(np.linalg.norm(t), 1e-6) * rng.uniform(0.3, 1.0) * max_shift
    c, sn = np.cos(a) * s, np.sin(a) * s
    cx, cy = centre
    m = np.array([[c, -sn, 0], [sn, c, 0], [0, 0, 1]], dtype=np.float64)
    to = np.array([[1, 0, cx], [0, 1, cy], [0, 0, 1]], dtype=np.float64)
    back = np.array([[1, 0, -cx], [0, 1, -cy], [0, 0, 1]], dtype=np.float64)
    move = np.array([[1, 0, t[0]], [0, 1, t[1]], [0, 0, 1]], dtype=np.float64)
    return move @ to @ m @ back


def sample(img, inv, w, h, border):
    """img sampled at inv @ (x, y, 1) for every output pixel (bilinear)."""
    return cv2.warpAffine(img, inv[:2].astype(np.float64), (w, h), flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
                          borderMode=border)


def mask_shape(rng, size):
    """A soft-edged layer mask of size x size: an ellipse or a random star-shaped polygon."""
    m = np.zeros((size, size), np.float32)
    c = size // 2
    if rng.random() < 0.5:
        axes = (int(size * rng.uniform(0.3, 0.48)), int(size * rng.uniform(0.25, 0.48)))
        cv2.ellipse(m, (c, c), axes, rng.uniform(0, 180), 0, 360, 1.0, -1, cv2.LINE_AA)
    else:
        n = rng.integers(5, 9)
        angles = np.sort(rng.uniform(0, 2 * np.pi, n))
        radii = rng.uniform(0.25, 0.48, n) * size
        pts = np.stack([c + radii * np.cos(angles), c + radii * np.sin(angles)], axis=1).astype(np.int32)
        cv2.fillPoly(m, [pts], 1.0, cv2.LINE_AA)
    return m


def make_pair(rng, photos, w, h, bright):
    names = list(photos)
    bg = photos[names[rng.integers(len(names))]]
    # Background: photo scaled to cover the frame with margin, moved by one affine map.
    cover = max(w / bg.shape[1], h / bg.shape[0]) * rng.uniform(1.15, 1.4)
    place = np.array([[cover, 0, -(bg.shape[1] * cover - w) / 2], [0, cover, -(bg.shape[0] * cover - h) / 2], [0, 0, 1]])
    motion_bg = affine(rng, 30, 3, 0.03, (w / 2, h / 2))
    layers = [dict(img=bg, alpha=None, place=place, motion=motion_bg)]
    for _ in range(rng.integers(2, 5)):
        src = photos[names[rng.integers(len(names))]]
        size = int(min(w, h) * rng.uniform(0.22, 0.42))
        size = min(size, src.shape[0] - 2, src.shape[1] - 2)
        y0 = rng.integers(0, src.shape[0] - size)
        x0 = rng.integers(0, src.shape[1] - size)
        tex = np.ascontiguousarray(src[y0:y0 + size, x0:x0 + size])
        alpha = mask_shape(rng, size)
        cx, cy = rng.uniform(0.15, 0.85) * w, rng.uniform(0.15, 0.85) * h
        place = np.array([[1, 0, cx - size / 2], [0, 1, cy - size / 2], [0, 0, 1]], dtype=np.float64)
        motion = affine(rng, 50, 6, 0.05, (cx, cy))
        layers.append(dict(img=tex, alpha=alpha, place=place, motion=motion))
    frames, ids = [], []
    for t in (0, 1):
        out = np.zeros((h, w, 3), np.float32)
        idmap = np.zeros((h, w), np.int16)
        for k, layer in enumerate(layers):
            m = layer["place"] if t == 0 else layer["motion"] @ layer["place"]
            inv = np.linalg.inv(m)
            if layer["alpha"] is None:
                out[:] = sample(layer["img"], inv, w, h, cv2.BORDER_REFLECT)
                idmap[:] = 0
            else:
                col = sample(layer["img"], inv, w, h, cv2.BORDER_CONSTANT)
                a = sample(layer["alpha"], inv, w, h, cv2.BORDER_CONSTANT)[..., None]
                out = out * (1 - a) + col * a
                idmap[a[..., 0] > 0.5] = k
        frames.append(out)
        ids.append(idmap)
    if bright:
        frames[1] = np.clip(frames[1] * 1.08 + 0.02, 0, 1)
    # Exact flow of frame 0: the motion of the topmost layer at each pixel.
    ys, xs = np.mgrid[0:h, 0:w].astype(np.float64)
    flow = np.zeros((h, w, 2), np.float32)
    for k, layer in enumerate(layers):
        sel = ids[0] == k
        a = layer["motion"]
        flow[..., 0][sel] = (a[0, 0] * xs + a[0, 1] * ys + a[0, 2] - xs)[sel]
        flow[..., 1][sel] = (a[1, 0] * xs + a[1, 1] * ys + a[1, 2] - ys)[sel]
    tx, ty = xs + flow[..., 0], ys + flow[..., 1]
    valid = (tx >= 0) & (tx <= w - 1) & (ty >= 0) & (ty <= h - 1)
    # Occluded: the pixel's layer is not the topmost at its target in frame 1.
    txi = np.clip(np.rint(tx), 0, w - 1).astype(int)
    tyi = np.clip(np.rint(ty), 0, h - 1).astype(int)
    occluded = (~valid) | (ids[1][tyi, txi] != ids[0])
    return frames, flow, valid, occluded


def write_flo(path, flow):
    h, w = flow.shape[:2]
    with open(path + ".tmp", "wb") as f:
        np.array([202021.25], "<f4").tofile(f)
        np.array([w, h], "<i4").tofile(f)
        flow.astype("<f4").tofile(f)
    os.replace(path + ".tmp", path)


def read_flo(path):
    """A Middlebury .flo file as an (h, w, 2) float32 array; ValueError naming the file if bad."""
    with open(path, "rb") as f:
        head = np.fromfile(f, "<f4", 1)
        if head.size != 1 or head[0] != 202021.25:
            raise ValueError(f"{path}: not a .flo file (no PIEH tag)")
        size = np.fromfile(f, "<i4", 2)
        if size.size != 2 or not (0 < size[0] < 100000 and 0 < size[1] < 100000):
            raise ValueError(f"{path}: bad .flo size {size.tolist()}")
        w, h = int(size[0]), int(size[1])
        data = np.fromfile(f, "<f4", w * h * 2)
        if data.size != w * h * 2:
            raise ValueError(f"{path}: truncated .flo ({data.size} of {w * h * 2} values for {w}x{h})")
        return data.reshape(h, w, 2)


def to_png(img):
    return cv2.cvtColor(np.clip(img * 255 + 0.5, 0, 255).astype(np.uint8), cv2.COLOR_RGB2BGR)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("outdir")
    ap.add_argument("--seed", type=int, default=2026)
    ap.add_argument("--pairs", type=int, default=8, help="pairs per size")
    ap.add_argument("--check", action="store_true", help="verify the set: warp frame 1 back by the exact flow")
    args = ap.parse_args()
    os.makedirs(args.outdir, exist_ok=True)
    if args.check:
        return check(args.outdir)
    rng = np.random.default_rng(args.seed)
    photos = {n: load_photo(n) for n in PHOTOS}
    manifest = {"version": SET_VERSION, "seed": args.seed,
                "photos": f"skimage.data (scikit-image {skimage.__version__})",
                "made_with": {"numpy": np.__version__, "opencv": cv2.__version__, "scikit-image": skimage.__version__},
                "pairs": []}
    for (w, h) in SIZES:
        for i in range(args.pairs):
            bright = i >= args.pairs - 2
            name = f"s{w}x{h}_{i:02d}" + ("_bright" if bright else "")
            frames, flow, valid, occluded = make_pair(rng, photos, w, h, bright)
            for t in (0, 1):
                bgr = to_png(frames[t])
                cv2.imwrite(os.path.join(args.outdir, f"{name}_{t}.png"), bgr)
                cv2.imwrite(os.path.join(args.outdir, f"{name}_{t}_gray.png"), cv2.cvtColor(bgr, cv2.COLOR_BGR2GRAY))
            cv2.imwrite(os.path.join(args.outdir, name + "_valid.png"), valid.astype(np.uint8) * 255)
            cv2.imwrite(os.path.join(args.outdir, name + "_occ.png"), occluded.astype(np.uint8) * 255)
            write_flo(os.path.join(args.outdir, name + ".flo"), flow)
            mag = np.hypot(flow[..., 0], flow[..., 1])
            manifest["pairs"].append({
                "name": name, "width": w, "height": h, "size": f"{w}x{h}",
                "frame0": name + "_0.png", "frame1": name + "_1.png",
                "gray0": name + "_0_gray.png", "gray1": name + "_1_gray.png", "flow": name + ".flo",
                "valid": name + "_valid.png", "occluded": name + "_occ.png",
                "max_displacement": float(mag.max()), "mean_displacement": float(mag.mean()),
                "occluded_fraction": float(occluded.mean()), "brightness_change": bright})
    with open(os.path.join(args.outdir, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=1)
    print(f"{len(manifest['pairs'])} pairs in {args.outdir}; max displacement "
          f"{max(p['max_displacement'] for p in manifest['pairs']):.1f} px")


def check(outdir):
    """Frame 1 pulled back by the exact flow must match frame 0 where p stays visible.

    For contrast the same difference is reported for the zero flow and for the exact flow
    shifted by 1 px: a consistent set gives a residual far below both. Also checks that the
    valid masks agree with the flow and the gray frames with the RGB ones.
    """
    manifest = json.load(open(os.path.join(outdir, "manifest.json")))
    worst, failures = 0.0, 0
    for p in manifest["pairs"]:
        i0 = cv2.imread(os.path.join(outdir, p["frame0"])).astype(np.float32)
        i1 = cv2.imread(os.path.join(outdir, p["frame1"])).astype(np.float32)
        flow = read_flo(os.path.join(outdir, p["flow"]))
        occ = cv2.imread(os.path.join(outdir, p["occluded"]), cv2.IMREAD_GRAYSCALE) > 0
        valid = cv2.imread(os.path.join(outdir, p["valid"]), cv2.IMREAD_GRAYSCALE) > 0
        h, w = flow.shape[:2]
        ys, xs = np.mgrid[0:h, 0:w].astype(np.float32)
        tx, ty = xs + flow[..., 0], ys + flow[..., 1]
        inside = (tx >= 0) & (tx <= w - 1) & (ty >= 0) & (ty <= h - 1)
        if (inside != valid).mean() > 1e-4:
            print(f"{p['name']}: valid mask disagrees with the flow at {(inside != valid).mean() * 100:.2f}% of pixels")
            failures += 1
        for t, key in ((0, "gray0"), (1, "gray1")):
            if key not in p:  # a version-1 set (no gray files)
                continue
            g = cv2.imread(os.path.join(outdir, p[key]), cv2.IMREAD_GRAYSCALE)
            rgb = cv2.imread(os.path.join(outdir, p[f"frame{t}"]))
            if g is None or not np.array_equal(g, cv2.cvtColor(rgb, cv2.COLOR_BGR2GRAY)):
                print(f"{p['name']}: {p[key]} is not the luma of {p[f'frame{t}']}")
                failures += 1
        # Stay off layer edges (antialiased) by eroding the visible set.
        keep = cv2.erode((~occ).astype(np.uint8), np.ones((5, 5), np.uint8)) > 0
        ref = np.clip(i0 * 1.08 + 0.02 * 255, 0, 255) if p["brightness_change"] else i0

        def residual(fx, fy):
            back = cv2.remap(i1, xs + fx, ys + fy, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
            return float(np.abs(back - ref)[keep].mean())

        diff = residual(flow[..., 0], flow[..., 1])
        zero = residual(np.zeros_like(xs), np.zeros_like(ys))
        shifted = residual(flow[..., 0] + 1, flow[..., 1])
        worst = max(worst, diff)
        if diff >= 4 or diff >= 0.5 * shifted:
            failures += 1
        print(f"{p['name']}: mean |I1(p+f) - I0(p)| = {diff:.2f} / 255 over {keep.mean() * 100:.0f}% of pixels "
              f"(zero flow: {zero:.1f}, flow + 1 px: {shifted:.1f})")
    print(f"worst pair: {worst:.2f} / 255; {failures} problem(s)")
    return 0 if failures == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
