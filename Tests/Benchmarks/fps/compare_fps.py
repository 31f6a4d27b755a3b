#!/usr/bin/env python3
"""Markdown tables and targets of the fps benchmark, from the JSON files of fps_bench.py.

Usage: compare_fps.py DIR [--out table.md] [--json all.json] [--strict]

DIR holds results/CLIP__fF__METHOD.json, speed/METHOD.json and meta.json. Printed: per factor,
a table of clips x methods (mean PSNR over Y+U+V in dB / mean SSIM of Y, invented frames
only) with a row of means; the same for PSNR of Y; an ablation table (flow, node without fit,
node without occlusion, node); the 720p speed table (output frames per second, ratio to
minterpolate mci); notes on frame counts and timestamps; and the targets, each PASS or FAIL:
  (a) every clip and factor: warpflow-node PSNR >= the best peer's + 1.0 dB (peers: ffmpeg-mci,
      ffmpeg-blend, opencv-dis, warpflow-blend);
  (b) warpflow-node's 720p output fps >= 3 x ffmpeg-mci's;
  (c) per factor: warpflow-node's mean PSNR >= warpflow-flow's (over the clips both scored);
  (d) every method that ran leaves every kept frame bit-identical.
Cell marks: † frame count differs from the expected (kept clip's span at R), ‡ kept frames changed.
--out also writes the printed text, --json every raw result in one file; --strict exits 1 on a FAIL.
"""
import argparse, glob, json, os, sys

MAIN = ["warpflow-node", "warpflow-flow", "warpflow-blend", "ffmpeg-mci", "ffmpeg-blend", "opencv-dis"]
ABLATION = ["warpflow-flow", "warpflow-node-sym", "warpflow-node-noocc", "warpflow-node-fit", "warpflow-node"]
PEERS = ["ffmpeg-mci", "ffmpeg-blend", "opencv-dis", "warpflow-blend"]
NODE, FLOW, MCI = "warpflow-node", "warpflow-flow", "ffmpeg-mci"
MARGIN_DB, SPEED_RATIO = 1.0, 3.0


def load(d):
    res = {}
    for p in sorted(glob.glob(os.path.join(d, "results", "*.json"))):
        r = json.load(open(p))
        res[(r["clip"], r["factor"], r["method"])] = r
    speed = {json.load(open(p))["method"]: json.load(open(p)) for p in sorted(glob.glob(os.path.join(d, "speed", "*.json")))}
    meta_path = os.path.join(d, "meta.json")
    return res, speed, (json.load(open(meta_path)) if os.path.exists(meta_path) else {})


def scored(r):
    return r is not None and r.get("status") == "ok" and r.get("psnr") is not None


def marks(r):
    m = "†" if r.get("out_frames") != r.get("expected_frames") else ""
    return m + ("‡" if r.get("kept_differ") else "")


def cell(r, keys=("psnr", "ssim_y")):
    if r is None:
        return "—"
    if r.get("status") != "ok":
        return "n/a" if r.get("status") == "not available" else "failed"
    if r.get("psnr") is None:
        return "error" + marks(r)
    vals = [f"{r[k]:.2f}" if k.startswith("psnr") else f"{r[k]:.4f}" for k in keys]
    return " / ".join(vals) + marks(r)


def mean_cell(rows, keys=("psnr", "ssim_y"), total=None):
    ok = [r for r in rows if scored(r)]
    if not ok:
        return "—"
    vals = [sum(r[k] for r in ok) / len(ok) for k in keys]
    text = " / ".join(f"{v:.2f}" if k.startswith("psnr") else f"{v:.4f}" for k, v in zip(keys, vals))
    return text + (f" ({len(ok)} clips)" if total and len(ok) < total else "")


def table(header, rows):
    out = ["| " + " | ".join(header) + " |", "| " + " | ".join(["---"] + ["---:"] * (len(header) - 1)) + " |"]
    out += ["| " + " | ".join(r) + " |" for r in rows]
    return out


def best_peer(res, clip, f):
    peers = [(res[(clip, f, p)]["psnr"], p) for p in PEERS if scored(res.get((clip, f, p)))]
    return max(peers) if peers else None


