"""The GCU queue: filters, sorting and counts over the review projection."""

from datetime import UTC, datetime, timedelta

import pytest

from models.enums import ReviewState
from models.messages import ReviewWorkflowState
from store.db import session_scope
from store.products import get_product
from store.reviews import counts_by_state, list_queue, queue_query, upsert_review
from tests.dbutil import uid
from tests.store.factories import new_version

NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)


def _review(
    session,
    *,
    team,
    situation="Situation A",
    product_type="IP",
    state=ReviewState.QUEUED,
    due_in_days=None,
    verdict="revise",
    assignee=None,
):
    version = new_version(session, team_id=team, situation=situation, product_type=product_type)
    product = get_product(session=session, product_id=version.product_id)
    state_after = ReviewWorkflowState(
        state=state,
        version_id=version.id,
        version_no=1,
        version_label="1.0",
        title="t",
        assignee=assignee,
        due_at=None if due_in_days is None else NOW + timedelta(days=due_in_days),
        verdict=verdict,
    )
    upsert_review(
        session=session, product=product, workflow_id=f"product-review-{product.id}", state_after=state_after, at=NOW
    )
    return product.id


@pytest.fixture(scope="module")
def queue(engine):
    team_a, team_b = uid("TA"), uid("TB")
    with session_scope(engine) as session:
        ids = {
            "a_overdue": _review(session, team=team_a, due_in_days=-2, state=ReviewState.IN_REVIEW, assignee="GX-02"),
            "a_soon": _review(session, team=team_a, due_in_days=1, verdict="clean"),
            "a_later": _review(session, team=team_a, due_in_days=5, product_type="IO", situation="Situation B"),
            "a_returned_late": _review(session, team=team_a, due_in_days=-9, state=ReviewState.RETURNED),
            "b_no_due": _review(session, team=team_b, due_in_days=None, state=ReviewState.SUBMITTED),
        }
    return team_a, team_b, ids


def _ids(reviews):
    return [r.product_id for r in reviews]


def test_a_teams_queue_is_sorted_by_due_date(engine, queue):
    team_a, _, ids = queue
    with session_scope(engine) as session:
        got = list_queue(session=session, team=team_a, now=NOW)
    assert _ids(got) == [ids["a_returned_late"], ids["a_overdue"], ids["a_soon"], ids["a_later"]]
    assert got[1].title == "A product" and got[1].author_id == "HE-01"


def test_overdue_means_a_gcu_decision_past_its_due_date(engine, queue):
    team_a, team_b, ids = queue
    with session_scope(engine) as session:
        overdue = list_queue(session=session, team=[team_a, team_b], overdue=True, now=NOW)
        not_overdue = list_queue(session=session, team=[team_a, team_b], overdue=False, now=NOW)
    assert _ids(overdue) == [ids["a_overdue"]]
    assert overdue[0].overdue is True
    assert set(_ids(not_overdue)) == set(ids.values()) - {ids["a_overdue"]}


@pytest.mark.parametrize(
    "filters, expected",
    [
        ({"situation": "Situation B"}, ["a_later"]),
        ({"product_type": "IO"}, ["a_later"]),
        ({"state": "in_review"}, ["a_overdue"]),
        ({"state": ["queued", "returned"]}, ["a_returned_late", "a_soon", "a_later"]),
        ({"verdict": "clean"}, ["a_soon"]),
        ({"assignee": "GX-02"}, ["a_overdue"]),
    ],
)
def test_queue_filters(engine, queue, filters, expected):
    team_a, _, ids = queue
    with session_scope(engine) as session:
        got = list_queue(session=session, team=team_a, now=NOW, **filters)
    assert _ids(got) == [ids[k] for k in expected]


def test_reviews_without_due_date_come_last(engine, queue):
    team_a, team_b, ids = queue
    with session_scope(engine) as session:
        got = list_queue(session=session, team=[team_a, team_b], now=NOW)
    assert _ids(got)[-1] == ids["b_no_due"]


def test_counts_by_state_include_every_state(engine, queue):
    team_a, _, _ = queue
    with session_scope(engine) as session:
        counts = counts_by_state(session=session, team=team_a)
    assert counts[ReviewState.QUEUED] == 2
    assert counts[ReviewState.IN_REVIEW] == 1
    assert counts[ReviewState.RETURNED] == 1
    assert counts[ReviewState.APPROVED] == 0
    assert set(counts) == set(ReviewState)


def test_an_unknown_ordering_is_refused(engine):
    with session_scope(engine) as session, pytest.raises(ValueError, match="order_by"):
        list_queue(session=session, order_by="title")


def test_queue_sorted_by_priority_then_due_date_and_by_last_change(engine, queue):
    team_a, _, ids = queue
    with session_scope(engine) as session:
        by_priority = list_queue(session=session, team=team_a, now=NOW, order_by="priority")
        by_change = list_queue(session=session, team=team_a, now=NOW, order_by="updated_at")
    # Every seeded review has priority 0, so the due date decides.
    assert _ids(by_priority) == [ids["a_returned_late"], ids["a_overdue"], ids["a_soon"], ids["a_later"]]
    assert [r.updated_at for r in by_change] == sorted((r.updated_at for r in by_change), reverse=True)


