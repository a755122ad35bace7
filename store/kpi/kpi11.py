"""KPI 11: SGBC and CAC charges presented and granted, per stage (requirements.md §7.2 [D]).

Units (store/kpi/charge_units.py) count in the period containing their filing date.
- presented: filed in the period, net of withdrawals (a withdrawn unit is reported separately);
- granted: presented units whose outcome is `granted`;
- grant rate: granted / decided (granted, declined, recharacterised); `pending`/`presented`
  (undecided) and `withdrawn` are outside the denominator and reported separately.
SGBC and CAC are independent flags: a unit flagged both counts in both. The headline value is the
grant rate over all stages of units that are SGBC or CAC. Also: units added at DCC with no AWA
predecessor, and attrition along `linked_unit_prev_stage` (AWA -> DCC -> TRIAL -> APPEAL): units
presented at a stage in the period, and how many of them a later-stage unit continues.
All measures come from one GROUP BY (stage, team, situation) scan.
"""

from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col

from models.kpi_tables import STAGE_ORDER, ChargeOutcome, ChargeUnit, SgbcBasis
from store.kpi.config import Kpi11Config
from store.kpi.periods import Period
from store.kpi.result import BreakdownRow, KpiResult, ratio, scope_of, status_of
from store.kpi.sqlfn import count_if

UNDECIDED = (ChargeOutcome.PENDING.value, ChargeOutcome.PRESENTED.value)
DECIDED = (ChargeOutcome.GRANTED.value, ChargeOutcome.DECLINED.value, ChargeOutcome.RECHARACTERISED.value)


def flag_conditions(config: Kpi11Config, table=ChargeUnit) -> dict[str, sa.ColumnElement]:
    sgbc = table.is_sgbc
    if not config.include_underlying_conduct:
        sgbc = sa.and_(sgbc, table.sgbc_basis == SgbcBasis.EXPLICIT.value)
    cac = table.is_cac
    return {"SGBC": sgbc, "CAC": cac, "SGBC_or_CAC": sa.or_(sgbc, cac)}


def _in_scope(table, period: Period, team_id, situation):
    conditions = [table.filing_date.is_not(None), table.filing_date >= period.start, table.filing_date <= period.end]
    if team_id is not None:
        conditions.append(table.team_id == team_id)
    if situation is not None:
        conditions.append(table.situation == situation)
    return conditions


MEASURES = (
    "presented",
    "granted",
    "declined",
    "recharacterised",
    "decided",
    "undecided",
    "withdrawn",
    "no_prev_stage_unit",
    "carried",
)


def _measures(flag, carried) -> list[tuple[str, sa.ColumnElement]]:
    o = col(ChargeUnit.outcome)
    presented = sa.and_(flag, o != ChargeOutcome.WITHDRAWN.value)
    return [
        ("presented", presented),
        ("granted", sa.and_(flag, o == ChargeOutcome.GRANTED.value)),
        ("declined", sa.and_(flag, o == ChargeOutcome.DECLINED.value)),
        ("recharacterised", sa.and_(flag, o == ChargeOutcome.RECHARACTERISED.value)),
        ("decided", sa.and_(flag, o.in_(DECIDED))),
        ("undecided", sa.and_(flag, o.in_(UNDECIDED))),
        ("withdrawn", sa.and_(flag, o == ChargeOutcome.WITHDRAWN.value)),
        ("no_prev_stage_unit", sa.and_(presented, col(ChargeUnit.linked_unit_prev_stage).is_(None))),
        # presented here and continued by a unit at a later stage (lineage, for attrition)
        ("carried", sa.and_(presented, carried)),
    ]


def _grouped(session: Session, period: Period, config: Kpi11Config, team_id, situation) -> list[dict]:
    """One scan: every measure per (stage, team, situation); Python only adds up these few rows."""
    flags = flag_conditions(config)
    successors = (
        sa.select(col(ChargeUnit.linked_unit_prev_stage).label("prev_id"))
        .where(col(ChargeUnit.linked_unit_prev_stage).is_not(None))
        .distinct()
        .subquery("successors")
    )
    carried = successors.c.prev_id.is_not(None)
    columns: list[Any] = [ChargeUnit.stage, ChargeUnit.team_id, ChargeUnit.situation]
    for flag_name, flag in flags.items():
        columns += [count_if(cond).label(f"{flag_name}:{m}") for m, cond in _measures(flag, carried)]
    query = (
        sa.select(*columns)
        .outerjoin(successors, successors.c.prev_id == ChargeUnit.id)
        .where(*_in_scope(ChargeUnit, period, team_id, situation))
        .group_by(col(ChargeUnit.stage), col(ChargeUnit.team_id), col(ChargeUnit.situation))
    )
    return [dict(row) for row in session.execute(query).mappings()]


