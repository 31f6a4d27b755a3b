"""The real footage of Debian's opencv-doc package that the benchmarks score on (installed by
bench-setup.sh; never committed). `local_path` gives a clip as a file ffmpeg and the CLI can
read, gunzipping box and cup once into a bench's data folder."""
import gzip, os, shutil, sys

OPENCV_DOC = "/usr/share/doc/opencv-doc"
# name -> path inside OPENCV_DOC
CLIPS = {"megamind": "examples/data/Megamind.avi", "vtest": "examples/data/vtest.avi",
         "tree": "examples/data/tree.avi", "box": "opencv4/html/box.mp4.gz", "cup": "opencv4/html/cup.mp4.gz"}


def local_path(name, src_dir):
    """Clip `name` as a readable file (gunzipped into `src_dir` when packed), or None with a
    warning when the package does not hold it."""
    path = os.path.join(OPENCV_DOC, CLIPS[name])
    if not os.path.exists(path):
        print(f"warning: {path} missing (package opencv-doc); clip {name} skipped", file=sys.stderr)
        return None
    if not path.endswith(".gz"):
        return path
    os.makedirs(src_dir, exist_ok=True)
    dst = os.path.join(src_dir, os.path.basename(path)[:-3])
    if not os.path.exists(dst):
        with gzip.open(path) as f, open(dst + ".tmp", "wb") as g:
            shutil.copyfileobj(f, g)
        os.replace(dst + ".tmp", dst)
    return dst
