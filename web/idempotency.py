"""Idempotency keys of the web app's review actions: a retried request (a browser that re-posts a
form, an API client that retries after a timeout) carries the key of the first, so the review
records the action once and the retry gets the first answer.

Pages put a fresh key in a hidden `request_id` field of each action form (`new_request_key()` in
the templates); API clients send an `Idempotency-Key` header. The routers read it once per request
(a router dependency) and web/actions.py passes it on to the service layer, which scopes it to the
person and the action (service/reviews.py), so one person's key never answers another's request.
"""

import re
import uuid
from contextvars import ContextVar
from typing import Annotated, Any

from fastapi import Depends, Header, HTTPException, Request

from models.limits import REQUEST_ID_MAX_CHARS
from web.deps import DbRoute

FORM_FIELD = "request_id"
HEADER = "Idempotency-Key"
# Visible ASCII, no spaces: what an HTTP header carries unchanged (a UUID, a token). The OpenAPI
# schema states it, and FastAPI refuses anything else with the documented 422.
KEY_PATTERN = r"^[\x21-\x7e]+$"

_current: ContextVar[str | None] = ContextVar("gcu_idempotency_key", default=None)


def current_key() -> str | None:
    """The idempotency key of the request being served, if its caller sent one."""
    return _current.get()


def new_request_key() -> str:
    return str(uuid.uuid4())


def _checked(key: str | None, where: str) -> str | None:
    key = (key or "").strip() or None
    if key is not None and (len(key) > REQUEST_ID_MAX_CHARS or not re.fullmatch(KEY_PATTERN, key)):
        raise HTTPException(400, f"{where} must be 1 to {REQUEST_ID_MAX_CHARS} visible ASCII characters")
    return key


def no_idempotency_key() -> None:
    """Every API request starts without a key: a context reused by the next request must not carry one."""
    _current.set(None)


async def idempotency_header(
    key: Annotated[
        str | None,
        Header(
            alias=HEADER,
            min_length=1,
            max_length=REQUEST_ID_MAX_CHARS,
            pattern=KEY_PATTERN,
            description=(
                "Optional: a key of your choosing, the same for every retry of one action (1 to "
                f"{REQUEST_ID_MAX_CHARS} visible ASCII characters, e.g. a UUID). A retry with the key of an "
                "action already made changes nothing and answers like the first."
            ),
        ),
    ] = None,
) -> None:
    _current.set(key)


class ApiRoute(DbRoute):
    """An API route whose actions (POST) take the Idempotency-Key header: only they read it, so only
    their schema names it, and the schema's rule for it is the one FastAPI checks (a malformed key:
    422). A read never refuses a header it ignores."""

    def __init__(self, path: str, endpoint: Any, **kwargs: Any):
        if "POST" in (kwargs.get("methods") or ()):
            kwargs["dependencies"] = [*(kwargs.get("dependencies") or []), Depends(idempotency_header)]
        super().__init__(path, endpoint, **kwargs)


async def idempotency_form_field(request: Request) -> None:
    key = None
    if request.method == "POST" and request.headers.get("content-type", "").startswith(
        ("application/x-www-form-urlencoded", "multipart/form-data")
    ):
        value = (await request.form()).get(FORM_FIELD)
        key = value if isinstance(value, str) else None
    _current.set(_checked(key, f"the form's {FORM_FIELD} field"))