def _plan(session, query) -> str:
    conn = session.connection()
    sql = str(query.compile(conn.engine, compile_kwargs={"literal_binds": True}))
    if conn.dialect.name == "sqlite":
        return "\n".join(str(row[-1]) for row in conn.exec_driver_sql("EXPLAIN QUERY PLAN " + sql))
    # A small test table is cheaper to sort than to walk by index; tell the planner sorting is dear.
    conn.exec_driver_sql("SET LOCAL enable_sort = off")
    return "\n".join(row[0] for row in conn.exec_driver_sql("EXPLAIN " + sql))


@pytest.mark.parametrize(
    "order_by, index",
    [
        ("due_at", "ix_review_queue_due"),
        ("priority", "ix_review_queue_priority"),
        ("updated_at", "ix_review_queue_updated"),
    ],
)
def test_a_queue_page_is_read_off_an_index_not_sorted(engine, queue, order_by, index):
    with session_scope(engine) as session:
        plan = _plan(session, queue_query(now=NOW, order_by=order_by, limit=51))
    assert index in plan, plan
    assert "TEMP B-TREE" not in plan and "Sort" not in plan, plan


@pytest.mark.parametrize(
    ("filters", "index"),
    [
        ({"product_type": ["IP", "CH"]}, "ix_review_open_due"),
        ({"assignee": "GX-02", "product_type": ["IP"]}, "ix_review_open_assignee_due"),
    ],
)
def test_the_open_queue_is_read_off_its_partial_index(engine, filters, index):
    """The queue's default view and the worklists (open reviews, a unit's types, due order) walk a
    partial index of open reviews instead of sorting every open review: the query must spell the
    open filter as the index does, and must not pick the type index. (PostgreSQL is told not to
    scan or sort, so on a small table it shows which indexes it could use.)"""
    from store.reviews import OPEN_STATES

    query = queue_query(now=NOW, state=list(OPEN_STATES), limit=51, **filters)
    sql = str(query.compile(engine, compile_kwargs={"literal_binds": True}))
    with engine.connect() as c:
        if engine.dialect.name == "sqlite":
            plan = " ".join(str(row) for row in c.exec_driver_sql("EXPLAIN QUERY PLAN " + sql))
        else:
            c.exec_driver_sql("SET enable_seqscan = off")
            c.exec_driver_sql("SET enable_sort = off")
            c.exec_driver_sql("SET enable_bitmapscan = off")
            plan = " ".join(str(row) for row in c.exec_driver_sql("EXPLAIN " + sql))
    assert index in plan, plan
    assert "TEMP B-TREE" not in plan and "Sort Key" not in plan, plan


def test_a_states_first_page_is_read_off_the_state_index(engine, queue):
    """The worklist's "waiting" list (queued reviews of a unit's types, due soonest first) and the
    queue filtered by one state walk ix_review_state_due_order instead of sorting the state's reviews."""
    with session_scope(engine) as session:
        plan = _plan(session, queue_query(now=NOW, state=["queued"], product_type=["IP", "CH"], limit=10))
    assert "ix_review_state_due_order" in plan, plan
    assert "TEMP B-TREE" not in plan and "Sort" not in plan, plan


def test_the_same_shape_of_query_with_other_values_lists_other_reviews(engine, queue):
    """A queue statement is built once per shape and bound to each call's values: two calls with the
    same filters but other values must not share their values."""
    team_a, team_b, ids = queue
    with session_scope(engine) as session:
        first = list_queue(session=session, team=[team_a], now=NOW, limit=50)
        second = list_queue(session=session, team=[team_b], now=NOW, limit=50)
        both = list_queue(session=session, team=[team_a, team_b], now=NOW, limit=50)
    assert {r.team_id for r in first} == {team_a}
    assert {r.team_id for r in second} == {team_b}
    assert sorted(_ids(both)) == sorted(_ids(first) + _ids(second))


def test_postgresql_knows_how_many_reviews_a_units_types_match(engine):
    """The type filter is an expression (so that no planner reads a unit's reviews by type); with
    no statistics on it PostgreSQL guessed 0.5% of the reviews per type, estimated a reviewer's
    worklist at a few rows and sorted it instead of walking its index. Migration 0012w gives the
    expression statistics: after ANALYZE the estimate is the count, within a factor of two."""
    import json

    if engine.dialect.name != "postgresql":
        pytest.skip("statistics on an expression: PostgreSQL's planner")
    team = uid("TS")
    with session_scope(engine) as session:
        for i in range(240):
            _review(session, team=team, product_type="IR" if i % 4 == 0 else "CH", due_in_days=i % 9)
    with engine.connect() as c:
        c = c.execution_options(isolation_level="AUTOCOMMIT")
        c.exec_driver_sql("ANALYZE review")
        where = "coalesce(product_type, '') IN ('CH')"
        truth = c.exec_driver_sql(f"SELECT count(*) FROM review WHERE {where}").scalar_one()
        plan = c.exec_driver_sql(f"EXPLAIN (FORMAT JSON) SELECT * FROM review WHERE {where}").scalar_one()
    estimate = (plan if isinstance(plan, list) else json.loads(plan))[0]["Plan"]["Plan Rows"]
    assert truth >= 180
    assert truth / 2 <= estimate <= truth * 2, (estimate, truth)
