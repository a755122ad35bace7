"""A migrated SQLite database with the demo register, the demo accounts, and products of three
teams written straight through the data layer (no Temporal), plus signed-in clients per role."""

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from models.enums import ReviewState, Severity, Verdict
from models.findings import Finding as EngineFinding
from models.messages import ReviewWorkflowState
from service.demo import import_demo_roster
from settings import Settings
from store.accounts import DEMO_ACCOUNTS, demo_password, seed_demo_accounts
from store.db import make_engine, migrate
from store.findings import record_findings
from store.products import create_version
from store.reviews import upsert_review
from web.app import create_app

# Who is who in demo/roster.yaml (Heron and Kestrel: DP-01's cluster; Osprey: DP-02's).
ROLES = {
    "heron.lead": "team leader of T-HERON",
    "kestrel.inv": "investigator of T-KESTREL",
    "gcu.albrecht": "GCU reviewer",
    "gcu.head": "GCU head",
    "dp.marsh": "Deputy Prosecutor of T-HERON and T-KESTREL",
    "admin": "administrator",
}
PRODUCTS = {"T-HERON": "WEB-HERON-1", "T-KESTREL": "WEB-KESTREL-1", "T-OSPREY": "WEB-OSPREY-1"}

DOC_V1 = """---
product:
  id: {pid}
  type: IP
  title: "Plan {pid}"
  team: {team}
  situation: Situation in Velmora
  version: "1"
  author: {author}
  submitted_on: 2025-10-06
  audience: internal
---

# Plan

## Summary
A first draft <script>alert(1)</script> with a bush wives mention.
"""


def make_settings(tmp_path: Path, **extra) -> Settings:
    values = {
        "environment": "development",
        "database_url": f"sqlite:///{tmp_path / 'web.db'}",
        "var_dir": tmp_path,
        "secret_key": "test-secret-key-for-web-tests",
        **extra,
    }
    return Settings(**values)


def _add_product(session: Session, team: str, pid: str, author: str, state: ReviewState, versions: int = 1) -> None:
    now = datetime.now(UTC)
    for no in range(1, versions + 1):
        text = DOC_V1.format(pid=pid, team=team, author=author)
        if no > 1:
            text = text.replace("bush wives mention", f"revised text v{no}")
        version = create_version(
            session=session,
            product_id=pid,
            product_type="IP",
            team_id=team,
            situation="Situation in Velmora",
            author_id=author,
            title=f"Plan {pid}",
            version_label=str(no),
            filename=f"{pid}.md",
            media_type="text/markdown",
            content=text.encode(),
            front_matter={"product": {"id": pid}},
            submitted_by=author,
        )
        findings = [
            EngineFinding(
                rule_id="SGBC-IP-01",
                severity=Severity.MAJOR,
                message="Gender analysis is missing.",
                citation="2014 SGBC Policy Paper [V]",
                location="product",
                fix="Add a gender analysis.",
            ),
        ]
        if no == 1:
            findings.append(
                EngineFinding(
                    rule_id="LANG-03",
                    severity=Severity.MINOR,
                    message="Term 'bush wives'.",
                    citation="Terminology Guidelines [S]",
                    location="line:16",
                    fix="Use 'forced marriage'.",
                )
            )
        record_findings(session=session, version=version, findings=findings, at=now)
    product = version  # noqa: F841 - the product row is found through the review below
    from models.tables import Product

    upsert_review(
        session=session,
        product=session.get(Product, pid),
        workflow_id=f"product-review-{pid}",
        state_after=ReviewWorkflowState(
            state=state,
            version_id=version.id,
            version_no=versions,
            version_label=str(versions),
            title=f"Plan {pid}",
            due_at=now - timedelta(days=1) if state == ReviewState.QUEUED else now + timedelta(days=5),
            verdict=Verdict.REVISE,
        ),
        at=now,
    )


@pytest.fixture(scope="module")
def web_db(tmp_path_factory) -> tuple[Settings, object]:
    tmp = tmp_path_factory.mktemp("web")
    settings = make_settings(tmp)
    migrate(settings.database_url)
    engine = make_engine(settings.database_url)
    import_demo_roster(engine)
    seed_demo_accounts(db_engine=engine)
    with Session(engine) as session:
        _add_product(session, "T-HERON", PRODUCTS["T-HERON"], "HE-01", ReviewState.QUEUED, versions=2)
        _add_product(session, "T-KESTREL", PRODUCTS["T-KESTREL"], "KE-03", ReviewState.IN_REVIEW)
        _add_product(session, "T-OSPREY", PRODUCTS["T-OSPREY"], "OS-01", ReviewState.RETURNED)
        session.commit()
    return settings, engine


class _NoTemporal:
    """Stands in for the Temporal client where a test must never reach it."""

    def __getattr__(self, name):
        raise AssertionError(f"the web app called Temporal ({name}) in a test that must not need it")


@pytest.fixture(scope="module")
def app(web_db):
    settings, engine = web_db
    return create_app(settings, db_engine=engine, temporal_client=_NoTemporal())


def csrf_from(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "no CSRF token in the page"
    return match.group(1)


def sign_in(client: TestClient, username: str, password: str | None = None):
    page = client.get("/login")
    return client.post(
        "/login",
        data={
            "username": username,
            "password": password or demo_password(username),
            "csrf_token": csrf_from(page.text),
            "next": "/",
        },
        follow_redirects=False,
    )


@pytest.fixture(scope="module")
def clients(app):
    """A signed-in TestClient per demo account, plus 'anonymous'."""
    made = {"anonymous": TestClient(app)}
    for username, _staff, _what in DEMO_ACCOUNTS:
        client = TestClient(app)
        response = sign_in(client, username)
        assert response.status_code == 303, response.text
        made[username] = client
    yield made
    for client in made.values():
        client.close()


@pytest.fixture(scope="module")
def tokens(web_db):
    """An API token per demo account."""
    from store.accounts import create_api_token, get_account

    _settings, engine = web_db
    made = {}
    with Session(engine) as session:
        for username, _staff, _what in DEMO_ACCOUNTS:
            _row, token = create_api_token(
                session=session, account=get_account(session=session, username=username), name="test"
            )
            made[username] = token
        session.commit()
    return made
