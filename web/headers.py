"""Security headers on every response. The pages load scripts and styles from /static only, so the
Content-Security-Policy allows no inline script at all; the vendored Swagger UI of /api/docs sets
inline styles, so that one page also allows inline styles."""

import base64
import hashlib
import re

from starlette.middleware.base import BaseHTTPMiddleware
from starlette.requests import Request

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


class SecurityHeadersMiddleware(BaseHTTPMiddleware):
    async def dispatch(self, request: Request, call_next):
        response = await call_next(request)
        headers = response.headers
        headers.setdefault("Content-Security-Policy", DOCS_CSP if request.url.path == "/api/docs" else STRICT_CSP)
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("X-Frame-Options", "DENY")
        headers.setdefault("Referrer-Policy", "same-origin")
        headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
        if not request.url.path.startswith("/static"):
            # Pages show case material: never keep them in shared caches or the back/forward cache.
            headers.setdefault("Cache-Control", "no-store")
        return response
