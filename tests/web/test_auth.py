"""Signing in and out, lock-out, cookies, CSRF, tokens, security headers, escaping, demo accounts,
and the accounts CLI."""

import asyncio
import re
from datetime import UTC, datetime, timedelta

import pytest
import typer
from fastapi.testclient import TestClient
from sqlmodel import Session, select
from typer.testing import CliRunner

from models.web_tables import Account
from store.accounts import account_for_token, create_account, create_api_token, get_account, seed_demo_accounts
from tests.web.conftest import PRODUCTS, csrf_from, make_settings, sign_in
from web.app import create_app


@pytest.fixture()
def fresh_client(app):
    with TestClient(app) as client:
        yield client


@pytest.fixture()
def lockable(web_db):
    """A throw-away account for lock-out tests (the demo accounts are shared by the module); an
    administrator without a staff link, since each register person has one login at most."""
    _settings, engine = web_db
    username = f"lock-{datetime.now().timestamp()}"
    with Session(engine) as session:
        create_account(
            session=session, username=username, password="correct-horse-battery", staff_id=None, is_admin=True
        )
        session.commit()
    return username


def error_of(page: str) -> str:
    return page.split('id="login-error">', 1)[1].split("</p>", 1)[0]


def test_sign_in_sets_a_hardened_session_cookie(fresh_client):
    response = sign_in(fresh_client, "heron.lead")
    assert response.status_code == 303
    cookie = response.headers["set-cookie"]
    assert "gcu_session=" in cookie and "HttpOnly" in cookie and "SameSite=lax" in cookie.replace("Lax", "lax")
    assert "Secure" not in cookie  # development serves plain http on localhost


def test_the_session_cookie_is_secure_outside_development(tmp_path, web_db):
    _settings, engine = web_db
    settings = make_settings(
        tmp_path,
        environment="production",
        secret_key="kQ7vX2pLr9TzH4bN6yJc8dFs1gUe5aWm-production-test",
        temporal_payload_keys="prod-test:" + "A" * 43 + "=",
    )
    with TestClient(create_app(settings, db_engine=engine), base_url="https://testserver") as client:
        response = sign_in(client, "heron.lead")
        assert response.status_code == 303
        assert "Secure" in response.headers["set-cookie"]


def test_wrong_password_is_refused_without_saying_which_part_was_wrong(fresh_client):
    response = sign_in(fresh_client, "heron.lead", "wrong-password-123")
    assert response.status_code == 401
    assert "Wrong username or password." in response.text
    unknown = sign_in(fresh_client, "nobody-here", "wrong-password-123")
    assert unknown.status_code == 401 and "Wrong username or password." in unknown.text


def test_five_failures_lock_the_account_for_fifteen_minutes(fresh_client, lockable, web_db):
    _settings, engine = web_db
    for _ in range(5):
        assert "Wrong username or password." in sign_in(fresh_client, lockable, "not-the-password").text
    # While locked, even the right password is refused, with the answer an unknown name gets
    # (issue 17: a locked account answered differently, which told that the name exists).
    again = sign_in(fresh_client, lockable, "correct-horse-battery")
    unknown = sign_in(fresh_client, "no-such-user-here", "correct-horse-battery")
    assert again.status_code == unknown.status_code == 401
    assert error_of(again.text) == error_of(unknown.text)
    with Session(engine) as session:
        account = get_account(session=session, username=lockable)
        assert account.locked_until - datetime.now(UTC) > timedelta(minutes=14)
        account.locked_until = datetime.now(UTC) - timedelta(seconds=1)
        session.add(account)
        session.commit()
    assert sign_in(fresh_client, lockable, "correct-horse-battery").status_code == 303


def test_a_success_resets_the_failure_count(fresh_client, lockable, web_db):
    _settings, engine = web_db
    for _ in range(4):
        sign_in(fresh_client, lockable, "not-the-password")
    assert sign_in(fresh_client, lockable, "correct-horse-battery").status_code == 303
    with Session(engine) as session:
        assert get_account(session=session, username=lockable).failed_logins == 0


def test_sign_in_needs_the_form_token(fresh_client):
    fresh_client.get("/login")
    response = fresh_client.post(
        "/login", data={"username": "heron.lead", "password": "demo-heron.lead-pw", "csrf_token": "x"}
    )
    assert response.status_code == 403 and "expired" in response.text


def test_sign_out_ends_the_session_on_the_server(app, fresh_client):
    sign_in(fresh_client, "heron.lead")
    stolen = fresh_client.cookies.get("gcu_session")
    token = csrf_from(fresh_client.get("/team").text)
    assert fresh_client.post("/logout", data={"csrf_token": token}, follow_redirects=False).status_code == 303
    with TestClient(app) as replay:
        replay.cookies.set("gcu_session", stolen)
        response = replay.get("/team", follow_redirects=False)
        assert response.status_code == 303 and response.headers["location"].startswith("/login")


