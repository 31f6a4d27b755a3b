#!/usr/bin/env python3
"""Synthetic clips with known trajectories, for the dataset benchmark's accuracy part.

Each clip: 150 frames at 256x160 (the working size, so neither side resizes), a real picture
from scikit-image's wheel (no download) whose frame-0 pixels p move along a known smooth
oscillating field, per component c (x, y):

    F_t,c(p) = A_c(p) * (sin(2 pi f_c t / T + phi_c(p)) - sin(phi_c(p)))     (pixels)

so F_0 = 0 exactly, |F| <= 2 max A_c. A_c varies smoothly over the picture between 10 % and
100 % of the clip's amplitude; phi_c is a smooth phase ramp. One clip also has a foreground
layer (an elliptical patch of another picture, soft edge) translating rigidly by d(t) =
D_c * (sin(2 pi g_c t / T + psi_c) - sin(psi_c)) over the moving background: its frame-0
pixels move by d(t), the others by the field (those hidden by the layer included).

Rendering, per frame t, at 2x supersampling then an area downscale (INTER_AREA, 2x2 mean):
every subpixel q is traced back to the frame-0 position p with p + F_t(p) = q by fixed-point
iteration p <- q - F_t(p) (the field's Lipschitz constant is < 0.4, so it contracts; started
from frame t-1's solution, iterated until |p + F_t(p) - q| < 1e-7 px, at most 30 times;
checked), then the picture is read there (bicubic; the picture extends 12 px beyond the frame
on every side so content enters from real picture, reflected beyond). Frame 0 is rendered
the same way (p = q). So F_t is exactly the forward displacement of frame-0 pixels, up to the
subpixel averaging of a smooth field.

Two more clips have flat backgrounds, where the truth is zero motion: `synth-patch-flat`, a
textured 64x64 patch (a rectangle layer) swinging over a flat grey with sensor noise (Gaussian,
sigma 1.5 levels, fresh every frame), and `synth-wall`, a shaded textureless wall (noise sigma 1)
with a still textured poster and a textured elliptical object moving in front. Their frame-0
background pixels (`background_mask`) never move; the pixels the layer hides keep F_t = 0.

Usage: synth.py OUTDIR            writes OUTDIR/NAME.mkv (FFV1, bgr0: lossless RGB) and
                                  OUTDIR/NAME.frame0.npy (the rendered RGB frame 0, uint8),
                                  OUTDIR/synth.json (specs, versions)
       synth.py OUTDIR --check    decodes the clips and checks that the truth pulls every frame
                                  back onto frame 0 (exit status 1 if not)
       truth(spec) from Python    the exact trajectories [T, H, W, 2] float64, F_0 = 0
"""
import json
import os
import subprocess
import sys

import numpy as np

SYNTH_VERSION = 2
W, H, T = 256, 160, 150
MARGIN = 12          # working pixels of picture beyond each side of the frame
SS = 2               # supersampling factor of the renderer

# amp: max A_c (px); freq: f_x, f_y (cycles per 150 frames); ramp: phase ramp (cycles over
# the frame in x, y) per component; fg: the foreground layer or None.
SPECS = [
    {"name": "synth-astronaut", "photo": "astronaut", "amp": [4.0, 3.0], "freq": [2.0, 3.0],
     "ramp": [[0.8, 0.3], [-0.4, 0.7]], "phase0": [0.4, 1.9], "wave": [[0.7, 0.5, 0.3], [0.4, -0.6, 1.1]], "fg": None},
    {"name": "synth-coffee", "photo": "coffee", "amp": [3.0, 4.0], "freq": [1.0, 2.5],
     "ramp": [[0.5, -0.6], [0.9, 0.2]], "phase0": [2.3, 0.7], "wave": [[0.3, 0.9, 2.0], [0.8, 0.3, 0.2]], "fg": None},
    {"name": "synth-chelsea-layer", "photo": "chelsea", "amp": [2.5, 2.0], "freq": [1.0, 2.0],
     "ramp": [[0.6, 0.4], [0.3, -0.8]], "phase0": [1.1, 2.9], "wave": [[0.5, 0.4, 0.9], [0.6, 0.7, 2.4]],
     "fg": {"photo": "astronaut", "centre": [150.0, 76.0], "radii": [42.0, 32.0],
            "D": [12.0, 6.0], "freq": [1.0, 2.0], "psi": [0.9, 2.2], "src_centre": [230.0, 120.0]}},
    # Flat backgrounds, where the truth is zero: a textured 64x64 patch swings over a flat grey
    # that carries a little sensor noise (fresh every frame) ...
    {"name": "synth-patch-flat", "photo": None, "amp": [0.0, 0.0], "freq": [1.0, 1.0],
     "ramp": [[0, 0], [0, 0]], "phase0": [0, 0], "wave": [[0, 0, 0], [0, 0, 0]],
     "flat": {"level": [118.0, 121.0, 125.0], "shade": 0.0, "noise": 1.5, "poster": None},
     "fg": {"photo": "chelsea", "shape": "rect", "centre": [128.0, 80.0], "radii": [32.0, 32.0],
            "D": [12.0, 6.0], "freq": [2.0, 3.0], "psi": [0.3, 1.4], "src_centre": [70.0, 110.0]}},
    # ... and a shaded, textureless wall with a still poster on it and a textured object moving
    # in front (a fixed camera filming a hand before a wall).
    {"name": "synth-wall", "photo": None, "amp": [0.0, 0.0], "freq": [1.0, 1.0],
     "ramp": [[0, 0], [0, 0]], "phase0": [0, 0], "wave": [[0, 0, 0], [0, 0, 0]],
     "flat": {"level": [214.0, 210.0, 200.0], "shade": 18.0, "noise": 1.0,
              "poster": {"photo": "coffee", "box": [20, 30, 70, 100]}},
     "fg": {"photo": "chelsea", "centre": [176.0, 90.0], "radii": [30.0, 40.0],
            "D": [16.0, 8.0], "freq": [1.0, 2.0], "psi": [0.0, 0.0], "src_centre": [160.0, 60.0]}},
]


