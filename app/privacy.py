"""Personal data at rest: ID numbers and phone numbers are sealed with AES-GCM, looked up by a keyed
hash (HMAC-SHA256, so equal numbers can be found without decrypting every row), and shown masked.

The key is PERSONAL_DATA_KEY (app/keys.py: the environment, else the instance folder's own random
key), never the session key. After a rotation the old keys (PERSONAL_DATA_OLD_KEYS) still open what
they sealed and find what they indexed, until `flask personal-data rotate` has re-sealed every
column marked SEALED and recomputed every blind index with the current key.
"""
from __future__ import annotations

import hashlib
import hmac
import os
from collections.abc import Callable
from functools import lru_cache

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from flask import current_app

_NONCE = 12

# Column info marking what this module writes, so that a rotation finds every such column:
# mapped_column(LargeBinary, info=SEALED) and mapped_column(String(64), info=blind_index_of("x_enc")).
SEALED = {"sealed": True}


def blind_index_of(sealed_column: str) -> dict:
    return {"blind_index_of": sealed_column}


@lru_cache(maxsize=16)
def _keys(secret: str) -> tuple[AESGCM, bytes]:
    root = hashlib.sha256(("yibiao-personal-data:" + secret).encode()).digest()
    seal_key = hmac.new(root, b"seal", hashlib.sha256).digest()
    index_key = hmac.new(root, b"index", hashlib.sha256).digest()
    return AESGCM(seal_key), index_key


@lru_cache(maxsize=4)
def _ring_of(current: str, old: tuple[str, ...]) -> tuple[tuple[AESGCM, bytes], ...]:
    return tuple(_keys(k) for k in dict.fromkeys((current, *old)))


def _ring() -> tuple[tuple[AESGCM, bytes], ...]:
    """The current key first, then the old ones."""
    cfg = current_app.config
    return _ring_of(cfg["PERSONAL_DATA_KEY"], tuple(cfg["PERSONAL_DATA_OLD_KEYS"]))


def seal(value: str) -> bytes:
    aead, _ = _ring()[0]
    nonce = os.urandom(_NONCE)
    return nonce + aead.encrypt(nonce, value.encode(), None)


def _open(blob: bytes) -> tuple[str, bool]:
    """The value, and whether the current key sealed it."""
    for i, (aead, _) in enumerate(_ring()):
        try:
            return aead.decrypt(blob[:_NONCE], blob[_NONCE:], None).decode(), i == 0
        except InvalidTag:
            continue
    raise InvalidTag("no personal-data key opens this value: is an old key missing from PERSONAL_DATA_OLD_KEYS?")


def unseal(blob: bytes) -> str:
    return _open(blob)[0]


def blind_index(value: str) -> str:
    """The keyed hash stored next to a sealed value, with the current key."""
    return _index(_ring()[0][1], value)


def blind_indexes(value: str) -> tuple[str, ...]:
    """Every hash `value` may be stored under (current key first): what a look-up matches, so that
    rows indexed before a rotation are found until it has been run."""
    return tuple(_index(key, value) for _, key in _ring())


def _index(key: bytes, value: str) -> str:
    return hmac.new(key, value.encode(), hashlib.sha256).hexdigest()


def mask_phone(phone: str) -> str:
    """138****5678 for a mobile number; keep only the last 4 of anything else."""
    digits = phone.strip()
    if len(digits) == 11:
        return digits[:3] + "****" + digits[-4:]
    return "*" * max(len(digits) - 4, 0) + digits[-4:]


# --- rotation ------------------------------------------------------------------------------------

def sealed_tables() -> list[tuple]:
    """(table, primary key column, sealed columns, {sealed column name: its blind index column})
    of every model with a column marked SEALED."""
    from app.extensions import db

    found = []
    for mapper in db.Model.registry.mappers:
        table = mapper.local_table
        sealed = [c for c in table.columns if c.info.get("sealed")]
        if sealed:
            indexes = {c.info["blind_index_of"]: c for c in table.columns if "blind_index_of" in c.info}
            found.append((table, mapper.primary_key[0], sealed, indexes))
    return sorted(found, key=lambda t: t[0].name)


def has_sealed_data() -> bool:
    """Whether the database holds any sealed value (False before its tables exist)."""
    from sqlalchemy import inspect, or_, select

    from app.extensions import db

    tables = set(inspect(db.engine).get_table_names())
    with db.engine.connect() as conn:
        return any(conn.execute(select(pk).where(or_(*(c.is_not(None) for c in sealed))).limit(1)).first()
                   for table, pk, sealed, _ in sealed_tables() if table.name in tables)


def rotate(echo: Callable[[str], None], batch: int = 1000) -> int:
    """Re-seal every sealed value and recompute every blind index with the current key, in batches
    of `batch` rows each committed on its own; rows already current are left alone, so it can be
    stopped and run again. A row changed meanwhile (by a server already on the current key) is left
    as that server wrote it. Returns the number of values still under an old key (0 when done)."""
    from sqlalchemy import bindparam, func, select, update

    from app.extensions import db

    left = 0
    for table, pk, sealed, indexes in sealed_tables():
        written = [*sealed, *indexes.values()]
        # Only where each sealed value is still what was read: a concurrent write wins.
        guarded = (update(table)
                   .where(pk == bindparam("pk_"), *(c.is_not_distinct_from(bindparam("was_" + c.name)) for c in sealed))
                   .values({c.name: bindparam("new_" + c.name) for c in written}))
        total = db.session.scalar(select(func.count()).select_from(table))
        changed, seen, last = 0, 0, None
        while True:
            query = select(pk, *written).order_by(pk).limit(batch)
            rows = db.session.execute(query if last is None else query.where(pk > last)).all()
            if not rows:
                break
            updates = [u for u in (_resealed(row._mapping, pk, sealed, indexes) for row in rows) if u]
            if updates:
                result = db.session.execute(guarded, updates)
                changed += result.rowcount
                left += len(updates) - result.rowcount
            db.session.commit()
            seen, last = seen + len(rows), rows[-1][0]
            echo(f"{table.name}：{seen}/{total} 行，已更新 {changed} 行")
    return left


def _resealed(values, pk, sealed, indexes) -> dict | None:
    """The parameters of `rotate`'s update for one row, or None when the row is already current."""
    new = {}
    for column in sealed:
        if values[column] is None:
            continue
        plain, current = _open(values[column])
        if not current:
            new[column] = seal(plain)
        index = indexes.get(column.name)
        if index is not None and values[index] != blind_index(plain):
            new[index] = blind_index(plain)
    if not new:
        return None
    return {"pk_": values[pk], **{"was_" + c.name: values[c] for c in sealed},
            **{"new_" + c.name: new.get(c, values[c]) for c in [*sealed, *indexes.values()]}}