def _add(rows: list[dict], key) -> dict:
    out: dict = {}
    for row in rows:
        bucket = out.setdefault(key(row), {})
        for name, value in row.items():
            if ":" in name:
                bucket[name] = bucket.get(name, 0) + int(value)
    return out


def compute_kpi11(
    *,
    session: Session,
    period: Period,
    config: Kpi11Config | None = None,
    team_id: str | None = None,
    situation: str | None = None,
) -> KpiResult:
    config = config or Kpi11Config()
    flags = list(flag_conditions(config))
    rows = _grouped(session, period, config, team_id, situation)
    by_stage = _add(rows, lambda r: r["stage"])
    stage_rows: dict[str, list[BreakdownRow]] = {name: [] for name in flags}
    for stage in STAGE_ORDER:
        sums = by_stage.get(stage.value)
        if sums is None:
            continue
        for flag_name in flags:
            m = {k.split(":", 1)[1]: v for k, v in sums.items() if k.startswith(f"{flag_name}:")}
            stage_rows[flag_name].append(
                BreakdownRow(
                    key=stage.value,
                    numerator=m["granted"],
                    denominator=m["decided"],
                    value=ratio(m["granted"], m["decided"]),
                    extra={
                        k: m[k]
                        for k in ("presented", "granted", "declined", "recharacterised", "undecided", "withdrawn")
                    },
                )
            )
    total = {m: sum(r.extra[m] for r in stage_rows["SGBC_or_CAC"]) for m in ("granted", "presented")}
    decided = sum(r.denominator for r in stage_rows["SGBC_or_CAC"])
    value = ratio(total["granted"], decided)
    dcc = by_stage.get("DCC", {})
    added_at_dcc = {flag_name: dcc.get(f"{flag_name}:no_prev_stage_unit", 0) for flag_name in flags}
    attrition = []
    for stage, following in zip(STAGE_ORDER[:-1], STAGE_ORDER[1:], strict=True):
        sums = by_stage.get(stage.value, {})
        for flag_name in flags:
            start, carried = sums.get(f"{flag_name}:presented", 0), sums.get(f"{flag_name}:carried", 0)
            if start:
                attrition.append(
                    {
                        "from": stage.value,
                        "to": following.value,
                        "flag": flag_name,
                        "units": start,
                        "carried": carried,
                        "dropped": start - carried,
                    }
                )
    breakdowns = {f"stage_{name}": rows_ for name, rows_ in stage_rows.items()}
    for dimension in ("team", "situation"):
        column = "team_id" if dimension == "team" else "situation"
        sums = _add(rows, lambda r, c=column: r[c] or "-")
        breakdowns[dimension] = [
            BreakdownRow(
                key=key,
                numerator=v["SGBC_or_CAC:granted"],
                denominator=v["SGBC_or_CAC:decided"],
                value=ratio(v["SGBC_or_CAC:granted"], v["SGBC_or_CAC:decided"]),
                extra={"presented": v["SGBC_or_CAC:presented"]},
            )
            for key, v in sorted(sums.items())
            if v["SGBC_or_CAC:presented"] or v["SGBC_or_CAC:decided"]
        ]
    return KpiResult(
        kpi="11",
        title=config.title,
        citation=config.citation,
        period=period,
        scope=scope_of(team_id, situation),
        numerator=total["granted"],
        denominator=decided,
        value=value,
        target=config.target,
        status=status_of(value, config.target),
        measure="SGBC or CAC units granted / units with a decided outcome (granted, declined, recharacterised), "
        "all stages, by filing date",
        definition=config.model_dump(),
        breakdowns=breakdowns,
        details={"presented": total["presented"], "added_at_dcc": added_at_dcc, "attrition": attrition},
    )
