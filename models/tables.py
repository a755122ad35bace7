"""SQLModel tables of gcu-review (issue 3 "Data model"), one family per entity where callers need it.

Portable across SQLite and PostgreSQL: timestamps are timezone-aware and stored as UTC, lists and
mappings are JSON columns, uploaded files live in the database (served only through access checks).
The schema is created by Alembic (store/migrations), never by `create_all` in production code.

Staff ids held by teams, products and reviews are plain strings, not foreign keys: the roster
contract (product-format.md §1.1, §9) lets a product or a team name a person who is not in the
register (`TBD`), and every lookup for such an id must simply fail.
"""

import datetime as dt
from datetime import datetime
from typing import Any, Protocol, cast

import sqlalchemy as sa
from sqlalchemy.types import TypeDecorator
from sqlmodel import JSON, Field, LargeBinary, SQLModel

from models.enums import FindingState, ReviewState


def table_of(model: type[SQLModel]) -> sa.Table:
    """The Core table behind a table model, for bulk and Core statements (SQLModel does not declare
    `__table__` to type checkers)."""
    return cast(sa.Table, sa.inspect(model).local_table)


class _Stored(Protocol):
    id: Any


def stored_id(row: _Stored) -> int:
    """The primary key of a row the database has given one (SQLModel types every `id` as optional,
    since a new row has none until it is flushed)."""
    if row.id is None:
        raise ValueError(f"{type(row).__name__} has not been stored yet")
    return int(row.id)


