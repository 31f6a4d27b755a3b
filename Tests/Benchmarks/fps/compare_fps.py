#!/usr/bin/env python3
"""Markdown tables and targets of the fps benchmark, from the JSON files of fps_bench.py.

Usage: compare_fps.py DIR [--out table.md] [--json all.json] [--strict]

DIR holds results/CLIP__fF__METHOD.json, speed/SIZE__METHOD.json, strips/CLIP__fF.json and
meta.json. Printed, per factor:
  * clips x methods: mean PSNR over Y+U+V in dB / mean SSIM of Y (invented frames only), the
    oracle columns (oracle-fusion, oracle-motion: bounds that read the dropped frames, never
    peers), node − best peer, and node's share of each oracle's headroom; a row of means and
    one of mean output fps;
  * the same for PSNR of Y;
  * headroom captured by every method: (PSNR_m − PSNR_opencv-dis) / (PSNR_oracle −
    PSNR_opencv-dis) in %, per clip, for oracle-fusion / oracle-motion (blank when the headroom
    is under 0.05 dB); the mean row is the same ratio of the clips' mean PSNRs;
  * the ablation: warpflow-flow, every `warpflow-node-…` method that ran (in the run's order),
    warpflow-node, and each one's mean minus node's.
Then the speed tables (720p and 1080p: output frames per second, ratio to minterpolate mci),
the worst-frame strips, notes on frame counts and timestamps, and the targets, each PASS or
FAIL. REAL = megamind vtest tree box cup (opencv-doc footage); peers = ffmpeg-mci,
ffmpeg-blend, opencv-dis, warpflow-blend; best peer = the peer with the highest mean PSNR on
that clip and factor:
  (a) per factor: mean over REAL clips of (warpflow-node − best peer) >= +1.0 dB;
  (b) per factor, every REAL clip: warpflow-node >= best peer − 0.1 dB;
  (c) per factor: mean over REAL clips of (warpflow-node − warpflow-flow) >= +0.3 dB;
  (d) warpflow-node's output fps >= 3 x ffmpeg-mci's, at 720p and at 1080p (one line each);
  (e) every method that ran (speed runs included) leaves every kept frame bit-identical.
Targets over REAL use the REAL clips of the run (a partial run says which are missing); a REAL
clip of the run on which warpflow-node was not scored fails (a), (b) and (c).
Cell marks: † frame count differs from the expected (kept clip's span at R), ‡ kept frames changed.
--out also writes the printed text, --json every raw result in one file; --strict exits 1 on a FAIL.
"""
import argparse, glob, json, os, sys

REAL = ["megamind", "vtest", "tree", "box", "cup"]
NODE, FLOW, MCI, BASE = "warpflow-node", "warpflow-flow", "ffmpeg-mci", "opencv-dis"
MAIN = [NODE, FLOW, "warpflow-blend", MCI, "ffmpeg-blend", BASE]
PEERS = [MCI, "ffmpeg-blend", BASE, "warpflow-blend"]
ORACLES = ["oracle-fusion", "oracle-motion"]
ABLATION_PREFIX = NODE + "-"
SPEED_SIZES = ["720p", "1080p"]
MARGIN_DB, TOLERANCE_DB, FLOW_MARGIN_DB, SPEED_RATIO = 1.0, 0.1, 0.3, 3.0
MIN_HEADROOM_DB = 0.05


def is_oracle(method, r=None):
    return method in ORACLES or method.startswith("oracle-") or bool(r and r.get("role") == "oracle")


def load(d):
    res = {}
    for p in sorted(glob.glob(os.path.join(d, "results", "*.json"))):
        r = json.load(open(p))
        res[(r["clip"], r["factor"], r["method"])] = r
    speed = {}
    for p in sorted(glob.glob(os.path.join(d, "speed", "*.json"))):
        r = json.load(open(p))
        speed.setdefault(r.get("variant", "720p"), {})[r["method"]] = r  # files without a variant: the 720p run
    strips = [json.load(open(p)) for p in sorted(glob.glob(os.path.join(d, "strips", "*.json")))]
    meta_path = os.path.join(d, "meta.json")
    return res, speed, strips, (json.load(open(meta_path)) if os.path.exists(meta_path) else {})


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
    """(mean PSNR, name) of the best peer on CLIP at F; oracles never count."""
    peers = [(res[(clip, f, p)]["psnr"], p) for p in PEERS
             if scored(res.get((clip, f, p))) and not is_oracle(p, res[(clip, f, p)])]
    return max(peers) if peers else None


def share(pm, pb, po):
    """(pm − pb) / (po − pb) in %, or None when the headroom po − pb is under MIN_HEADROOM_DB."""
    if None in (pm, pb, po) or po - pb < MIN_HEADROOM_DB:
        return None
    return 100.0 * (pm - pb) / (po - pb)


