"""What every response tells the browser about itself: where its page may load things from (a
Content-Security-Policy with no inline script or style: pages carry data attributes, their scripts
are files), that it is never framed, that its type is what it says, and, when it came over HTTPS
(directly or through TRUSTED_PROXIES' X-Forwarded-Proto), to come back only over HTTPS and send the
session cookie nowhere else."""
from __future__ import annotations

from flask import Flask, Response, has_request_context, request
from flask.sessions import SecureCookieSessionInterface

HSTS = "max-age=31536000"  # a year; not includeSubDomains: other services may share the domain


def content_security_policy(tile_url: str, wasm: bool = False) -> str:
    """The policy of every page; `wasm` for the field app, whose QR reader is WebAssembly."""
    images = ["'self'", "data:", "blob:"]  # data: Leaflet's and Swagger UI's CSS; blob: photos shown before upload
    if tile_url:
        images.append(tile_origin(tile_url))
    return "; ".join([
        "default-src 'self'",
        "script-src 'self'" + (" 'wasm-unsafe-eval'" if wasm else ""),
        "style-src 'self'",
        "img-src " + " ".join(images),
        "connect-src 'self'",
        "worker-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ])


def tile_origin(tile_url: str) -> str:
    """https://{s}.tile.example.cn/{z}/{x}/{y}.png -> https://*.tile.example.cn (a source a policy takes)."""
    scheme, _, rest = tile_url.partition("://")
    host = rest.split("/", 1)[0]
    if "{" in host:  # a subdomain template: any subdomain of what follows it
        host = "*." + host.split(".", 1)[1]
    return f"{scheme}://{host}"


class SessionCookie(SecureCookieSessionInterface):
    """Flask's signed session cookie, marked Secure whenever the request came over HTTPS (and always
    with SESSION_COOKIE_SECURE), so plain-HTTP use on 127.0.0.1 keeps working."""

    def get_cookie_secure(self, app: Flask) -> bool:
        return bool(app.config["SESSION_COOKIE_SECURE"] or (has_request_context() and request.is_secure))


def init_headers(app: Flask) -> None:
    app.session_interface = SessionCookie()
    pages = content_security_policy(app.config["MAP_TILE_URL"])
    field_app = content_security_policy(app.config["MAP_TILE_URL"], wasm=True)

    @app.after_request
    def _security_headers(response: Response) -> Response:
        headers = response.headers
        headers.setdefault("Content-Security-Policy", field_app if request.path.startswith("/app/") else pages)
        headers["X-Content-Type-Options"] = "nosniff"
        headers["X-Frame-Options"] = "DENY"
        if request.is_secure:
            headers["Strict-Transport-Security"] = HSTS
        return response
