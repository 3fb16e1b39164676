"""Where photo bytes live: files under PHOTO_STORAGE_ROOT, named by their SHA-256.

`original` is what the phone sent (its hash is the photo's identity); `display` is the server's
re-encoded copy. An S3-compatible store can replace this class behind the same four methods.
"""
from __future__ import annotations

import os
import tempfile
from pathlib import Path

VARIANTS = {"original": "", "display": ".display.jpg"}


class PhotoStore:
    def __init__(self, root: Path):
        self.root = Path(root)

    def path(self, sha256: str, variant: str = "original") -> Path:
        return self.root / sha256[:2] / sha256[2:4] / f"{sha256}{VARIANTS[variant]}"

    def has(self, sha256: str, variant: str = "original") -> bool:
        return self.path(sha256, variant).is_file()

    def put(self, sha256: str, data: bytes, variant: str = "original") -> None:
        """Write atomically and durably: a reader never sees half a file, and once this returns the
        photo survives a power cut as surely as the database row written after it (about 0.5 ms)."""
        target = self.path(sha256, variant)
        try:
            fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".incoming-")
        except FileNotFoundError:  # the first photo in its folder (checking every time costs a syscall)
            target.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".incoming-")
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(data)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        directory = os.open(target.parent, os.O_RDONLY)
        try:
            os.fsync(directory)  # the rename itself
        finally:
            os.close(directory)

    def read(self, sha256: str, variant: str = "original") -> bytes:
        return self.path(sha256, variant).read_bytes()


def photo_store() -> PhotoStore:
    from flask import current_app

    return PhotoStore(current_app.config["PHOTO_STORAGE_ROOT"])
