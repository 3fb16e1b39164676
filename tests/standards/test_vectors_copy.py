"""tests/vectors is a copy of shared/vectors; a refreshed shared set must be noticed."""

from pathlib import Path

import pytest

SHARED = Path(__file__).resolve().parents[2].parent / "shared" / "vectors"


def _files(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file()}


def test_copy_has_every_vector_file_and_its_readme(vectors_dir):
    names = set(_files(vectors_dir))
    assert {"README.md", "credit_codes.json", "id_numbers.json", "beidou_grid.json",
            "coords.json", "address_text.json"} <= names


def test_copy_matches_shared_vectors(vectors_dir):
    if not SHARED.is_dir():
        pytest.skip(f"{SHARED} does not exist here")
    shared, copy = _files(SHARED), _files(vectors_dir)
    assert sorted(copy) == sorted(shared), f"tests/vectors and {SHARED} hold different files"
    changed = [name for name in shared if shared[name] != copy[name]]
    assert not changed, f"{changed} changed in {SHARED}: copy them into tests/vectors"
