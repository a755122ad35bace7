"""The review projection: one row per product, rewritten by every recorded transition, read by
the GCU queue (filters, sorting, counts per state). The workflow stays the source of truth."""

import functools
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, select

from models.enums import ReviewState
from models.messages import ReviewWorkflowState
from models.tables import OPEN_REVIEW_SQL, Product, Review, ReviewPublic, ReviewStateCount, table_of
from store.db import execute_dml

# Reviews still to finish: the queue's default view and the worklists.
OPEN_STATES = tuple(s for s in ReviewState if s not in (ReviewState.APPROVED, ReviewState.WITHDRAWN))
# Written as the partial indexes' predicate (models.tables.OPEN_REVIEW_SQL) so the planner uses them.
_OPEN_CLAUSE = sa.text("review." + OPEN_REVIEW_SQL)
# States in which the GCU owes a decision: only these can be overdue in the queue.
GCU_PENDING_STATES = (ReviewState.PRECHECKED, ReviewState.QUEUED, ReviewState.IN_REVIEW, ReviewState.ESCALATED)
# Soonest due first, no due date last (`due_at IS NULL` sorts false before true on every database).
_DUE_LAST = col(Review.due_at).is_(None)
QUEUE_ORDERINGS: dict[str, tuple[Any, ...]] = {
    "due_at": (_DUE_LAST, col(Review.due_at), col(Review.id)),
    "priority": (col(Review.priority).desc(), _DUE_LAST, col(Review.due_at), col(Review.id)),
    "updated_at": (col(Review.updated_at).desc(), col(Review.id).desc()),
}
ORDERINGS = tuple(QUEUE_ORDERINGS)


def _values(value: str | Sequence[str] | None) -> list[str] | None:
    if value is None:
        return None
    if isinstance(value, str):
        return [str(value)]
    return [str(v) for v in value]


def escalated_clause() -> sa.ColumnElement[bool]:
    """Escalated now, or pending with the GCU after an escalation."""
    return sa.or_(
        col(Review.state) == str(ReviewState.ESCALATED),
        sa.and_(col(Review.state).in_([str(s) for s in GCU_PENDING_STATES]), col(Review.escalation_level) > 0),
    )


def _overdue_clause(now: datetime | sa.BindParameter) -> sa.ColumnElement[bool]:
    return sa.and_(col(Review.state).in_([str(s) for s in GCU_PENDING_STATES]), col(Review.due_at) < now)


def _overdue(state: str, due_at: datetime | None, now: datetime) -> bool:
    return state in GCU_PENDING_STATES and due_at is not None and due_at < now


def is_overdue(review: Review, now: datetime) -> bool:
    return _overdue(review.state, review.due_at, now)


# The queue's filters: each matches its column against any of the values given.
_FILTER_COLUMNS: dict[str, Any] = {
    "team": col(Review.team_id),
    "situation": col(Review.situation),
    # Matched as an expression, never through its index: a unit's types are most of its open
    # reviews, and reading them by type would sort them all instead of walking the due order.
    "product_type": sa.func.coalesce(col(Review.product_type), ""),
    "state": col(Review.state),
    "verdict": col(Review.verdict),
}


def _queue_shape(
    *,
    now: datetime,
    order_by: str = "due_at",
    limit: int | None = None,
    offset: int = 0,
    assignee: str | None = None,
    escalated: bool | None = None,
    overdue: bool | None = None,
    **filters: str | Sequence[str] | None,
) -> tuple[tuple, dict[str, Any]]:
    """What a queue query's SQL depends on (which filters, the ordering, paging) and the values
    bound into it: the statement is built once per shape (`_queue_statement`), the values differ."""
    if order_by not in ORDERINGS:
        raise ValueError(f"order_by must be one of {', '.join(ORDERINGS)}, not {order_by!r}")
    unknown = set(filters) - set(_FILTER_COLUMNS)
    if unknown:
        raise TypeError(f"unknown queue filter(s): {', '.join(sorted(unknown))}")
    params: dict[str, Any] = {}
    states = _values(filters.get("state"))
    open_only = states is not None and set(states) == set(OPEN_STATES)
    if open_only:
        filters = {**filters, "state": None}
    for name in _FILTER_COLUMNS:
        values = _values(filters.get(name))
        if values is not None:
            params[name] = values
    if assignee is not None:
        params["assignee"] = assignee
    if overdue is not None:
        params["now"] = now
    if offset:
        params["offset"] = offset
    if limit is not None:
        params["limit"] = limit
    shape = (tuple(sorted(params)), open_only, escalated is True, overdue, order_by)
    return shape, params


