#!/usr/bin/env python3
"""Prints the dataset benchmark's Markdown (for BENCHMARKS.md) from bench.py's JSON.

Usage: report.py RESULTS.json [--out table.md]

Each side's figures come from its best round (least seconds); per-clip figures from that
same run. Speed ratio = the Python variant's seconds / warpflow's seconds (how many times
faster warpflow builds the same windows). Accuracy is "equal or better" when warpflow's mean
EPE over the synthetic clips is at most the Python variant's plus 5 %. The flat-background
synthetic clips (rows with `background_p95`) get their own table: background |F_t| (truth 0)
and the layer's EPE, with the verdicts "background p95 < 1 px" and "layer EPE <= 0.5 px" for
warpflow medium. The still part (still_backgrounds.py): |F_t| on the still real backgrounds
of cup and box, target p95 < 1 px for warpflow. Parts missing from the JSON are left out.
"""
import argparse
import json
import os
import sys

TARGET_SPEED = 5.0
EPE_TOLERANCE = 1.05
FLAT_P95 = 1.0          # px: background p95 of |F_t| on the flat synthetic clips, warpflow medium
LAYER_EPE = 0.5         # px: the layer's EPE on them
STILL_P95 = 1.0         # px: background p95 of |F_t| on cup and box (still part), warpflow
LABELS = {"warpflow-fast": "warpflow fast", "warpflow-medium": "warpflow medium",
          "python-dis-1p": "Python DIS medium, 1 process", "python-farneback-1p": "Python Farneback, 1 process",
          "python-dis-2p": "Python DIS medium, 2 processes", "python-farneback-2p": "Python Farneback, 2 processes"}
# The accuracy run behind each speed variant (the 2-process variants compute the same flow).
ACCURACY_OF = {"python-dis-2p": "python-dis-1p", "python-farneback-2p": "python-farneback-1p"}
STAGES = ["decode", "flow", "dft", "write"]


def best_runs(results):
    best = {}
    for r in results.get("runs", []):
        if r["variant"] not in best or r["seconds"] < best[r["variant"]]["seconds"]:
            best[r["variant"]] = r
    order = [v for v in LABELS if v in best]
    return order, best


def how(r):
    if r["side"] == "warpflow":
        return f"{r['jobs']} clips at once × {r['threads_per_job']} thread"
    if r["procs"] == 1:
        return f"1 process, cv2 {r['threads']} threads (default)"
    return f"{r['procs']} processes (Pool over clips), cv2 1 thread each"


def speed_tables(results, order, best, lines):
    clips = results["clips"]
    windows = sum(c["windows"] for c in clips)
    loads = {v: [r["load"] for r in results["runs"] if r["variant"] == v] for v in order}
    lines += ["| side | how | windows | seconds | s / window | clips / min | CPU s | load at start (rounds) "
              "| warpflow fast ×faster | warpflow medium ×faster |", "|" + " --- |" * 10]
    for v in order:
        r = best[v]
        w = sum(c["windows"] for c in r["clips"].values())
        ratios = ["", ""]
        if r["side"] == "python":
            ratios = [f"{r['seconds'] / best[p]['seconds']:.2f}" if p in best else "" for p in ("warpflow-fast", "warpflow-medium")]
        lines.append(f"| {LABELS[v]} | {how(r)} | {w} | {r['seconds']:.1f} | {r['seconds'] / max(w, 1):.3f} | "
                     f"{60 * len(r['clips']) / r['seconds']:.1f} | {r['cpu']:.1f} | "
                     f"{', '.join(f'{x:.1f}' for x in loads[v])} | {ratios[0]} | {ratios[1]} |")
        if w != windows:
            lines.append(f"| ⚠ {LABELS[v]} processed {w} windows, expected {windows} | | | | | | | | | |")
    lines += ["", "Per clip: seconds per 150-frame window (clips per minute at that pace) of each side's best "
              "run. Runs with 2 clips or processes at once time each clip on its own worker while another "
              "clip runs beside it.", ""]
    lines += ["| clip | source | frames | windows | " + " | ".join(LABELS[v] for v in order) + " |",
              "|" + " --- |" * (4 + len(order))]
    for c in clips:
        cells = []
        for v in order:
            rc = best[v]["clips"].get(c["name"])
            if not rc or rc["windows"] == 0:
                cells.append("—")
                continue
            cells.append(f"{rc['seconds'] / rc['windows']:.3f} ({60 / rc['seconds']:.1f})")
        lines.append(f"| {c['name']} | {c['size']}, {c['note']} | {c['frames']} | {c['windows']} | " + " | ".join(cells) + " |")
    lines += ["", "Where the time goes (stage seconds summed over clips, share of their sum):", "",
              "| side | decode | flow | DFT | write |", "| --- | --- | --- | --- | --- |"]
    for v in order:
        st = {k: sum(c["stages"].get(k, 0.0) for c in best[v]["clips"].values()) for k in STAGES}
        total = sum(st.values()) or 1.0
        lines.append(f"| {LABELS[v]} | " + " | ".join(f"{st[k]:.1f} s ({100 * st[k] / total:.0f} %)" for k in STAGES) + " |")


