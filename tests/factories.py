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
