"""The data-retention setting: files of reviews closed longer ago than RETENTION_DAYS_CLOSED_REVIEWS
are purged and replaced by their SHA-256; open reviews, recent closures and the audit trail stay."""

import hashlib
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
import typer
from sqlmodel import Session, select
from typer.testing import CliRunner

from cli import retention as retention_cli
from models.tables import AuditEvent, ProductVersion, Review
from settings import Settings, get_settings
from store.audit import append_event, verify_chain
from store.db import session_scope
from store.products import create_version
from store.retention import PURGE_ACTION, is_purged, purge_closed_reviews
from tests.dbutil import uid

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def closed_product(
    engine, *, state: str, closed_days_ago: float, versions: int = 2, audit: bool = True, now: datetime = NOW
) -> str:
    """A product with `versions` stored files and a review in `state`, closed (audit event) that many days before `now`."""
    product_id = uid("RET")
    closed_at = now - timedelta(days=closed_days_ago)
    with session_scope(engine) as session:
        for no in range(1, versions + 1):
            create_version(
                session=session,
                product_id=product_id,
                product_type="IP",
                team_id="T-HERON",
                situation="S",
                author_id="HE-01",
                title="Plan",
                version_label=str(no),
                filename=f"plan-v{no}.docx",
                media_type="application/octet-stream",
                content=f"witness statement v{no} of {product_id}".encode(),
                check_text=f"# Plan v{no}\nWitness W-1 said ...",
                front_matter={},
                submitted_by="HE-01",
            )
        session.add(
            Review(
                product_id=product_id,
                workflow_id=f"product-review-{product_id}",
                state=state,
                team_id="T-HERON",
                product_type="IP",
                situation="S",
                version_no=versions,
                updated_at=closed_at,
            )
        )
        if audit:
            append_event(
                session=session,
                workflow_id=f"product-review-{product_id}",
                transition_seq=1,
                action="approve",
                product_id=product_id,
                actor_id="GX-02",
                from_state="in_review",
                to_state=state,
                at=closed_at,
            )
    return product_id


def versions_of(engine, product_id: str) -> list[ProductVersion]:
    with Session(engine) as session:
        return list(
            session.exec(
                select(ProductVersion)
                .where(ProductVersion.product_id == product_id)
                .order_by(ProductVersion.version_no)
            )
        )


def events_of(engine, product_id: str) -> list[AuditEvent]:
    with Session(engine) as session:
        return list(session.exec(select(AuditEvent).where(AuditEvent.product_id == product_id).order_by(AuditEvent.id)))


def test_retention_is_off_by_default_and_keeps_everything(fresh_engine):
    product_id = closed_product(fresh_engine, state="approved", closed_days_ago=5000)
    assert Settings.model_fields["retention_days_closed_reviews"].default == 0
    report = purge_closed_reviews(engine=fresh_engine, retention_days=0, now=NOW)
    assert report.cutoff is None and report.products == []
    assert "retention is off" in str(report)
    assert all(v.content and v.check_text for v in versions_of(fresh_engine, product_id))


def test_old_closed_reviews_lose_their_files_but_keep_hashes_and_trail(fresh_engine):
    approved = closed_product(fresh_engine, state="approved", closed_days_ago=40)
    withdrawn = closed_product(fresh_engine, state="withdrawn", closed_days_ago=31, versions=1)
    before = {
        v.id: (v.sha256, v.size_bytes, hashlib.sha256(v.content).hexdigest())
        for v in versions_of(fresh_engine, approved)
    }

    report = purge_closed_reviews(engine=fresh_engine, retention_days=30, now=NOW)

    assert sorted(p.product_id for p in report.products) == sorted([approved, withdrawn])
    assert report.version_count == 3
    for v in versions_of(fresh_engine, approved):
        assert is_purged(v)
        assert v.content == b"" and v.check_text is None
        sha, size, actual = before[v.id]
        assert (v.sha256, v.size_bytes) == (sha, size) and sha == actual  # the hash still names the file
    (event,) = [e for e in events_of(fresh_engine, approved) if e.action == PURGE_ACTION]
    assert event.actor_id is None and event.to_state == "approved"
    assert [v["sha256"] for v in event.details["versions"]] == [before[i][0] for i in sorted(before)]
    assert "30 days" in event.reason
    # The review's own trail is still there, and the chain is intact with the new event at its end.
    assert [e.action for e in events_of(fresh_engine, approved)] == ["approve", PURGE_ACTION]
    with Session(fresh_engine) as session:
        assert verify_chain(session=session).ok


def test_recent_closures_and_open_reviews_are_kept(fresh_engine):
    recent = closed_product(fresh_engine, state="approved", closed_days_ago=29)
    open_review = closed_product(fresh_engine, state="in_review", closed_days_ago=400)
    returned = closed_product(fresh_engine, state="returned", closed_days_ago=400)
    report = purge_closed_reviews(engine=fresh_engine, retention_days=30, now=NOW)
    assert report.products == []
    for product_id in (recent, open_review, returned):
        assert not any(is_purged(v) for v in versions_of(fresh_engine, product_id))