def _amplitude(spec, c, x, y):
    """A_c at working coordinates (x, y): between 0.1 and 1 times amp_c, smooth."""
    a1, a2, ph = spec["wave"][c]
    g = 0.6 * np.cos(2 * np.pi * (a1 * x / W + a2 * y / H) + ph) + 0.4 * np.cos(2 * np.pi * (a2 * x / W - a1 * y / H) + 2 * ph)
    return spec["amp"][c] * (0.55 + 0.45 * g)


def _phase(spec, c, x, y):
    rx, ry = spec["ramp"][c]
    return 2 * np.pi * (rx * x / W + ry * y / H) + spec["phase0"][c]


def field(spec, t, x, y):
    """The background field F_t at working coordinates (x, y): (Fx, Fy) in pixels."""
    out = []
    for c in range(2):
        ph = _phase(spec, c, x, y)
        out.append(_amplitude(spec, c, x, y) * (np.sin(2 * np.pi * spec["freq"][c] * t / T + ph) - np.sin(ph)))
    return out[0], out[1]


def layer_shift(fg, t):
    """The foreground layer's displacement d(t) = (dx, dy), pixels; d(0) = 0."""
    return [fg["D"][c] * (np.sin(2 * np.pi * fg["freq"][c] * t / T + fg["psi"][c]) - np.sin(fg["psi"][c])) for c in range(2)]


def layer_mask(fg, x, y, soft):
    """Coverage of the frame-0 ellipse (or rectangle, `shape: rect`) at (x, y) (working
    coordinates), edge width `soft` px."""
    (cx, cy), (rx, ry) = fg["centre"], fg["radii"]
    if fg.get("shape") == "rect":
        edge = np.minimum(rx - np.abs(x - cx), ry - np.abs(y - cy))
    else:
        r = np.sqrt(((x - cx) / rx) ** 2 + ((y - cy) / ry) ** 2)
        edge = (1 - r) * min(rx, ry)      # distance inside the edge, approximately, px
    return np.clip(0.5 + edge / soft, 0, 1)


def truth(spec):
    """Exact trajectories of the frame-0 pixels, [T, H, W, 2] float64 (x, y), F_0 = 0."""
    y, x = np.mgrid[0:H, 0:W].astype(np.float64)
    out = np.zeros((T, H, W, 2))
    inside = layer_mask(spec["fg"], x, y, 1.0) > 0.5 if spec["fg"] else None
    for t in range(T):
        fx, fy = field(spec, t, x, y)
        if spec["fg"]:
            dx, dy = layer_shift(spec["fg"], t)
            fx = np.where(inside, dx, fx)
            fy = np.where(inside, dy, fy)
        out[t, ..., 0], out[t, ..., 1] = fx, fy
    return out


def _flat_picture(flat, cover_w, cover_h):
    """A flat background (float32 RGB 0..255, supersampled canvas): a colour with a smooth
    vertical shade of `shade` levels and, optionally, a still poster (a photo pasted into `box`
    = x0, y0, x1, y1 in working pixels)."""
    ys = np.linspace(-0.5, 0.5, cover_h, dtype=np.float32)[:, None, None]
    im = np.broadcast_to(np.array(flat["level"], np.float32) + flat["shade"] * ys, (cover_h, cover_w, 3)).copy()
    poster = flat.get("poster")
    if poster:
        x0, y0, x1, y1 = [(v + MARGIN) * SS for v in poster["box"]]
        im[y0:y1, x0:x1] = _picture(poster["photo"], x1 - x0, y1 - y0)
    return im