@functools.cache
def _queue_statement(shape: tuple) -> sa.Select:
    """The SELECT of one shape, with its values as bind parameters: built and compiled once, since
    every page of every queue asks (building it cost about as much as running it)."""
    bound, open_only, escalated, overdue, order_by = shape
    # Plain rows, not ORM objects: the queue is read-only, and the identity map would cost more
    # than the query.
    query = sa.select(*table_of(Review).c, col(Product.title), col(Product.author_id)).join(
        Product, col(Product.id) == col(Review.product_id)
    )
    query = _queue_filtered(query, shape)
    # Each ordering is one index of models.tables (QUEUE_ORDER_INDEXES): a page is read off the
    # index instead of sorting every open review.
    query = query.order_by(*QUEUE_ORDERINGS[order_by])
    if "offset" in bound:
        query = query.offset(sa.bindparam("offset", type_=sa.Integer))
    if "limit" in bound:
        query = query.limit(sa.bindparam("limit", type_=sa.Integer))
    return query


def _queue_filtered(query: sa.Select, shape: tuple) -> sa.Select:
    bound, open_only, escalated, overdue, _order_by = shape
    if open_only:
        query = query.where(_OPEN_CLAUSE)
    for name, column in _FILTER_COLUMNS.items():
        if name in bound:
            query = query.where(column.in_(sa.bindparam(name, expanding=True)))
    if "assignee" in bound:
        query = query.where(col(Review.assignee_id) == sa.bindparam("assignee"))
    if escalated:
        query = query.where(escalated_clause())
    now = sa.bindparam("now", type_=table_of(Review).c.due_at.type)
    if overdue is True:
        query = query.where(_overdue_clause(now))
    elif overdue is False:
        query = query.where(sa.not_(_overdue_clause(now)) | col(Review.due_at).is_(None))
    return query


def queue_query(
    *,
    team: str | Sequence[str] | None = None,
    situation: str | Sequence[str] | None = None,
    product_type: str | Sequence[str] | None = None,
    state: str | Sequence[str] | None = None,
    verdict: str | Sequence[str] | None = None,
    overdue: bool | None = None,
    assignee: str | None = None,
    escalated: bool | None = None,
    now: datetime,
    order_by: str = "due_at",
    limit: int | None = None,
    offset: int = 0,
) -> sa.Select:
    """The SELECT behind `list_queue` with its values bound: review columns with the product's
    title and author."""
    shape, params = _queue_shape(
        team=team,
        situation=situation,
        product_type=product_type,
        state=state,
        verdict=verdict,
        overdue=overdue,
        assignee=assignee,
        escalated=escalated,
        now=now,
        order_by=order_by,
        limit=limit,
        offset=offset,
    )
    return _queue_statement(shape).params(params)


def queue_rows(*, session: Session, now: datetime | None = None, **filters) -> Sequence[sa.Row]:
    """`list_queue`'s rows as the database returns them (review columns, the product's title and
    author; no `overdue`): what the worklist pages read, without a model object per row."""
    shape, params = _queue_shape(now=now or datetime.now(UTC), **filters)
    return session.connection().execute(_queue_statement(shape), params).all()


