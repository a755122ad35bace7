"""Small builders for KPI and register tests: teams, staff, certificates, product versions with
their KPI 10 facts, reviewer decisions, KPI 11 units. Dates are explicit in every test."""

import datetime as dt
from datetime import datetime
from typing import Any

from sqlmodel import Session

from models.kpi_tables import ChargeUnit
from models.tables import Briefing, Certification, Decision, Staff, Team, TeamMember
from store.audit import append_event
from store.kpi.facts import record_product_facts
from store.products import create_version


def team(
    session: Session,
    team_id: str,
    situation: str = "Velmora",
    leader: str | None = None,
    members: list[str] = (),
    sgbc_fp: str | None = None,
    cac_fp: str | None = None,
) -> Team:
    row = Team(
        id=team_id,
        name=team_id,
        situation=situation,
        leader_id=leader,
        sgbc_focal_point_id=sgbc_fp,
        cac_focal_point_id=cac_fp,
    )
    session.add(row)
    session.flush()
    for i, m in enumerate(members):
        session.add(TeamMember(team_id=team_id, staff_id=m, position=i))
    session.flush()
    return row


def staff(
    session: Session,
    staff_id: str,
    roles: list[str],
    designations: list[str] = (),
    team: str | None = None,
    name: str | None = None,
) -> Staff:
    row = Staff(
        id=staff_id, name=name or staff_id, roles=list(roles), designations=list(designations), home_team_id=team
    )
    session.add(row)
    session.flush()
    return row


def cert(
    session: Session,
    staff_id: str,
    cert_type: str,
    issued: dt.date | None,
    expires: dt.date | None,
    revoked_at: datetime | None = None,
) -> Certification:
    row = Certification(staff_id=staff_id, cert=cert_type, issued=issued, expires=expires, revoked_at=revoked_at)
    session.add(row)
    session.flush()
    return row


def briefing(session: Session, staff_id: str, area: str, date: dt.date, expires: dt.date) -> Briefing:
    row = Briefing(staff_id=staff_id, area=area, date=date, expires=expires)
    session.add(row)
    session.flush()
    return row


def front_matter(
    product_id: str, ptype: str, team_id: str, submitted_on: dt.date, situation: str = "Velmora", **groups: Any
) -> dict:
    fm = {
        "product": {
            "id": product_id,
            "type": ptype,
            "title": f"{ptype} {product_id}",
            "team": team_id,
            "situation": situation,
            "version": "1.0",
            "author": "A-1",
            "submitted_on": submitted_on.isoformat(),
            "audience": "internal",
        }
    }
    stage = groups.pop("stage", None)
    if stage:
        fm["product"]["stage"] = stage
    fm.update(groups)
    return fm


def version(
    session: Session,
    product_id: str,
    ptype: str,
    team_id: str,
    submitted_on: dt.date,
    situation: str = "Velmora",
    body: str = "# Facts\n\nNothing relevant.\n",
    matcher=None,
    **groups: Any,
):
    """A stored version and its KPI 10 facts (as the pre-check records them)."""
    fm = front_matter(product_id, ptype, team_id, submitted_on, situation, **groups)
    v = create_version(
        session=session,
        product_id=product_id,
        product_type=ptype,
        team_id=team_id,
        situation=situation,
        author_id="A-1",
        title=fm["product"]["title"],
        version_label="1.0",
        filename=f"{product_id}.md",
        media_type="text/markdown",
        content=("---\n---\n" + body).encode(),
        front_matter=fm,
        submitted_by="A-1",
    )
    record_product_facts(session=session, version=v, trigger_matcher=matcher or (lambda _v: False))
    return v


def io_groups(interview_date: dt.date, age: int = 30, sgbc_survivor: bool = True) -> dict:
    return {
        "interview": {"date": interview_date.isoformat()},
        "witnesses": [{"age": age, "sgbc_survivor": sgbc_survivor}],
    }


_seq = {"n": 0}


def decide(session: Session, v, decision: str, decided_at: datetime) -> Decision:
    _seq["n"] += 1
    event = append_event(
        session=session,
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
    session.add(row)
    session.flush()
    return row


def at(day: dt.date, hour: int = 12) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=dt.UTC)


def unit(
    session: Session,
    key: str,
    stage: str,
    outcome: str,
    filed: dt.date | None,
    *,
    sgbc: bool = False,
    cac: bool = False,
    basis: str | None = None,
    prev: int | None = None,
    team_id: str = "T1",
    suspect: str = "S-1",
    crime: str | None = None,
    decided: dt.date | None = None,
) -> ChargeUnit:
    row = ChargeUnit(
        unit_key=key,
        case_id="Velmora",
        team_id=team_id,
        situation="Velmora",
        suspect=suspect,
        stage=stage,
        is_sgbc=sgbc,
        is_cac=cac,
        sgbc_basis=basis or ("explicit" if sgbc else None),
        outcome=outcome,
        filing_date=filed,
        decision_date=decided,
        linked_unit_prev_stage=prev,
        crime=crime,
    )
    session.add(row)
    session.flush()
    return row
