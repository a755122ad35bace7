"""The API's error bodies, as its OpenAPI schema documents them.

Every refusal is `{"detail": "<what went wrong>"}` (ErrorOut); bad input (422) is FastAPI's documented
`HTTPValidationError`, `{"detail": [{"loc": [...], "msg": ..., "type": ...}]}`, without the `input`
and `ctx` FastAPI would add: the refused input may be a password or a document's text. `responses()`
names the statuses an operation can answer, so the schema tells clients (and schemathesis) the truth.
"""

from typing import Annotated, Any

from fastapi import Path, Query, Request
from fastapi.dependencies.utils import field_annotation_is_sequence
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel

# Integer ids are `integer` columns on PostgreSQL (32 bits): anything larger is not an id, and must be
# refused as bad input (422) rather than reach the database and come back as a server error.
MAX_DB_INT = 2**31 - 1
# Ids of products, rules, teams and situations: bounded, and without control characters (PostgreSQL
# refuses a NUL in a text value with a server-side error).
TEXT_ID_PATTERN = r"^[^\x00-\x1f\x7f]+$"
TEXT_ID_MAX = 200

DbIdPath = Annotated[int, Path(ge=1, le=MAX_DB_INT)]
TextIdPath = Annotated[str, Path(min_length=1, max_length=TEXT_ID_MAX, pattern=TEXT_ID_PATTERN)]


def db_id_query(description: str) -> Any:
    return Query(ge=1, le=MAX_DB_INT, description=description)


def text_query(description: str | None = None) -> Any:
    return Query(max_length=TEXT_ID_MAX, pattern=TEXT_ID_PATTERN, description=description)


class ErrorOut(BaseModel):
    detail: str


class ValidationProblem(BaseModel):
    loc: list[str | int]
    msg: str
    type: str


class ValidationErrorOut(BaseModel):
    detail: list[ValidationProblem]


_MEANING = {
    400: "The request is well-formed but its content was refused (the message says why).",
    401: "No token, or an invalid, expired or revoked one.",
    403: "The caller's role does not allow this.",
    404: "No such object, or the caller may not see it.",
    409: "The review's state or its rules refused the action (the workflow's reason).",
    422: "Bad input: a parameter or field is missing, malformed, out of range, or not one this operation takes.",
    503: "A service this needs is unavailable (the database or the review service): try again later.",
}


def responses(*codes: int) -> dict[int | str, dict[str, Any]]:
    return {
        code: {"model": ValidationErrorOut if code == 422 else ErrorOut, "description": _MEANING[code]}
        for code in codes
    }


def _query_parameters(dependant: Any) -> dict[str, bool]:
    """The operation's query parameters, each with whether it takes a list (may be repeated)."""
    found = {param.alias: field_annotation_is_sequence(param.field_info.annotation) for param in dependant.query_params}
    for sub in dependant.dependencies:
        found |= _query_parameters(sub)
    return found


def no_unknown_query_parameters(request: Request) -> None:
    """An unknown query parameter is refused, not ignored: `?stat=queued` for `?state=queued` would
    otherwise answer every review as if it were the filtered list. So is a single-valued one given
    twice (`?team=A&team=B`): the framework would silently answer for the last one only."""
    route = request.scope.get("route")
    if route is None or not request.query_params:
        return
    known = _query_parameters(route.dependant)
    problems = [
        {"loc": ("query", name), "msg": "this operation takes no such query parameter", "type": "extra_forbidden"}
        for name in sorted(set(request.query_params.keys()) - set(known))
    ]
    problems += [
        {"loc": ("query", name), "msg": "this parameter takes one value, not a list", "type": "too_many_values"}
        for name, is_list in sorted(known.items())
        if not is_list and len(request.query_params.getlist(name)) > 1
    ]
    if problems:
        raise RequestValidationError(problems)


def validation_error_body(exc: RequestValidationError) -> dict[str, list[dict[str, Any]]]:
    return {"detail": [{"loc": list(e["loc"]), "msg": e["msg"], "type": e["type"]} for e in exc.errors()]}
