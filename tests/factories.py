"""Small makers of valid test data: fake ID numbers, credit codes, unique names."""
from __future__ import annotations

import itertools
import random

from app.standards import credit_code, id_number

_serial = itertools.count(1)
_rng = random.Random(11643)


def id_number_for(born: str = "19900101", district: str = "420606") -> str:
    """A checksum-correct ID number that no demo resident has (sequence 100-899)."""
    first17 = f"{district}{born}{_rng.randrange(100, 900):03d}"
    return first17 + id_number.check_char(first17)


def fresh_id_number() -> str:
    n = next(_serial)
    return id_number_for(born=f"19{50 + n % 50:02d}0{1 + n % 9}{10 + n % 18:02d}")


def credit_code_for(prefix: str = "91", division: str = "420606") -> str:
    body = f"T{next(_serial):07d}"
    first17 = f"{prefix}{division}{body}{credit_code.org_check_char(body)}"
    return first17 + credit_code.check_char(first17)


def unique(prefix: str) -> str:
    return f"{prefix}{next(_serial)}"


REVIEWER_OF_ROLE = {"police": "police", "grid_worker": "grid", "street_reviewer": "street", "owner_reviewer": "owner", "district_reviewer": "district",
                    "city_reviewer": "city"}


def approve_all_steps(as_user, client_id: str) -> dict:
    """Approve a submission at every step of its chain, each step by the demo reviewer of that role;
    returns the last answer."""
    answer = None
    for _ in range(6):
        item = as_user("admin").get(f"/api/v1/review/items/{client_id}").json
        if item["status"] not in ("submitted", "in_review"):
            break
        answer = as_user(REVIEWER_OF_ROLE[item["step_role"]]).post(
            f"/api/v1/review/items/{client_id}/approve", json={})
        assert answer.status_code == 200, answer.json
    return answer.json


def one_colour_png(width: int, height: int, colour_type: int = 0, bit_depth: int = 1) -> bytes:
    """A PNG of width × height pixels all of one colour, made row by row so that it is never whole in
    memory: 12000 × 12000 one-bit pixels is a file of ~17 KB (a decompression bomb). colour_type 6
    with bit_depth 8 is RGBA."""
    import struct
    import zlib

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    channels = {0: 1, 2: 3, 4: 2, 6: 4}[colour_type]
    row = bytes(1 + (width * channels * bit_depth + 7) // 8)  # filter byte 0, then the row, all zero
    packer = zlib.compressobj(9)
    pixels = b"".join(packer.compress(row) for _ in range(height)) + packer.flush()
    header = struct.pack(">IIBBBBB", width, height, bit_depth, colour_type, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
