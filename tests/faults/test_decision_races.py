"""Two people act on the same review at the same moment (issue 6, Faults): exactly one wins each
race, the other is refused with a message saying why, and the database holds what the winner did.

Races (reduced: 20 in all; GCU_SOAK_FULL=1: 100 of each kind):
- the assignee sends approve and return at once (two tabs, two request ids);
- the GCU head decides an escalated review from two sessions at once (approve vs return);
- the GCU head reassigns the review while the assignee approves it;
- the assignee approves while the team withdraws the product.
"""

import asyncio
import uuid

import pytest
import sqlalchemy as sa
from sqlmodel import Session

from models.enums import DecisionKind, ReviewState
from models.tables import AuditEvent, Decision
from service import reviews
from service.errors import ActionRefused, ServiceError
from tests.dbutil import database_kinds
from tests.faults.harness import System, product_copy, soak_full, with_retries, worker_system

pytestmark = pytest.mark.soak

APPROVE, RETURN, ESCALATE = DecisionKind.APPROVE, DecisionKind.RETURN, DecisionKind.ESCALATE


def _decide(system: System, pid: str, decision: DecisionKind, actor: str):
    reason = None if decision == APPROVE else "race: a reason"
    return reviews.decide(
        db_engine=system.engine, client=system.client, product_id=pid, decision=decision, reason=reason, actor_id=actor
    )


RACES = {
    # name: (setup after claim by GX-02, (first action, its outcome state), (second action, its outcome state))
    "assignee_approve_vs_return": (
        None,
        (lambda s, p: _decide(s, p, APPROVE, "GX-02"), ReviewState.APPROVED),
        (lambda s, p: _decide(s, p, RETURN, "GX-02"), ReviewState.RETURNED),
    ),
    "head_approve_vs_head_return_when_escalated": (
        lambda s, p: _decide(s, p, ESCALATE, "GX-02"),
        (lambda s, p: _decide(s, p, APPROVE, "GX-09"), ReviewState.APPROVED),
        (lambda s, p: _decide(s, p, RETURN, "GX-09"), ReviewState.RETURNED),
    ),
    "head_reassigns_vs_assignee_approves": (
        None,
        (
            lambda s, p: reviews.assign(
                db_engine=s.engine, client=s.client, product_id=p, reviewer_id="GX-03", actor_id="GX-09"
            ),
            ReviewState.IN_REVIEW,
        ),
        (lambda s, p: _decide(s, p, APPROVE, "GX-02"), ReviewState.APPROVED),
    ),
    "assignee_approves_vs_team_withdraws": (
        None,
        (lambda s, p: _decide(s, p, APPROVE, "GX-02"), ReviewState.APPROVED),
        (
            lambda s, p: reviews.withdraw(
                db_engine=s.engine, client=s.client, product_id=p, reason="superseded", actor_id="HE-01"
            ),
            ReviewState.WITHDRAWN,
        ),
    ),
}


async def _prepare(system: System, pid: str, setup) -> None:
    path = product_copy(system.tmp, "S2-IO-child-compliant.md", product_id=pid)
    await reviews.submit(
        db_engine=system.engine,
        client=system.client,
        settings=system.settings,
        path=path,
        actor_id="HE-01",
        wait_seconds=60,
    )
    await reviews.claim(db_engine=system.engine, client=system.client, product_id=pid, actor_id="GX-02")
    # Contract v2: S2's VUL-INT-02 (major) must be dismissed before anyone may approve.
    await reviews.dismiss(
        db_engine=system.engine,
        client=system.client,
        product_id=pid,
        rule_id="VUL-INT-02",
        reason="the witness's needs were asked by the psychologist",
        actor_id="GX-02",
    )
    if setup is not None:
        await setup(system, pid)


async def _race(system: System, name: str) -> dict:
    setup, (first, first_state), (second, second_state) = RACES[name]
    pid = f"RACE-{uuid.uuid4().hex[:8].upper()}"
    await _prepare(system, pid, setup)
    before = _decisions(system.engine, pid)
    outcomes = await asyncio.gather(first(system, pid), second(system, pid), return_exceptions=True)
    final = await with_retries(lambda: reviews.status(client=system.client, product_id=pid))
    return {
        "name": name,
        "pid": pid,
        "outcomes": outcomes,
        "states": (first_state, second_state),
        "final": final,
        "before": len(before),
    }


def _decisions(engine, pid: str) -> list[str]:
    with Session(engine) as session:
        return list(session.execute(sa.select(Decision.decision).where(Decision.product_id == pid)).scalars())