def background_mask(spec):
    """Frame-0 pixels of a flat-background clip whose truth is zero motion and that no layer
    edge blurs: outside the layer by 2 px, at least 8 px from the frame's edge ([H, W] bool)."""
    y, x = np.mgrid[0:H, 0:W].astype(np.float64)
    keep = np.zeros((H, W), bool)
    keep[8:H - 8, 8:W - 8] = True
    return keep & (layer_mask(spec["fg"], x, y, 4.0) == 0)


def layer_inside(spec):
    """Frame-0 pixels of the layer, 2 px inside its edge ([H, W] bool)."""
    y, x = np.mgrid[0:H, 0:W].astype(np.float64)
    return layer_mask(spec["fg"], x, y, 4.0) == 1


def _picture(name, cover_w, cover_h):
    """The photo scaled (cubic) to cover cover_w x cover_h and centre-cropped, float32 RGB 0..255."""
    import cv2
    from skimage import data as skdata
    im = getattr(skdata, name)()
    if im.ndim == 2:
        im = np.stack([im] * 3, axis=-1)
    im = np.ascontiguousarray(im[..., :3]).astype(np.float32)
    s = max(cover_w / im.shape[1], cover_h / im.shape[0])
    sw, sh = max(cover_w, round(im.shape[1] * s)), max(cover_h, round(im.shape[0] * s))
    im = cv2.resize(im, (sw, sh), interpolation=cv2.INTER_AREA if s < 1 else cv2.INTER_CUBIC)
    x0, y0 = (sw - cover_w) // 2, (sh - cover_h) // 2
    return im[y0:y0 + cover_h, x0:x0 + cover_w]


def render(spec):
    """The clip's frames, [T, H, W, 3] uint8 RGB, and the worst fixed-point residual (px)."""
    import cv2
    cw, ch = (W + 2 * MARGIN) * SS, (H + 2 * MARGIN) * SS
    flat = spec.get("flat")
    bg = _flat_picture(flat, cw, ch) if flat else _picture(spec["photo"], cw, ch)
    rng = np.random.default_rng(7)
    fg = spec["fg"]
    fgpic = _picture(fg["photo"], cw, ch) if fg else None
    ys, xs = np.mgrid[0:H * SS, 0:W * SS].astype(np.float64)
    qx, qy = (xs + 0.5) / SS - 0.5, (ys + 0.5) / SS - 0.5   # subpixel centres, working coordinates
    to_src = lambda v: ((v + MARGIN + 0.5) * SS - 0.5).astype(np.float32)
    frames, worst = [], 0.0
    px, py = qx.copy(), qy.copy()
    for t in range(T):
        # Warm start from frame t-1's solution: the field moves little per frame.
        for _ in range(30):
            fx, fy = field(spec, t, px, py)
            res = float(np.max(np.hypot(px + fx - qx, py + fy - qy)))
            if res < 1e-7:
                break
            px, py = qx - fx, qy - fy
        worst = max(worst, res)
        img = cv2.remap(bg, to_src(px), to_src(py), cv2.INTER_CUBIC, borderMode=cv2.BORDER_REFLECT)
        if fg:
            dx, dy = layer_shift(fg, t)
            sx, sy = qx - dx, qy - dy       # layer content at q came from q - d(t) in frame 0
            ox, oy = fg["src_centre"][0] - fg["centre"][0], fg["src_centre"][1] - fg["centre"][1]
            patch = cv2.remap(fgpic, to_src(sx + ox), to_src(sy + oy), cv2.INTER_CUBIC, borderMode=cv2.BORDER_REFLECT)
            m = layer_mask(fg, sx, sy, 1.0).astype(np.float32)[..., None]
            img = m * patch + (1 - m) * img
        small = cv2.resize(img, (W, H), interpolation=cv2.INTER_AREA)
        if flat:        # sensor noise, fresh every frame, grey (the same in R, G and B)
            small = small + rng.normal(0, flat["noise"], (H, W, 1)).astype(np.float32)
        frames.append(np.clip(np.rint(small), 0, 255).astype(np.uint8))
    return np.stack(frames), worst


def encode(frames, path):
    """Writes RGB frames losslessly: FFV1 in Matroska, bgr0 (RGB, no YUV conversion), 30 fps."""
    cmd = ["ffmpeg", "-v", "error", "-y", "-f", "rawvideo", "-pix_fmt", "rgb24", "-s", f"{W}x{H}", "-r", "30",
           "-i", "-", "-c:v", "ffv1", "-level", "3", "-pix_fmt", "bgr0", path]
    subprocess.run(cmd, input=frames.tobytes(), check=True)