def flat_names(results):
    """The synthetic clips scored as flat backgrounds (a `background_p95` figure on some side)."""
    acc = results.get("accuracy", {})
    return [c["name"] for c in results.get("synth", {}).get("clips", [])
            if any("background_p95" in rows.get(c["name"], {}) for rows in acc.values())]


def _cell(rows, name, key, fmt="{:.3f}"):
    v = rows.get(name, {}).get(key)
    return "—" if v is None else fmt.format(v)


def accuracy_table(results, lines):
    acc = results["accuracy"]
    flat = flat_names(results)
    clips = [c for c in results.get("synth", {}).get("clips", []) if c["name"] not in flat]
    names = [c["name"] for c in clips]
    lines += ["| method | " + " | ".join(f"EPE {n}" for n in names) + " | EPE mean | spectrum rel. L2 mean |",
              "|" + " --- |" * (len(names) + 3)]
    for v, rows in acc.items():
        lines.append(f"| {LABELS.get(v, v)} | " + " | ".join(_cell(rows, n, "epe") for n in names)
                     + f" | {_cell(rows, 'all', 'epe')} | {_cell(rows, 'all', 'spectrum_rel_l2')} |")
    lines += ["", "True motion: " + ", ".join(f"{c['name']} mean |F_t| {c['mean_displacement_px']:.2f} px, max "
                                            f"{c['max_displacement_px']:.1f} px" for c in clips) + "."]


def flat_table(results, lines):
    """Flat backgrounds (synthetic, truth 0): background |F_t| and the layer's EPE per method."""
    acc = results["accuracy"]
    names = flat_names(results)
    head = " | ".join(f"{n} background mean | {n} background p95 | {n} layer EPE" for n in names)
    lines += ["| method | " + head + " |", "|" + " --- |" * (1 + 3 * len(names))]
    for v, rows in acc.items():
        cells = []
        for n in names:
            cells += [_cell(rows, n, "background_mean", "{:.2f}"), _cell(rows, n, "background_p95", "{:.2f}"),
                      _cell(rows, n, "layer_epe")]
        lines.append(f"| {LABELS.get(v, v)} | " + " | ".join(cells) + " |")
    meta = {c["name"]: c for c in results["synth"]["clips"]}
    lines += ["", "True motion: 0 on the background; the layer moves by up to " + ", ".join(
        f"{meta[n]['max_displacement_px']:.1f} px ({n})" for n in names) + "."]
    w = acc.get("warpflow-medium", {})
    p95 = [w.get(n, {}).get("background_p95") for n in names]
    epe = [w.get(n, {}).get("layer_epe") for n in names]
    lines += ["", "| warpflow medium | worst clip | target met |", "| --- | --- | --- |"]
    for what, vals, ok, fmt in ((f"background p95 < {FLAT_P95:g} px", p95, lambda x: x < FLAT_P95, "{:.2f} px"),
                                (f"layer EPE ≤ {LAYER_EPE:g} px", epe, lambda x: x <= LAYER_EPE, "{:.3f} px")):
        if not vals or any(x is None for x in vals):
            lines.append(f"| {what} | — | — |")
            continue
        worst = max(vals)
        lines.append(f"| {what} | {fmt.format(worst)} ({names[vals.index(worst)]}) | **{'yes' if ok(worst) else 'no'}** |")


