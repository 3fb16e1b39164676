"""Throughput of the standards library on one core.

    .venv/bin/python bench/standards.py

Each figure is the best of 3 rounds over varied, pre-generated inputs (a fixed seed), in one
process pinned to one CPU where the OS allows it. Targets from issue 3 are printed alongside.
"""

import os
import platform
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import cn2an  # noqa: E402

from app.standards import address_text, beidou, coords, credit_code  # noqa: E402

ROUNDS = 3
MIN_SECONDS = 0.5  # per round


def rate(function, inputs) -> float:
    """Calls per second of ``function(*args)`` over ``inputs``: the best of ROUNDS rounds."""
    best = 0.0
    for _ in range(ROUNDS):
        calls, start = 0, time.perf_counter()
        while (elapsed := time.perf_counter() - start) < MIN_SECONDS:
            for args in inputs:
                function(*args)
            calls += len(inputs)
        best = max(best, calls / elapsed)
    return best


def china_points(rng, n):
    return [(rng.uniform(73.5, 135.0), rng.uniform(18.0, 53.5)) for _ in range(n)]


def credit_codes(rng, n):
    alphabet = credit_code.ALPHABET
    codes = []
    for i in range(n):
        first17 = "9" + rng.choice("123") + "4206" + rng.choice("02060783") + "".join(
            rng.choice(alphabet) for _ in range(10))
        code = first17 + credit_code.check_char(first17)
        if i % 4 == 3:  # a quarter mistyped
            code = code[:17] + rng.choice(alphabet.replace(code[17], ""))
        codes.append((code,))
    return codes


def addresses(rng, n):
    roads = ["人民路", "长虹北路", "檀溪路", "春园路", "解放路", "中原路", "丹江路", "航空路"]
    prefixes = ["", "", "樊城区", "湖北省襄阳市襄城区", "襄州区 "]
    texts = []
    for _ in range(n):
        road, number = rng.choice(roads), rng.randint(1, 300)
        building, unit, room = rng.randint(1, 30), rng.randint(1, 6), rng.randint(1, 33) * 100 + rng.randint(1, 6)
        style = rng.randrange(4)
        if style == 0:
            text = f"{road}{number}号{building}栋{unit}单元{room}室"
        elif style == 1:
            text = (f"{road}{cn2an.an2cn(number)}号{cn2an.an2cn(building)}幢{cn2an.an2cn(unit)}单元"
                    + "".join(cn2an.an2cn(int(d)) for d in str(room)))
        elif style == 2:
            text = f"{road}{number}号{building}-{unit}-{room}"
        else:
            text = f"{road} {number}号 {building}号楼 {unit}单元 {room}"
        texts.append((rng.choice(prefixes) + text,))
    return texts


def main():
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    rng = random.Random(3)
    points = china_points(rng, 10_000)
    gcj_points = [coords.wgs84_to_gcj02(*p) for p in points]
    figures = [
        ("BeiDou level-10 encodes/s", lambda lon, lat: beidou.encode(lon, lat, 10), points, 100_000),
        ("GCJ-02 conversions/s (WGS-84 to GCJ-02)", coords.wgs84_to_gcj02, points, None),
        ("GCJ-02 conversions/s (GCJ-02 to WGS-84, iterative)", coords.gcj02_to_wgs84, gcj_points, None),
        ("credit-code validations/s", credit_code.is_valid, credit_codes(rng, 10_000), 200_000),
        ("address-text parses/s", address_text.parse, addresses(rng, 10_000), 10_000),
    ]
    print(f"Python {platform.python_version()} on {platform.machine()}, one core, best of {ROUNDS}")
    for name, function, inputs, target in figures:
        value = rate(function, inputs)
        verdict = "" if target is None else f"  (target >= {target:,}: {'met' if value >= target else 'MISSED'})"
        print(f"{name:52s} {value:12,.0f}{verdict}")


if __name__ == "__main__":
    main()