def check(out):
    """Frame t pulled back by the truth must match frame 0 (visible pixels, 8 px from the edge,
    3 px from the layer's edge): mean |I_t(p + F_t(p)) - I_0(p)| in grey levels, far below the
    same with the truth shifted by 1 px and with zero motion. Returns False on a failure."""
    import cv2
    ok = True
    y, x = np.mgrid[0:H, 0:W].astype(np.float64)
    for spec in SPECS:
        cap = cv2.VideoCapture(os.path.join(out, spec["name"] + ".mkv"))
        frames = []
        while True:
            got, f = cap.read()
            if not got:
                break
            frames.append(cv2.cvtColor(f, cv2.COLOR_BGR2GRAY).astype(np.float32))
        if len(frames) != T:
            print(f"{spec['name']}: {len(frames)} frames decoded, expected {T}", file=sys.stderr)
            ok = False
            continue
        f_true = truth(spec)
        keep = np.zeros((H, W), bool)
        keep[8:H - 8, 8:W - 8] = True
        fg = spec["fg"]
        if spec.get("flat"):    # only the layer has texture: zero motion fits the flat rest too
            keep &= layer_inside(spec)
        if fg:
            m0 = layer_mask(fg, x, y, 1.0)
            keep &= ~((m0 > 0) & (m0 < 1)) & (np.abs(layer_mask(fg, x, y, 6.0) - 0.5) >= 0.5)
        res = {"truth": [], "shifted": [], "zero": []}
        for t in range(1, T, 7):
            vis = keep.copy()
            if fg:      # background pixels covered by the layer at t are not visible
                dx, dy = layer_shift(fg, t)
                inside = layer_mask(fg, x, y, 1.0) > 0.5
                vis &= inside | (layer_mask(fg, x + f_true[t, ..., 0] - dx, y + f_true[t, ..., 1] - dy, 6.0) == 0)
            for name, (fx, fy) in {"truth": (f_true[t, ..., 0], f_true[t, ..., 1]),
                                   "shifted": (f_true[t, ..., 0] + 1, f_true[t, ..., 1]), "zero": (0 * x, 0 * y)}.items():
                back = cv2.remap(frames[t], (x + fx).astype(np.float32), (y + fy).astype(np.float32), cv2.INTER_LINEAR,
                                 borderMode=cv2.BORDER_REFLECT)
                res[name].append(float(np.mean(np.abs(back - frames[0])[vis])))
        m = {k: float(np.mean(v)) for k, v in res.items()}
        good = m["truth"] < 3.0 + (spec["flat"]["noise"] if spec.get("flat") else 0) and m["truth"] < 0.5 * min(m["shifted"], m["zero"])
        ok &= good
        print(f"{spec['name']}: mean |I_t(p + F_t) - I_0| {m['truth']:.2f} grey levels (truth shifted 1 px: "
              f"{m['shifted']:.2f}, zero motion: {m['zero']:.2f}){'' if good else '  FAILED'}", file=sys.stderr)
    return ok


def main():
    if len(sys.argv) == 3 and sys.argv[2] == "--check":
        sys.exit(0 if check(sys.argv[1]) else 1)
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    import cv2, skimage
    meta = {"version": SYNTH_VERSION, "width": W, "height": H, "frames": T, "clips": [],
            "numpy": np.__version__, "opencv": cv2.__version__, "scikit-image": skimage.__version__}
    for spec in SPECS:
        frames, worst = render(spec)
        if worst > 1e-4:
            sys.exit(f"synth.py: {spec['name']}: fixed-point inverse did not converge (residual {worst:.2e} px)")
        path = os.path.join(out, spec["name"] + ".mkv")
        encode(frames, path)
        np.save(os.path.join(out, spec["name"] + ".frame0.npy"), frames[0])
        f = truth(spec)
        meta["clips"].append({"name": spec["name"], "file": os.path.basename(path), "residual_px": worst,
                              "max_displacement_px": float(np.max(np.hypot(f[..., 0], f[..., 1]))),
                              "mean_displacement_px": float(np.mean(np.hypot(f[1:, ..., 0], f[1:, ..., 1])))})
        print(f"{spec['name']}: max |F| {meta['clips'][-1]['max_displacement_px']:.2f} px, "
              f"fixed-point residual {worst:.1e} px", file=sys.stderr)
    with open(os.path.join(out, "synth.json"), "w") as fh:
        json.dump(meta, fh, indent=1)


if __name__ == "__main__":
    main()
