"""Request bodies are bounded, and an upload is read only for someone signed in.

FastAPI reads a whole multipart body (spooling files to disk) before a route's dependencies check
who is asking: an anonymous 3,000 MiB POST grew the temporary folder by 2,993 MiB before its 303
(issue 17). This ASGI middleware runs first: a multipart request needs a live session cookie
(pages) or a live, not read-only API token (/api) before a byte of its body is read, and no body
may pass `max_body` bytes, whether its Content-Length says so up front or it is counted while read.
The reverse proxy in front should refuse such bodies even earlier (README, production notes).
"""

import contextlib
import json

import anyio.to_thread
from sqlmodel import Session
from starlette.datastructures import Headers
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from store import accounts

_WRITES = frozenset({"POST", "PUT", "PATCH"})


class BodyTooLarge(Exception):
    pass


class BodyGuardMiddleware:
    def __init__(self, app: ASGIApp, max_body: int):
        self.app = app
        self.max_body = max_body

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in _WRITES:
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        api = scope["path"].startswith("/api")
        length = headers.get("content-length", "")
        if length.isdigit() and int(length) > self.max_body:
            await self._too_large(send, api)
            return
        multipart = headers.get("content-type", "").startswith("multipart/form-data")
        if multipart and not await anyio.to_thread.run_sync(_signed_in, Request(scope), api):
            await _unauthenticated(send, api)
            return
        received = 0
        started = refused = False

        async def counted_receive() -> Message:
            nonlocal received, refused
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_body and not refused:
                    # Answer now: the framework turns any error while it parses a form into a 400.
                    refused = True
                    if not started:
                        await self._too_large(send, api)
                    raise BodyTooLarge()
            return message

        async def watched_send(message: Message) -> None:
            nonlocal started
            if refused:
                return  # the 413 is sent; what the route makes of the cut-off body is not
            started = started or message["type"] == "http.response.start"
            await send(message)

        with contextlib.suppress(BodyTooLarge):
            await self.app(scope, counted_receive, watched_send)

    async def _too_large(self, send: Send, api: bool) -> None:
        limit = f"{self.max_body // (1024 * 1024)} MiB"
        await _respond(send, 413, api, f"The request is larger than the limit of {limit}.")


def _signed_in(request: Request, api: bool) -> bool:
    if not api:
        from web.deps import optional_principal

        return optional_principal(request) is not None
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token:
        return False
    with Session(request.app.state.db_engine) as db:
        found = accounts.token_and_account(session=db, token=token.strip())
        return found is not None and not found[0].read_only


async def _unauthenticated(send: Send, api: bool) -> None:
    if api:
        await _respond(send, 401, True, "a Bearer token is required", [(b"www-authenticate", b"Bearer")])
        return
    await send(
        {
            "type": "http.response.start",
            "status": 303,
            "headers": [(b"location", b"/login"), (b"content-length", b"0"), (b"connection", b"close")],
        }
    )
    await send({"type": "http.response.body", "body": b""})


async def _respond(send: Send, status: int, api: bool, message: str, extra=()) -> None:
    if api:
        body, kind = json.dumps({"detail": message}).encode(), b"application/json"
    else:
        body, kind = message.encode(), b"text/plain; charset=utf-8"
    # `connection: close`: the unread rest of the body is not drained, the connection is dropped.
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", kind),
                (b"content-length", str(len(body)).encode()),
                (b"connection", b"close"),
                *extra,
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
