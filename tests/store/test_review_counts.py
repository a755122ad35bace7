"""The per-state review counts (review_state_count) that database triggers keep: always equal to
counting the review table, whoever writes it and however, on both databases."""

import random
import threading
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from models.enums import ReviewState
from models.messages import ReviewWorkflowState
from models.tables import Review, ReviewStateCount
from store.db import make_engine, migrate, session_scope
from store.products import get_product
from store.reviews import counts_by_state, upsert_review
from tests.dbutil import fresh_database, uid
from tests.store.factories import new_version

NOW = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)
STATES = list(ReviewState)


def _counted(engine: sa.Engine, teams: list[str], *, by_type: bool = False) -> dict[tuple[str, ...], int]:
    """What the triggers keep, zero rows left out: per (team, situation, state), summed over the
    product types unless `by_type` (then per (team, situation, type, state))."""
    table = ReviewStateCount.__table__
    keys = [table.c.team_id, table.c.situation, *([table.c.product_type] if by_type else []), table.c.state]
    with engine.connect() as c:
        rows = c.execute(
            sa.select(*keys, sa.func.sum(table.c.reviews)).where(table.c.team_id.in_(teams)).group_by(*keys)
        )
        return {tuple(row[:-1]): row[-1] for row in rows if row[-1] != 0}


def _actual(engine: sa.Engine, teams: list[str], *, by_type: bool = False) -> dict[tuple[str, ...], int]:
    """Counting the review table itself."""
    review = Review.__table__
    keys = [review.c.team_id, review.c.situation, *([review.c.product_type] if by_type else []), review.c.state]
    with engine.connect() as c:
        rows = c.execute(sa.select(*keys, sa.func.count()).where(review.c.team_id.in_(teams)).group_by(*keys))
        return {tuple(row[:-1]): row[-1] for row in rows}


def _new_review(
    engine: sa.Engine, team: str, state: ReviewState, situation: str = "Situation A", product_type: str = "IP"
) -> str:
    with session_scope(engine) as session:
        version = new_version(session, team_id=team, situation=situation, product_type=product_type)
        product = get_product(session=session, product_id=version.product_id)
        upsert_review(
            session=session,
            product=product,
            workflow_id=f"product-review-{product.id}",
            at=NOW,
            state_after=ReviewWorkflowState(
                state=state, version_id=version.id, version_no=1, version_label="1", title="t"
            ),
        )
        return product.id


def _set(engine: sa.Engine, product_id: str, **values) -> None:
    with engine.begin() as c:
        c.execute(sa.update(Review.__table__).where(Review.__table__.c.product_id == product_id).values(**values))


def test_counts_follow_inserts_state_changes_moves_and_deletes(engine):
    team_a, team_b = uid("CA"), uid("CB")
    teams = [team_a, team_b]
    first = _new_review(engine, team_a, ReviewState.QUEUED)
    second = _new_review(engine, team_a, ReviewState.QUEUED)
    _new_review(engine, team_b, ReviewState.IN_REVIEW, situation="Situation B")
    assert _counted(engine, teams) == {(team_a, "Situation A", "queued"): 2, (team_b, "Situation B", "in_review"): 1}

    _set(engine, first, state="in_review")
    _set(engine, second, team_id=team_b)  # moved to another team (the review projection can be rewritten)
    _set(engine, second, situation="Situation B")
    _set(engine, first, due_at=NOW)  # a change that moves no count
    assert (
        _counted(engine, teams)
        == _actual(engine, teams)
        == {
            (team_a, "Situation A", "in_review"): 1,
            (team_b, "Situation B", "queued"): 1,
            (team_b, "Situation B", "in_review"): 1,
        }
    )

    with engine.begin() as c:
        c.execute(sa.delete(Review.__table__).where(Review.__table__.c.product_id == first))
    assert _counted(engine, teams) == _actual(engine, teams)
    assert (team_a, "Situation A", "in_review") not in _counted(engine, teams)


