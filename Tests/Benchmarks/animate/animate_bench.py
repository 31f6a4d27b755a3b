"""warpflow animate against its baselines on pairs with a known middle frame.

Rotation pairs: a picture and the same picture rotated by an angle about its centre (bilinear,
cv2.warpAffine); the middle frame's ground truth is the picture rotated by half the angle.
Digits: single glyphs of opencv-doc's digits.png, upscaled 8× onto a black square. Real
pictures: opencv-doc's baboon, building, butterfly, fruits and messi5, a centred square crop
rotated and cropped again to the square every rotation keeps whole.
Real pairs: frames i and i + gap of opencv-doc's clips (320 px wide), the true frame i + gap/2.

Each pair is animated with --frames 3 --ease linear (frame 1 is t = ½) by --method node, flow
and blend, written losslessly (--qp 0, yuv444p) and scored on luma: PSNR and SSIM (Gaussian
window σ = 1.5), over the central disc for rotation pairs (what A, B and the truth all show:
the corners of a turned crop come from outside it) and the whole frame for real pairs. Targets: on the rotation pairs node beats blend by ≥ 3 dB and beats flow;
no folds anywhere (folded_fraction from --json)."""
import argparse, json, os, subprocess, sys
import cv2
import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
from opencv_clips import OPENCV_DOC, local_path  # noqa: E402

METHODS = ["node", "flow", "blend"]
PICTURES = ["baboon.jpg", "building.jpg", "butterfly.jpg", "fruits.jpg", "messi5.jpg"]
CLIPS = ["megamind", "vtest", "box", "cup"]


def rotate(img, degrees, size=None):
    h, w = img.shape[:2]
    m = cv2.getRotationMatrix2D(((w - 1) / 2, (h - 1) / 2), degrees, 1.0)
    return cv2.warpAffine(img, m, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT, borderValue=0)


def center(img, side):
    h, w = img.shape[:2]
    y, x = (h - side) // 2, (w - side) // 2
    return img[y:y + side, x:x + side]


def luma(img):
    return img.astype(np.float64) if img.ndim == 2 else cv2.cvtColor(img, cv2.COLOR_BGR2GRAY).astype(np.float64)


def disc(img):
    """The central disc (radius half the shorter side): what a rotation about the centre keeps
    inside the picture, so A, B and the truth all show it."""
    h, w = img.shape[:2]
    yy, xx = np.mgrid[0:h, 0:w]
    return (xx - (w - 1) / 2) ** 2 + (yy - (h - 1) / 2) ** 2 <= (min(w, h) / 2) ** 2


def psnr(a, b, mask=None):
    d = (luma(a) - luma(b)) ** 2
    mse = np.mean(d if mask is None else d[mask])
    return 99.0 if mse == 0 else 10 * np.log10(255.0 ** 2 / mse)


def ssim(a, b, mask=None):
    x, y = luma(a), luma(b)
    c1, c2 = (0.01 * 255) ** 2, (0.03 * 255) ** 2
    blur = lambda z: cv2.GaussianBlur(z, (11, 11), 1.5)
    mx, my = blur(x), blur(y)
    vx, vy, cxy = blur(x * x) - mx * mx, blur(y * y) - my * my, blur(x * y) - mx * my
    s = ((2 * mx * my + c1) * (2 * cxy + c2)) / ((mx * mx + my * my + c1) * (vx + vy + c2))
    return float(np.mean(s if mask is None else s[mask]))


def rotation_pairs(angles):
    """(name, A, B, truth) for every picture and angle."""
    pairs = []
    sheet = cv2.imread(os.path.join(OPENCV_DOC, "examples/data/digits.png"), cv2.IMREAD_GRAYSCALE)
    if sheet is not None:
        for digit, (row, col) in [(2, (10, 3)), (5, (25, 7)), (7, (35, 12))]:
            glyph = sheet[row * 20:(row + 1) * 20, col * 20:(col + 1) * 20]
            big = cv2.resize(glyph, (160, 160), interpolation=cv2.INTER_CUBIC)
            canvas = np.zeros((224, 224), np.uint8)
            canvas[32:192, 32:192] = big
            for a in angles:
                pairs.append((f"digit{digit}-{a}°", canvas, rotate(canvas, a), rotate(canvas, a / 2)))
    for name in PICTURES:
        img = cv2.imread(os.path.join(OPENCV_DOC, "examples/data", name))
        if img is None:
            print(f"warning: {name} missing; skipped", file=sys.stderr)
            continue
        side = min(img.shape[:2])
        square = cv2.resize(center(img, side), (256, 256), interpolation=cv2.INTER_AREA)
        for a in angles:
            pairs.append((f"{name.split('.')[0]}-{a}°", center(square, 176), center(rotate(square, a), 176),
                          center(rotate(square, a / 2), 176)))
    return pairs


