#!/usr/bin/env python3
"""Prints the dataset benchmark's Markdown (for BENCHMARKS.md) from bench.py's JSON.

Usage: report.py RESULTS.json [--out table.md]

Each side's figures come from its best round (least seconds); per-clip figures from that
same run. Speed ratio = the Python variant's seconds / warpflow's seconds (how many times
faster warpflow builds the same windows). Accuracy is "equal or better" when warpflow's mean
EPE over the synthetic clips is at most the Python variant's plus 5 %.
"""
import argparse
import json
import os
import sys

TARGET_SPEED = 5.0
EPE_TOLERANCE = 1.05
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


def accuracy_table(results, lines):
    acc = results["accuracy"]
    names = [c["name"] for c in results["synth"]["clips"]]
    lines += ["| method | " + " | ".join(f"EPE {n}" for n in names) + " | EPE mean | spectrum rel. L2 mean |",
              "|" + " --- |" * (len(names) + 3)]
    for v, rows in acc.items():
        lines.append(f"| {LABELS.get(v, v)} | " + " | ".join(f"{rows[n]['epe']:.3f}" for n in names)
                     + f" | {rows['all']['epe']:.3f} | {rows['all']['spectrum_rel_l2']:.3f} |")
    lines += ["", "True motion: " + ", ".join(f"{c['name']} mean |F_t| {c['mean_displacement_px']:.2f} px, max "
                                            f"{c['max_displacement_px']:.1f} px" for c in results["synth"]["clips"]) + "."]


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