def test_the_closing_audit_event_dates_the_closure_not_the_last_projection_update(fresh_engine):
    product_id = closed_product(fresh_engine, state="approved", closed_days_ago=40)
    with session_scope(fresh_engine) as session:  # a later, unrelated touch of the projection
        session.execute(sa.update(Review).where(Review.product_id == product_id).values(updated_at=NOW))
    assert [p.product_id for p in purge_closed_reviews(engine=fresh_engine, retention_days=30, now=NOW).products] == [
        product_id
    ]


def test_without_a_closing_event_the_review_update_time_counts(fresh_engine):
    product_id = closed_product(fresh_engine, state="withdrawn", closed_days_ago=45, audit=False)
    report = purge_closed_reviews(engine=fresh_engine, retention_days=30, now=NOW)
    assert [p.product_id for p in report.products] == [product_id]


def test_a_dry_run_reports_and_changes_nothing(fresh_engine):
    product_id = closed_product(fresh_engine, state="approved", closed_days_ago=90)
    report = purge_closed_reviews(engine=fresh_engine, retention_days=30, now=NOW, dry_run=True)
    assert report.version_count == 2 and "would purge 2 file(s)" in str(report)
    assert not any(is_purged(v) for v in versions_of(fresh_engine, product_id))
    assert [e.action for e in events_of(fresh_engine, product_id)] == ["approve"]


def test_a_second_run_finds_nothing_more(fresh_engine):
    product_id = closed_product(fresh_engine, state="approved", closed_days_ago=90)
    assert purge_closed_reviews(engine=fresh_engine, retention_days=30, now=NOW).version_count == 2
    again = purge_closed_reviews(engine=fresh_engine, retention_days=30, now=NOW + timedelta(days=1))
    assert again.products == []
    assert [e.action for e in events_of(fresh_engine, product_id)] == ["approve", PURGE_ACTION]


def test_a_file_that_no_longer_matches_its_hash_is_kept_and_reported(fresh_engine):
    product_id = closed_product(fresh_engine, state="approved", closed_days_ago=90)
    first = versions_of(fresh_engine, product_id)[0]
    with session_scope(fresh_engine) as session:
        session.execute(sa.update(ProductVersion).where(ProductVersion.id == first.id).values(content=b"altered"))
    report = purge_closed_reviews(engine=fresh_engine, retention_days=30, now=NOW)
    (purge,) = report.products
    assert [v.version_no for v in purge.mismatched] == [1]
    assert [v.version_no for v in purge.versions] == [2]
    assert versions_of(fresh_engine, product_id)[0].content == b"altered"


@pytest.fixture
def cli(fresh_engine, monkeypatch):
    app = typer.Typer()
    retention_cli.register(app)
    monkeypatch.setenv("DATABASE_URL", fresh_engine.url.render_as_string(hide_password=False))
    monkeypatch.setenv("RETENTION_DAYS_CLOSED_REVIEWS", "30")
    get_settings.cache_clear()
    yield lambda *args: CliRunner().invoke(app, ["retention", "purge", *args])
    get_settings.cache_clear()


def test_the_cli_purges_per_the_setting_and_says_what_it_did(cli, fresh_engine):
    today = datetime.now(UTC)
    old = closed_product(fresh_engine, state="approved", closed_days_ago=31, now=today)
    recent = closed_product(fresh_engine, state="approved", closed_days_ago=29, now=today)
    dry = cli("--dry-run")
    assert dry.exit_code == 0, dry.output
    assert "would purge 2 file(s)" in dry.output and old in dry.output and recent not in dry.output
    assert not any(is_purged(v) for v in versions_of(fresh_engine, old))
    done = cli()
    assert done.exit_code == 0, done.output
    assert "purged 2 file(s)" in done.output
    assert all(is_purged(v) for v in versions_of(fresh_engine, old))
    assert not any(is_purged(v) for v in versions_of(fresh_engine, recent))


def test_the_cli_exits_1_when_a_file_does_not_match_its_hash(cli, fresh_engine):
    product_id = closed_product(fresh_engine, state="approved", closed_days_ago=3650, versions=1)
    with session_scope(fresh_engine) as session:
        session.execute(sa.update(ProductVersion).where(ProductVersion.product_id == product_id).values(content=b"x"))
    done = cli()
    assert done.exit_code == 1
    assert f"{product_id} v1 kept" in done.output


def test_the_retention_job_prunes_the_sign_in_log_after_its_period(cli, fresh_engine, monkeypatch):
    from models.web_tables import SignInEvent

    monkeypatch.setenv("SIGN_IN_LOG_DAYS", "400")
    get_settings.cache_clear()
    now = datetime.now(UTC)
    with session_scope(fresh_engine) as session:
        for days, name in ((401, "old"), (399, "kept")):
            session.add(SignInEvent(at=now - timedelta(days=days), username=name, address="192.0.2.1", outcome="wrong"))
    dry = cli("--dry-run")
    assert "sign-in log: 1 events older than 400 days would be removed" in dry.output
    done = cli()
    assert done.exit_code == 0 and "sign-in log: 1 events older than 400 days removed" in done.output
    with session_scope(fresh_engine) as session:
        assert [e.username for e in session.exec(sa.select(SignInEvent)).scalars()] == ["kept"]
