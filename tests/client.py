"""The test client a browser would be: session cookie plus the CSRF token on writes."""


class Client:
    """A browser-like API client: signs in with the session cookie and sends the CSRF token."""

    def __init__(self, flask_client):
        self.c = flask_client
        self.token = None

    def sign_in(self, username: str, password: str):
        self.token = self.c.get("/api/v1/session").json["csrf_token"]
        response = self.post("/api/v1/session", json={"username": username, "password": password})
        assert response.status_code == 200, response.json
        self.token = response.json["csrf_token"]
        return self

    def get(self, url, **kw):
        return self.c.get(url, **kw)

    def _write(self, method, url, **kw):
        headers = {"X-CSRFToken": self.token or "", **kw.pop("headers", {})}
        return getattr(self.c, method)(url, headers=headers, **kw)

    def post(self, url, **kw):
        return self._write("post", url, **kw)

    def patch(self, url, **kw):
        return self._write("patch", url, **kw)

    def put(self, url, **kw):
        return self._write("put", url, **kw)

    def delete(self, url, **kw):
        return self._write("delete", url, **kw)


def sql_work(app, send) -> tuple[int, int, bytes]:
    """(status, SQL statements run, body) of the request `send()` makes: two answers that must not tell
    things apart must match in all three."""
    from sqlalchemy import event

    from app.extensions import db

    seen = []
    with app.app_context():
        engine = db.engine
    listener = lambda *args: seen.append(args[2])  # noqa: E731
    event.listen(engine, "before_cursor_execute", listener)
    try:
        response = send()
    finally:
        event.remove(engine, "before_cursor_execute", listener)
    return response.status_code, len(seen), response.data


def at_once(*calls):
    """The results of `calls`, each run in a thread of its own and released together by a barrier, so
    that their requests overlap: each request gets its own app context, database connection and
    transaction, as it would in a server's worker. An exception in a call is raised here."""
    import threading

    barrier = threading.Barrier(len(calls))
    results: list = [None] * len(calls)
    errors: list = []

    def run(i, call):
        barrier.wait()
        try:
            results[i] = call()
        except BaseException as e:  # noqa: BLE001  (handed to the test's thread)
            errors.append(e)

    threads = [threading.Thread(target=run, args=(i, call)) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]
    return results
