"""Builders for summary tests: register, products with explicit submission times, reviews,
reviewer decisions and findings. Every time is explicit."""

import datetime as dt
from datetime import datetime

from sqlmodel import Session

from models.tables import Certification, Decision, Finding, Review, Staff, Team, TeamMember
from store.audit import append_event
from store.products import create_version


def at(day: dt.date, hour: int = 12, minute: int = 0, second: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, second, tzinfo=dt.UTC)


def staff(s: Session, staff_id: str, roles: list[str], email: str | None = None, name: str | None = None) -> Staff:
    row = Staff(id=staff_id, name=name or staff_id, roles=roles, email=email)
    s.add(row)
    s.flush()
    return row


def team(s: Session, team_id: str, dp: str | None, leader: str | None = None, members: list[str] = ()) -> Team:
    row = Team(id=team_id, name=f"Team {team_id}", situation="Velmora", leader_id=leader, deputy_prosecutor_id=dp)
    s.add(row)
    s.flush()
    for i, m in enumerate(members):
        s.add(TeamMember(team_id=team_id, staff_id=m, position=i))
    s.flush()
    return row


def cert(s: Session, staff_id: str, cert_type: str, issued: dt.date, expires: dt.date) -> None:
    s.add(Certification(staff_id=staff_id, cert=cert_type, issued=issued, expires=expires))
    s.flush()


def version(
    s: Session, product_id: str, team_id: str, submitted_at: datetime, findings: list[tuple[str, str, str]] = ()
):
    """A new version with findings [(rule_id, severity, state)]."""
    v = create_version(
        session=s,
        product_id=product_id,
        product_type="IP",
        team_id=team_id,
        situation="Velmora",
        author_id="A-1",
        title=f"Plan {product_id}",
        version_label=f"v{product_id}",
        filename=f"{product_id}.md",
        media_type="text/markdown",
        content=f"{product_id} {submitted_at}".encode(),
        front_matter={},
        submitted_by="A-1",
    )
    v.submitted_at = submitted_at
    for rule_id, severity, state in findings:
        s.add(
            Finding(
                finding_id=f"{product_id}:v{v.version_no}:{rule_id}",
                product_id=product_id,
                version_id=v.id,
                rule_id=rule_id,
                severity=severity,
                message=f"{rule_id} fired",
                title=f"Rule {rule_id}",
                citation=f"format §{rule_id}",
                state=state,
            )
        )
    s.flush()
    return v


def review(s: Session, product_id: str, team_id: str, state: str, due_at: datetime | None = None) -> Review:
    row = Review(
        product_id=product_id,
        workflow_id=f"product-review-{product_id}",
        state=state,
        team_id=team_id,
        product_type="IP",
        situation="Velmora",
        due_at=due_at,
    )
    s.add(row)
    s.flush()
    return row


_seq = {"n": 0}


def decide(s: Session, v, decision: str, decided_at: datetime) -> Decision:
    _seq["n"] += 1
    event = append_event(
        session=s,
        workflow_id=f"product-review-{v.product_id}",
        transition_seq=_seq["n"],
        action=decision,
        at=decided_at,
        product_id=v.product_id,
        actor_id="GR-1",
    )
    row = Decision(
        product_id=v.product_id,
        version_id=v.id,
        reviewer_id="GR-1",
        decision=decision,
        decided_at=decided_at,
        audit_event_id=event.id,
    )
    s.add(row)
    s.flush()
    return row