def still_table(results, lines):
    """Fake motion on the still real backgrounds of cup and box (still_backgrounds.py)."""
    st = results["still"]
    clips = st.get("clips", {})
    names = list(clips)
    labels = st.get("labels", {})
    methods = [m for m in labels if any(m in c.get("methods", {}) for c in clips.values())]
    lines += ["| method | " + " | ".join(f"{n}: mean / p95 (px), mask {100 * clips[n]['mask_share']:.0f} % "
                                         f"of the frame" for n in names) + f" | p95 < {STILL_P95:g} px |",
              "|" + " --- |" * (2 + len(names))]
    for m in methods:
        cells, p95s = [], []
        for n in names:
            r = clips[n]["methods"].get(m, {})
            if r.get("p95") is None:
                cells.append("—")
                p95s.append(None)
            else:
                cells.append(f"{r['mean']:.2f} / {r['p95']:.2f}")
                p95s.append(r["p95"])
        verdict = "—" if not p95s or any(x is None for x in p95s) else ("yes" if max(p95s) < STILL_P95 else "no")
        if m == "warpflow" and verdict != "—":
            verdict = f"**{verdict}** (target)"
        lines.append(f"| {labels.get(m, m)} | " + " | ".join(cells) + f" | {verdict} |")
    wins = ", ".join(f"{n} {c['windows']} × {st['window']} frames" for n, c in clips.items())
    lines += ["", f"Windows: {wins} (the first {st['windows_per_clip']} of each clip), {st['size']}; |F_t| over "
              f"t = 1…{st['window'] - 1} and the mask's pixels, pooled over the windows. Mask per window: luma "
              f"(3×3 blur) within {st['threshold']:g} grey levels of frame 0 at every t once the camera's global "
              f"exposure drift is fitted out (gain and offset per frame), eroded {st['erode_px']} px, "
              f"≥ {st['border_px']} px from the edge. By-eye check: "
              + ", ".join(f"`{c['strip']}`" for c in clips.values() if c.get("strip")) + "."]
    worst = []
    for n, c in clips.items():
        wins = c.get("methods", {}).get("warpflow", {}).get("windows") or []
        p95s = [(w["p95"], i + 1) for i, w in enumerate(wins) if w]
        if p95s:
            v, i = max(p95s)
            worst.append(f"{n} {v:.2f} px (window {i} of {len(wins)}, mask {100 * c['mask_share_windows'][i - 1]:.0f} %)")
    if worst:
        lines += ["", "warpflow's worst window (p95): " + ", ".join(worst) + "."]
    cmds = st.get("commands", {})
    if cmds:
        lines += ["", "Commands (OUT a fresh directory per method):", "", "```"] + [
            _with_clips(cmds[m], []) for m in methods if m in cmds] + ["```"]


def targets(results, order, best, lines):
    acc = results.get("accuracy", {})
    lines += ["| warpflow | vs | speed ratio | CPU-time ratio | ≥ 5× | EPE warpflow / Python (px) | accuracy equal or better "
              "| target met |", "| --- | --- | --- | --- | --- | --- | --- | --- |"]
    for w in ("warpflow-fast", "warpflow-medium"):
        for p in (v for v in order if best[v]["side"] == "python"):
            if w not in best:
                continue
            ratio = best[p]["seconds"] / best[w]["seconds"]
            ew = acc.get(w, {}).get("all", {}).get("epe")
            ep = acc.get(ACCURACY_OF.get(p, p), {}).get("all", {}).get("epe")
            fast = ratio >= TARGET_SPEED
            good = None if ew is None or ep is None else ew <= ep * EPE_TOLERANCE
            epe = "—" if good is None else f"{ew:.3f} / {ep:.3f}"
            met = "yes" if fast and good else "no"
            cpu = best[p]["cpu"] / best[w]["cpu"] if best[w]["cpu"] > 0 else float("nan")
            lines.append(f"| {LABELS[w]} | {LABELS[p]} | {ratio:.2f}× | {cpu:.2f}× | {'yes' if fast else 'no'} | {epe} | "
                         f"{'—' if good is None else ('yes' if good else 'no')} | **{met}** |")


