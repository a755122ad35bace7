"""Uploads are refused before their body is read unless someone is signed in, and no body passes
the size limit (issue 17: an anonymous 3,000 MiB POST filled the temporary folder before its 303)."""

import pytest

from tests.web.conftest import make_settings
from web.app import create_app

BOUNDARY = "gcu-boundary"


class Body:
    """An ASGI receive() that serves `chunks` of `size` bytes and counts what was read."""

    HEAD = (
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="big.md"\r\n'
        "Content-Type: text/markdown\r\n\r\n"
    ).encode()

    def __init__(self, chunks: int, size: int = 1024 * 1024):
        self.left, self.size, self.read = chunks, size, 0

    async def __call__(self):
        # One file part that never ends: a parser reads until the limit stops it.
        chunk = (self.HEAD if self.read == 0 else b"") + b"x" * self.size
        self.left -= 1
        self.read += len(chunk)
        return {"type": "http.request", "body": chunk, "more_body": self.left > 0}


async def call(app, path, body, headers):
    sent = []

    async def send(message):
        sent.append(message)

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()],
        "client": ("127.0.0.1", 5000),
        "server": ("testserver", 80),
    }
    await app(scope, body, send)
    start = next(m for m in sent if m["type"] == "http.response.start")
    return start["status"], dict(start["headers"])


@pytest.fixture()
def small_limit_app(tmp_path, web_db):
    _settings, engine = web_db
    return create_app(make_settings(tmp_path, max_upload_bytes=2 * 1024 * 1024), db_engine=engine)


MULTIPART = {"content-type": f"multipart/form-data; boundary={BOUNDARY}"}


@pytest.mark.parametrize("path, status", [("/products", 303), ("/api/products", 401), ("/products/P-1/resubmit", 303)])
async def test_an_anonymous_upload_is_refused_before_its_body_is_read(small_limit_app, path, status):
    body = Body(chunks=3000)  # 3,000 MiB, were it read
    got, headers = await call(small_limit_app, path, body, MULTIPART)
    assert got == status and body.read == 0


async def test_an_upload_with_a_forged_session_or_token_is_refused_unread(small_limit_app):
    body = Body(chunks=3000)
    got, _ = await call(small_limit_app, "/products", body, {**MULTIPART, "cookie": "gcu_session=forged.value.sig"})
    assert got == 303 and body.read == 0
    got, _ = await call(
        small_limit_app, "/api/products", body, {**MULTIPART, "authorization": "Bearer gcu_not-a-token"}
    )
    assert got == 401 and body.read == 0


async def test_a_body_announced_over_the_limit_is_refused_unread(small_limit_app, tokens):
    body = Body(chunks=3000)
    headers = {
        **MULTIPART,
        "authorization": f"Bearer {tokens['heron.lead']}",
        "content-length": str(3000 * 1024 * 1024),
    }
    got, _ = await call(small_limit_app, "/api/products", body, headers)
    assert got == 413 and body.read == 0


async def test_a_body_without_a_length_is_cut_off_at_the_limit(small_limit_app, tokens):
    body = Body(chunks=3000)
    got, _ = await call(
        small_limit_app, "/api/products", body, {**MULTIPART, "authorization": f"Bearer {tokens['heron.lead']}"}
    )
    assert got == 413
    assert body.read <= 2 * 1024 * 1024 + 1024 * 1024 + body.size  # the limit, the form allowance, one chunk
