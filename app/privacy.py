"""Personal data at rest: ID numbers and phone numbers are sealed with AES-GCM, looked up by a keyed
hash (HMAC-SHA256, so equal numbers can be found without decrypting every row), and shown masked.

The key comes from PERSONAL_DATA_KEY, or is derived from SECRET_KEY when that is unset (fine for a
demo; production sets its own key and keeps it out of the database's backups).
"""
from __future__ import annotations

import hashlib
import hmac
import os
from functools import lru_cache

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from flask import current_app

_NONCE = 12


@lru_cache(maxsize=4)
def _keys(secret: str) -> tuple[AESGCM, bytes]:
    root = hashlib.sha256(("yibiao-personal-data:" + secret).encode()).digest()
    seal_key = hmac.new(root, b"seal", hashlib.sha256).digest()
    index_key = hmac.new(root, b"index", hashlib.sha256).digest()
    return AESGCM(seal_key), index_key


def _current() -> tuple[AESGCM, bytes]:
    cfg = current_app.config
    return _keys(cfg["PERSONAL_DATA_KEY"] or cfg["SECRET_KEY"])


def seal(value: str) -> bytes:
    aead, _ = _current()
    nonce = os.urandom(_NONCE)
    return nonce + aead.encrypt(nonce, value.encode(), None)


def unseal(blob: bytes) -> str:
    aead, _ = _current()
    return aead.decrypt(blob[:_NONCE], blob[_NONCE:], None).decode()


def blind_index(value: str) -> str:
    _, key = _current()
    return hmac.new(key, value.encode(), hashlib.sha256).hexdigest()


def mask_phone(phone: str) -> str:
    """138****5678 for a mobile number; keep only the last 4 of anything else."""
    digits = phone.strip()
    if len(digits) == 11:
        return digits[:3] + "****" + digits[-4:]
    return "*" * max(len(digits) - 4, 0) + digits[-4:]
