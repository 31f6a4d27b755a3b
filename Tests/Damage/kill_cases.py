"""Kill tests for the damage corpus (damage_corpus.py): `fps`, `loop --gif`, `dataset build` and
`dataset merge` killed at several points. By SIGKILL: nothing may sit at a final path unless the
run had finished, files written together (MP4 and GIF; manifest and stats) are there together or
not at all, and the next run must finish and leave no temporary. By SIGTERM (caught): exit
128 + 15, no output and no temporary at once, without a rerun."""
import os, shutil, signal, subprocess

TIMEOUT = 120


def _run(argv):
    try:
        p = subprocess.run(argv, capture_output=True, text=True, timeout=TIMEOUT)
        return p.returncode, p.stderr
    except subprocess.TimeoutExpired:
        return None, ""


def _killed(argv, delay, sig):
    """Starts argv, sends `sig` after `delay` s unless it ended; returns its exit code."""
    p = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        p.wait(timeout=delay)
    except subprocess.TimeoutExpired:
        p.send_signal(sig)
        try:
            p.wait(timeout=30)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()
            return None
    return p.returncode


def _temps(d):
    return [os.path.join(r, n) for r, _, names in os.walk(d) for n in names if n.endswith(".tmp")]


def _fresh(work, name):
    d = os.path.join(work, name)
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(d)
    return d


def _fps(binary, work, clip):
    rows = []
    for delay in (0.2, 0.5, 1.0):
        d = _fresh(work, "kill")
        target = os.path.join(d, "out.mp4")
        argv = [binary, "fps", clip, "-o", target, "--factor", "2", "--method", "blend", "-q"]
        code = _killed(argv, delay, signal.SIGKILL)
        early = os.path.exists(target) and code != 0
        code, err = _run(argv)
        temps = _temps(d)
        ok = not early and code == 0 and os.path.exists(target) and not temps
        rows.append((f"fps killed after {delay} s, then run again", "fine" if ok else "partial", f"{early=} {code=} {temps=} {err.strip()[:80]}"))
    d = _fresh(work, "term")
    target = os.path.join(d, "out.mp4")
    code = _killed([binary, "fps", clip, "-o", target, "--factor", "2", "--method", "node", "-q"], 1.0, signal.SIGTERM)
    ok = code == 128 + 15 and not os.listdir(d)
    rows.append(("fps sent SIGTERM after 1 s", "fine" if ok else "partial", f"{code=} left={os.listdir(d)}"))
    return rows


def _loop(binary, work, clip):
    rows = []
    for delay in (0.5, 2.0, 4.0):
        d = _fresh(work, "kill-loop")
        mp4, gif = os.path.join(d, "loop.mp4"), os.path.join(d, "loop.gif")
        argv = [binary, "loop", clip, "-o", mp4, "--gif", "--window", "0.5", "--working-side", "64", "--k", "4", "--preset", "ultrafast", "-q"]
        code = _killed(argv, delay, signal.SIGKILL)
        together = os.path.exists(mp4) == os.path.exists(gif)
        early = os.path.exists(mp4) and code != 0
        code, err = _run(argv)
        temps = _temps(d)
        ok = together and not early and code == 0 and os.path.exists(mp4) and os.path.exists(gif) and not temps
        rows.append((f"loop --gif killed after {delay} s, then run again", "fine" if ok else "partial",
                     f"{together=} {early=} {code=} {temps=} {err.strip()[:80]}"))
    d = _fresh(work, "term-loop")
    code = _killed([binary, "loop", clip, "-o", os.path.join(d, "loop.mp4"), "--gif", "--window", "1", "--working-side", "96", "-q"],
                   2.0, signal.SIGTERM)
    ok = code == 128 + 15 and not os.listdir(d)
    rows.append(("loop --gif sent SIGTERM after 2 s", "fine" if ok else "partial", f"{code=} left={os.listdir(d)}"))
    return rows


def _dataset(binary, work, pristine, clips, build):
    rows = []

    def same_shards(d):
        names = [n for n in os.listdir(os.path.join(pristine, "clips")) if n.endswith(".safetensors")]
        return all(open(os.path.join(d, "clips", n), "rb").read() == open(os.path.join(pristine, "clips", n), "rb").read() for n in names)

    for delay in (1.0, 3.0):
        d = os.path.join(work, "kill-build")
        shutil.rmtree(d, ignore_errors=True)
        argv = [binary, "dataset", "build", *clips, "-o", d, *build, "-q"]
        _killed(argv, delay, signal.SIGKILL)
        code, err = _run(argv)
        temps = _temps(d)
        ok = code == 0 and same_shards(d) and not temps
        rows.append((f"dataset build killed after {delay} s, then run again", "fine" if ok else "partial", f"{code=} {temps=}"))
    d = os.path.join(work, "term-build")
    shutil.rmtree(d, ignore_errors=True)
    code = _killed([binary, "dataset", "build", *clips, "-o", d, *build, "-q"], 1.5, signal.SIGTERM)
    temps = _temps(d)
    merged = [n for n in ("manifest.jsonl", "stats.json") if os.path.exists(os.path.join(d, n))]
    ok = code == 128 + 15 and not temps and not merged
    rows.append(("dataset build sent SIGTERM after 1.5 s", "fine" if ok else "partial", f"{code=} {temps=} {merged=}"))
    for delay in (0.02, 0.05, 0.1, 0.2):
        d = os.path.join(work, "kill-merge")
        shutil.rmtree(d, ignore_errors=True)
        shutil.copytree(pristine, d, symlinks=True)
        for n in ("manifest.jsonl", "stats.json"):
            os.remove(os.path.join(d, n))
        argv = [binary, "dataset", "merge", d, "-q"]
        code = _killed(argv, delay, signal.SIGKILL)
        present = [os.path.exists(os.path.join(d, n)) for n in ("manifest.jsonl", "stats.json")]
        together = present[0] == present[1]
        code2, err = _run(argv)
        temps = _temps(d)
        ok = together and code2 == 0 and all(os.path.exists(os.path.join(d, n)) for n in ("manifest.jsonl", "stats.json")) and not temps
        rows.append((f"dataset merge killed after {delay} s, then run again", "fine" if ok else "partial",
                     f"first {code=} {present=} {code2=} {temps=} {err.strip()[:80]}"))
    return rows


def kill_cases(binary, work, pristine, clips, build):
    """All kill tests; (name, outcome, detail) rows."""
    return _fps(binary, work, clips[0]) + _loop(binary, work, clips[0]) + _dataset(binary, work, pristine, clips, build)
