"""Yibiao: standard addresses with QR door plates, and the actual population, housing and
organisations found at them (一标三实)."""
from __future__ import annotations

import select
import time
from pathlib import Path

from flask import Flask
from sqlalchemy import event, exc

from config import Config


def create_app(config_class: type = Config) -> Flask:
    from app import cli
    from app.accounts import api as accounts_api
    from app.accounts import views as accounts_views
    from app.accounts.auth import init_auth, protect_cookie_sessions
    from app.actuals import api as actuals_api
    from app.api import allow_larger_uploads, require_json_bodies
    from app.collect import api as collect_api
    from app.collect import images
    from app.collect import views as collect_views
    from app.compare import api as compare_api
    from app.compare import views as compare_views
    from app.edge import init_edge
    from app.errors import register_error_handlers
    from app.extensions import api, compress, db, migrate
    from app.headers import init_headers
    from app.jobs import api as jobs_api
    from app.jobs import views as jobs_views
    from app.jobs.services import bind_app
    from app.keys import init_keys
    from app.lifecycle import local_time
    from app.places import api as places_api
    from app.places import exports  # noqa: F401  (registers the export job kind)
    from app.places import views as places_views
    from app.plates import api as plates_api
    from app.plates import views as plates_views
    from app.privacy import has_sealed_data
    from app.review import api as review_api
    from app.reports import api as reports_api
    from app.reports import views as reports_views
    from app.review import views as review_views
    from app.tasks import api as tasks_api
    from app.tasks import views as tasks_views

    app = Flask(__name__, instance_path=str(config_class.INSTANCE_DIR))
    app.config.from_object(config_class)
    app.config["INSTANCE_DIR"].mkdir(parents=True, exist_ok=True)

    if app.config["TRUSTED_PROXIES"]:
        from werkzeug.middleware.proxy_fix import ProxyFix

        hops = app.config["TRUSTED_PROXIES"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)

    db.init_app(app)
    migrate.init_app(app, db, directory=str(Path(app.root_path).parent / "migrations"), render_as_batch=True)
    with app.app_context():
        if db.engine.dialect.name == "sqlite":
            event.listen(db.engine, "connect", _sqlite_pragmas)
        else:
            _ping_after_idle(db.engine, app.config)
        init_keys(app, has_sealed_data)

    images.init_app(app)
    # The order of the checks before every view: the body limit, who is calling (an anonymous
    # caller is answered 401 before anything else), what the database can store, CSRF, JSON only.
    allow_larger_uploads(app)
    init_auth(app)
    init_headers(app)
    init_edge(app)
    protect_cookie_sessions(app)
    require_json_bodies(app)
    api.init_app(app)
    compress.init_app(app)
    for module in (accounts_api, places_api, actuals_api, jobs_api, plates_api, collect_api, review_api, tasks_api, reports_api, compare_api):
        api.register_blueprint(module.blp)
    for module in (accounts_views, places_views, jobs_views, plates_views, collect_views, review_views, reports_views,
                   compare_views, tasks_views):
        app.register_blueprint(module.bp)

    app.add_template_filter(local_time, "local")
    register_error_handlers(app)
    cli.register(app)
    bind_app(app)
    return app


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _ping_after_idle(engine, config) -> None:
    """Make sure a pooled connection is alive before a request uses it, cheaply. SQLAlchemy's
    pool_pre_ping sends a query on every checkout, a round trip per request. Here a connection that
    waited in the pool longer than DATABASE_PING_AFTER_IDLE_S is pinged; one used a moment ago is
    only looked at: an idle connection is never sent anything, so if the server has written to it,
    that is the notice of its end (a restart, a terminated backend) and it is replaced."""
    @event.listens_for(engine, "checkin")
    def _returned(_dbapi_connection, record) -> None:
        record.info["returned_at"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _checked_out(dbapi_connection, record, _proxy) -> None:
        returned_at = record.info.get("returned_at")
        if returned_at is None:  # just opened
            return
        if time.monotonic() - returned_at <= config["DATABASE_PING_AFTER_IDLE_S"]:
            waiting = select.poll()  # not select.select: it fails on descriptors above 1023
            waiting.register(dbapi_connection.fileno(), select.POLLIN)
            if waiting.poll(0):
                raise exc.DisconnectionError("the server closed the connection while it waited in the pool")
            return
        try:
            engine.dialect.do_ping(dbapi_connection)
        except Exception as e:  # noqa: BLE001  (whatever the driver raises: the pool replaces the connection)
            raise exc.DisconnectionError(str(e)) from e