def list_queue(*, session: Session, now: datetime | None = None, **filters) -> list[ReviewPublic]:
    """Reviews matching every given filter of `queue_query` (a filter given as a list matches any
    of its values).

    Sorted by due date (soonest first, no due date last), by priority (highest first, then due
    date) or by last change (newest first)."""
    now = now or datetime.now(UTC)
    rows = []
    for row in queue_rows(session=session, now=now, **filters):
        data = row._asdict()
        data["overdue"] = _overdue(data["state"], data["due_at"], now)
        # Typed already by the table's columns: validating 50 rows again cost ~5% of a page under load.
        rows.append(ReviewPublic.model_construct(**data))
    return rows


def count_queue(*, session: Session, now: datetime | None = None, **filters) -> int:
    """How many reviews `list_queue` would list with these filters, all pages together."""
    (bound, open_only, escalated, overdue, _order_by), params = _queue_shape(now=now or datetime.now(UTC), **filters)
    counted = tuple(name for name in bound if name not in ("limit", "offset"))
    statement = _count_statement((counted, open_only, escalated, overdue, None))
    return session.connection().execute(statement, {name: params[name] for name in counted}).scalar_one()


@functools.cache
def _count_statement(shape: tuple) -> sa.Select:
    """The queue's count, built once per shape like its rows. Over the reviews alone: every review
    has its product (a non-null foreign key), and joining it doubled PostgreSQL's time for a
    reviewer's ~600 reviews (2.3 against 0.9 ms at 10k)."""
    return _queue_filtered(sa.select(sa.func.count()).select_from(Review), shape)


@functools.cache
def _counts_statement(filters: tuple[str, ...]) -> sa.Select:
    """The per-state counts for one combination of filters, built once (as the queue's statements)."""
    query = sa.select(col(ReviewStateCount.state), sa.func.sum(col(ReviewStateCount.reviews))).group_by(
        col(ReviewStateCount.state)
    )
    for name, column in (
        ("team", col(ReviewStateCount.team_id)),
        ("situation", col(ReviewStateCount.situation)),
        ("type", col(ReviewStateCount.product_type)),
    ):
        if name in filters:
            query = query.where(column.in_(sa.bindparam(name, expanding=True)))
    return query


def counts_by_state(
    *,
    session: Session,
    team: str | Sequence[str] | None = None,
    situation: str | Sequence[str] | None = None,
    product_type: str | Sequence[str] | None = None,
) -> dict[ReviewState, int]:
    """Every state with its number of reviews (zero included), for a queue's header: give it the
    same team, situation and product-type filters as the list it stands over. Read from the counts
    the database keeps (ReviewStateCount): a few rows, however many reviews there are."""
    params = {
        name: values
        for name, values in (
            ("team", _values(team)),
            ("situation", _values(situation)),
            ("type", _values(product_type)),
        )
        if values is not None
    }
    counts = {state: 0 for state in ReviewState}
    for state, count in session.connection().execute(_counts_statement(tuple(params)), params):
        counts[ReviewState(state)] = count
    return counts


def get_review(*, session: Session, product_id: str) -> Review | None:
    return session.exec(select(Review).where(Review.product_id == product_id)).one_or_none()


def upsert_review(
    *, session: Session, product: Product, workflow_id: str, state_after: ReviewWorkflowState, at: datetime
) -> None:
    """Project the workflow's state after a transition onto the review row: one UPDATE, or the
    INSERT of a product's first transition (every transition is recorded through here)."""
    review = table_of(Review)
    values = dict(
        workflow_id=workflow_id,
        state=str(state_after.state),
        assignee_id=state_after.assignee,
        due_at=state_after.due_at,
        resubmission_due_at=state_after.resubmission_due_at,
        escalation_level=state_after.escalation_level,
        verdict=None if state_after.verdict is None else str(state_after.verdict),
        version_no=state_after.version_no,
        situation=product.situation,
        updated_at=at,
    )
    updated = execute_dml(session, sa.update(review).where(review.c.product_id == product.id).values(**values))
    if updated.rowcount == 0:
        session.execute(
            sa.insert(review).values(
                product_id=product.id, team_id=product.team_id, product_type=product.type, priority=0, **values
            )
        )