def report(res, speed, meta):
    lines, targets = [], []
    present = {c for c, _, _ in res}
    clips = [c for c in meta.get("clips", []) if c in present] + sorted(present - set(meta.get("clips", [])))
    factors = sorted({f for _, f, _ in res})
    methods = {m for _, _, m in res}
    main_cols = [m for m in MAIN if m in methods]
    lines.append(f"fps benchmark (drop-frame): {meta.get('date', '?')}, reference {meta.get('frames', '?')} frames per clip, "
                 f"load average at start {meta.get('loadavg', -1):.1f}; `warpflow fps` "
                 f"{'present' if meta.get('warpflow_fps') else 'missing (warpflow-blend via `run -vf blend`)'}.")
    for f in factors:
        lines += ["", f"### Factor {f}: invented frames, PSNR Y+U+V (dB) / SSIM Y", ""]
        rows = []
        for c in clips:
            any_r = next((res[(c, f, m)] for m in methods if (c, f, m) in res), {})
            bp = best_peer(res, c, f)
            node = res.get((c, f, NODE))
            gap = f"{node['psnr'] - bp[0]:+.2f} ({bp[1]})" if bp and scored(node) else "—"
            rows.append([c, any_r.get("size", "?"), any_r.get("rate", "?")] + [cell(res.get((c, f, m))) for m in main_cols] + [gap])
        rows.append(["**mean**", "", ""] + [mean_cell([res.get((c, f, m)) for c in clips], total=len(clips)) for m in main_cols] + [""])
        fps_row = []
        for m in main_cols:
            ok = [res[(c, f, m)] for c in clips if res.get((c, f, m), {}).get("status") == "ok"]
            fps_row.append(f"{sum(r['out_fps'] for r in ok) / len(ok):.1f}" if ok else "—")
        rows.append(["output fps (mean)", "", ""] + fps_row + [""])
        lines += table(["clip", "size", "rate"] + main_cols + ["node − best peer (dB)"], rows)
        lines += ["", f"PSNR of Y alone (dB), factor {f}:", ""]
        rows = [[c] + [cell(res.get((c, f, m)), ("psnr_y",)) for m in main_cols] for c in clips]
        rows.append(["**mean**"] + [mean_cell([res.get((c, f, m)) for c in clips], ("psnr_y",), len(clips)) for m in main_cols])
        lines += table(["clip"] + main_cols, rows)
        abl = [m for m in ABLATION if m in methods]
        if abl:
            lines += ["", f"Ablation, factor {f} (PSNR Y+U+V / SSIM Y):", ""]
            rows = [[c] + [cell(res.get((c, f, m))) for m in abl] for c in clips]
            rows.append(["**mean**"] + [mean_cell([res.get((c, f, m)) for c in clips], total=len(clips)) for m in abl])
            lines += table(["clip"] + abl, rows)
        # (a) and (c) for this factor
        fails, missing = [], []
        for c in clips:
            bp, node = best_peer(res, c, f), res.get((c, f, NODE))
            if not scored(node):
                missing.append(c)
            elif bp and node["psnr"] < bp[0] + MARGIN_DB:
                fails.append(f"{c} ({node['psnr'] - bp[0]:+.2f} dB vs {bp[1]})")
        ok_a = not fails and not missing
        detail = "; ".join(filter(None, [("below: " + ", ".join(fails)) if fails else "",
                                         ("node not scored on: " + ", ".join(missing)) if missing else ""]))
        targets.append(f"(a) factor {f}: {NODE} ≥ best peer + {MARGIN_DB:.1f} dB on every clip: "
                       f"{'PASS' if ok_a else 'FAIL'}" + (f" — {detail}" if detail else ""))
        both = [c for c in clips if scored(res.get((c, f, NODE))) and scored(res.get((c, f, FLOW)))]
        if both:
            mn = sum(res[(c, f, NODE)]["psnr"] for c in both) / len(both)
            mf = sum(res[(c, f, FLOW)]["psnr"] for c in both) / len(both)
            targets.append(f"(c) factor {f}: {NODE} mean PSNR {mn:.2f} ≥ {FLOW} {mf:.2f} dB ({len(both)} clips): "
                           f"{'PASS' if mn >= mf else 'FAIL'}")
        else:
            targets.append(f"(c) factor {f}: {NODE} ≥ {FLOW} on mean PSNR: FAIL — not both scored")
    if speed:
        lines += ["", f"### Speed: {next(iter(speed.values())).get('clip', '?')} "
                      f"{next(iter(speed.values())).get('size', '')}, factor 2, best of interleaved rounds", ""]
        base = speed.get(MCI, {}).get("out_fps") if speed.get(MCI, {}).get("status") == "ok" else None
        rows = []
        for m in dict.fromkeys([x for x in MAIN + ABLATION if x in speed] + sorted(speed)):
            r = speed[m]
            if r.get("status") != "ok":
                rows.append([m, r.get("status", "?"), "", "", "", ""])
                continue
            rows.append([m, " ".join(f"{s:.2f}" for s in r.get("rounds", [])), f"{r['out_frames']}{marks(r)}",
                         f"{r['out_fps']:.1f}", f"{r['out_fps'] / base:.2f}×" if base else "—",
                         f"{r['psnr']:.2f}" if r.get("psnr") is not None else "—"])
        lines += table(["method", "seconds per round", "frames out", "output fps (best)", f"× {MCI}", "PSNR (dB)"], rows)
        node = speed.get(NODE, {})
        if node.get("status") == "ok" and base:
            ratio = node["out_fps"] / base
            targets.append(f"(b) {NODE} 720p output fps {node['out_fps']:.1f} ≥ {SPEED_RATIO:.0f} × {MCI} {base:.1f} "
                           f"({ratio:.2f}×): {'PASS' if ratio >= SPEED_RATIO else 'FAIL'}")
        else:
            targets.append(f"(b) {NODE} 720p output fps ≥ {SPEED_RATIO:.0f} × {MCI}'s: FAIL — not both measured")
    else:
        targets.append(f"(b) {NODE} 720p output fps ≥ {SPEED_RATIO:.0f} × {MCI}'s: FAIL — no speed run")
    changed = sorted({f"{m} ({c}, f={f}: {r['kept_differ']})" for (c, f, m), r in res.items()
                      if r.get("status") == "ok" and r.get("kept_differ")})
    ran = sum(1 for r in res.values() if r.get("status") == "ok")
    targets.append(f"(d) kept frames bit-identical for every method ({ran} runs): {'PASS' if ran and not changed else 'FAIL'}"
                   + (" — changed by " + ", ".join(changed) if changed else "") + ("" if ran else " — nothing ran"))
    notes = []
    for (c, f, m), r in sorted(res.items(), key=lambda kv: (kv[0][2], kv[0][1], kv[0][0])):
        if r.get("status") == "failed":
            notes.append(f"- {m} failed on {c}, f={f}: {r.get('error', '')[:200]}")
        elif r.get("status") == "ok":
            if r.get("out_frames") != r.get("expected_frames"):
                notes.append(f"- † {m} on {c}, f={f}: {r['out_frames']} frames, expected {r['expected_frames']} "
                             f"(reference {r['ref_frames']}; invented frames scored {r.get('invented')}/{r.get('invented_expected')})")
            if r.get("off_grid"):
                notes.append(f"- {m} on {c}, f={f}: {r['off_grid']} frames off the grid k/R")
            if r.get("error"):
                notes.append(f"- {m} on {c}, f={f}: {r['error']}")
    na = sorted({f"{m}: {r.get('note')}" for r in res.values() for m in [r["method"]] if r.get("status") == "not available"})
    notes += [f"- {x}" for x in na]
    if notes:
        lines += ["", "Notes:"] + notes
    targets.sort(key=lambda t: t[:3])  # (a) (b) (c) (d); stable within a letter
    lines += [""] + [f"- {t}" for t in targets]
    passed = sum(1 for t in targets if ": PASS" in t)
    lines += ["", f"targets: {passed} PASS, {len(targets) - passed} FAIL"]
    return lines, passed == len(targets)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("dir")
    ap.add_argument("--out")
    ap.add_argument("--json")
    ap.add_argument("--strict", action="store_true")
    a = ap.parse_args()
    res, speed, meta = load(a.dir)
    if not res:
        sys.exit(f"no results under {a.dir}/results")
    lines, all_pass = report(res, speed, meta)
    text = "\n".join(lines) + "\n"
    sys.stdout.write(text)
    if a.out:
        with open(a.out, "w") as f:
            f.write(text)
    if a.json:
        with open(a.json, "w") as f:
            json.dump({"meta": meta, "results": list(res.values()), "speed": speed}, f, indent=1)
    sys.exit(1 if a.strict and not all_pass else 0)


if __name__ == "__main__":
    main()
