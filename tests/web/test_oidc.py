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
from sqlmodel import Session

from tests.web.conftest import make_settings
from store.accounts import create_account, get_account
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
        claims = {"iss": ISSUER, "aud": CLIENT_ID, "sub": "sub-123", "nonce": self.nonce, "iat": int(time.time()),
                  "exp": int(time.time()) + 300, **self.claims, **overrides}
        return JsonWebToken(["RS256"]).encode({"alg": "RS256", "kid": "k1"}, claims, self.key).decode()

    def handler(self, request: httpx.Request) -> httpx.Response:
        if request.url.path == "/.well-known/openid-configuration":
            return httpx.Response(200, json={
                "issuer": ISSUER, "authorization_endpoint": f"{ISSUER}/authorize", "token_endpoint": f"{ISSUER}/token",
                "jwks_uri": f"{ISSUER}/jwks",
            })
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
    settings = make_settings(tmp_path, oidc_discovery_url=f"{ISSUER}/.well-known/openid-configuration",
                             oidc_client_id=CLIENT_ID, oidc_client_secret="s3cret")
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


def test_an_identity_signs_in_to_the_account_named_by_its_email(oidc):
    client, idp, engine = oidc
    with Session(engine) as session:
        if get_account(session=session, username="oidc.user@example.org") is None:
            create_account(session=session, username="oidc.user@example.org", password=None, staff_id="KE-04")
            session.commit()
    idp.claims = {"email": "oidc.user@example.org"}
    query = _start(client, idp)
    response = client.get(f"/auth/oidc/callback?code=abc&state={query['state']}", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/team"
    assert idp.verifier_ok, "the PKCE verifier matches the challenge"
    assert client.get("/team").status_code == 200
    with Session(engine) as session:
        assert get_account(session=session, username="oidc.user@example.org").oidc_subject == "sub-123"


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
