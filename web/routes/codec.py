"""The codec endpoint of the Temporal Web UI (and of `temporal --codec-endpoint`): the payloads the
Temporal server holds are sealed (service/payload_codec.py), and the UI shows them in clear only
through here, to people allowed to read every team's reviews.

The remote-codec protocol: POST {endpoint}/decode and {endpoint}/encode with a JSON `Payloads`
message, answered with the same shape, from the UI's origin (CORS, with credentials: the browser
sends the web app's session cookie when the UI's "include cross-origin credentials" is on). An API
token works too (`temporal ... --codec-auth "Bearer <token>"`).

- decode: administrators and GCU staff (reviewers, the GCU head), who see every review anyway. A
  payload that does not open (not ours, a key no longer configured) is returned unchanged.
- encode: administrators only. A sealed payload is what lets a request reach a review; whoever may
  seal one can name any actor (the register check in activities/review.py still applies).
"""

import logging

import anyio.to_thread
from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import JSONResponse, Response
from fastapi.security import HTTPAuthorizationCredentials
from google.protobuf import json_format
from temporalio.api.common.v1 import Payloads

from service.data_converter import data_converter_for
from service.payload_codec import UNAUTHENTICATED_ENCODING, EncryptionCodec
from settings import Settings
from web.access import Principal
from web.deps import api_principal, optional_principal

log = logging.getLogger("gcu_review.web.codec")
router = APIRouter(prefix="/codec", include_in_schema=False)

# Temporal's own limit on one payload is 2 MiB; a history page's worth of them fits well under this.
MAX_BODY_BYTES = 8 * 1024 * 1024
ALLOWED_HEADERS = "content-type, x-namespace, authorization"


def _cors_headers(request: Request) -> dict[str, str]:
    settings: Settings = request.app.state.settings
    origin = request.headers.get("origin")
    if origin is None or origin not in settings.codec_cors_origins:
        return {"Vary": "Origin"}
    return {
        "Access-Control-Allow-Origin": origin,
        "Access-Control-Allow-Credentials": "true",
        "Access-Control-Allow-Methods": "POST, OPTIONS",
        "Access-Control-Allow-Headers": ALLOWED_HEADERS,
        "Access-Control-Max-Age": "600",
        "Vary": "Origin",
    }


def _refuse(request: Request, status: int, detail: str) -> HTTPException:
    return HTTPException(status_code=status, detail=detail, headers=_cors_headers(request))


def _principal(request: Request) -> Principal | None:
    """The session cookie of the web app, else a Bearer API token, each read exactly as the pages
    and the /api read them (web.deps)."""
    principal = optional_principal(request)
    if principal is not None:
        return principal
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    try:
        return api_principal(request, HTTPAuthorizationCredentials(scheme="Bearer", credentials=token.strip()))
    except HTTPException:
        return None


def _check_caller(request: Request, *, sealing: bool) -> Principal:
    settings: Settings = request.app.state.settings
    origin = request.headers.get("origin")
    own_origin = f"{request.url.scheme}://{request.url.netloc}"
    if origin is not None and origin != own_origin and origin not in settings.codec_cors_origins:
        raise _refuse(request, 403, f"origin {origin} may not use the codec endpoint (CODEC_CORS_ORIGINS)")
    namespace = request.headers.get("x-namespace")
    if namespace and namespace != settings.temporal_namespace:
        raise _refuse(request, 403, f"this codec serves namespace {settings.temporal_namespace!r} only")
    principal = _principal(request)
    if principal is None:
        raise _refuse(request, 401, "sign in to the web app (or send an API token) to read review payloads")
    allowed = principal.may_seal_temporal_payloads() if sealing else principal.may_read_temporal_payloads()
    if not allowed:
        what = (
            "seal payloads (administrators only)"
            if sealing
            else "read review payloads (administrators and GCU staff only)"
        )
        raise _refuse(request, 403, f"you may not {what}")
    return principal


async def _payloads_of(request: Request) -> Payloads:
    body = await request.body()
    if len(body) > MAX_BODY_BYTES:
        raise _refuse(request, 413, f"the request is larger than {MAX_BODY_BYTES} bytes")
    try:
        return json_format.Parse(body or b"{}", Payloads())
    except json_format.ParseError as exc:
        raise _refuse(request, 400, f"not a JSON Payloads message: {exc}") from None


def _codec(request: Request) -> EncryptionCodec:
    codec = data_converter_for(request.app.state.settings).payload_codec
    assert isinstance(codec, EncryptionCodec)
    return codec


def _answer(request: Request, payloads: Payloads) -> Response:
    return JSONResponse(json_format.MessageToDict(payloads), headers=_cors_headers(request))


@router.options("/decode")
@router.options("/encode")
async def preflight(request: Request) -> Response:
    return Response(status_code=204, headers=_cors_headers(request))


@router.post("/decode")
async def decode(request: Request) -> Response:
    principal = await anyio.to_thread.run_sync(lambda: _check_caller(request, sealing=False))
    payloads = await _payloads_of(request)
    codec = _codec(request)
    opened = []
    for payload in payloads.payloads:
        result = codec.open(payload)
        opened.append(payload if result.metadata.get("encoding") == UNAUTHENTICATED_ENCODING else result)
    log.info("codec: %s opened %d payload(s)", principal.username, len(opened))
    return _answer(request, Payloads(payloads=opened))


@router.post("/encode")
async def encode(request: Request) -> Response:
    principal = await anyio.to_thread.run_sync(lambda: _check_caller(request, sealing=True))
    payloads = await _payloads_of(request)
    codec = _codec(request)
    log.warning("codec: %s sealed %d payload(s)", principal.username, len(payloads.payloads))
    return _answer(request, Payloads(payloads=[codec.seal(p) for p in payloads.payloads]))
