"""The database connection pool on PostgreSQL: connections that dropped while waiting are replaced."""
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


def test_a_connection_dropped_while_idle_in_the_pool_is_replaced_before_a_request_uses_it(postgresql, as_user,
                                                                                           monkeypatch):
    app = postgresql
    monkeypatch.setitem(app.config, "DATABASE_PING_AFTER_IDLE_S", 0.0)
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

    response = police.get("/api/v1/submissions")
    assert response.status_code == 200, response.get_data(as_text=True)
    with app.app_context(), db.engine.connect() as connection:
        assert connection.execute(text("SELECT pg_backend_pid()")).scalar() not in pool_pids
