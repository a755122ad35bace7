"""The SPU indicator: vulnerable witnesses interviewed with psychosocial support (contract v2 §6.1 [D];
OTP Strategic Plan ¶63: "monitoring the number of vulnerable witnesses interviewed with psychosocial
support").

Per interview record (product id), the version counted is the one with the latest
`product.submitted_on` on or before the reporting date (the period's last day; ties: the version
stored last), among the versions that are not format errors; the record is in the period when that
version's `record.date` is. D: those whose witness is vulnerable; N: those of D with psychosocial
support (VUL-IR-04's condition), or whose VUL-IR-04 finding the SPU reviewer dismissed with a reason.

Also reported, over the same D [D]: N_present and N_on_call (`psychosocial_support.during`), distinct
witnesses, records with no undismissed VUL-IR-03 and VUL-IR-05 finding, records whose needs were all
met, records filed late (listed), the records of D without support (listed); and the records of the
period whose witness is not vulnerable, and the format-error versions of the period (listed apart).

One SQL statement selects the period's counted rows from `interview_record_facts` (with two EXISTS
over the findings); Python folds them into the total and the breakdowns by team, situation and
vulnerability category (a record counts in every category of its witness).
"""

from collections import defaultdict
from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import aliased
from sqlmodel import Session, col

from models.enums import FindingState
from models.spu_tables import InterviewRecordFacts
from models.tables import Finding
from rules.vulnerability import CATEGORIES
from store.kpi.config import SpuConfig
from store.kpi.periods import Period
from store.kpi.result import BreakdownRow, KpiResult, ratio, scope_of, status_of
from store.kpi.sqlfn import as_int

SUPPORT_RULE = "VUL-IR-04"
ASSESSMENT_RULE = "VUL-IR-03"
CONDUCT_RULE = "VUL-IR-05"


def _finding(f, rule_id: str, state: FindingState):
    return sa.exists(
        sa.select(1)
        .select_from(Finding)
        .where(col(Finding.version_id) == f.version_id, col(Finding.rule_id) == rule_id, col(Finding.state) == state)
    )


def counted_records(period: Period, team_id: str | None = None, situation: str | None = None):
    f: Any = aliased(
        InterviewRecordFacts, name="f"
    )  # aliases are used in SQL only (SQLModel types attributes as values)
    later: Any = aliased(InterviewRecordFacts, name="later")
    superseded = sa.exists(
        sa.select(1).where(
            later.product_id == f.product_id,
            sa.not_(later.format_error),
            later.submitted_on <= period.end,
            sa.or_(
                later.submitted_on > f.submitted_on,
                sa.and_(later.submitted_on == f.submitted_on, later.version_no > f.version_no),
            ),
        )
    )
    query = sa.select(
        f.product_id,
        f.version_no,
        f.team_id,
        f.situation,
        f.record_date,
        f.submitted_on,
        f.witness_key,
        f.vulnerable,
        f.categories,
        f.support_during,
        f.supported,
        f.needs_all_met,
        as_int(_finding(f, SUPPORT_RULE, FindingState.DISMISSED)).label("support_dismissed"),
        as_int(
            sa.or_(_finding(f, ASSESSMENT_RULE, FindingState.OPEN), _finding(f, CONDUCT_RULE, FindingState.OPEN))
        ).label("standards_open"),
    ).where(
        sa.not_(f.format_error),
        f.period_date >= period.start,
        f.period_date <= period.end,
        f.submitted_on <= period.end,
        sa.not_(superseded),
    )
    if team_id is not None:
        query = query.where(f.team_id == team_id)
    if situation is not None:
        query = query.where(f.situation == situation)
    return query.order_by(f.team_id, f.product_id)