def test_a_page_request_records_the_sessions_use_so_a_busy_session_does_not_idle_out(app, fresh_client, web_db):
    """The idle timeout counts from the session's last use: a page request at least a minute after
    the last recorded use must store the new one (it was flushed, then rolled back, so a session in
    constant use ended SESSION_IDLE_MINUTES after sign-in)."""
    from models.web_tables import WebSession
    from store import credentials
    from web.deps import session_signer

    _settings, engine = web_db
    sign_in(fresh_client, "gcu.albrecht")
    session_id = session_signer(app.state.settings).loads(fresh_client.cookies.get("gcu_session"), 3600)
    with Session(engine) as session:
        row = session.exec(
            select(WebSession).where(WebSession.session_hash == credentials.sha256_hex(session_id))
        ).one()
        long_ago = datetime.now(UTC) - timedelta(minutes=20)
        row.last_seen_at = long_ago
        session.add(row)
        session.commit()
    assert fresh_client.get("/my-reviews").status_code == 200
    with Session(engine) as session:
        seen = session.exec(
            select(WebSession.last_seen_at).where(WebSession.session_hash == credentials.sha256_hex(session_id))
        ).one()
    assert seen is not None and seen > long_ago + timedelta(minutes=19), seen


def test_a_tampered_session_cookie_is_ignored(app):
    with TestClient(app) as client:
        client.cookies.set("gcu_session", "forged.value.sig")
        assert client.get("/team", follow_redirects=False).status_code == 303


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/x", "/\\evil.example"])
def test_sign_in_never_redirects_off_site(fresh_client, target):
    page = fresh_client.get("/login")
    response = fresh_client.post(
        "/login",
        data={
            "username": "gcu.head",
            "password": "demo-gcu.head-pw",
            "csrf_token": csrf_from(page.text),
            "next": target,
        },
        follow_redirects=False,
    )
    assert response.headers["location"] == "/"


def test_pages_send_security_headers(clients):
    response = clients["gcu.head"].get("/queue")
    csp = response.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "frame-ancestors 'none'" in csp
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "same-origin"
    assert response.headers["x-frame-options"] == "DENY"
    assert "<script>" not in response.text.replace("<script src=", "")  # no inline script
    assert response.headers["cache-control"] == "no-store"


@pytest.mark.parametrize(
    "who, path, status",
    [
        ("anonymous", "/queue", 303),  # the redirect to the sign-in page
        ("gcu.head", "/products/NO-SUCH/review", 404),  # an error page
        ("anonymous", "/api/me", 401),  # a JSON error
        ("anonymous", "/api/openapi.json", 200),
        ("anonymous", "/static/app.css", 200),
    ],
)
def test_every_response_carries_the_security_headers(clients, who, path, status):
    response = clients[who].get(path, follow_redirects=False)
    assert response.status_code == status
    assert response.headers["content-security-policy"].startswith("default-src 'self'")
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["permissions-policy"] == "camera=(), microphone=(), geolocation=()"
    # The app's own assets may be cached; nothing else may.
    assert (response.headers.get("cache-control") == "no-store") is (not path.startswith("/static"))


def test_the_api_docs_alone_allow_inline_styles(clients):
    docs = clients["anonymous"].get("/api/docs").headers["content-security-policy"]
    page = clients["anonymous"].get("/login").headers["content-security-policy"]
    assert "style-src 'self' 'unsafe-inline'" in docs and "unsafe-inline" not in page


def test_document_text_is_sanitised_when_rendered_and_escaped_as_source(clients):
    page = clients["gcu.albrecht"].get(f"/products/{PRODUCTS['T-HERON']}/review").text
    assert "<script>alert(1)</script>" not in page and "alert(1)" not in page  # the sanitiser drops scripts whole
    source = clients["gcu.albrecht"].get(f"/products/{PRODUCTS['T-HERON']}/review?view=source").text
    assert "<script>alert(1)</script>" not in source
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in source


def test_findings_are_grouped_by_severity_with_citation_and_fix(clients):
    page = clients["heron.lead"].get(f"/products/{PRODUCTS['T-HERON']}?version=1").text
    major, minor = page.index('id="sev-major"'), page.index('id="sev-minor"')
    assert major < minor
    assert "2014 SGBC Policy Paper <abbr" in page and "Add a gender analysis." in page
    review = clients["gcu.albrecht"].get(f"/products/{PRODUCTS['T-HERON']}/review").text
    assert 'id="L16"' in review