def test_counts_equal_a_count_of_the_table_after_many_random_changes(engine):
    rng = random.Random(6)
    teams = [uid("CR"), uid("CR")]
    situations = ["Situation A", "Situation B"]
    types = ["IP", "IR", "CH"]
    ids = [
        _new_review(engine, rng.choice(teams), rng.choice(STATES), rng.choice(situations), rng.choice(types))
        for _ in range(8)
    ]
    for _ in range(60):
        column = rng.choice(["state", "state", "team_id", "situation", "product_type"])
        value = {
            "state": lambda: rng.choice(STATES).value,
            "team_id": lambda: rng.choice(teams),
            "situation": lambda: rng.choice(situations),
            "product_type": lambda: rng.choice(types),
        }[column]()
        _set(engine, rng.choice(ids), **{column: value})
    assert _counted(engine, teams, by_type=True) == _actual(engine, teams, by_type=True)


def test_counts_are_kept_per_product_type(engine):
    """Each unit's queue counts its own types: the GCU's without the SPU's interview records."""
    team = uid("CT")
    _new_review(engine, team, ReviewState.QUEUED, product_type="IP")
    _new_review(engine, team, ReviewState.QUEUED, product_type="IR")
    ir = _new_review(engine, team, ReviewState.QUEUED, product_type="IR")
    _set(engine, ir, state="in_review")
    assert _counted(engine, [team], by_type=True) == {
        (team, "Situation A", "IP", "queued"): 1,
        (team, "Situation A", "IR", "queued"): 1,
        (team, "Situation A", "IR", "in_review"): 1,
    }
    with session_scope(engine) as session:
        spu = counts_by_state(session=session, team=team, product_type=["IR"])
        gcu = counts_by_state(session=session, team=team, product_type=["IP", "CH"])
        everyone = counts_by_state(session=session, team=team)
    assert (spu[ReviewState.QUEUED], spu[ReviewState.IN_REVIEW]) == (1, 1)
    assert (gcu[ReviewState.QUEUED], gcu[ReviewState.IN_REVIEW]) == (1, 0)
    assert (everyone[ReviewState.QUEUED], everyone[ReviewState.IN_REVIEW]) == (2, 1)


def test_the_queue_counts_read_the_kept_counts_with_their_filters(engine):
    team_a, team_b = uid("CQ"), uid("CQ")
    for state in (ReviewState.QUEUED, ReviewState.QUEUED, ReviewState.RETURNED):
        _new_review(engine, team_a, state)
    _new_review(engine, team_a, ReviewState.QUEUED, situation="Situation B")
    _new_review(engine, team_b, ReviewState.APPROVED)
    with session_scope(engine) as session:
        both = counts_by_state(session=session, team=[team_a, team_b])
        one_situation = counts_by_state(session=session, team=team_a, situation="Situation A")
    assert set(both) == set(ReviewState)
    assert (both[ReviewState.QUEUED], both[ReviewState.RETURNED], both[ReviewState.APPROVED]) == (3, 1, 1)
    assert (one_situation[ReviewState.QUEUED], one_situation[ReviewState.APPROVED]) == (2, 0)


