"""Plate rendering speed and memory: the QR mask choice, the print PDF and the PNG previews.

    .venv/bin/python bench/plates.py            # about a minute
    .venv/bin/python bench/plates.py --quick    # fewer plates, for a quick look
    .venv/bin/python bench/plates.py --samples docs/plates   # only write the sample PNGs (800 px)

Prints, on one core (the renderer is single-threaded):
- QR symbols/s with plain `qrcode` (it scores the 8 masks in pure Python) next to app.plates.qr
  (the standard's choice, scored with numpy), and segno if it is installed; and how often the
  masks agree;
- plates/s into the vector PDF (door and room plates alternating, Chinese text, a fresh token
  each), with the QR made by plain `qrcode` and by app.plates.qr, and KB per plate in the file;
- PNG plates/s per kind at 300 dpi, and the time of the door plate PNG (first in a fresh process,
  fonts included, and warm);
- the peak RSS (ru_maxrss from os.wait4) of a child process writing a 10,000-plate PDF, next to one
  that only loads the renderer and writes one plate;
- with --instance DIR: `flask plates render` of an area's room plates on that database (the whole
  print job: address nodes in chunks, plates issued, printing history, the PDF streamed), its wall
  time, CPU and peak RSS, first print and reprint:
      .venv/bin/python bench/plates.py --instance /tmp/yb-seed --area 420684001
The targets of the QR door plates issue are checked at the end.
"""
from __future__ import annotations

import argparse
import datetime
import os
import platform
import re
import resource
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchutil import git_state, machine_busy  # noqa: E402

BASE_URL = "https://yb.example.cn/p/"
FIELDS = dict(road="檀溪路", number="12", compound="檀溪花园", building="3栋", unit="2单元", room="301",
              district="襄城区", township="真武山街道", community="檀溪社区",
              address="湖北省襄阳市襄城区真武山街道檀溪社区檀溪路12号檀溪花园3栋2单元301室",
              code="420602001008000120301", beidou="")
KINDS = ("door", "building", "unit", "room")
TARGETS = {"pdf_per_s": 300, "kb_per_plate": 10, "rss_mib": 200, "door_png_s": 1.0}


def fresh_url() -> str:
    return BASE_URL + secrets.token_urlsafe(12)


def plain_qrcode_matrix(url: str):
    """What a straightforward renderer does: qrcode picks the mask by drawing and scoring all 8."""
    import numpy as np
    import qrcode
    from qrcode.constants import ERROR_CORRECT_Q
    code = qrcode.QRCode(error_correction=ERROR_CORRECT_Q, border=0)
    code.add_data(url)
    code.make(fit=True)
    return np.array(code.get_matrix(), dtype=bool)


def rate(fn, seconds: float, minimum: int = 3) -> tuple[float, int]:
    """Calls of fn per second over about `seconds` (at least `minimum` calls)."""
    count, start = 0, time.perf_counter()
    while count < minimum or time.perf_counter() - start < seconds:
        fn()
        count += 1
    return count / (time.perf_counter() - start), count


def bench_masks(n: int) -> dict:
    from app.plates import qr
    urls = [fresh_url() for _ in range(n)]
    qr.qr_matrix(urls[0])  # per-version tables are built once
    out = {}
    start = time.perf_counter()
    plain = [plain_qrcode_matrix(u) for u in urls]
    out["qrcode"] = n / (time.perf_counter() - start)
    start = time.perf_counter()
    ours = [qr.qr_matrix(u) for u in urls]
    out["ours"] = n / (time.perf_counter() - start)
    out["same"] = sum(bool((a == b).all()) for a, b in zip(plain, ours))
    out["own_choice"] = sum(qr.chosen_mask(u, format_area_blank=True) == qr.chosen_mask(u) for u in urls)
    try:
        import segno
    except ImportError:
        out["segno"] = None
    else:
        start = time.perf_counter()
        for u in urls:
            segno.make_qr(u, error="q", boost_error=False)
        out["segno"] = n / (time.perf_counter() - start)
    return out


def write_pdf(path: str, n: int, layout: str = "plate") -> tuple[float, float]:
    """n door/room plates into path; (plates/s without, with the closing font subsets)."""
    from app.plates.render import PdfSheet
    start = time.perf_counter()
    with PdfSheet(path, layout=layout) as sheet:
        for i in range(n):
            sheet.add("door" if i % 2 == 0 else "room", dict(FIELDS, url=fresh_url()))
        added = time.perf_counter()
    end = time.perf_counter()
    return n / (added - start), n / (end - start)


