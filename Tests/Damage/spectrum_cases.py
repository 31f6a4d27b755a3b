"""Damaged loop spectra for the damage corpus (damage_corpus.py): a good spectrum made by
`warpflow loop --spectrum-only`, damaged in many ways, each rendered with `--from-spectrum`.
A render must refuse a damaged file with exit 1 and a message naming it, and leave neither the
output nor a temporary; where the damage leaves a valid spectrum (a scaled but sane motion)
it may render, but then its frames must not be mostly holes."""
import json, os, shutil, struct, subprocess

TIMEOUT = 60


def _run(argv):
    try:
        p = subprocess.run(argv, capture_output=True, text=True, timeout=TIMEOUT)
        return p.returncode, p.stdout, p.stderr
    except subprocess.TimeoutExpired:
        return None, "", ""


def _parts(path):
    with open(path, "rb") as f:
        b = f.read()
    n = struct.unpack("<Q", b[:8])[0]
    return b, n, json.loads(b[8:8 + n])


def _assemble(header, data):
    text = json.dumps(header).encode()
    text += b" " * ((8 - len(text) % 8) % 8)
    return struct.pack("<Q", len(text)) + text + data


def _floats(header, data):
    lo, hi = header["spectra"]["data_offsets"]
    return lo, list(struct.unpack(f"<{(hi - lo) // 4}f", data[lo:hi]))


def _with_values(edit):
    """A damage that rewrites the spectra's F32 values with `edit(values)`."""
    def damage(good, path):
        b, n, h = _parts(good)
        data = bytearray(b[8 + n:])
        lo, values = _floats(h, data)
        values = edit(values)
        data[lo:lo + 4 * len(values)] = struct.pack(f"<{len(values)}f", *values)
        with open(path, "wb") as f:
            f.write(_assemble(h, bytes(data)))
    return damage


def _with_header(edit):
    def damage(good, path):
        b, n, h = _parts(good)
        edit(h)
        with open(path, "wb") as f:
            f.write(_assemble(h, b[8 + n:]))
    return damage


def _bytes(edit):
    def damage(good, path):
        with open(good, "rb") as f:
            b = f.read()
        with open(path, "wb") as f:
            f.write(edit(b))
    return damage


def _meta(key, value):
    def edit(h):
        if value is None:
            h["__metadata__"].pop(key, None)
        else:
            h["__metadata__"][key] = value
    return _with_header(edit)


def _uniform_shift(v):
    """Every pixel swings ±0.8 frame widths along x (first harmonic, real part): a sane magnitude
    whose frames are mostly holes. The layout is [4K][H][W] with Re x, Im x, Re y, Im y per k."""
    n = 64 * 36
    out = [0.0] * len(v)
    for i in range(n):
        out[4 * n + i] = 0.8 * 64 * 15 / 2  # amplitude 2c/T px for window T = 15
    return out


