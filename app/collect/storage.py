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
            _made(target.parent)
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
        _synced(target.parent)  # the rename itself

    def read(self, sha256: str, variant: str = "original") -> bytes:
        return self.path(sha256, variant).read_bytes()


def _made(folder: Path) -> None:
    """Make `folder` and the folders above it that are missing, each new name made durable in the
    folder that holds it: a file's own fsync does not keep its folder's entry through a power cut."""
    if folder.is_dir():
        return
    _made(folder.parent)
    try:
        folder.mkdir()
    except FileExistsError:
        pass  # made by another upload this moment, which may not have synced its entry yet
    _synced(folder.parent)


def _synced(folder: Path) -> None:
    """The names in `folder` (new files, renames, new folders) written through to the disk."""
    directory = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)


def photo_store() -> PhotoStore:
    from flask import current_app

    return PhotoStore(current_app.config["PHOTO_STORAGE_ROOT"])
