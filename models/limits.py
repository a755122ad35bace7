"""Bounds of what people type and pick, decided once: the request models (models/messages.py), the
API's bodies, the CLI and the workflow's validators all read them.

Every free text goes into the review's history and into Temporal payloads, which stop a workflow at
2 MB: two unbounded reasons of 1.1 MB were enough to wedge a review. Due dates outside the range
overflowed the SLA arithmetic inside the workflow (9999-12-31 plus an escalation delay).
"""

from datetime import UTC, datetime, timedelta

from models.review_policy import COMMENT_MAX_CHARS

REASON_MAX_CHARS = 4000  # a reason of a return, an escalation, a dismissal, a withdrawal, a move
# What the request models accept at most, before the validators' own limits (which count the text
# without surrounding white space and answer with a sentence): a hard cap on payload size. Past it
# the workflow refuses a request it cannot decode.
TEXT_HARD_MAX_CHARS = 2 * max(REASON_MAX_CHARS, COMMENT_MAX_CHARS)
# The earliest and latest due date anyone may set; a move is further bounded to this far ahead.
DUE_DATE_MIN = datetime(2000, 1, 1, tzinfo=UTC)
DUE_DATE_MAX = datetime(2100, 1, 1, tzinfo=UTC)
DUE_DATE_MAX_AHEAD = timedelta(days=2 * 366)
# Request ids (idempotency keys) that callers choose: printable, short.
REQUEST_ID_MAX_CHARS = 200

__all__ = [
    "COMMENT_MAX_CHARS",
    "DUE_DATE_MAX",
    "DUE_DATE_MAX_AHEAD",
    "DUE_DATE_MIN",
    "REASON_MAX_CHARS",
    "REQUEST_ID_MAX_CHARS",
    "TEXT_HARD_MAX_CHARS",
]