def _format_errors(session: Session, period: Period, team_id: str | None, situation: str | None, limit: int):
    f: Any = InterviewRecordFacts  # used in SQL only (SQLModel types its attributes as values)
    query = sa.select(f.product_id, f.version_no, f.team_id, f.submitted_on).where(
        f.format_error, f.period_date >= period.start, f.period_date <= period.end
    )
    if team_id is not None:
        query = query.where(f.team_id == team_id)
    if situation is not None:
        query = query.where(f.situation == situation)
    rows = session.execute(query.order_by(f.team_id, f.product_id, f.version_no)).all()
    return len(rows), [
        {"product_id": p, "version_no": v, "team": t, "submitted_on": s.isoformat()} for p, v, t, s in rows[:limit]
    ]


def compute_spu_indicator(
    *,
    session: Session,
    period: Period,
    config: SpuConfig | None = None,
    team_id: str | None = None,
    situation: str | None = None,
) -> KpiResult:
    config = config or SpuConfig()
    rows = session.execute(counted_records(period, team_id, situation)).all()
    late_after = timedelta(days=config.late_after_days)
    tallies: dict[str, dict[str, list[int]]] = {
        "team": defaultdict(lambda: [0, 0]),
        "situation": defaultdict(lambda: [0, 0]),
        "vulnerability_category": defaultdict(lambda: [0, 0]),
    }
    numerator = denominator = present = on_call = standards_met = needs_met = not_vulnerable = 0
    witnesses: set[str] = set()
    late, unsupported = [], []
    for r in rows:
        if not r.vulnerable:
            not_vulnerable += 1
            continue
        denominator += 1
        supported = bool(r.supported) or (config.dismissed_support_finding_counts and bool(r.support_dismissed))
        numerator += supported
        present += r.support_during == "present"
        on_call += r.support_during == "on_call"
        standards_met += not r.standards_open
        needs_met += bool(r.needs_all_met)
        witnesses.add(r.witness_key)
        item = {
            "product_id": r.product_id,
            "version_no": r.version_no,
            "team": r.team_id,
            "record_date": r.record_date.isoformat() if r.record_date else None,
            "submitted_on": r.submitted_on.isoformat(),
        }
        if r.record_date is not None and r.submitted_on > r.record_date + late_after:
            late.append({**item, "days_after": (r.submitted_on - r.record_date).days})
        if not supported:
            unsupported.append({**item, "support_during": r.support_during})
        for name, key in (("team", r.team_id), ("situation", r.situation)):
            tallies[name][key][0] += supported
            tallies[name][key][1] += 1
        for category in r.categories or []:
            tallies["vulnerability_category"][category][0] += supported
            tallies["vulnerability_category"][category][1] += 1
    value = ratio(numerator, denominator)
    format_error_count, format_errors = _format_errors(session, period, team_id, situation, config.list_limit)
    category_order = {c: i for i, c in enumerate(CATEGORIES)}
    return KpiResult(
        kpi="SPU",
        title=config.title,
        citation=config.citation,
        period=period,
        scope=scope_of(team_id, situation),
        numerator=numerator,
        denominator=denominator,
        value=value,
        target=config.target,
        status=status_of(value, config.target),
        measure="interview records of vulnerable witnesses with psychosocial support / interview records of "
        "vulnerable witnesses",
        definition=config.model_dump(),
        breakdowns={
            name: [
                BreakdownRow(key=key, numerator=n, denominator=d, value=ratio(n, d))
                for key, (n, d) in sorted(rows_.items(), key=lambda kv: (category_order.get(kv[0], 0), kv[0]))
            ]
            for name, rows_ in tallies.items()
        },
        details={
            "with_support_present": present,
            "with_support_on_call": on_call,
            "distinct_witnesses": len(witnesses),
            "assessment_and_conduct_standards_met": standards_met,
            "all_needs_met": needs_met,
            "not_vulnerable_records": not_vulnerable,
            "format_error_records": format_error_count,
            "late_records_count": len(late),
            "late_records": late[: config.list_limit],
            "records_without_support": unsupported[: config.list_limit],
            "format_errors": format_errors,
        },
    )
