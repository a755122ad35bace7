"""OIDC sign-in against an identity provider played by an httpx MockTransport: discovery, the
authorization redirect (state, nonce, PKCE), the code exchange, and ID-token verification."""

import base64
import hashlib
import time
from urllib.parse import parse_qs, urlparse

import httpx
import pytest
from authlib.jose import JsonWebKey, JsonWebToken
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from models.enums import AuditChannel
from models.tables import Staff
from models.web_tables import Account
from store.account_events import Operator, events_of
from store.accounts import allow_identity_link, create_account, get_account
from tests.web.conftest import csrf_from, make_settings, sign_in
from web.app import create_app

ISSUER = "https://idp.example"
CLIENT_ID = "gcu-review"


class FakeIdentityProvider:
    def __init__(self):
        self.key = JsonWebKey.generate_key("RSA", 2048, is_private=True, options={"kid": "k1"})
        self.claims: dict = {}
        self.nonce = ""
        self.verifier_ok = False
        self.challenge = ""

    def id_token(self, **overrides) -> str:
        claims = {
            "iss": ISSUER,
            "aud": CLIENT_ID,
            "sub": "sub-123",
            "nonce": self.nonce,
            "iat": int(time.time()),
            "exp": int(time.time()) + 300,
            **self.claims,
            **overrides,
        }
        return JsonWebToken(["RS256"]).encode({"alg": "RS256", "kid": "k1"}, claims, self.key).decode()

    def handler(self, request: httpx.Request) -> httpx.Response:
        if request.url.path == "/.well-known/openid-configuration":
            return httpx.Response(
                200,
                json={
                    "issuer": ISSUER,
                    "authorization_endpoint": f"{ISSUER}/authorize",
                    "token_endpoint": f"{ISSUER}/token",
                    "jwks_uri": f"{ISSUER}/jwks",
                },
            )
        if request.url.path == "/jwks":
            return httpx.Response(200, json={"keys": [self.key.as_dict(is_private=False)]})
        if request.url.path == "/token":
            form = parse_qs(request.content.decode())
            verifier = form["code_verifier"][0]
            digest = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
            self.verifier_ok = digest == self.challenge
            return httpx.Response(200, json={"access_token": "at", "token_type": "Bearer", "id_token": self.id_token()})
        return httpx.Response(404)


@pytest.fixture()
def oidc(tmp_path, web_db):
    _settings, engine = web_db
    settings = make_settings(
        tmp_path,
        oidc_discovery_url=f"{ISSUER}/.well-known/openid-configuration",
        oidc_client_id=CLIENT_ID,
        oidc_client_secret="s3cret",
    )
    app = create_app(settings, db_engine=engine)
    idp = FakeIdentityProvider()
    app.state.oidc_transport = httpx.MockTransport(idp.handler)
    with TestClient(app) as client:
        yield client, idp, engine


