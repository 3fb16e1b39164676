"""The database connection pool on PostgreSQL: connections that dropped while waiting are replaced."""
import time

import psycopg
import pytest
from sqlalchemy import text

from app.extensions import db


@pytest.fixture()
def postgresql(app):
    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            pytest.skip("a file database has no connections to drop")
    return app


@pytest.mark.parametrize("ping_after_s", [0.0, 3600.0], ids=["pinged after waiting", "looked at after a moment"])
def test_a_connection_dropped_while_idle_in_the_pool_is_replaced_before_a_request_uses_it(postgresql, as_user,
                                                                                           monkeypatch, ping_after_s):
    app = postgresql
    monkeypatch.setitem(app.config, "DATABASE_PING_AFTER_IDLE_S", ping_after_s)
    police = as_user("police")
    with app.app_context():
        pool_pids = set()
        connections = [db.engine.connect() for _ in range(db.engine.pool.checkedin() or 1)]
        for connection in connections:
            pool_pids.add(connection.execute(text("SELECT pg_backend_pid()")).scalar())
        for connection in connections:
            connection.close()
        url = db.engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(url, autocommit=True) as admin:  # as a server restart or an idle timeout would
        admin.execute("SELECT pg_terminate_backend(pid) FROM unnest(%s::int[]) AS pid", [list(pool_pids)])
        for _ in range(100):  # the backends end a moment later
            if not admin.execute("SELECT count(*) FROM pg_stat_activity WHERE pid = ANY(%s)",
                                 [list(pool_pids)]).fetchone()[0]:
                break
            time.sleep(0.05)

    for _ in pool_pids:  # each request may take another of the pool's connections
        response = police.get("/api/v1/submissions")
        assert response.status_code == 200, response.get_data(as_text=True)
    with app.app_context():
        connections = [db.engine.connect() for _ in pool_pids]
        assert not pool_pids & {c.execute(text("SELECT pg_backend_pid()")).scalar() for c in connections}
        for connection in connections:
            connection.close()
