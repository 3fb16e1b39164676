"""The Alembic history and the models describe the same schema (the tests' database was built by
the migrations, so a model change without its migration shows up here)."""


def test_models_and_migrations_agree(app):
    # `flask db check` exits non-zero when autogenerate finds any difference.
    result = app.test_cli_runner().invoke(args=["db", "check"])
    assert result.exit_code == 0, result.output


def test_a_sqlite_database_with_field_data_upgrades(tmp_path):
    """Batch migrations rebuild tables on SQLite; rows pointing at a rebuilt table must not stop them
    (0006 rebuilds `submission`, which photos and review rows point at)."""
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    script = f"""
import os
os.environ["YIBIAO_INSTANCE"] = {str(tmp_path)!r}
os.environ.pop("DATABASE_URL", None)
os.environ.pop("SECRET_KEY", None)  # the tests' key is refused outside testing; a fresh instance makes its own
from flask_migrate import upgrade
from sqlalchemy import text
from app import create_app
from app.extensions import db
from config import Config
app = create_app(Config)
with app.app_context():
    upgrade(revision="0005")
    for sql in ["INSERT INTO area (id, code, name, level) VALUES (1, '420606', '樊城区', 'district')",
                "INSERT INTO road (id, name, area_id, status, version, created_at, updated_at) VALUES (1, '路', 1, 'active', 1, '2026-01-01', '2026-01-01')",
                "INSERT INTO door_plate (id, object_code, road_id, number, area_id, lon, lat, grid_code, status, version, created_at, updated_at) VALUES (1, 'D1', 1, '1', 1, 112.1, 32.0, 'G', 'active', 1, '2026-01-01', '2026-01-01')",
                "INSERT INTO user (id, username, display_name, password_hash, role, active, version, created_at) VALUES (1, 'p', 'p', 'x', 'police', 1, 1, '2026-01-01')",
                "INSERT INTO photo (sha256, size, content_type, uploaded_at) VALUES ('ab', 1, 'image/jpeg', '2026-01-01')",
                "INSERT INTO submission (id, client_id, body_hash, kind, status, version, collector_id, area_id, door_plate_id, data, address_text, received_at, step) VALUES (1, 'c1', 'h', 'shop', 'submitted', 1, 1, 1, 1, '{{}}', 'a', '2026-01-01', 0)",
                "INSERT INTO submission_photo (submission_id, photo_sha256, position) VALUES (1, 'ab', 0)"]:
        db.session.execute(text(sql))
    db.session.commit()
    upgrade()
    assert db.session.execute(text("SELECT count(*) FROM submission_photo")).scalar() == 1
    assert db.session.execute(text("PRAGMA foreign_keys")).scalar() == 1
print("upgraded")
"""
    done = subprocess.run([sys.executable, "-c", script], cwd=root, capture_output=True, text=True, timeout=300)
    assert "upgraded" in done.stdout, done.stderr[-3000:]