def _start(client, idp) -> dict:
    response = client.get("/auth/oidc/login?next=/team", follow_redirects=False)
    assert response.status_code == 303
    location = urlparse(response.headers["location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == f"{ISSUER}/authorize"
    query = {k: v[0] for k, v in parse_qs(location.query).items()}
    assert query["code_challenge_method"] == "S256" and query["client_id"] == CLIENT_ID
    idp.nonce, idp.challenge = query["nonce"], query["code_challenge"]
    return query


def _callback(client, query):
    return client.get(f"/auth/oidc/callback?code=abc&state={query['state']}", follow_redirects=False)


def _account_with_email(engine, username, staff_id, email):
    with Session(engine) as session:
        if get_account(session=session, username=username) is None:
            create_account(session=session, username=username, password=None, staff_id=staff_id)
        staff = session.get(Staff, staff_id)
        staff.email = email
        session.add(staff)
        session.commit()


@pytest.mark.parametrize(
    "claims",
    [
        {"preferred_username": "admin", "email": "admin"},  # issue 17: signed in as admin
        {"email": "helena.ostrova@example.org", "email_verified": False},  # the GCU head's register email, unverified
        {"email": "helena.ostrova@example.org", "email_verified": True},  # verified, but no administrator allowed it
        {"email": "oidc.user@example.org"},  # equal to a username
    ],
)
def test_a_claim_alone_never_signs_in_or_links(oidc, claims):
    client, idp, engine = oidc
    _account_with_email(engine, "gcu.head", "GX-09", "helena.ostrova@example.org")
    _account_with_email(engine, "oidc.user@example.org", "KE-04", "ke04@example.org")
    idp.claims = {"sub": "attacker-sub", **claims}
    response = _callback(client, _start(client, idp))
    assert response.status_code == 401 and "No gcu-review account is linked" in response.text
    assert client.get("/team", follow_redirects=False).status_code == 303  # not signed in
    with Session(engine) as session:
        assert session.exec(select(Account).where(Account.oidc_subject == "attacker-sub")).first() is None


def test_an_administrator_allowed_link_needs_a_verified_email_and_is_used_once(oidc):
    client, idp, engine = oidc
    with Session(engine) as session:
        account = create_account(session=session, username="kestrel.lead.oidc", password=None, staff_id="KE-01")
        allow_identity_link(
            session=session,
            account=account,
            email="Kestrel.Lead@example.org",
            by=Operator(channel=AuditChannel.WEB, username="admin"),
        )
        session.commit()
        account_id = account.id
    idp.claims = {"sub": "sub-kestrel", "email": "kestrel.lead@example.org", "email_verified": False}
    assert _callback(client, _start(client, idp)).status_code == 401
    idp.claims["email_verified"] = True
    response = _callback(client, _start(client, idp))
    assert response.status_code == 303 and response.headers["location"] == "/team"
    assert idp.verifier_ok, "the PKCE verifier matches the challenge"
    with Session(engine) as session:
        account = session.get(Account, account_id)
        assert account.oidc_subject == "sub-kestrel" and account.oidc_link_email is None
        actions = [e.action for e in events_of(session=session, account_id=account_id)]
        assert actions == ["account.created", "account.identity_link_allowed", "account.identity_linked"]
    # The link is the subject now, whatever the email says later.
    client.cookies.clear()
    idp.claims = {"sub": "sub-kestrel", "email": "changed@example.org"}
    assert _callback(client, _start(client, idp)).status_code == 303


def test_a_signed_in_person_links_their_own_identity(oidc):
    client, idp, engine = oidc
    assert sign_in(client, "kestrel.inv").status_code == 303
    csrf = csrf_from(client.get("/account").text)
    response = client.post("/auth/oidc/link", data={"csrf_token": csrf}, follow_redirects=False)
    query = {k: v[0] for k, v in parse_qs(urlparse(response.headers["location"]).query).items()}
    idp.nonce, idp.challenge = query["nonce"], query["code_challenge"]
    idp.claims = {"sub": "sub-kestrel-inv", "email": "someone-else@example.org"}
    linked = _callback(client, query)
    assert linked.status_code == 303 and linked.headers["location"] == "/account"
    with Session(engine) as session:
        account = get_account(session=session, username="kestrel.inv")
        assert account.oidc_subject == "sub-kestrel-inv"
        [event] = [
            e for e in events_of(session=session, account_id=account.id) if e.action == "account.identity_linked"
        ]
        assert event.channel == "web" and event.details["how"] == "signed-in session"
    client.cookies.clear()
    assert _callback(client, _start(client, idp)).status_code == 303


def test_a_link_started_by_one_account_does_not_link_another(oidc):
    client, idp, engine = oidc
    assert sign_in(client, "dp.marsh").status_code == 303
    csrf = csrf_from(client.get("/account").text)
    response = client.post("/auth/oidc/link", data={"csrf_token": csrf}, follow_redirects=False)
    query = {k: v[0] for k, v in parse_qs(urlparse(response.headers["location"]).query).items()}
    idp.nonce, idp.challenge = query["nonce"], query["code_challenge"]
    client.post("/logout", data={"csrf_token": csrf})
    idp.claims = {"sub": "sub-dp"}
    assert _callback(client, query).headers["location"] == "/account"
    with Session(engine) as session:
        assert get_account(session=session, username="dp.marsh").oidc_subject is None


def test_outside_development_the_redirect_uri_comes_from_the_configured_base_url(tmp_path, web_db):
    _settings, engine = web_db
    settings = make_settings(
        tmp_path,
        environment="production",
        app_base_url="https://review.example.org/",
        oidc_discovery_url=f"{ISSUER}/.well-known/openid-configuration",
        oidc_client_id=CLIENT_ID,
        oidc_client_secret="s3cret",
        secret_key="kQ7vX2pLr9TzH4bN6yJc8dFs1gUe5aWm-oidc-test",
        temporal_payload_keys="prod-test:" + "A" * 43 + "=",
    )
    app = create_app(settings, db_engine=engine)
    app.state.oidc_transport = httpx.MockTransport(FakeIdentityProvider().handler)
    with TestClient(app, base_url="http://internal-host:8000") as client:
        response = client.get("/auth/oidc/login", follow_redirects=False)
    query = parse_qs(urlparse(response.headers["location"]).query)
    assert query["redirect_uri"] == ["https://review.example.org/auth/oidc/callback"]


def test_an_unknown_identity_gets_no_account(oidc):
    client, idp, _engine = oidc
    idp.claims = {"email": "stranger@example.org", "sub": "sub-999"}
    query = _start(client, idp)
    response = client.get(f"/auth/oidc/callback?code=abc&state={query['state']}", follow_redirects=False)
    assert response.status_code == 401 and "No gcu-review account is linked" in response.text


def test_a_forged_state_or_nonce_is_refused(oidc):
    client, idp, _engine = oidc
    _start(client, idp)
    response = client.get("/auth/oidc/callback?code=abc&state=forged", follow_redirects=False)
    assert response.status_code == 401 and "state" in response.text
    query = _start(client, idp)
    idp.nonce = "another-nonce"
    response = client.get(f"/auth/oidc/callback?code=abc&state={query['state']}", follow_redirects=False)
    assert response.status_code == 401 and "not accepted" in response.text


def test_oidc_routes_are_absent_when_not_configured(clients):
    assert clients["anonymous"].get("/auth/oidc/login", follow_redirects=False).status_code == 404
    assert "organisation account" not in clients["anonymous"].get("/login").text
