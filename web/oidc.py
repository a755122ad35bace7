"""Optional OIDC sign-in (authorization code flow with PKCE) against an organisation's identity
provider, configured by settings.oidc_*. The state, nonce and PKCE verifier travel in a short-lived
signed cookie, so no server-side store is needed between the two legs.

An identity signs in only to an existing account: one already linked to its `sub`, or else the
account whose username, or whose register staff email, equals the configured claim (then the `sub`
is linked). Accounts are never created from a sign-in: an administrator creates them.
"""

import json
import secrets
import time
from urllib.parse import urlencode

import httpx
from authlib.common.security import generate_token
from authlib.jose import JsonWebKey, JsonWebToken
from authlib.jose.errors import JoseError
from authlib.oauth2.rfc7636 import create_s256_code_challenge
from fastapi import HTTPException, Request
from fastapi.responses import RedirectResponse
from sqlmodel import Session, select, col

from models.tables import Staff
from models.web_tables import Account
from web.security import CookieSigner
from web.templating import cookie_secure

OIDC_COOKIE = "gcu_oidc"
OIDC_COOKIE_MAX_AGE = 600
_METADATA_TTL = 3600
_metadata_cache: dict[str, tuple[float, dict]] = {}


def _http(request: Request) -> httpx.AsyncClient:
    # Tests hand in a transport that plays the identity provider.
    transport = getattr(request.app.state, "oidc_transport", None)
    return httpx.AsyncClient(transport=transport, timeout=10)


async def _metadata(request: Request) -> dict:
    url = request.app.state.settings.oidc_discovery_url
    hit = _metadata_cache.get(url)
    if hit and hit[0] > time.monotonic():
        return hit[1]
    async with _http(request) as http:
        response = await http.get(url)
        response.raise_for_status()
        data = response.json()
    _metadata_cache[url] = (time.monotonic() + _METADATA_TTL, data)
    return data


def _signer(request: Request) -> CookieSigner:
    return CookieSigner(request.app.state.settings.secret_key, salt="gcu-review.oidc")


def _redirect_uri(request: Request) -> str:
    return str(request.url_for("oidc_callback"))


async def begin(request: Request, next_url: str) -> RedirectResponse:
    settings = request.app.state.settings
    if not settings.oidc_discovery_url:
        raise HTTPException(404, "Sign-in with an identity provider is not configured.")
    meta = await _metadata(request)
    state, nonce, verifier = generate_token(24), generate_token(24), generate_token(48)
    params = {
        "response_type": "code",
        "client_id": settings.oidc_client_id,
        "redirect_uri": _redirect_uri(request),
        "scope": settings.oidc_scope,
        "state": state,
        "nonce": nonce,
        "code_challenge": create_s256_code_challenge(verifier),
        "code_challenge_method": "S256",
    }
    response = RedirectResponse(f"{meta['authorization_endpoint']}?{urlencode(params)}", status_code=303)
    payload = json.dumps({"state": state, "nonce": nonce, "verifier": verifier, "next": next_url})
    response.set_cookie(
        OIDC_COOKIE, _signer(request).dumps(payload), max_age=OIDC_COOKIE_MAX_AGE, httponly=True,
        samesite="lax", secure=cookie_secure(request), path="/auth/oidc",
    )
    return response


async def finish(request: Request, db: Session) -> tuple[int | None, str, str]:
    """(account id or None, where to go next, error message)."""
    settings = request.app.state.settings
    if not settings.oidc_discovery_url:
        raise HTTPException(404, "Sign-in with an identity provider is not configured.")
    raw = _signer(request).loads(request.cookies.get(OIDC_COOKIE), OIDC_COOKIE_MAX_AGE)
    if raw is None:
        return None, "/", "The sign-in took too long or was started elsewhere; please try again."
    saved = json.loads(raw)
    if request.query_params.get("error"):
        return None, "/", f"The identity provider refused the sign-in: {request.query_params.get('error')}"
    if not secrets.compare_digest(request.query_params.get("state", ""), saved["state"]):
        return None, "/", "The sign-in response does not match this browser's request (state); please try again."
    meta = await _metadata(request)
    try:
        async with _http(request) as http:
            token_response = await http.post(
                meta["token_endpoint"],
                data={
                    "grant_type": "authorization_code", "code": request.query_params.get("code", ""),
                    "redirect_uri": _redirect_uri(request), "code_verifier": saved["verifier"],
                },
                auth=(settings.oidc_client_id, settings.oidc_client_secret),
            )
            token_response.raise_for_status()
            id_token = token_response.json()["id_token"]
            jwks = (await http.get(meta["jwks_uri"])).json()
    except (httpx.HTTPError, KeyError, ValueError) as exc:
        return None, "/", f"The identity provider could not complete the sign-in: {exc}"
    try:
        claims = JsonWebToken(["RS256", "ES256", "PS256"]).decode(
            id_token, JsonWebKey.import_key_set(jwks),
            claims_options={
                "iss": {"essential": True, "value": meta["issuer"]},
                "aud": {"essential": True, "value": settings.oidc_client_id},
                "nonce": {"essential": True, "value": saved["nonce"]},
                "exp": {"essential": True},
                "sub": {"essential": True},
            },
        )
        claims.validate(leeway=60)
    except JoseError as exc:
        return None, "/", f"The identity provider's token was not accepted: {exc}"
    account = _account_for(db, claims["sub"], claims.get(settings.oidc_username_claim))
    if account is None:
        return None, "/", "No gcu-review account is linked to this identity; ask an administrator to create one."
    db.commit()
    return account.id, saved.get("next", "/"), ""


def _account_for(db: Session, subject: str, claim_value) -> Account | None:
    account = db.exec(select(Account).where(Account.oidc_subject == subject)).one_or_none()
    if account is None and isinstance(claim_value, str) and claim_value:
        account = db.exec(select(Account).where(col(Account.username) == claim_value, col(Account.oidc_subject).is_(None))).one_or_none()
        if account is None:
            staff_ids = db.exec(select(Staff.id).where(Staff.email == claim_value)).all()
            if len(staff_ids) == 1:
                account = db.exec(
                    select(Account).where(col(Account.staff_id) == staff_ids[0], col(Account.oidc_subject).is_(None))
                ).first()
        if account is not None:
            account.oidc_subject = subject
            db.add(account)
    if account is None or not account.active:
        return None
    return account