def real_pairs(gaps, data):
    pairs = []
    for clip in CLIPS:
        path = local_path(clip, os.path.join(data, "src"))
        if path is None:
            continue
        cap = cv2.VideoCapture(path)
        frames = []
        while len(frames) < 40:
            ok, f = cap.read()
            if not ok:
                break
            h, w = f.shape[:2]
            frames.append(cv2.resize(f, (320, int(round(h * 320 / w / 2)) * 2), interpolation=cv2.INTER_AREA))
        start = 4
        for g in gaps:
            if start + g < len(frames):
                pairs.append((f"{clip}-gap{g}", frames[start], frames[start + g], frames[start + g // 2]))
    return pairs


def animate(binary, a_path, b_path, out, method):
    cmd = [binary, "animate", a_path, b_path, "-o", out, "--frames", "3", "--ease", "linear", "--method", method,
           "--qp", "0", "--pix-fmt", "yuv444p", "--json", "-q"] + os.environ.get("ANIMATE_BENCH_EXTRA", "").split()
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed: {r.stderr}")
    report = json.loads(r.stdout)
    cap = cv2.VideoCapture(out)
    frames = []
    while True:
        ok, f = cap.read()
        if not ok:
            break
        frames.append(f)
    return frames, report


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", required=True)
    ap.add_argument("--data", required=True)
    ap.add_argument("--angles", default="20 30 40")
    ap.add_argument("--gaps", default="8 12 16")
    args = ap.parse_args()
    work = os.path.join(args.data, "work")
    os.makedirs(work, exist_ok=True)
    groups = [("rotation", rotation_pairs([float(a) for a in args.angles.split()])),
              ("real", real_pairs([int(g) for g in args.gaps.split()], args.data))]
    results = {}
    for group, pairs in groups:
        region = "central disc" if group == "rotation" else "whole frame"
        print(f"\n### {group} pairs: middle frame against the truth (luma PSNR dB / SSIM, {region})\n")
        print("| pair | node | flow | blend | node folds | largest motion px |")
        print("| --- | --- | --- | --- | --- | --- |")
        rows = []
        for name, a, b, truth in pairs:
            base = os.path.join(work, name.replace("°", "deg"))
            cv2.imwrite(base + "-a.png", a)
            cv2.imwrite(base + "-b.png", b)
            scores, folds, motion = {}, None, None
            for m in METHODS:
                frames, report = animate(args.bin, base + "-a.png", base + "-b.png", f"{base}-{m}.mp4", m)
                if len(frames) != 3:
                    raise SystemExit(f"{name} {m}: {len(frames)} frames decoded, expected 3")
                mid = frames[1]
                if truth.ndim == 2:
                    mid = cv2.cvtColor(mid, cv2.COLOR_BGR2GRAY)
                mask = disc(truth) if group == "rotation" else None
                scores[m] = (psnr(mid, truth, mask), ssim(mid, truth, mask))
                if m == "node":
                    folds, motion = report["folded_fraction"], report["largest_motion"]
            rows.append((name, scores, folds))
            print(f"| {name} | " + " | ".join(f"{scores[m][0]:.2f} / {scores[m][1]:.3f}" for m in METHODS)
                  + f" | {folds:.4f} | {motion:.1f} |")
        if rows:
            mean = {m: (np.mean([r[1][m][0] for r in rows]), np.mean([r[1][m][1] for r in rows])) for m in METHODS}
            print("| **mean** | " + " | ".join(f"**{mean[m][0]:.2f} / {mean[m][1]:.3f}**" for m in METHODS) + " | | |")
        results[group] = rows
    rot = results.get("rotation", [])
    if rot:
        gains = [r[1]["node"][0] - r[1]["blend"][0] for r in rot]
        over_flow = [r[1]["node"][0] - r[1]["flow"][0] for r in rot]
        folds = max(r[2] for g in results.values() for r in g)
        print("\n### Targets\n")
        print(f"- node − blend on the rotation pairs ≥ 3 dB: mean {np.mean(gains):+.2f}, worst {min(gains):+.2f} dB: "
              + ("PASS" if min(gains) >= 3 else ("PASS on the mean, MISS on the worst" if np.mean(gains) >= 3 else "MISS")))
        print(f"- node − flow on the rotation pairs > 0: mean {np.mean(over_flow):+.2f}, worst {min(over_flow):+.2f} dB, "
              f"node ahead on {sum(1 for g in over_flow if g > 0)}/{len(over_flow)}: "
              + ("PASS" if min(over_flow) > 0 else ("PASS on the mean" if np.mean(over_flow) > 0 else "MISS")))
        print(f"- folds: largest folded fraction {folds:.4f}: " + ("PASS" if folds == 0 else "MISS"))


if __name__ == "__main__":
    main()
