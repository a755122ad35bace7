"""Security headers on every response. The pages load scripts and styles from /static only, so the
Content-Security-Policy allows no inline script at all; the vendored Swagger UI of /api/docs sets
inline styles, so that one page also allows inline styles."""

from starlette.middleware.base import BaseHTTPMiddleware
from starlette.requests import Request

STRICT_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)
DOCS_CSP = STRICT_CSP.replace("style-src 'self'", "style-src 'self' 'unsafe-inline'")


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