def bench_pdf(n: int, tmp: Path) -> dict:
    from app.plates import render
    write_pdf(str(tmp / "warm.pdf"), 2)  # fonts found and read once per process
    out = {}
    fast, closed = write_pdf(str(tmp / "plates.pdf"), n)
    out.update(per_s=fast, per_s_closed=closed, kb=(tmp / "plates.pdf").stat().st_size / n / 1024)
    ours = render.qr_matrix
    render.qr_matrix = plain_qrcode_matrix
    try:
        out["plain_per_s"], _ = write_pdf(str(tmp / "plain.pdf"), max(200, n // 4))
    finally:
        render.qr_matrix = ours
    _, a4_closed = write_pdf(str(tmp / "a4.pdf"), n, layout="A4")
    out["a4_per_s"] = a4_closed
    out["a4_kb"] = (tmp / "a4.pdf").stat().st_size / n / 1024
    return out


def bench_png(seconds: float) -> dict:
    from app.plates.render import render_png
    out = {}
    for kind in KINDS:
        render_png(kind, dict(FIELDS, url=fresh_url()))  # this size's fonts loaded once
        out[kind], _ = rate(lambda: render_png(kind, dict(FIELDS, url=fresh_url())), seconds)
    times = []
    for _ in range(5):
        start = time.perf_counter()
        render_png("door", dict(FIELDS, url=fresh_url()))
        times.append(time.perf_counter() - start)
    out["door_warm_s"] = statistics.median(times)
    return out


def child(argv: list[str], env: dict | None = None) -> dict:
    """Run this script (or, with a leading "-", another command) as a child; wall time, CPU and
    peak RSS (ru_maxrss) from os.wait4."""
    command = argv[1:] if argv[0] == "-" else [sys.executable, __file__, *argv]
    start = time.perf_counter()
    proc = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL if env else None)
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode:
        sys.exit(f"child {argv} failed with exit code {proc.returncode}")
    return {"wall_s": time.perf_counter() - start, "cpu_s": usage.ru_utime + usage.ru_stime,
            "rss_mib": usage.ru_maxrss / 1024}


def bench_job(instance: Path, area: str, tmp: Path) -> float:
    """`flask plates render` on a real database: the print job's whole path (address nodes read in
    chunks, plates issued, printing history written, the PDF streamed), twice: the first run issues
    every plate, the second reprints them."""
    import sqlite3

    env = {**os.environ, "YIBIAO_INSTANCE": str(instance), "FLASK_APP": "wsgi.py"}
    env.pop("DATABASE_URL", None)
    flask = str(Path(sys.executable).parent / "flask")
    child(["-", flask, "db", "upgrade"], env)
    db = sqlite3.connect(instance / "yibiao.db")
    issued_before = db.execute("select count(*) from plate").fetchone()[0]
    peak = 0.0
    for run in ("first print", "reprint"):
        out = tmp / f"{run}.pdf"
        took = child(["-", flask, "plates", "render", "--area", area, "--kind", "room", "--layout", "A4",
                      "--out", str(out)], env)
        printed = db.execute("select count(*) from plate_print where output = 'pdf'").fetchone()[0]
        plates = db.execute("select count(*) from plate").fetchone()[0]
        n = len(re.findall(rb"/Type\s*/Page\b", out.read_bytes()))  # pages, for the sheets' fill
        print(f"  {run:11s}: {took['wall_s']:5.1f} s wall, {took['cpu_s']:5.1f} s CPU, peak RSS "
              f"{took['rss_mib']:5.1f} MiB, {out.stat().st_size / 1e6:.1f} MB in {n:,} A4 pages; "
              f"plates issued so far {plates - issued_before:,}, printing rows {printed:,}")
        peak = max(peak, took["rss_mib"])
    return peak


def write_samples(directory: Path) -> None:
    """One plate of each kind, 800 px wide, as the docs show them (palette PNG, a few KB)."""
    import io

    from PIL import Image

    from app.plates.render import render_png
    directory.mkdir(parents=True, exist_ok=True)
    for kind in KINDS:
        image = Image.open(io.BytesIO(render_png(kind, dict(FIELDS, url=BASE_URL + "Xy3kP0q_b7LmA2sD"), width_px=800)))
        image.convert("P", palette=Image.ADAPTIVE, colors=32).save(directory / f"{kind}.png", optimize=True)
        print(directory / f"{kind}.png")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="fewer plates and shorter runs")
    parser.add_argument("--big", type=int, default=10_000, help="plates in the memory run (default %(default)s)")
    parser.add_argument("--samples", metavar="DIR", help="write one 800 px PNG per kind to DIR and stop")
    parser.add_argument("--instance", type=Path, help="also run `flask plates render` on this database "
                        "(e.g. /tmp/yb-seed from bench/seed_load.py; migrated first)")
    parser.add_argument("--area", default="420684001", help="area of the --instance run (default %(default)s: "
                        "a township of the seed city with about 11,000 rooms)")
    parser.add_argument("--child-pdf", nargs=2, metavar=("N", "PATH"), help=argparse.SUPPRESS)
    parser.add_argument("--child-door-png", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.samples:
        write_samples(Path(args.samples))
        return
    if args.child_pdf:
        write_pdf(args.child_pdf[1], int(args.child_pdf[0]))
        return
    if args.child_door_png:
        from app.plates.render import render_png
        start = time.perf_counter()
        render_png("door", dict(FIELDS, url=fresh_url()))
        print(f"  door plate PNG at 300 dpi, first in a fresh process (fonts found and read): "
              f"{time.perf_counter() - start:.2f} s")
        return

    n = 500 if args.quick else 3000
    print(f"Yibiao plate rendering — {datetime.datetime.now().isoformat(timespec='seconds')}")
    print(f"machine: {platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}; {git_state()}")
    busy_before, cpu_before = machine_busy(), time.process_time()

    # first, while this process is small: a child's ru_maxrss includes what the parent had mapped
    # when it started the child (Linux keeps the high-water mark across exec)
    with tempfile.TemporaryDirectory(prefix="yb-plates-") as tmp_name:
        print(f"\n== peak memory of a {args.big:,}-plate PDF (child process; this one had "
              f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB when it started them)")
        small = child(["--child-pdf", "1", str(Path(tmp_name) / "one.pdf")])
        big = child(["--child-pdf", str(args.big), str(Path(tmp_name) / "big.pdf")])
        size_mb = (Path(tmp_name) / "big.pdf").stat().st_size / 1e6
        print(f"  1 plate     : {small['rss_mib']:6.1f} MiB peak RSS, {small['wall_s']:.1f} s")
        print(f"  {args.big:,} plates: {big['rss_mib']:6.1f} MiB peak RSS, {big['wall_s']:.1f} s wall, "
              f"{big['cpu_s']:.1f} s CPU, {size_mb:.1f} MB file")

    if args.instance:  # also while this process is small
        print(f"\n== the print job on {args.instance}: room plates of area {args.area} to A4, "
              f"`flask plates render` (child process)")
        with tempfile.TemporaryDirectory(prefix="yb-plates-") as tmp_name:
            job_rss = bench_job(args.instance, args.area, Path(tmp_name))

    print(f"\n== QR symbols (ECC Q, fresh {BASE_URL}<16> URLs, {n})")
    masks = bench_masks(n)
    print(f"  plain qrcode (8 masks scored in Python): {masks['qrcode']:8.0f} symbols/s")
    print(f"  app.plates.qr (8 masks scored in numpy): {masks['ours']:8.0f} symbols/s  "
          f"({masks['ours'] / masks['qrcode']:.1f}×)")
    print(f"  same mask as plain qrcode: {masks['own_choice']}/{n} (identical symbols {masks['same']}/{n}): "
          f"qrcode scores the masks\n  with the format information blank, the standard the complete symbol "
          f"(see app/plates/qr.py)")
    if masks["segno"]:
        print(f"  segno 1.6 (for comparison)             : {masks['segno']:8.0f} symbols/s")

    with tempfile.TemporaryDirectory(prefix="yb-plates-") as tmp_name:
        tmp = Path(tmp_name)
        print(f"\n== vector PDF, door and room plates alternating, one page each ({n})")
        pdf = bench_pdf(n, tmp)
        print(f"  with plain qrcode masks : {pdf['plain_per_s']:6.0f} plates/s")
        print(f"  with app.plates.qr      : {pdf['per_s']:6.0f} plates/s  "
              f"({pdf['per_s_closed']:.0f}/s counting the font subsets written on close)")
        print(f"  file size               : {pdf['kb']:6.2f} KB per plate")
        print(f"  A4 sheets (crop marks, captions): {pdf['a4_per_s']:.0f} plates/s, {pdf['a4_kb']:.2f} KB per plate")

        print("\n== PNG at 300 dpi")
        png = bench_png(1.0 if args.quick else 3.0)
        for kind in KINDS:
            print(f"  {kind:9s}: {png[kind]:7.1f} plates/s")
        child(["--child-door-png"])
        print(f"  door plate PNG at 300 dpi, warm: {png['door_warm_s']:.2f} s (median of 5)")

    other = max(0.0, machine_busy() - busy_before - (time.process_time() - cpu_before))
    print(f"\n(other processes used about {other:.0f} CPU-s during the parent's run; children not subtracted)")
    print("\n== targets")
    checks = [
        ("≥ 300 plates/s into the PDF", pdf["per_s"] >= TARGETS["pdf_per_s"], f"{pdf['per_s']:.0f}/s"),
        ("≤ 10 KB per plate", pdf["kb"] <= TARGETS["kb_per_plate"], f"{pdf['kb']:.2f} KB"),
        (f"{args.big:,}-plate PDF under 200 MB RSS", big["rss_mib"] < TARGETS["rss_mib"], f"{big['rss_mib']:.0f} MiB"),
        ("door PNG at 300 dpi under 1 s", png["door_warm_s"] < TARGETS["door_png_s"], f"{png['door_warm_s']:.2f} s"),
    ]
    if args.instance:
        checks.append(("print job (whole app) under 200 MB RSS", job_rss < TARGETS["rss_mib"], f"{job_rss:.0f} MiB"))
    for label, ok, figure in checks:
        print(f"  {'met   ' if ok else 'MISSED'} {label}: {figure}")


if __name__ == "__main__":
    main()
