"""The field app (pwa/) served at /app/, and its service worker stamped with the app's version.

The version is a hash of every file the app caches, so a deploy that changes any file is a new
version, and the service worker of one version only ever serves that version's files.
"""
from __future__ import annotations

import hashlib
import json
from pathlib import Path

from flask import Blueprint, Response, current_app, redirect, send_from_directory, url_for

bp = Blueprint("collect", __name__)

# Served, but not cached on the phone: licences, notes and the vendoring script.
NOT_SHELL_NAMES = {"sw.js", "LICENSE", "VERSION"}
NOT_SHELL_SUFFIXES = {".md", ".sh", ".txt"}
TYPES = {".wasm": "application/wasm", ".webmanifest": "application/manifest+json", ".js": "text/javascript"}
_versions: dict[tuple, tuple[str, list[str]]] = {}


def shell_files(root: Path) -> list[str]:
    """Paths (relative to pwa/) of every file the service worker caches."""
    return sorted(str(p.relative_to(root)) for p in root.rglob("*")
                  if p.is_file() and p.name not in NOT_SHELL_NAMES and p.suffix not in NOT_SHELL_SUFFIXES
                  and not p.name.startswith("."))


def app_version(root: Path) -> tuple[str, list[str]]:
    """(version, files): recomputed only when a file's size or time changes."""
    files = shell_files(root)
    stamp = tuple((f, st.st_mtime_ns, st.st_size) for f in files for st in [(root / f).stat()])
    if stamp not in _versions:
        digest = hashlib.sha256()
        for f in files:
            digest.update(f.encode() + b"\0" + (root / f).read_bytes())
        _versions.clear()
        _versions[stamp] = (digest.hexdigest()[:12], files)
    return _versions[stamp]


@bp.get("/app/sw.js")
def service_worker():
    root = current_app.config["PWA_DIR"]
    version, files = app_version(root)
    shell = ["./"] + [f for f in files if f != "index.html"]
    source = (root / "sw.js").read_text(encoding="utf-8")
    source = source.replace("__VERSION__", version).replace('["__SHELL__"]', json.dumps(shell))
    response = Response(source, mimetype="text/javascript")
    response.cache_control.no_cache = True  # browsers check for a new version on every visit
    return response


@bp.get("/app")
def without_slash():
    return redirect(url_for("collect.shell"), 308)  # its pages name their files relative to /app/


@bp.get("/app/")
@bp.get("/app/<path:path>")
def shell(path: str = "index.html"):
    root: Path = current_app.config["PWA_DIR"]
    response = send_from_directory(root, path, max_age=0)
    kind = TYPES.get(Path(path).suffix)
    if kind:
        response.mimetype = kind
    if path == "index.html":
        response.headers["X-App-Version"] = app_version(root)[0]
    return response
