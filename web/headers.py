"""Security headers on every response. The pages load scripts and styles from /static only, so the
Content-Security-Policy allows no inline script at all; the vendored Swagger UI of /api/docs sets
inline styles, so that one page also allows inline styles."""

import base64
import hashlib
import re

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

STRICT_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)
DOCS_CSP = STRICT_CSP.replace("style-src 'self'", "style-src 'self' 'unsafe-inline'")


_STYLE_ELEMENT = re.compile(r"<style>(.*?)</style>", re.DOTALL)


def csp_for_stored_page(html: str) -> str:
    """The strict policy, plus the hash of each <style> element of a page we generated ourselves
    (a compliance summary is a standalone document with its own stylesheet). Only those exact
    bytes may style the page; no script runs at all."""
    hashes = [
        "'sha256-" + base64.b64encode(hashlib.sha256(body.encode("utf-8")).digest()).decode("ascii") + "'"
        for body in _STYLE_ELEMENT.findall(html)
    ]
    if not hashes:
        return STRICT_CSP
    return STRICT_CSP.replace("style-src 'self'", "style-src 'self' " + " ".join(hashes))


_HEADERS = (
    ("X-Content-Type-Options", "nosniff"),
    ("X-Frame-Options", "DENY"),
    ("Referrer-Policy", "same-origin"),
    ("Cross-Origin-Opener-Policy", "same-origin"),
    ("Permissions-Policy", "camera=(), microphone=(), geolocation=()"),
)


HSTS = "max-age=31536000; includeSubDomains"


class SecurityHeadersMiddleware:
    """A plain ASGI middleware (not BaseHTTPMiddleware, which runs every response through a task
    group and a memory stream): it adds the headers a response does not set itself. `hsts`:
    browsers then refuse plain http for this site for a year (outside development, where the
    site is served over TLS, usually by a proxy in front)."""

    def __init__(self, app: ASGIApp, hsts: bool = False):
        self.app = app
        self.hsts = hsts

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope["path"]

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers.setdefault("Content-Security-Policy", DOCS_CSP if path == "/api/docs" else STRICT_CSP)
                for name, value in _HEADERS:
                    headers.setdefault(name, value)
                if self.hsts:
                    headers.setdefault("Strict-Transport-Security", HSTS)
                if not path.startswith("/static"):
                    # Pages show case material: never keep them in shared caches or the back/forward cache.
                    headers.setdefault("Cache-Control", "no-store")
            await send(message)

        await self.app(scope, receive, send_with_headers)
