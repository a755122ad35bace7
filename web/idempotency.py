"""Idempotency keys of the web app's review actions: a retried request (a browser that re-posts a
form, an API client that retries after a timeout) carries the key of the first, so the review
records the action once and the retry gets the first answer.

Pages put a fresh key in a hidden `request_id` field of each action form (`new_request_key()` in
the templates); API clients send an `Idempotency-Key` header. The routers read it once per request
(a router dependency) and web/actions.py passes it on to the service layer, which scopes it to the
person and the action (service/reviews.py), so one person's key never answers another's request.
"""

import uuid
from contextvars import ContextVar
from typing import Annotated

from fastapi import Header, HTTPException, Request

from models.limits import REQUEST_ID_MAX_CHARS

FORM_FIELD = "request_id"
HEADER = "Idempotency-Key"

_current: ContextVar[str | None] = ContextVar("gcu_idempotency_key", default=None)


def current_key() -> str | None:
    """The idempotency key of the request being served, if its caller sent one."""
    return _current.get()


def new_request_key() -> str:
    return str(uuid.uuid4())


def _checked(key: str | None, where: str) -> str | None:
    key = (key or "").strip() or None
    if key is not None and (len(key) > REQUEST_ID_MAX_CHARS or not key.isprintable()):
        raise HTTPException(400, f"{where} must be 1 to {REQUEST_ID_MAX_CHARS} printable characters")
    return key


async def idempotency_header(
    request: Request,
    key: Annotated[
        str | None,
        Header(
            alias=HEADER,
            description=(
                "Optional, on the actions (POST): a key of your choosing, the same for every retry of one action "
                f"(at most {REQUEST_ID_MAX_CHARS} characters). A retry with the key of an action already made "
                "changes nothing and answers like the first."
            ),
        ),
    ] = None,
) -> None:
    # Set on every request, also to None: a context reused by the next request must not carry a key.
    # Only the actions (POST) read it, so only they can refuse a malformed one.
    _current.set(_checked(key, f"the {HEADER} header") if request.method == "POST" else None)


async def idempotency_form_field(request: Request) -> None:
    key = None
    if request.method == "POST" and request.headers.get("content-type", "").startswith(
        ("application/x-www-form-urlencoded", "multipart/form-data")
    ):
        value = (await request.form()).get(FORM_FIELD)
        key = value if isinstance(value, str) else None
    _current.set(_checked(key, f"the form's {FORM_FIELD} field"))