def test_the_diff_shows_resolved_findings(clients):
    page = clients["heron.lead"].get(f"/products/{PRODUCTS['T-HERON']}/diff").text
    resolved = page.split('<ul id="resolved">', 1)[1].split("</ul>", 1)[0]
    assert "LANG-03" in resolved and "SGBC-IP-01" not in resolved
    assert re.search(r'<tr class="change">\s*<td class="n">17</td><td class="del">A first draft &lt;script&gt;', page)


def test_queue_filters_and_counts(clients):
    client = clients["gcu.albrecht"]
    queued = client.get("/queue?state=queued").text
    assert PRODUCTS["T-HERON"] in queued and PRODUCTS["T-KESTREL"] not in queued
    overdue = client.get("/queue?overdue=yes").text
    assert PRODUCTS["T-HERON"] in overdue and PRODUCTS["T-OSPREY"] not in overdue
    kestrel = client.get("/queue?team=T-KESTREL").text
    assert PRODUCTS["T-KESTREL"] in kestrel and PRODUCTS["T-HERON"] not in kestrel
    fragment = client.get("/queue?team=T-KESTREL", headers={"HX-Request": "true"}).text
    assert "<html" not in fragment and PRODUCTS["T-KESTREL"] in fragment
    assert '<span class="badge state-queued">queued</span> 1' in queued


def test_the_deputy_prosecutor_dashboard_covers_only_the_cluster(clients):
    page = clients["dp.marsh"].get("/dashboard").text
    assert 'data-team="T-HERON"' in page and 'data-team="T-KESTREL"' in page
    assert 'data-team="T-OSPREY"' not in page
    assert PRODUCTS["T-HERON"] in page  # overdue (queued, due yesterday)
    # KPI panels, with the per-team breakdown limited to the cluster.
    assert 'id="kpi-10"' in page and 'id="kpi-12"' in page
    kpi12 = page.split('id="kpi-12"', 1)[1].split("</article>", 1)[0]
    assert '<td><a href="/certifications">T-HERON</a></td>' in kpi12 and "T-OSPREY" not in kpi12


def test_the_dashboard_names_the_reviewer_of_an_overdue_review(web_db, clients):
    """The dashboard's overdue list named reviewers by staff id (GX-03); the queue names them."""
    import sqlalchemy as sa

    from models.tables import Review, Staff

    _settings, engine = web_db
    with Session(engine) as session:
        review = session.exec(select(Review).where(Review.product_id == PRODUCTS["T-HERON"])).one()
        reviewer = session.exec(select(Staff).where(Staff.id == "GX-03")).one()
        before = review.assignee_id
    with engine.begin() as conn:
        conn.execute(sa.update(Review).where(Review.id == review.id).values(assignee_id=reviewer.id))
    try:
        page = clients["dp.marsh"].get("/dashboard").text
    finally:
        with engine.begin() as conn:
            conn.execute(sa.update(Review).where(Review.id == review.id).values(assignee_id=before))
    overdue = page.split("Overdue reviews", 1)[1].split("</ul>", 1)[0]
    assert PRODUCTS["T-HERON"] in overdue and reviewer.name in overdue and "GX-03" not in overdue


def test_api_tokens_are_stored_hashed_and_can_be_revoked(web_db, clients, tokens):
    _settings, engine = web_db
    with Session(engine) as session:
        account = get_account(session=session, username="heron.lead")
        row, token = create_api_token(session=session, account=account, name="revoke-me")
        assert token not in row.token_hash and len(row.token_hash) == 64
        session.commit()
        token_id = row.id
    assert (
        clients["anonymous"].get("/api/me", headers={"Authorization": f"Bearer {token}"}).json()["staff_id"] == "HE-01"
    )
    client = clients["heron.lead"]
    csrf = csrf_from(client.get("/account").text)
    assert (
        client.post(f"/account/tokens/{token_id}/revoke", data={"csrf_token": csrf}, follow_redirects=False).status_code
        == 303
    )
    assert clients["anonymous"].get("/api/me", headers={"Authorization": f"Bearer {token}"}).status_code == 401
    # Another person's token cannot be revoked by id.
    other = clients["kestrel.inv"]
    csrf = csrf_from(other.get("/account").text)
    assert other.post(f"/account/tokens/{token_id}/revoke", data={"csrf_token": csrf}).status_code == 404


def test_expired_tokens_are_refused(web_db):
    _settings, engine = web_db
    with Session(engine) as session:
        account = get_account(session=session, username="gcu.head")
        _row, token = create_api_token(
            session=session, account=account, name="old", expires_at=datetime.now(UTC) - timedelta(minutes=1)
        )
        session.commit()
        assert account_for_token(session=session, token=token) is None