def test_opposite_moves_in_concurrent_transactions_all_land(engine):
    """Escalating some reviews while others are assigned back, many transactions at once: every
    one commits (PostgreSQL takes the two count rows in key order, so none deadlocks) and the
    counts stay exact."""
    team = uid("CC")
    up = [_new_review(engine, team, ReviewState.IN_REVIEW) for _ in range(10)]
    down = [_new_review(engine, team, ReviewState.ESCALATED) for _ in range(10)]
    errors: list[BaseException] = []

    def move(ids: list[str], frm: ReviewState, to: ReviewState) -> None:
        try:
            for _ in range(3):
                for product_id in ids:
                    _set(engine, product_id, state=to.value)
                frm, to = to, frm
        except BaseException as exc:
            errors.append(exc)

    threads = [
        threading.Thread(target=move, args=(up, ReviewState.IN_REVIEW, ReviewState.ESCALATED)),
        threading.Thread(target=move, args=(down, ReviewState.ESCALATED, ReviewState.IN_REVIEW)),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert (
        _counted(engine, [team])
        == _actual(engine, [team])
        == {(team, "Situation A", "escalated"): 10, (team, "Situation A", "in_review"): 10}
    )


@pytest.fixture(params=["sqlite", "postgres"])
def database_kind(request):
    from tests.dbutil import database_kinds

    if request.param not in database_kinds():
        pytest.skip("TEST_POSTGRES_URL is not set")
    return request.param


def test_the_migration_counts_the_reviews_already_there(database_kind, tmp_path):
    with fresh_database(database_kind, tmp_path, revision="0007q") as url:
        engine = make_engine(url)
        try:
            team = uid("CM")
            for state in (ReviewState.QUEUED, ReviewState.QUEUED, ReviewState.APPROVED):
                _new_review(engine, team, state)
            migrate(url)
            assert _counted(engine, [team]) == {
                (team, "Situation A", "queued"): 2,
                (team, "Situation A", "approved"): 1,
            }
            _new_review(engine, team, ReviewState.QUEUED)  # and from then on, the triggers count
            assert _counted(engine, [team])[(team, "Situation A", "queued")] == 3
        finally:
            engine.dispose()


def test_the_product_type_migration_counts_the_reviews_already_there(database_kind, tmp_path):
    """Upgrading from 0011d (the revision before 0011q): the counts, kept then per (team, situation, state), are counted again
    per product type, exactly; the new triggers follow product_type; a downgrade sums them back."""
    with fresh_database(database_kind, tmp_path, revision="0011d") as url:
        engine = make_engine(url)
        try:
            team = uid("CU")
            ids = [
                _new_review(engine, team, state, product_type=kind)
                for state, kind in (
                    (ReviewState.QUEUED, "IP"),
                    (ReviewState.QUEUED, "IR"),
                    (ReviewState.QUEUED, "IR"),
                    (ReviewState.IN_REVIEW, "IR"),
                    (ReviewState.APPROVED, "CH"),
                )
            ]
            with engine.connect() as c:  # 0011d's table: no product type yet
                before = dict(
                    c.exec_driver_sql(f"SELECT state, reviews FROM review_state_count WHERE team_id = '{team}'").all()
                )
            assert before == {"queued": 3, "in_review": 1, "approved": 1}
            migrate(url)
            expected = {
                (team, "Situation A", "IP", "queued"): 1,
                (team, "Situation A", "IR", "queued"): 2,
                (team, "Situation A", "IR", "in_review"): 1,
                (team, "Situation A", "CH", "approved"): 1,
            }
            assert _counted(engine, [team], by_type=True) == _actual(engine, [team], by_type=True) == expected
            _set(engine, ids[0], state="in_review")  # from then on, the new triggers count
            _set(engine, ids[1], product_type="IP")
            _new_review(engine, team, ReviewState.QUEUED, product_type="IR")
            assert _counted(engine, [team], by_type=True) == _actual(engine, [team], by_type=True)
            _downgrade(url, "0011d")
            with engine.connect() as c:
                after = dict(
                    c.exec_driver_sql(
                        f"SELECT state, reviews FROM review_state_count WHERE team_id = '{team}' AND reviews != 0"
                    ).all()
                )
            assert after == {"queued": 3, "in_review": 2, "approved": 1}
        finally:
            engine.dispose()


def _downgrade(url: str, revision: str) -> None:
    from alembic import command

    from store.db import alembic_config

    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            config = alembic_config()
            config.attributes["connection"] = connection
            command.downgrade(config, revision)
            connection.commit()
    finally:
        engine.dispose()
