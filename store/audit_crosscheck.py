"""`audit verify`'s second half: decisions and dismissals must match the audit events that record
them. The chain proves the events were not changed; this proves the rows people act on (a decision,
a dismissed finding) were not made, changed or removed beside the chain."""

from datetime import UTC, datetime

import sqlalchemy as sa
from pydantic import BaseModel
from sqlmodel import Session

from models.enums import FindingState, ReviewAction
from models.tables import AuditEvent, Decision, Finding, table_of

DECISION_ACTIONS = (ReviewAction.APPROVE, ReviewAction.RETURN, ReviewAction.ESCALATE)


class CrossCheckProblem(BaseModel):
    what: str  # "decision 12", "finding IP-1:v1:IP-003", "event 40"
    problem: str


def _utc(at: datetime | None) -> datetime | None:
    return None if at is None else at.astimezone(UTC)


def _decision_problems(session: Session) -> list[CrossCheckProblem]:
    problems = []
    e = table_of(AuditEvent)
    d = table_of(Decision)
    rows = session.execute(
        sa.select(
            d,
            e.c.id.label("event_id"),
            e.c.action,
            e.c.actor_id,
            e.c.product_id.label("event_product"),
            e.c.reason.label("event_reason"),
            e.c.at,
        )
        .select_from(d.outerjoin(e, e.c.id == d.c.audit_event_id))
        .order_by(d.c.id)
    ).all()
    for row in rows:
        what = f"decision {row.id}"
        if row.event_id is None:
            problems.append(
                CrossCheckProblem(what=what, problem=f"its audit event {row.audit_event_id} does not exist")
            )
            continue
        differs = [
            name
            for name, ours, theirs in (
                ("decision", row.decision, row.action),
                ("reviewer", row.reviewer_id, row.actor_id),
                ("product", row.product_id, row.event_product),
                ("reason", row.reason, row.event_reason),
                ("time", _utc(row.decided_at), _utc(row.at)),
            )
            if ours != theirs
        ]
        if differs:
            problems.append(
                CrossCheckProblem(what=what, problem=f"its {', '.join(differs)} differ from audit event {row.event_id}")
            )
    orphans = session.execute(
        sa.select(e.c.id, e.c.action)
        .where(e.c.action.in_([str(a) for a in DECISION_ACTIONS]))
        .where(~sa.exists().where(d.c.audit_event_id == e.c.id))
        .order_by(e.c.id)
    ).all()
    problems += [
        CrossCheckProblem(what=f"event {row.id}", problem=f"records a decision ({row.action}) that has no decision row")
        for row in orphans
    ]
    return problems


def _dismissal_problems(session: Session) -> list[CrossCheckProblem]:
    e = table_of(AuditEvent)
    events = session.execute(
        sa.select(e.c.id, e.c.product_id, e.c.actor_id, e.c.reason, e.c.at, e.c.details)
        .where(e.c.action == str(ReviewAction.DISMISS_FINDING))
        .order_by(e.c.id)
    ).all()
    by_key: dict[tuple[str | None, str | None], list] = {}
    for event in events:
        by_key.setdefault((event.product_id, (event.details or {}).get("rule_id")), []).append(event)
    f = table_of(Finding)
    dismissed = session.execute(sa.select(f).where(f.c.state == str(FindingState.DISMISSED)).order_by(f.c.id)).all()
    problems, matched = [], set()
    for finding in dismissed:
        candidates = [
            ev
            for ev in by_key.get((finding.product_id, finding.rule_id), [])
            if (ev.details or {}).get("finding_id") in (None, finding.finding_id)
        ]
        exact = [
            ev
            for ev in candidates
            if ev.actor_id == finding.dismissed_by
            and ev.reason == finding.dismissal_reason
            and _utc(ev.at) == _utc(finding.dismissed_at)
        ]
        if exact:
            matched.add(exact[0].id)
        elif candidates:
            problems.append(
                CrossCheckProblem(
                    what=f"finding {finding.finding_id}",
                    problem=f"its dismissal (who, reason or time) differs from audit event {candidates[0].id}",
                )
            )
        else:
            problems.append(
                CrossCheckProblem(
                    what=f"finding {finding.finding_id}",
                    problem="is dismissed, but no audit event records the dismissal",
                )
            )
    dismissed_keys = {(row.product_id, row.rule_id) for row in dismissed}
    for event in events:
        key = (event.product_id, (event.details or {}).get("rule_id"))
        if event.id not in matched and key not in dismissed_keys:
            problems.append(
                CrossCheckProblem(
                    what=f"event {event.id}",
                    problem=f"records the dismissal of {key[1]} on {key[0]}, but that finding is not dismissed",
                )
            )
    return problems


def cross_check(*, session: Session) -> list[CrossCheckProblem]:
    return _decision_problems(session) + _dismissal_problems(session)
