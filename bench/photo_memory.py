"""Memory of making photos' display copies: the peak RSS of re-encoding each kind of photo, one fresh
process per photo, this tree beside another checkout.

    .venv/bin/python bench/photo_memory.py                          # about a minute
    .venv/bin/python bench/photo_memory.py --baseline /tmp/base     # a checkout of the code before a change

Each photo is stored as an upload leaves it (its file under a scratch PHOTO_STORAGE_ROOT, its row in a
scratch SQLite database), then `app.collect.services.reencode` makes its display copy in a process of
its own: once, or in --parallel threads at the same moment (copies of the photo under other hashes),
as the threads of a gthread worker or of `flask jobs worker` would. Printed per photo and tree: the
process's RSS before, its peak (VmHWM: `ru_maxrss` would be the parent's, kept
across exec) and the difference, the wall time, and how the re-encode
ended (a refusal by its problem code, or the exception). The photos: a phone's (2048 × 1536 JPEG,
~300 KB), a camera's original (6000 × 4000 JPEG), the largest PHOTO_MAX_PIXELS allows of each
format, all of one colour (a progressive JPEG of 40 million pixels by default; an RGBA PNG, a 1-bit
PNG and a lossless WebP of 10 million), and two decompression bombs (12000 × 12000 and
20000 × 20000 one-bit PNGs, 17 KB and 48 KB).
"""
from __future__ import annotations

import argparse
import io
import json
import math
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# Run in the measured tree: store the photo (and its copies), re-encode them at once, say what it took.
CHILD = r"""
import hashlib, json, sys, threading, time
from pathlib import Path

def status_kib(field):
    return int(Path("/proc/self/status").read_text().split(field + ":")[1].split()[0])

from app import create_app
from app.collect.models import Photo
from app.collect.services import reencode
from app.collect.storage import photo_store
from app.extensions import db

app = create_app()
data, threads = Path(sys.argv[1]).read_bytes(), int(sys.argv[2])
with app.app_context():
    db.create_all()
    shas = []
    for i in range(threads):
        copy = data + bytes(i)  # bytes after the end of the image: the same picture under another hash
        sha = hashlib.sha256(copy).hexdigest()
        photo_store().put(sha, copy)
        db.session.merge(Photo(sha256=sha, size=len(copy), content_type="image/*", width=0, height=0))
        shas.append(sha)
    db.session.commit()
ended = []

def run(sha):
    with app.app_context():
        try:
            reencode(sha)
            ended.append("ok")
        except Exception as e:
            ended.append(getattr(e, "code", type(e).__name__))

before = status_kib("VmRSS")
started = time.perf_counter()
workers = [threading.Thread(target=run, args=(sha,)) for sha in shas]
for w in workers:
    w.start()
for w in workers:
    w.join()
print(json.dumps({"before": before, "peak": status_kib("VmHWM"),
                  "seconds": time.perf_counter() - started, "ended": sorted(set(ended))}))
"""


def photos(limit: int) -> dict[str, bytes]:
    """The photos measured, by label: the largest of each format are as large as `limit` lets them be."""
    from ingest import noise_jpeg
    from PIL import Image

    from tests.factories import one_colour_png

    side, whole = math.isqrt(limit), math.isqrt(limit // 4)  # a PNG or WebP may have a quarter
    progressive, webp = io.BytesIO(), io.BytesIO()
    Image.new("RGB", (side, side), (90, 140, 200)).save(progressive, "JPEG", progressive=True, subsampling=0)
    Image.new("RGBA", (whole, whole), (90, 140, 200, 255)).save(webp, "WEBP", lossless=True)
    return {
        "phone JPEG 2048×1536": noise_jpeg(2048, 1536, 77, seed=3),
        "camera JPEG 6000×4000": noise_jpeg(6000, 4000, 85, seed=4),
        f"largest progressive JPEG {side}×{side}": progressive.getvalue(),
        f"largest RGBA PNG {whole}×{whole}": one_colour_png(whole, whole, colour_type=6, bit_depth=8),
        f"largest 1-bit PNG {whole}×{whole}": one_colour_png(whole, whole),
        f"largest WebP {whole}×{whole}": webp.getvalue(),
        "bomb 1-bit PNG 12000×12000": one_colour_png(12000, 12000),
        "bomb 1-bit PNG 20000×20000": one_colour_png(20000, 20000),
    }


def measure(tree: Path, photo: Path, threads: int, scratch: Path) -> dict:
    """{before, peak (KiB), seconds, ended} of re-encoding `photo` in `threads` threads at once, by
    the code of `tree`, in a process of its own (tests/collect/test_images.py uses it too)."""
    instance = Path(tempfile.mkdtemp(dir=scratch))
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    env.update(YIBIAO_INSTANCE=str(instance), PHOTO_STORAGE_ROOT=str(instance / "photos"), JOBS_IN_PROCESS="0")
    done = subprocess.run([sys.executable, "-c", CHILD, str(photo), str(threads)], cwd=tree, env=env,
                          capture_output=True, text=True)
    if done.returncode != 0:
        return {"error": done.stderr.strip().splitlines()[-1] if done.stderr.strip() else f"exit {done.returncode}"}
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    sys.path[:0] = [str(ROOT), str(ROOT / "bench")]
    from benchutil import git_state

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--baseline", type=Path, metavar="DIR", help="another checkout, measured beside this tree")
    parser.add_argument("--parallel", type=int, default=3, help="threads re-encoding the largest photos at once "
                                                                "(default %(default)s; 1 to skip)")
    parser.add_argument("--limit", type=int, default=40_000_000, help="pixels of the largest photos made "
                                                                      "(default %(default)s, PHOTO_MAX_PIXELS' default)")
    args = parser.parse_args()
    trees = [("this tree", ROOT)] + ([("baseline", args.baseline.resolve())] if args.baseline else [])
    for name, tree in trees:
        print(f"{name}: {tree} ({git_state(tree)})")
    with tempfile.TemporaryDirectory(prefix="yb-photo-memory-") as scratch:
        scratch = Path(scratch)
        runs = []
        for label, data in photos(args.limit).items():
            path = scratch / label.replace(" ", "_").replace("×", "x")
            path.write_bytes(data)
            runs.append((f"{label} ({len(data):,} bytes)", path, 1))
            if args.parallel > 1 and label.startswith("largest progressive"):
                runs.append((f"{label}, {args.parallel} at once", path, args.parallel))
        print(f"\n{'photo':<52} {'tree':<10} {'RSS before':>10} {'peak':>8} {'growth':>8} {'time':>7}  ended")
        for label, path, threads in runs:
            for name, tree in trees:
                r = measure(tree, path, threads, scratch)
                if "error" in r:
                    print(f"{label:<52} {name:<10} {r['error']}")
                    continue
                print(f"{label:<52} {name:<10} {r['before'] / 1024:>7.0f} MB {r['peak'] / 1024:>5.0f} MB "
                      f"{(r['peak'] - r['before']) / 1024:>5.0f} MB {r['seconds']:>6.2f}s  {', '.join(r['ended'])}")


if __name__ == "__main__":
    main()