def _judge(race: dict, engine) -> list[str]:
    """The problems of one race (none when exactly one side won and the other was told why)."""
    pid, outcomes, final = race["pid"], race["outcomes"], race["final"]
    label = f"{race['name']} {pid}"
    won = [i for i, o in enumerate(outcomes) if not isinstance(o, BaseException)]
    lost = [o for o in outcomes if isinstance(o, BaseException)]
    if len(won) != 1:
        return [f"{label}: {len(won)} winners, outcomes {outcomes!r}"]
    problems = []
    loser = lost[0]
    if not isinstance(loser, ActionRefused):
        problems.append(f"{label}: the loser got {type(loser).__name__}: {loser}, not a refusal (ActionRefused)")
    elif not loser.message.strip():
        problems.append(f"{label}: the refusal has no message")
    expected_state = race["states"][won[0]]
    if final.state != expected_state:
        problems.append(f"{label}: final state {final.state}, but the winner's action leads to {expected_state}")
    decisions = _decisions(engine, pid)[race["before"] :]
    with Session(engine) as session:
        events = session.execute(sa.select(sa.func.count()).where(AuditEvent.product_id == pid)).scalar_one()
    winner_decides = expected_state in (ReviewState.APPROVED, ReviewState.RETURNED)
    if len(decisions) != (1 if winner_decides else 0):
        problems.append(
            f"{label}: decisions stored after the race {decisions}, the winner made "
            f"{'one' if winner_decides else 'none'}"
        )
    if events != len(final.history):
        problems.append(f"{label}: {events} audit events for {len(final.history)} transitions")
    return problems


@pytest.mark.parametrize("kind", database_kinds())
async def test_concurrent_actions_on_one_review_have_exactly_one_winner(kind, temporal_env, tmp_path):
    per_kind = 100 if soak_full() else 5
    names = [name for name in RACES for _ in range(per_kind)]
    async with worker_system(kind, temporal_env.client, tmp_path) as (system, _worker):
        gate = asyncio.Semaphore(10)

        async def one(name: str) -> dict:
            async with gate:
                return await _race(system, name)

        races = await asyncio.gather(*(one(n) for n in names))
        problems = [p for race in races for p in _judge(race, system.engine)]
    winners = {name: [0, 0] for name in RACES}
    for race in races:
        side = next((i for i, o in enumerate(race["outcomes"]) if not isinstance(o, BaseException)), None)
        if side is not None:
            winners[race["name"]][side] += 1
    print(f"\n{kind}: {len(races)} races, winners (first, second) per kind: {winners}")
    assert not problems, "\n".join(problems[:30])


async def test_a_decision_after_the_review_closed_is_refused_with_the_reason(temporal_env, tmp_path):
    """The slow side of a race may arrive after the workflow has finished: it must still hear why."""
    async with worker_system("sqlite", temporal_env.client, tmp_path) as (system, _worker):
        pid = f"LATE-{uuid.uuid4().hex[:8].upper()}"
        await _prepare(system, pid, None)
        await _decide(system, pid, APPROVE, "GX-02")
        await system.client.get_workflow_handle(reviews.workflow_id_for(pid)).result()
        with pytest.raises(ServiceError) as refused:
            await _decide(system, pid, RETURN, "GX-02")
        assert isinstance(refused.value, ActionRefused), f"{type(refused.value).__name__}: {refused.value}"
        assert "approved" in refused.value.message


async def test_the_late_side_is_refused_with_the_reason_even_when_no_worker_can_answer(temporal_env, tmp_path):
    """In CI a busy worker left the late side's status query unanswered for 30 s, and the refusal
    became "no open review". How the review ended is read from Temporal itself, without a worker."""
    async with worker_system("sqlite", temporal_env.client, tmp_path) as (system, worker):
        pid = f"LATE-{uuid.uuid4().hex[:8].upper()}"
        await _prepare(system, pid, None)
        await _decide(system, pid, APPROVE, "GX-02")
        await system.client.get_workflow_handle(reviews.workflow_id_for(pid)).result()
        worker.stop()
        with pytest.raises(ServiceError) as refused:
            await reviews.assign(
                db_engine=system.engine, client=system.client, product_id=pid, reviewer_id="GX-03", actor_id="GX-09"
            )
        assert isinstance(refused.value, ActionRefused), f"{type(refused.value).__name__}: {refused.value}"
        assert refused.value.message == "cannot assign: the review is already approved"


async def test_an_action_on_a_terminated_review_is_refused_with_who_restarts_it(temporal_env, tmp_path):
    async with worker_system("sqlite", temporal_env.client, tmp_path) as (system, _worker):
        pid = f"TERM-{uuid.uuid4().hex[:8].upper()}"
        await _prepare(system, pid, None)
        await system.client.get_workflow_handle(reviews.workflow_id_for(pid)).terminate("operator test")
        with pytest.raises(ActionRefused) as refused:
            await _decide(system, pid, APPROVE, "GX-02")
        assert refused.value.message == (
            "cannot decide: the review's workflow terminated; an operator must restart it (gcu-review repair --restart)"
        )