def pct(x):
    return "—" if x is None else f"{x:+.0f}%"


def psnr_of(res, c, f, m):
    r = res.get((c, f, m))
    return r["psnr"] if scored(r) else None


def headroom_cells(res, clips, f, m, oracles):
    """Per clip, then the ratio of means: 'fusion % / motion %' of method M."""
    rows = []
    for c in clips:
        rows.append(" / ".join(pct(share(psnr_of(res, c, f, m), psnr_of(res, c, f, BASE), psnr_of(res, c, f, o)))
                               for o in oracles))
    parts = []
    for o in oracles:
        both = [c for c in clips if None not in (psnr_of(res, c, f, m), psnr_of(res, c, f, BASE), psnr_of(res, c, f, o))]
        mean = lambda k: sum(psnr_of(res, c, f, k) for c in both) / len(both)
        parts.append(pct(share(mean(m), mean(BASE), mean(o))) if both else "—")
    rows.append(" / ".join(parts))
    return rows


def real_targets(res, clips, f):
    """Targets (a), (b), (c) of factor F over the REAL clips of the run."""
    real = [c for c in REAL if c in clips]
    absent = [c for c in REAL if c not in clips]
    scope = f"{len(real)}/{len(REAL)} REAL clips" + (f"; not in this run: {', '.join(absent)}" if absent else "")
    if not real:
        return [f"({x}) factor {f}: FAIL — no REAL clip in this run" for x in "abc"]
    unscored = [c for c in real if not scored(res.get((c, f, NODE)))]
    no_peer = [c for c in real if best_peer(res, c, f) is None]
    gaps = {c: (res[(c, f, NODE)]["psnr"] - best_peer(res, c, f)[0], best_peer(res, c, f)[1])
            for c in real if c not in unscored and c not in no_peer}
    extra = "; ".join(filter(None, [("node not scored on: " + ", ".join(unscored)) if unscored else "",
                                    ("no peer scored on: " + ", ".join(no_peer)) if no_peer else "", scope]))
    out = []
    if gaps:
        mean = sum(g for g, _ in gaps.values()) / len(gaps)
        ok = mean >= MARGIN_DB and not unscored
        out.append(f"(a) factor {f}: mean over REAL of ({NODE} − best peer) {mean:+.2f} dB ≥ +{MARGIN_DB:.1f} dB: "
                   f"{'PASS' if ok else 'FAIL'} — " + ", ".join(f"{c} {g:+.2f} ({p})" for c, (g, p) in gaps.items())
                   + f"; {extra}")
        below = [f"{c} ({g:+.3f} dB vs {p})" for c, (g, p) in gaps.items() if g < -TOLERANCE_DB]
        ok = not below and not unscored
        worst = min(gaps.items(), key=lambda kv: kv[1][0])
        out.append(f"(b) factor {f}: {NODE} ≥ best peer − {TOLERANCE_DB:.1f} dB on every REAL clip: "
                   f"{'PASS' if ok else 'FAIL'} — " + (("below: " + ", ".join(below)) if below else
                                                       f"lowest {worst[0]} {worst[1][0]:+.3f} dB") + f"; {extra}")
    else:
        out += [f"(a) factor {f}: FAIL — {extra}", f"(b) factor {f}: FAIL — {extra}"]
    both = [c for c in real if scored(res.get((c, f, NODE))) and scored(res.get((c, f, FLOW)))]
    if both:
        mean = sum(res[(c, f, NODE)]["psnr"] - res[(c, f, FLOW)]["psnr"] for c in both) / len(both)
        missing = [c for c in real if c not in both]
        ok = mean >= FLOW_MARGIN_DB and not unscored
        out.append(f"(c) factor {f}: mean over REAL of ({NODE} − {FLOW}) {mean:+.2f} dB ≥ +{FLOW_MARGIN_DB:.1f} dB: "
                   f"{'PASS' if ok else 'FAIL'} — {len(both)} clips"
                   + (f" (not both scored: {', '.join(missing)})" if missing else "") + f"; {scope}")
    else:
        out.append(f"(c) factor {f}: mean over REAL of ({NODE} − {FLOW}) ≥ +{FLOW_MARGIN_DB:.1f} dB: FAIL — "
                   f"not both scored on any REAL clip; {scope}")
    return out


def ablation_methods(methods, meta):
    """warpflow-flow, the `warpflow-node-…` methods in the run's order, warpflow-node."""
    order = [m for m in meta.get("methods", []) if m in methods] + sorted(methods - set(meta.get("methods", [])))
    return [m for m in [FLOW] + [m for m in order if m.startswith(ABLATION_PREFIX)] + [NODE] if m in methods]