def main():
    p = argparse.ArgumentParser(description="Markdown tables of the dataset benchmark.")
    p.add_argument("results")
    p.add_argument("--out")
    a = p.parse_args()
    with open(a.results) as fh:
        results = json.load(fh)
    m = results["meta"]
    order, best = best_runs(results)
    lines = [f"### Dataset build: warpflow vs the Python path ({m['date']}, {m['cpus']} cores)", ""]
    if order:
        c = results["clips"]
        lines += [f"{len(c)} clips, {sum(x['windows'] for x in c)} non-overlapping windows of {m['window']} frames, "
                  f"{m['size']} centre crop, K = {m['k']}, direct trajectories, window filters off; best of "
                  f"{m['rounds']} interleaved rounds (Python variants, then warpflow, per round). OpenCV "
                  f"{m['opencv']}, NumPy {m['numpy']}, Python {m['python']}. `seconds`: wall-clock of the build "
                  "(warpflow's JSON `seconds`; python_path.py from its first clip to its last, imports "
                  "excluded); `CPU s`: user + system time of the whole process tree.", ""]
        speed_tables(results, order, best, lines)
        lines.append("")
    if "accuracy" in results:
        lines += ["Flow accuracy on synthetic clips with known trajectories (synth.py; 150 frames at 256×160, "
                  "lossless FFV1; EPE = mean |F_t − F_t^true| over t = 1…149 and pixels ≥ 8 px from the edge, px; "
                  "spectrum rel. L2 = ‖S − S^true‖/‖S^true‖ over the K = 16 stored bins):", ""]
        accuracy_table(results, lines)
        lines.append("")
    if "accuracy" in results and flat_names(results):
        lines += ["Flat backgrounds (synthetic, truth 0): background = the frame-0 pixels outside the layer by "
                  "2 px and ≥ 8 px from the edge (they never move; hidden ones keep F_t = 0); |F_t| over "
                  "t = 1…149 and those pixels, mean and 95th percentile, px; layer EPE = mean |F_t − F_t^true| "
                  "2 px inside the layer:", ""]
        flat_table(results, lines)
        lines.append("")
    if "still" in results and results["still"].get("clips"):
        lines += ["Fake motion on still real backgrounds (cup, box; truth 0): a fixed camera films a plain wall "
                  "(cup) or a tablecloth (box) while a hand moves an object (still_backgrounds.py):", ""]
        still_table(results, lines)
        lines.append("")
    if order and "accuracy" in results:
        lines += [f"Target: warpflow ≥ {TARGET_SPEED:g}× faster than the Python path at equal or better flow "
                  f"accuracy (mean EPE at most the Python variant's + {100 * (EPE_TOLERANCE - 1):.0f} %):", ""]
        targets(results, order, best, lines)
        lines.append("")
    cmds = {}
    for r in results.get("runs", []):
        cmds.setdefault(r["variant"], r["command"])
    if cmds:
        bin_rel = m["bin"].replace(_root() + "/", "")
        lines += [f"Run: `WARPFLOW_BIN={bin_rel} Tests/Benchmarks/dataset/run.sh` (or `make bench`, which builds "
                  f"warpflow first); it ran {m.get('bench_seconds', 0) / 60:.1f} min. Commands of one round "
                  "(CLIPS = the clips above, in the table's order; OUT a fresh directory per run):", "", "```"]
        for v in order:
            lines.append(_with_clips(cmds[v], results["clips"]))
        lines.append("```")
    text = "\n".join(lines) + "\n"
    sys.stdout.write(text)
    if a.out:
        with open(a.out, "w") as fh:
            fh.write(text)


def _root():
    return os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", ".."))


def _with_clips(cmd, clips):
    """The command with the clip list written $CLIPS and its output directory OUT."""
    root = _root()
    paths = [x["path"].replace(root + "/", "") for x in clips]
    joined = " ".join(paths)
    if joined:
        cmd = cmd.replace(joined, "$CLIPS")
    parts = cmd.split(" ")
    for i, t in enumerate(parts):
        if t == "-o" and i + 1 < len(parts):
            parts[i + 1] = "OUT"
        if t == "--json" and i + 1 < len(parts) and parts[i + 1].endswith(".json"):
            parts[i + 1] = "OUT/result.json"
    return " ".join(parts)


if __name__ == "__main__":
    main()