def test_a_tokens_last_use_is_recorded_at_most_once_a_minute(web_db):
    _settings, engine = web_db
    start = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)
    with Session(engine) as session:
        row, token = create_api_token(
            session=session, account=get_account(session=session, username="gcu.head"), name="busy script"
        )
        session.commit()
        used = []
        for seconds in (0, 20, 59, 60, 61, 130):
            assert account_for_token(session=session, token=token, now=start + timedelta(seconds=seconds)) is not None
            session.commit()
            session.refresh(row)
            used.append((row.last_used_at - start).seconds)
    assert used == [0, 0, 0, 60, 60, 130]


def test_the_web_threads_setting_sizes_the_route_thread_pool(tmp_path):
    import anyio.to_thread

    from store.db import migrate

    settings = make_settings(tmp_path, web_threads=3)
    migrate(settings.database_url)
    app = create_app(settings)

    @app.get("/threads-probe")
    async def probe() -> int:
        return anyio.to_thread.current_default_thread_limiter().total_tokens

    with TestClient(app) as client:  # the lifespan runs
        assert client.get("/threads-probe").json() == 3


async def test_no_request_holds_a_connection_while_it_waits_for_a_thread(web_db, tokens):
    """One route thread and one pooled connection, 20 requests at once: each reads who is signed in
    and then the queue in separate thread hops. Were the connection kept between the hops, the
    second request would take the thread and wait for the connection the first one holds."""
    import anyio.to_thread
    import httpx

    from store.db import make_engine
    from tests.web.conftest import _NoTemporal

    settings, _engine = web_db
    one_connection = make_engine(settings.database_url, pool_size=1, max_overflow=0, pool_timeout=5)
    app = create_app(settings, db_engine=one_connection, temporal_client=_NoTemporal())
    anyio.to_thread.current_default_thread_limiter().total_tokens = 1
    headers = {"Authorization": f"Bearer {tokens['gcu.head']}"}
    try:
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://test", headers=headers
        ) as client:
            responses = await asyncio.wait_for(asyncio.gather(*(client.get("/api/queue") for _ in range(20))), 60)
    finally:
        one_connection.dispose()
    assert [r.status_code for r in responses] == [200] * 20


def test_seeding_demo_accounts_is_idempotent(web_db):
    _settings, engine = web_db
    first = seed_demo_accounts(db_engine=engine)
    second = seed_demo_accounts(db_engine=engine)
    assert [u for u, _p, _w in first] == [u for u, _p, _w in second]
    assert {u for u, _p, _w in first} >= {
        "heron.lead",
        "kestrel.inv",
        "gcu.albrecht",
        "gcu.velde",
        "gcu.head",
        "dp.marsh",
        "admin",
    }
    with Session(engine) as session:
        from sqlmodel import select

        assert len(session.exec(select(Account).where(Account.username == "heron.lead")).all()) == 1


def test_accounts_need_a_register_person(web_db):
    _settings, engine = web_db
    with Session(engine) as session, pytest.raises(ValueError, match="not in the register"):
        create_account(session=session, username="ghost", password="long-enough-password", staff_id="XX-99")


def test_the_accounts_cli(tmp_path, web_db, monkeypatch):
    from cli.web import register
    from settings import get_settings

    settings, _engine = web_db
    monkeypatch.setenv("DATABASE_URL", settings.database_url)
    get_settings.cache_clear()
    app = typer.Typer()
    register(app)
    runner = CliRunner()
    try:
        created = runner.invoke(
            app, ["accounts", "create", "cli.user", "--staff", "KE-04", "--password-stdin"], input="a-long-password\n"
        )
        assert created.exit_code == 0, created.output
        short = runner.invoke(app, ["accounts", "set-password", "cli.user", "--password-stdin"], input="short\n")
        assert short.exit_code == 2 and "at least 10 characters" in short.output
        changed = runner.invoke(
            app, ["accounts", "set-password", "cli.user", "--password-stdin"], input="another-long-one\n"
        )
        assert changed.exit_code == 0, changed.output
        token = runner.invoke(app, ["accounts", "token", "cli.user", "--name", "ci"])
        assert token.exit_code == 0 and token.output.strip().startswith("gcu_")
        unknown = runner.invoke(
            app, ["accounts", "create", "x.user", "--staff", "NOPE", "--password-stdin"], input="a-long-password\n"
        )
        assert unknown.exit_code == 2 and "not in the register" in unknown.output
    finally:
        get_settings.cache_clear()
