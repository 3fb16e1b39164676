"""The field app's files as the server hands them out: the app shell small enough for a slow phone,
the service worker stamped with a version that changes with any file, and the right content types."""
from __future__ import annotations

import gzip
import shutil

from app.collect.views import app_version, shell_files

SHELL_BUDGET = 150 * 1024
LAZY = ("vendor/barcode-detector/", "vendor/zxing-wasm/")  # loaded only when a scan starts


def test_the_app_shell_fits_the_budget(app):
    root = app.config["PWA_DIR"]
    shell = [f for f in shell_files(root) if f.endswith((".html", ".css", ".js", ".webmanifest"))
             and not f.startswith(LAZY)]
    assert "index.html" in shell and "js/app.js" in shell and "vendor/idb/index.js" in shell
    size = sum(len(gzip.compress((root / f).read_bytes(), 9)) for f in shell)
    assert size <= SHELL_BUDGET, f"app shell is {size / 1024:.1f} KB gzipped, over {SHELL_BUDGET / 1024:.0f} KB"


def test_the_service_worker_caches_every_file_under_a_version_of_them(app, anonymous, tmp_path, monkeypatch):
    copy = tmp_path / "pwa"
    shutil.copytree(app.config["PWA_DIR"], copy)
    monkeypatch.setitem(app.config, "PWA_DIR", copy)
    sw = anonymous.get("/app/sw.js")
    assert sw.status_code == 200 and sw.mimetype == "text/javascript" and "no-cache" in sw.headers["Cache-Control"]
    version, files = app_version(copy)
    source = sw.get_data(as_text=True)
    assert f"const VERSION = '{version}'" in source
    assert '"vendor/zxing-wasm/zxing_reader.wasm"' in source and '"./"' in source
    assert "LICENSE" not in source.split("const SHELL")[1].split("\n")[0] and "refresh.sh" not in source
    (copy / "app.css").write_text((copy / "app.css").read_text(encoding="utf-8") + "\n/* v2 */\n", encoding="utf-8")
    assert app_version(copy)[0] != version
    assert f"const VERSION = '{app_version(copy)[0]}'" in anonymous.get("/app/sw.js").get_data(as_text=True)


def test_app_files_are_served_with_types_browsers_need(app, anonymous):
    assert anonymous.get("/app/").status_code == 200
    assert anonymous.get("/app").headers["Location"].endswith("/app/")  # relative file names need the slash
    assert anonymous.get("/app/vendor/zxing-wasm/zxing_reader.wasm").mimetype == "application/wasm"
    assert anonymous.get("/app/manifest.webmanifest").mimetype == "application/manifest+json"
    assert anonymous.get("/app/js/app.js").mimetype == "text/javascript"
    assert anonymous.get("/app/vendor/zxing-wasm/LICENSE").status_code == 200  # licences stay readable
    assert anonymous.get("/app/../config.py").status_code == 404