def report(res, speed, strips, meta):
    lines, targets = [], []
    present = {c for c, _, _ in res}
    clips = [c for c in meta.get("clips", []) if c in present] + sorted(present - set(meta.get("clips", [])))
    factors = sorted({f for _, f, _ in res})
    methods = {m for _, _, m in res}
    order = [m for m in meta.get("methods", []) if m in methods] + sorted(methods - set(meta.get("methods", [])))
    oracle_cols = [m for m in order if is_oracle(m)]
    oracles = [m for m in ORACLES if m in methods] + [m for m in oracle_cols if m not in ORACLES]
    main_cols = [m for m in MAIN if m in methods] + oracles
    abl = ablation_methods(methods, meta)
    others = [m for m in order if m not in main_cols and m not in abl]  # anything else that ran
    headroom_cols = [m for m in dict.fromkeys(main_cols + abl + others) if not is_oracle(m) and m != BASE]
    lines.append(f"fps benchmark (drop-frame): {meta.get('date', '?')}, reference {meta.get('frames', '?')} frames per clip, "
                 f"load average at start {meta.get('loadavg', -1):.1f}; `warpflow fps` "
                 f"{'present' if meta.get('warpflow_fps') else 'missing (warpflow-blend via `run -vf blend`)'}.")
    if oracles:
        lines.append(f"Oracles ({', '.join(oracles)}) read the dropped frames: ceilings, never peers. "
                     f"Headroom captured = (PSNR_m − PSNR_{BASE}) / (PSNR_oracle − PSNR_{BASE}).")
    for f in factors:
        lines += ["", f"### Factor {f}: invented frames, PSNR Y+U+V (dB) / SSIM Y", ""]
        rows = []
        for c in clips:
            any_r = next((res[(c, f, m)] for m in methods if (c, f, m) in res), {})
            bp = best_peer(res, c, f)
            node = res.get((c, f, NODE))
            gap = f"{node['psnr'] - bp[0]:+.2f} ({bp[1]})" if bp and scored(node) else "—"
            node_share = [pct(share(psnr_of(res, c, f, NODE), psnr_of(res, c, f, BASE), psnr_of(res, c, f, o)))
                          for o in oracles]
            rows.append([c, any_r.get("size", "?"), any_r.get("rate", "?")] + [cell(res.get((c, f, m))) for m in main_cols]
                        + [gap] + node_share)
        mean_share = headroom_cells(res, clips, f, NODE, oracles)[-1].split(" / ") if oracles else []
        rows.append(["**mean**", "", ""] + [mean_cell([res.get((c, f, m)) for c in clips], total=len(clips)) for m in main_cols]
                    + [""] + mean_share)
        fps_row = []
        for m in main_cols:
            ok = [res[(c, f, m)] for c in clips if res.get((c, f, m), {}).get("status") == "ok"]
            fps_row.append(f"{sum(r['out_fps'] for r in ok) / len(ok):.1f}" if ok else "—")
        rows.append(["output fps (mean)", "", ""] + fps_row + [""] + [""] * len(oracles))
        lines += table(["clip", "size", "rate"] + main_cols + ["node − best peer (dB)"]
                       + [f"node: % of {o} headroom" for o in oracles], rows)
        lines += ["", f"PSNR of Y alone (dB), factor {f}:", ""]
        rows = [[c] + [cell(res.get((c, f, m)), ("psnr_y",)) for m in main_cols] for c in clips]
        rows.append(["**mean**"] + [mean_cell([res.get((c, f, m)) for c in clips], ("psnr_y",), len(clips)) for m in main_cols])
        lines += table(["clip"] + main_cols, rows)
        if oracles and BASE in methods and headroom_cols:
            lines += ["", f"Headroom captured, factor {f}: (PSNR_m − PSNR_{BASE}) / (PSNR_oracle − PSNR_{BASE}), "
                          f"{' / '.join(oracles)}; mean row: the same ratio of the mean PSNRs:", ""]
            cols = {m: headroom_cells(res, clips, f, m, oracles) for m in headroom_cols}
            heads = []
            for c in clips:
                pb = psnr_of(res, c, f, BASE)
                heads.append(" / ".join("—" if None in (pb, psnr_of(res, c, f, o)) else f"{psnr_of(res, c, f, o) - pb:+.2f}"
                                        for o in oracles))
            rows = [[c, heads[k]] + [cols[m][k] for m in headroom_cols] for k, c in enumerate(clips)]
            rows.append(["**mean**", ""] + [cols[m][-1] for m in headroom_cols])
            lines += table(["clip", "headroom (dB)"] + headroom_cols, rows)
        if len(abl) > 1 or any(m.startswith(ABLATION_PREFIX) for m in abl):
            lines += ["", f"Ablation, factor {f} (PSNR Y+U+V / SSIM Y):", ""]
            rows = [[c] + [cell(res.get((c, f, m))) for m in abl] for c in clips]
            rows.append(["**mean**"] + [mean_cell([res.get((c, f, m)) for c in clips], total=len(clips)) for m in abl])
            diff = []
            for m in abl:
                both = [c for c in clips if scored(res.get((c, f, m))) and scored(res.get((c, f, NODE)))]
                diff.append(f"{sum(res[(c, f, m)]['psnr'] - res[(c, f, NODE)]['psnr'] for c in both) / len(both):+.2f}"
                            if both and m != NODE else "—")
            rows.append([f"mean − {NODE} (dB)"] + diff)
            lines += table(["clip"] + abl, rows)
        targets += real_targets(res, clips, f)

    for size_name in SPEED_SIZES + sorted(set(speed) - set(SPEED_SIZES)):
        runs = speed.get(size_name)
        if not runs:
            targets.append(f"(d) {size_name}: {NODE} output fps ≥ {SPEED_RATIO:.0f} × {MCI}'s: FAIL — no {size_name} speed run")
            continue
        first = next(iter(runs.values()))
        lines += ["", f"### Speed {size_name}: {first.get('clip', '?')} {first.get('size', '')}, "
                      f"{first.get('ref_frames', '?')} frames, factor 2, best of interleaved rounds", ""]
        base = runs.get(MCI, {}).get("out_fps") if runs.get(MCI, {}).get("status") == "ok" else None
        rows = []
        for m in dict.fromkeys([x for x in MAIN + abl if x in runs] + sorted(runs)):
            r = runs[m]
            if r.get("status") != "ok":
                rows.append([m, r.get("status", "?"), "", "", "", ""])
                continue
            rows.append([m, " ".join(f"{s:.2f}" for s in r.get("rounds", [])), f"{r['out_frames']}{marks(r)}",
                         f"{r['out_fps']:.1f}", f"{r['out_fps'] / base:.2f}×" if base else "—",
                         f"{r['psnr']:.2f}" if r.get("psnr") is not None else "—"])
        lines += table(["method", "seconds per round", "frames out", "output fps (best)", f"× {MCI}", "PSNR (dB)"], rows)
        node = runs.get(NODE, {})
        if node.get("status") == "ok" and base:
            ratio = node["out_fps"] / base
            targets.append(f"(d) {size_name}: {NODE} output fps {node['out_fps']:.1f} ≥ {SPEED_RATIO:.0f} × {MCI} {base:.1f} "
                           f"({ratio:.2f}×): {'PASS' if ratio >= SPEED_RATIO else 'FAIL'}")
        else:
            targets.append(f"(d) {size_name}: {NODE} output fps ≥ {SPEED_RATIO:.0f} × {MCI}'s: FAIL — not both measured")

    if strips:
        subject = strips[0].get("method", NODE)
        lines += ["", f"### Worst invented frame of {subject} per clip and factor (strips: [{subject} | best peer | truth], "
                      "|error| of Y ×4 under each)", ""]
        rows = [[s["clip"], str(s["factor"]), f"{s['frame']} (t={s['t']})", f"{s['psnr']:.2f} ({s['psnr_mean']:.2f})",
                 s.get("peer") or "—",
                 ("no frame" if s.get("peer_psnr") is None else f"{s['peer_psnr']:.2f}")
                 + (f" ({s['peer_psnr_mean']:.2f})" if s.get("peer_psnr_mean") is not None else ""), s["png"]]
                for s in strips]
        lines += table(["clip", "F", "frame", f"{subject} dB (mean)", "best peer", "peer dB there (mean)", "strip"], rows)

    changed = sorted({f"{m} ({c}, f={f}: {r['kept_differ']})" for (c, f, m), r in res.items()
                      if r.get("status") == "ok" and r.get("kept_differ")}
                     | {f"{m} (speed {v}: {r['kept_differ']})" for v, runs in speed.items() for m, r in runs.items()
                        if r.get("status") == "ok" and r.get("kept_differ")})
    ran = sum(1 for r in res.values() if r.get("status") == "ok")
    targets.append(f"(e) kept frames bit-identical for every method ({ran} runs, speed runs too): "
                   f"{'PASS' if ran and not changed else 'FAIL'}"
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
    targets.sort(key=lambda t: t[:3])  # (a) … (e); stable within a letter
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
    res, speed, strips, meta = load(a.dir)
    if not res:
        sys.exit(f"no results under {a.dir}/results")
    lines, all_pass = report(res, speed, strips, meta)
    text = "\n".join(lines) + "\n"
    sys.stdout.write(text)
    if a.out:
        with open(a.out, "w") as f:
            f.write(text)
    if a.json:
        with open(a.json, "w") as f:
            json.dump({"meta": meta, "results": list(res.values()), "speed": speed, "strips": strips}, f, indent=1)
    sys.exit(1 if a.strict and not all_pass else 0)


if __name__ == "__main__":
    main()
