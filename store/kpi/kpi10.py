"""KPI 10: percentage of Unified Teams all of whose relevant products in the period are engaged
(shared with and reviewed by the GCU). requirements.md §7.1 [D].

Per product id, the version counted in a period is the latest one submitted on or before the
period's last day; the product is in the period when that version is relevant and its reference
date falls in the period. Engaged: a reviewer decision (approve or return, configurable) on that
version or an earlier one; where there is an execution date, the version was submitted before it
and the decision came on or before it (UTC day). A product submitted on or after its execution date
is late and never engaged.

Everything is one SQL statement over `product_facts` (written at submission, store/kpi/facts.py)
grouped by team and situation; Python only folds the per-team rows.
"""

from collections import defaultdict
from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import aliased
from sqlmodel import Session, col

from models.kpi_tables import ProductFacts
from models.tables import Decision, ProductVersion
from store.certifications import day_start
from store.kpi.config import Kpi10Config
from store.kpi.periods import Period
from store.kpi.result import BreakdownRow, KpiResult, ratio, scope_of, status_of
from store.kpi.sqlfn import as_int


def counted_products(
    period: Period, config: Kpi10Config, team_id: str | None = None, situation: str | None = None
) -> sa.Subquery:
    """One row per relevant product in the period: team, situation, late, engaged (0/1)."""
    f: Any = aliased(ProductFacts, name="f")  # aliases are used in SQL only (SQLModel types attributes as values)
    later: Any = aliased(ProductFacts, name="later")
    pv: Any = aliased(ProductVersion, name="pv")
    decision_conditions = [
        Decision.product_id == f.product_id,
        pv.version_no <= f.version_no,
        col(Decision.decision).in_(config.engagement_decisions),
        sa.or_(f.engagement_deadline.is_(None), col(Decision.decided_at) < f.engagement_deadline),
    ]
    if config.decision_cutoff_days_after_period is not None:
        cutoff = day_start(period.end + timedelta(days=config.decision_cutoff_days_after_period + 1))
        decision_conditions.append(Decision.decided_at < cutoff)
    decided = sa.exists(
        sa.select(1).select_from(Decision).join(pv, pv.id == col(Decision.version_id)).where(*decision_conditions)
    )
    superseded = sa.exists(
        sa.select(1).where(
            later.product_id == f.product_id, later.version_no > f.version_no, later.submitted_on <= period.end
        )
    )
    query = sa.select(
        f.product_id,
        f.version_no,
        f.team_id,
        f.situation,
        f.late,
        f.submitted_on,
        f.execution_date,
        f.product_type,
        f.reference_date,
        as_int(sa.and_(sa.not_(f.late), decided)).label("engaged"),
    ).where(
        f.reference_date >= period.start,
        f.reference_date <= period.end,
        f.submitted_on <= period.end,
        f.relevant,
        sa.not_(superseded),
    )
    if team_id is not None:
        query = query.where(f.team_id == team_id)
    if situation is not None:
        query = query.where(f.situation == situation)
    return query.subquery("counted")


def compute_kpi10(
    *,
    session: Session,
    period: Period,
    config: Kpi10Config | None = None,
    team_id: str | None = None,
    situation: str | None = None,
) -> KpiResult:
    config = config or Kpi10Config()
    counted = counted_products(period, config, team_id, situation)
    rows = session.execute(
        sa.select(
            counted.c.team_id,
            counted.c.situation,
            sa.func.count().label("relevant"),
            sa.func.sum(counted.c.engaged).label("engaged"),
        )
        .group_by(counted.c.team_id, counted.c.situation)
        .order_by(counted.c.team_id, counted.c.situation)
    ).all()
    teams: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    situations: dict[str, dict[str, list[int]]] = defaultdict(lambda: defaultdict(lambda: [0, 0]))
    for team, sit, relevant, engaged in rows:
        teams[team][0] += relevant
        teams[team][1] += int(engaged or 0)
        situations[sit][team][0] += relevant
        situations[sit][team][1] += int(engaged or 0)

    def fully(team_rows: dict[str, list[int]]) -> int:
        return sum(1 for relevant, engaged in team_rows.values() if relevant == engaged)

    numerator, denominator = fully(teams), len(teams)
    value = ratio(numerator, denominator)
    relevant_total = sum(r for r, _ in teams.values())
    engaged_total = sum(e for _, e in teams.values())
    late_query = (
        sa.select(
            counted.c.product_id,
            counted.c.team_id,
            counted.c.product_type,
            counted.c.submitted_on,
            counted.c.execution_date,
        )
        .where(counted.c.late)
        .order_by(counted.c.team_id, counted.c.product_id)
    )
    late_count = session.execute(sa.select(sa.func.count()).select_from(counted).where(counted.c.late)).scalar_one()
    late = [
        {"product_id": p, "team": t, "type": ty, "submitted_on": s.isoformat(), "execution_date": e.isoformat()}
        for p, t, ty, s, e in session.execute(late_query.limit(config.late_list_limit))
    ]
    return KpiResult(
        kpi="10",
        title=config.title,
        citation=config.citation,
        period=period,
        scope=scope_of(team_id, situation),
        numerator=numerator,
        denominator=denominator,
        value=value,
        target=config.target,
        status=status_of(value, config.target),
        measure="teams all of whose relevant products are engaged / teams with a relevant product",
        definition=config.model_dump(),
        breakdowns={
            "team": [
                BreakdownRow(key=t, numerator=e, denominator=r, value=ratio(e, r), extra={"all_engaged": r == e})
                for t, (r, e) in sorted(teams.items())
            ],
            "situation": [
                BreakdownRow(
                    key=s,
                    numerator=fully(tr),
                    denominator=len(tr),
                    value=ratio(fully(tr), len(tr)),
                    extra={
                        "relevant_products": sum(r for r, _ in tr.values()),
                        "engaged_products": sum(e for _, e in tr.values()),
                    },
                )
                for s, tr in sorted(situations.items())
            ],
        },
        details={
            "relevant_products": relevant_total,
            "engaged_products": engaged_total,
            "product_rate": ratio(engaged_total, relevant_total),
            "late_products_count": late_count,
            "late_products": late,
        },
    )