def _cases():
    checker = lambda v: [(1e30 if (i // 64 + i) % 2 else -1e30) for i in range(len(v))]
    return [
        ("spectrum: empty", _bytes(lambda b: b"")),
        ("spectrum: 7 bytes", _bytes(lambda b: b[:7])),
        ("spectrum: half", _bytes(lambda b: b[: len(b) // 2])),
        ("spectrum: one byte short", _bytes(lambda b: b[:-1])),
        ("spectrum: header length 2^60", _bytes(lambda b: struct.pack("<Q", 1 << 60) + b[8:])),
        ("spectrum: header not JSON", _bytes(lambda b: b[:8] + b"x" * (struct.unpack("<Q", b[:8])[0]) + b[8 + struct.unpack("<Q", b[:8])[0]:])),
        ("spectrum: a directory", None),
        ("spectrum: a FIFO", None),
        ("spectrum: missing", None),
        ("spectrum: one NaN", _with_values(lambda v: v[:40] + [float("nan")] + v[41:])),
        ("spectrum: one inf", _with_values(lambda v: v[:40] + [float("inf")] + v[41:])),
        ("spectrum: all 3.4e38", _with_values(lambda v: [3.4e38] * len(v))),
        ("spectrum: values x10", _with_values(lambda v: [x * 10 for x in v])),
        ("spectrum: values x40", _with_values(lambda v: [x * 40 for x in v])),
        ("spectrum: every pixel swings 0.8 frame widths", _with_values(_uniform_shift)),
        ("spectrum: values x1000", _with_values(lambda v: [x * 1000 for x in v])),
        ("spectrum: values 1e20", _with_values(lambda v: [1e20] * len(v))),
        ("spectrum: +-1e30 checkerboard", _with_values(checker)),
        ("spectrum: no window metadata", _meta("window", None)),
        ("spectrum: window 0", _meta("window", "0")),
        ("spectrum: window -5", _meta("window", "-5")),
        ("spectrum: window abc", _meta("window", "abc")),
        ("spectrum: window 1e12", _meta("window", "1000000000000")),
        ("spectrum: no spectra tensor", _with_header(lambda h: h.update(other=h.pop("spectra")))),
        ("spectrum: spectra shape not 4K channels", _with_header(lambda h: h["spectra"].update(shape=[1, 15, 36, 64]))),
        ("spectrum: spectra shape overflowing", _with_header(lambda h: h["spectra"].update(shape=[1 << 40, 1 << 40, 36, 64]))),
        ("spectrum: unknown dtype", _with_header(lambda h: h["spectra"].update(dtype="Q7"))),
        ("spectrum: offsets overlapping", _with_header(lambda h: h["spectra"].update(data_offsets=[0, h["spectra"]["data_offsets"][1] - h["spectra"]["data_offsets"][0]]))),
    ]


def spectrum_cases(binary, clip, work):
    """Runs every case; returns (name, outcome, detail) rows."""
    d = os.path.join(work, "spectrum")
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(d)
    good = os.path.join(d, "good.safetensors")
    code, _, err = _run([binary, "loop", clip, "-o", good, "--spectrum-only", "--window", "0.5", "--working-side", "64", "--k", "4", "-q"])
    if code != 0:
        return [("spectrum: the good spectrum is made", "wrong result", err.strip()[:160])]
    rows = []
    render = ["--duration", "0.3", "--preset", "ultrafast", "--json"]
    out = os.path.join(d, "out", "loop.mp4")

    def attempt(name, path):
        shutil.rmtree(os.path.dirname(out), ignore_errors=True)
        os.makedirs(os.path.dirname(out))
        code, stdout, err = _run([binary, "loop", clip, "-o", out, "--from-spectrum", path, *render])
        temps = [n for n in os.listdir(os.path.dirname(out)) if n.endswith(".tmp")]
        if code is None:
            return (name, "hang", "")
        if code < 0 or code >= 128 or "Fatal error" in err:
            return (name, "crash", err.strip()[-160:])
        if code == 0:
            try:
                holes = json.loads(stdout)["hole_fraction"]
            except (ValueError, KeyError):
                return (name, "wrong result", "exit 0 without a JSON report")
            ok = holes is not None and holes < 0.5 and os.path.exists(out) and not temps
            return (name, "fine" if ok else "wrong result", f"exit 0, hole fraction {holes}")
        if os.path.exists(out) or temps:
            return (name, "partial", f"{temps}")
        return (name, "clear error" if path in err else "unclear error", err.strip().splitlines()[-1][:160] if err.strip() else "")

    rows.append(attempt("spectrum: control renders", good))
    for name, damage in _cases():
        path = os.path.join(d, "case.safetensors")
        if os.path.isdir(path):
            os.rmdir(path)
        elif os.path.lexists(path):
            os.remove(path)
        if name.endswith("a directory"):
            os.mkdir(path)
        elif name.endswith("a FIFO"):
            os.mkfifo(path)
        elif damage is not None:
            damage(good, path)
        rows.append(attempt(name, path))
    return rows
