"""Data retention: the files of closed reviews are purged once they are older than the retention period.

Settings.retention_days_closed_reviews (0 = keep forever) counts days from the moment a review
closed (approved or withdrawn: the last audit event entering that state). A purge empties every
version's stored file (`content`) and extracted text (`check_text`); what stays is the version's
metadata with its SHA-256 and size, the findings, decisions, notifications and the whole audit
trail, so a copy of the file produced later can still be matched against the record. Each purge
appends one audit event (action `retention_purge`) naming the versions and their hashes: the audit
trail is never deleted, only added to.

A purged version: empty content and no extracted text, with a hash that is not the empty file's.
Before a file is discarded its hash is checked once more: a stored file that no longer matches its
recorded hash is left alone and reported, since the hash would otherwise vouch for lost content.
"""

import hashlib
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from pydantic import BaseModel, Field
from sqlmodel import Session, col, select

from models.enums import TERMINAL_STATES, AuditChannel
from models.tables import AuditEvent, ProductVersion, Review
from store import audit

PURGE_ACTION = "retention_purge"
EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()


def retention_workflow_id(product_id: str) -> str:
    """Audit events of retention are keyed apart from the review's own transitions."""
    return f"retention:{product_id}"


def is_purged(version: ProductVersion) -> bool:
    return not version.content and version.check_text is None and version.sha256 != EMPTY_SHA256


class PurgedVersion(BaseModel):
    version_no: int
    filename: str
    sha256: str
    size_bytes: int


class ProductPurge(BaseModel):
    product_id: str
    state: str
    closed_at: datetime
    versions: list[PurgedVersion] = Field(default_factory=list)
    # Versions kept because their stored file no longer matches the recorded hash.
    mismatched: list[PurgedVersion] = Field(default_factory=list)
    audit_event_id: int | None = None


class RetentionReport(BaseModel):
    retention_days: int
    cutoff: datetime | None = None  # reviews closed at or before this time are due; None: retention off
    dry_run: bool = False
    products: list[ProductPurge] = Field(default_factory=list)

    @property
    def version_count(self) -> int:
        return sum(len(p.versions) for p in self.products)

    @property
    def byte_count(self) -> int:
        return sum(v.size_bytes for p in self.products for v in p.versions)

    def __str__(self) -> str:
        if self.cutoff is None:
            return "retention is off (RETENTION_DAYS_CLOSED_REVIEWS=0): every file is kept"
        verb = "would purge" if self.dry_run else "purged"
        return (
            f"{verb} {self.version_count} file(s), {self.byte_count} bytes, of {len(self.products)} closed review(s) "
            f"closed on or before {self.cutoff:%Y-%m-%d %H:%M} UTC ({self.retention_days} days)"
        )


def closed_reviews(*, session: Session) -> list[tuple[str, str, datetime]]:
    """(product id, state, closed at) of every approved or withdrawn review."""
    terminal = [str(s) for s in TERMINAL_STATES]
    closing = (
        select(AuditEvent.product_id, sa.func.max(AuditEvent.at).label("closed_at"))
        .where(col(AuditEvent.to_state).in_(terminal), col(AuditEvent.product_id).is_not(None))
        .group_by(AuditEvent.product_id)
        .subquery()
    )
    rows = session.execute(
        select(Review.product_id, Review.state, Review.updated_at, closing.c.closed_at)
        .outerjoin(closing, closing.c.product_id == Review.product_id)
        .where(col(Review.state).in_(terminal))
        .order_by(Review.product_id)
    ).all()
    result = []
    for product_id, state, updated_at, closed_at in rows:
        # The audit event is the record; the projection's last change stands in only without one.
        when = closed_at if closed_at is not None else updated_at
        if isinstance(when, str):  # SQLite hands an aggregate back as text
            when = datetime.fromisoformat(when)
        result.append((product_id, state, when if when.tzinfo else when.replace(tzinfo=UTC)))
    return result


def _unpurged_versions(session: Session, product_id: str) -> list[ProductVersion]:
    versions = session.exec(
        select(ProductVersion)
        .where(col(ProductVersion.product_id) == product_id)
        .order_by(col(ProductVersion.version_no))
    ).all()
    return [v for v in versions if not is_purged(v)]


def _described(version: ProductVersion) -> PurgedVersion:
    return PurgedVersion(
        version_no=version.version_no, filename=version.filename, sha256=version.sha256, size_bytes=version.size_bytes
    )


def purge_closed_reviews(
    *, engine: sa.Engine, retention_days: int, now: datetime | None = None, dry_run: bool = False
) -> RetentionReport:
    """Purge the files of reviews closed more than `retention_days` days before `now`.

    One transaction per product (its versions and its audit event together). Idempotent: purged
    versions are skipped, so a second run finds nothing more to do."""
    if retention_days <= 0:
        return RetentionReport(retention_days=retention_days, dry_run=dry_run)
    now = now or datetime.now(UTC)
    cutoff = now - timedelta(days=retention_days)
    report = RetentionReport(retention_days=retention_days, cutoff=cutoff, dry_run=dry_run)
    with Session(engine) as session:
        due = [(pid, state, closed) for pid, state, closed in closed_reviews(session=session) if closed <= cutoff]
    for product_id, state, closed_at in due:
        with Session(engine, expire_on_commit=False) as session:
            purge = _purge_product(
                session,
                product_id=product_id,
                state=state,
                closed_at=closed_at,
                now=now,
                retention_days=retention_days,
                dry_run=dry_run,
            )
            if dry_run:
                session.rollback()
            else:
                session.commit()
        if purge.versions or purge.mismatched:
            report.products.append(purge)
    return report


def _purge_product(
    session: Session,
    *,
    product_id: str,
    state: str,
    closed_at: datetime,
    now: datetime,
    retention_days: int,
    dry_run: bool,
) -> ProductPurge:
    purge = ProductPurge(product_id=product_id, state=state, closed_at=closed_at)
    for version in _unpurged_versions(session, product_id):
        if hashlib.sha256(version.content).hexdigest() != version.sha256:
            purge.mismatched.append(_described(version))
            continue
        purge.versions.append(_described(version))
        if not dry_run:
            version.content = b""
            version.check_text = None
            session.add(version)
    if purge.versions and not dry_run:
        workflow_id = retention_workflow_id(product_id)
        last_seq = session.exec(
            select(sa.func.max(AuditEvent.transition_seq)).where(AuditEvent.workflow_id == workflow_id)
        ).one()
        event = audit.append_event(
            session=session,
            workflow_id=workflow_id,
            transition_seq=(last_seq or 0) + 1,
            action=PURGE_ACTION,
            at=now,
            product_id=product_id,
            actor_id=None,
            from_state=state,
            to_state=state,
            channel=AuditChannel.SYSTEM,
            reason=f"file contents purged {retention_days} days after the review closed "
            "(RETENTION_DAYS_CLOSED_REVIEWS); the SHA-256 of each file is kept",
            details={
                "retention_days": retention_days,
                "closed_at": closed_at.astimezone(UTC).isoformat(),
                "versions": [v.model_dump() for v in purge.versions],
            },
        )
        purge.audit_event_id = event.id
    return purge