# Stable constraint names, so that later migrations (and SQLite batch mode) can refer to them.
SQLModel.metadata.naming_convention = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator):
    """A timezone-aware datetime stored as UTC. SQLite keeps no offset, so values are normalised to
    UTC on the way in and marked UTC on the way out; naive values are refused rather than guessed."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: gcu-review stores timezone-aware times only")
        value = value.astimezone(dt.UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=dt.UTC)
        return value.astimezone(dt.UTC)


def utcnow() -> datetime:
    return datetime.now(dt.UTC)


def _ts(**kwargs: Any) -> Any:
    return Field(sa_type=UTCDateTime, **kwargs)


# ---------------------------------------------------------------- register (roster import)


class Team(SQLModel, table=True):
    __tablename__ = "team"

    id: str = Field(primary_key=True)
    name: str | None = None
    situation: str | None = Field(default=None, index=True)
    leader_id: str | None = None
    sgbc_focal_point_id: str | None = None
    cac_focal_point_id: str | None = None
    deputy_prosecutor_id: str | None = None
    # False once a roster re-import no longer lists the team; products keep pointing at it.
    active: bool = True


class TeamMember(SQLModel, table=True):
    """The `members` list of a roster team; `position` keeps the roster order of team staff."""

    __tablename__ = "team_member"
    __table_args__ = (sa.UniqueConstraint("team_id", "staff_id"),)

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(foreign_key="team.id", index=True, ondelete="CASCADE")
    staff_id: str = Field(index=True)
    position: int = 0


class StaffBase(SQLModel):
    name: str | None = None
    gender: str | None = None
    home_team_id: str | None = None
    roles: list[str] = Field(default_factory=list, sa_type=JSON)
    designations: list[str] = Field(default_factory=list, sa_type=JSON)
    email: str | None = None
    active: bool = True


class Staff(StaffBase, table=True):
    __tablename__ = "staff"

    id: str = Field(primary_key=True)


class StaffPublic(StaffBase):
    id: str


class CertificationBase(SQLModel):
    staff_id: str = Field(foreign_key="staff.id", index=True)
    cert: str = Field(index=True)
    issued: dt.date | None = None  # None: kept, but never valid (product-format.md §9.3)
    expires: dt.date | None = Field(default=None, index=True)
    revoked_at: datetime | None = _ts(default=None)
    revoked_reason: str | None = None
    source: str = "roster"  # roster | cli | import | web


class Certification(CertificationBase, table=True):
    __tablename__ = "certification"
    __table_args__ = (sa.UniqueConstraint("staff_id", "cert", "issued"),)

    id: int | None = Field(default=None, primary_key=True)
    created_at: datetime = _ts(default_factory=utcnow)
    updated_at: datetime = _ts(default_factory=utcnow)


class CertificationPublic(CertificationBase):
    id: int


class Briefing(SQLModel, table=True):
    __tablename__ = "briefing"
    __table_args__ = (sa.UniqueConstraint("staff_id", "area", "date"),)

    id: int | None = Field(default=None, primary_key=True)
    staff_id: str = Field(foreign_key="staff.id", index=True)
    area: str
    date: dt.date | None = None
    expires: dt.date | None = None
    briefed_by: str | None = None


# ---------------------------------------------------------------- products and reviews


class ProductBase(SQLModel):
    type: str = Field(index=True)
    team_id: str = Field(index=True)
    situation: str = Field(index=True)
    author_id: str
    title: str
    current_version_no: int = 0
    workflow_id: str | None = None


class Product(ProductBase, table=True):
    __tablename__ = "product"

    id: str = Field(primary_key=True)  # product.id of the front matter
    created_at: datetime = _ts(default_factory=utcnow)


class ProductPublic(ProductBase):
    id: str
    created_at: datetime


class ProductVersionBase(SQLModel):
    product_id: str = Field(foreign_key="product.id", index=True)
    version_no: int
    version_label: str
    filename: str
    media_type: str
    sha256: str
    size_bytes: int = 0
    front_matter: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    submitted_by: str
    submitted_at: datetime = _ts(default_factory=utcnow)
    verdict: str | None = None
    pack_version: str | None = None
    locked: bool = False


class ProductVersion(ProductVersionBase, table=True):
    __tablename__ = "product_version"
    __table_args__ = (sa.UniqueConstraint("product_id", "version_no"),)

    id: int | None = Field(default=None, primary_key=True)
    content: bytes = Field(sa_type=LargeBinary)
    # The Markdown the rules read when it is not the file itself (a .docx/.pdf with its form fields).
    check_text: str | None = Field(default=None, sa_type=sa.Text)


class ProductVersionPublic(ProductVersionBase):
    """Everything but the file bytes, which are served only through access-checked downloads."""

    id: int


class ReviewBase(SQLModel):
    product_id: str = Field(foreign_key="product.id", unique=True)
    workflow_id: str
    state: str = Field(default=ReviewState.SUBMITTED, index=True)
    assignee_id: str | None = Field(default=None, index=True)
    due_at: datetime | None = _ts(default=None, index=True)
    resubmission_due_at: datetime | None = _ts(default=None)
    priority: int = Field(default=0, index=True)
    escalation_level: int = 0
    verdict: str | None = Field(default=None, index=True)
    version_no: int = 1
    team_id: str = Field(index=True)
    product_type: str = Field(index=True)
    situation: str = Field(index=True)
    updated_at: datetime = _ts(default_factory=utcnow)
    # Set when the review's workflow ended abnormally (terminated, timed out, failed) while the review
    # was open: how it ended, and which run (recorded once per run). A restart clears both.
    workflow_ended: str | None = None
    ended_run_id: str | None = None


class Review(ReviewBase, table=True):
    __tablename__ = "review"
    __table_args__ = (sa.Index("ix_review_state_due_at", "state", "due_at"),)

    id: int | None = Field(default=None, primary_key=True)


class ReviewStateCount(SQLModel, table=True):
    """How many reviews each (team, situation, product type, state) holds: the queues' per-state
    counts, each unit's read for the types its queue lists (the GCU's, the SPU's interview records).

    Written only by database triggers on `review` (migrations 0008c, 0011q), in the transaction that
    changes the review, so it is exact and no application code can forget it. Counting the review
    table instead cost every queue page a scan of all reviews, decided ones included, which grow
    for ever. A migration that rebuilds `review` (SQLite batch mode) must create the triggers again;
    tests/store/test_review_counts.py fails if they are missing."""

    __tablename__ = "review_state_count"

    team_id: str = Field(primary_key=True)
    situation: str = Field(primary_key=True)
    product_type: str = Field(primary_key=True)
    state: str = Field(primary_key=True)
    reviews: int = 0


class RegisterRevision(SQLModel, table=True):
    """One row: a number that changes with every change to the register tables the rule engine
    reads (team, team_member, staff, certification, briefing). Written only by database triggers
    (migration 0009r); store/roster_view.py RosterCache rebuilds the register when it changes. A
    migration that rebuilds one of those tables (SQLite batch mode) must create its triggers again;
    tests/store/test_register_revision.py fails if they are missing."""

    __tablename__ = "register_revision"

    id: int = Field(default=1, primary_key=True)
    revision: int = Field(sa_type=sa.BigInteger)


# A review still to finish (not approved, not withdrawn), as SQL the partial indexes below and the
# queue's query spell the same way: a planner uses a partial index only for a predicate it can match.
OPEN_REVIEW_SQL = "state NOT IN ('approved', 'withdrawn')"

# One index per ordering of the GCU queue (store.reviews.QUEUE_ORDERINGS, the same expressions):
# a page of 50 is read off the index, not sorted out of every open review (migration 0007q).
_review = table_of(Review).c
QUEUE_ORDER_INDEXES = (
    sa.Index("ix_review_queue_due", _review.due_at.is_(None), _review.due_at, _review.id),
    sa.Index("ix_review_queue_priority", _review.priority.desc(), _review.due_at.is_(None), _review.due_at, _review.id),
    sa.Index("ix_review_queue_updated", _review.updated_at, _review.id),
    # A state's reviews in due order: the worklist's queued reviews, the queue filtered by a state
    # (migration 0012w).
    sa.Index("ix_review_state_due_order", _review.state, _review.due_at.is_(None), _review.due_at, _review.id),
    # The queue's default view and each reviewer's worklist list open reviews only (issue 13): with
    # `state IN (...open...)` the planners read every open review by state and sorted them all (16 ms
    # a page on SQLite at 10k). These hold just the open reviews, in due order (migration 0011q);
    # store.reviews writes the open filter as OPEN_REVIEW_SQL so both databases match it.
    sa.Index(
        "ix_review_open_due",
        _review.due_at.is_(None),
        _review.due_at,
        _review.id,
        sqlite_where=sa.text(OPEN_REVIEW_SQL),
        postgresql_where=sa.text(OPEN_REVIEW_SQL),
    ),
    sa.Index(
        "ix_review_open_assignee_due",
        _review.assignee_id,
        _review.due_at.is_(None),
        _review.due_at,
        _review.id,
        sqlite_where=sa.text(OPEN_REVIEW_SQL),
        postgresql_where=sa.text(OPEN_REVIEW_SQL),
    ),
)


class ReviewPublic(ReviewBase):
    id: int
    title: str = ""
    author_id: str = ""
    overdue: bool = False


class FindingBase(SQLModel):
    finding_id: str = Field(unique=True)  # f"{product_id}:v{version_no}:{rule_id}"
    product_id: str = Field(foreign_key="product.id", index=True)
    version_id: int = Field(foreign_key="product_version.id", index=True)
    rule_id: str = Field(index=True)
    severity: str = Field(index=True)
    message: str = Field(sa_type=sa.Text)
    citation: str = ""
    location: str = ""
    fix: str = Field(default="", sa_type=sa.Text)
    title: str = ""
    pack_version: str = ""
    state: str = Field(default=FindingState.OPEN, index=True)
    dismissal_reason: str | None = None
    dismissed_by: str | None = None
    dismissed_at: datetime | None = _ts(default=None)
    resolved_at: datetime | None = _ts(default=None)


class Finding(FindingBase, table=True):
    __tablename__ = "finding"

    id: int | None = Field(default=None, primary_key=True)


class FindingPublic(FindingBase):
    id: int


class Decision(SQLModel, table=True):
    __tablename__ = "decision"

    id: int | None = Field(default=None, primary_key=True)
    product_id: str = Field(foreign_key="product.id", index=True)
    version_id: int = Field(foreign_key="product_version.id", index=True)
    reviewer_id: str | None = None
    decision: str = Field(index=True)  # approve | return | escalate
    reason: str | None = Field(default=None, sa_type=sa.Text)
    decided_at: datetime = _ts(index=True)
    audit_event_id: int = Field(foreign_key="audit_event.id", unique=True)


# ---------------------------------------------------------------- audit trail and notifications


class AuditEventBase(SQLModel):
    workflow_id: str  # indexed by the unique (workflow_id, transition_seq)
    transition_seq: int
    product_id: str | None = Field(default=None, index=True)
    action: str = Field(index=True)
    actor_id: str | None = None
    from_state: str | None = None
    to_state: str | None = None
    reason: str | None = Field(default=None, sa_type=sa.Text)
    at: datetime = _ts()
    details: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    channel: str | None = None  # web | api | cli | system (None: recorded before channels were)


class AuditEvent(AuditEventBase, table=True):
    """Append-only (database triggers refuse UPDATE and DELETE); hash-chained by store.audit."""

    __tablename__ = "audit_event"
    __table_args__ = (sa.UniqueConstraint("workflow_id", "transition_seq"),)

    id: int | None = Field(default=None, primary_key=True)
    prev_hash: str
    hash: str = Field(unique=True)
    # The id of the application-held HMAC key that sealed `hash` (store/audit_keys.py); None: an event
    # from before the chain was keyed, sealed with plain SHA-256.
    key_id: str | None = None


class AuditEventPublic(AuditEventBase):
    id: int
    prev_hash: str
    hash: str


class AuditChainHead(SQLModel, table=True):
    """The single row (id 1) naming the end of the audit chain. Appends lock it, which serialises
    them, and verification compares against it, which detects a truncated tail."""

    __tablename__ = "audit_chain_head"

    id: int = Field(default=1, primary_key=True)
    last_event_id: int | None = None
    last_hash: str
    length: int = 0


class NotificationBase(SQLModel):
    recipient_id: str = Field(index=True)
    kind: str = Field(index=True)
    subject: str
    body: str = Field(default="", sa_type=sa.Text)
    product_id: str | None = Field(default=None, index=True)
    audit_event_id: int | None = Field(default=None, foreign_key="audit_event.id", index=True)
    created_at: datetime = _ts(default_factory=utcnow)
    read_at: datetime | None = _ts(default=None)
    emailed_at: datetime | None = _ts(default=None)


class Notification(NotificationBase, table=True):
    __tablename__ = "notification"
    __table_args__ = (sa.UniqueConstraint("audit_event_id", "recipient_id", "kind"),)

    id: int | None = Field(default=None, primary_key=True)
    # For notifications without an audit event (certificate expiry sweeps): one row per key, ever.
    dedupe_key: str | None = Field(default=None, unique=True)


class NotificationPublic(NotificationBase):
    id: int
