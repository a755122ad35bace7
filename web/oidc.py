"""Optional OIDC sign-in (authorization code flow with PKCE) against an organisation's identity
provider, configured by settings.oidc_*. The state, nonce and PKCE verifier travel in a short-lived
signed cookie, so no server-side store is needed between the two legs.

An identity signs in only to the account linked to its `sub`. A claim alone never links an identity
(a username or an email someone else typed into the provider would otherwise sign in as that
account, administrators included). A link is made
- from a session already signed in to the account (the Account page's "Link" button: the person
  proves both sides at once),
- by an administrator who sets the subject (`gcu-review accounts link-identity`), or
- by an administrator who allows one link for an email: the next sign-in whose email equals it
  *and* whose provider says `email_verified: true` is linked, once.
Every link is an audit event. Accounts are never created from a sign-in: an administrator creates them.
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
from pydantic import BaseModel
from sqlalchemy import func
from sqlmodel import Session, col, select

from models.enums import AuditChannel
from models.web_tables import Account
from store import accounts, sign_in
from store.account_events import SYSTEM, Operator
from store.db import get_existing
from web.access import Principal
from web.deps import client_address
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
    return CookieSigner(request.app.state.settings.secret_key.get_secret_value(), salt="gcu-review.oidc")


class OidcOutcome(BaseModel):
    account_id: int | None = None
    next_url: str = "/"
    error: str = ""
    linking: bool = False  # the flow linked (or failed to link) a signed-in account


def _redirect_uri(request: Request) -> str:
    """From APP_BASE_URL (the address people use) outside development: behind a TLS proxy the
    request itself says http:// and names the proxy's view of the host."""
    settings = request.app.state.settings
    if settings.environment in ("development", "test"):
        return str(request.url_for("oidc_callback"))
    return settings.app_base_url.rstrip("/") + request.app.url_path_for("oidc_callback")


async def begin(request: Request, next_url: str, link_account_id: int | None = None) -> RedirectResponse:
    settings = request.app.state.settings
    if not settings.oidc_discovery_url:
        raise HTTPException(404, "Sign-in with an identity provider is not configured.")
    if settings.environment not in ("development", "test") and not settings.app_base_url.startswith("https://"):
        raise HTTPException(
            503, "Sign-in with an identity provider needs APP_BASE_URL, the https:// address people use."
        )
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
    payload = json.dumps(
        {"state": state, "nonce": nonce, "verifier": verifier, "next": next_url, "link": link_account_id}
    )
    response.set_cookie(
        OIDC_COOKIE,
        _signer(request).dumps(payload),
        max_age=OIDC_COOKIE_MAX_AGE,
        httponly=True,
        samesite="lax",
        secure=cookie_secure(request),
        path="/auth/oidc",
    )
    return response


async def finish(request: Request, db: Session, signed_in: Principal | None = None) -> OidcOutcome:
    settings = request.app.state.settings
    if not settings.oidc_discovery_url:
        raise HTTPException(404, "Sign-in with an identity provider is not configured.")
    raw = _signer(request).loads(request.cookies.get(OIDC_COOKIE), OIDC_COOKIE_MAX_AGE)
    if raw is None:
        return OidcOutcome(error="The sign-in took too long or was started elsewhere; please try again.")
    saved = json.loads(raw)
    linking = saved.get("link") is not None
    if request.query_params.get("error"):
        return OidcOutcome(
            linking=linking, error=f"The identity provider refused the sign-in: {request.query_params.get('error')}"
        )
    if not secrets.compare_digest(request.query_params.get("state", ""), saved["state"]):
        return OidcOutcome(
            linking=linking,
            error="The sign-in response does not match this browser's request (state); please try again.",
        )
    claims, error = await _verified_claims(request, saved)
    if claims is None:
        return OidcOutcome(linking=linking, error=error)
    if linking:
        return _link_signed_in(db, claims["sub"], saved["link"], signed_in)
    address = client_address(request)
    account = _account_for(db, claims)
    if account is None or not account.active:
        sign_in.log_attempt(
            session=db,
            username=str(claims.get(settings.oidc_username_claim) or claims["sub"]),
            address=address,
            via="oidc",
            outcome="unlinked" if account is None else "disabled",
            account_id=None if account is None else account.id,
        )
        db.commit()
        return OidcOutcome(
            error="No gcu-review account is linked to this identity. Sign in with your password and link "
            "it on your Account page, or ask an administrator."
        )
    account.last_login_at = accounts.utcnow()
    db.add(account)
    sign_in.log_attempt(
        session=db, username=account.username, address=address, via="oidc", outcome="ok", account_id=account.id
    )
    db.commit()
    return OidcOutcome(account_id=account.id, next_url=saved.get("next", "/"))


async def _verified_claims(request: Request, saved: dict) -> tuple[dict | None, str]:
    settings = request.app.state.settings
    meta = await _metadata(request)
    try:
        async with _http(request) as http:
            token_response = await http.post(
                meta["token_endpoint"],
                data={
                    "grant_type": "authorization_code",
                    "code": request.query_params.get("code", ""),
                    "redirect_uri": _redirect_uri(request),
                    "code_verifier": saved["verifier"],
                },
                auth=(settings.oidc_client_id, settings.oidc_client_secret.get_secret_value()),
            )
            token_response.raise_for_status()
            id_token = token_response.json()["id_token"]
            jwks = (await http.get(meta["jwks_uri"])).json()
    except (httpx.HTTPError, KeyError, ValueError) as exc:
        return None, f"The identity provider could not complete the sign-in: {exc}"
    try:
        claims = JsonWebToken(["RS256", "ES256", "PS256"]).decode(
            id_token,
            JsonWebKey.import_key_set(jwks),
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
        return None, f"The identity provider's token was not accepted: {exc}"
    return dict(claims), ""


def _link_signed_in(db: Session, subject: str, account_id: int, signed_in: Principal | None) -> OidcOutcome:
    """The Account page's link: only for the account that is still signed in in this browser."""
    if signed_in is None or signed_in.account_id != account_id:
        return OidcOutcome(linking=True, error="Linking needs you to stay signed in to the account you started from.")
    account = get_existing(db, Account, account_id)
    try:
        accounts.link_identity(
            session=db,
            account=account,
            subject=subject,
            how="signed-in session",
            by=Operator(channel=AuditChannel.WEB, username=account.username, staff_id=account.staff_id),
        )
    except accounts.AccountError as exc:
        return OidcOutcome(linking=True, error=f"Not linked: {exc}.")
    db.commit()
    return OidcOutcome(account_id=account.id, next_url="/account", linking=True)


def _account_for(db: Session, claims: dict) -> Account | None:
    subject = claims["sub"]
    account = db.exec(select(Account).where(Account.oidc_subject == subject)).one_or_none()
    if account is not None:
        return account
    email = claims.get("email")
    # An administrator's one-time approval, and only for an address the provider has verified: an
    # unverified email is whatever the person typed.
    if claims.get("email_verified") is not True or not isinstance(email, str) or "@" not in email:
        return None
    approved = db.exec(
        select(Account).where(
            func.lower(col(Account.oidc_link_email)) == email.strip().lower(), col(Account.oidc_subject).is_(None)
        )
    ).all()
    if len(approved) != 1:
        return None
    return accounts.link_identity(
        session=db,
        account=approved[0],
        subject=subject,
        by=SYSTEM,
        how=f"administrator-approved verified email {email}",
    )
