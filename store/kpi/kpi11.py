"""KPI 11: SGBC and CAC charges presented and granted, per stage (requirements.md §7.2 [D]).

Units (store/kpi/charge_units.py) count in the period containing their filing date.
- presented: filed in the period, net of withdrawals (a withdrawn unit is reported separately);
- granted: presented units whose outcome is `granted`;
- grant rate: granted / decided (granted, declined, recharacterised); `pending`/`presented`
  (undecided) and `withdrawn` are outside the denominator and reported separately.
SGBC and CAC are independent flags: a unit flagged both counts in both. The headline value is the
grant rate over all stages of units that are SGBC or CAC. Also: units added at DCC with no AWA
predecessor, and attrition along `linked_unit_prev_stage` (AWA -> DCC -> TRIAL -> APPEAL).
"""

import sqlalchemy as sa
from sqlalchemy.orm import aliased
from sqlmodel import Session

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


def _measures(flag) -> list[tuple[str, sa.ColumnElement]]:
    o = ChargeUnit.outcome
    return [
        ("presented", sa.and_(flag, o != ChargeOutcome.WITHDRAWN.value)),
        ("granted", sa.and_(flag, o == ChargeOutcome.GRANTED.value)),
        ("declined", sa.and_(flag, o == ChargeOutcome.DECLINED.value)),
        ("recharacterised", sa.and_(flag, o == ChargeOutcome.RECHARACTERISED.value)),
        ("decided", sa.and_(flag, o.in_(DECIDED))),
        ("undecided", sa.and_(flag, o.in_(UNDECIDED))),
        ("withdrawn", sa.and_(flag, o == ChargeOutcome.WITHDRAWN.value)),
        ("no_prev_stage_unit", sa.and_(flag, o != ChargeOutcome.WITHDRAWN.value,
                                       ChargeUnit.linked_unit_prev_stage.is_(None))),
    ]


def compute_kpi11(
    *, session: Session, period: Period, config: Kpi11Config | None = None, team_id: str | None = None,
    situation: str | None = None,
) -> KpiResult:
    config = config or Kpi11Config()
    flags = flag_conditions(config)
    columns = [ChargeUnit.stage]
    for flag_name, flag in flags.items():
        columns += [count_if(cond).label(f"{flag_name}:{m}") for m, cond in _measures(flag)]
    rows = session.execute(
        sa.select(*columns).where(*_in_scope(ChargeUnit, period, team_id, situation)).group_by(ChargeUnit.stage)
    ).mappings().all()
    by_stage = {row["stage"]: row for row in rows}
    stage_rows: dict[str, list[BreakdownRow]] = {name: [] for name in flags}
    for stage in STAGE_ORDER:
        row = by_stage.get(stage.value)
        if row is None:
            continue
        for flag_name in flags:
            m = {k.split(":", 1)[1]: int(v) for k, v in row.items() if k.startswith(f"{flag_name}:")}
            stage_rows[flag_name].append(BreakdownRow(
                key=stage.value, numerator=m["granted"], denominator=m["decided"], value=ratio(m["granted"], m["decided"]),
                extra={k: m[k] for k in ("presented", "granted", "declined", "recharacterised", "undecided", "withdrawn")},
            ))
    total = {m: sum(r.extra[m] for r in stage_rows["SGBC_or_CAC"]) for m in ("granted", "presented")}
    decided = sum(r.denominator for r in stage_rows["SGBC_or_CAC"])
    value = ratio(total["granted"], decided)
    added_at_dcc = {}
    for flag_name in flags:
        row = by_stage.get("DCC")
        added_at_dcc[flag_name] = int(row[f"{flag_name}:no_prev_stage_unit"]) if row else 0

    breakdowns = {f"stage_{name}": rows_ for name, rows_ in stage_rows.items()}
    any_flag = flags["SGBC_or_CAC"]
    for dimension, column in (("team", ChargeUnit.team_id), ("situation", ChargeUnit.situation)):
        grouped = session.execute(
            sa.select(column, count_if(sa.and_(any_flag, ChargeUnit.outcome != ChargeOutcome.WITHDRAWN.value)),
                      count_if(sa.and_(any_flag, ChargeUnit.outcome == ChargeOutcome.GRANTED.value)),
                      count_if(sa.and_(any_flag, ChargeUnit.outcome.in_(DECIDED))))
            .where(*_in_scope(ChargeUnit, period, team_id, situation)).group_by(column).order_by(column)
        ).all()
        breakdowns[dimension] = [
            BreakdownRow(key=key or "-", numerator=int(g), denominator=int(d), value=ratio(int(g), int(d)),
                         extra={"presented": int(p)})
            for key, p, g, d in grouped if p or d
        ]
    return KpiResult(
        kpi="11", title=config.title, citation=config.citation, period=period, scope=scope_of(team_id, situation),
        numerator=total["granted"], denominator=decided, value=value, target=config.target,
        status=status_of(value, config.target),
        measure="SGBC or CAC units granted / units with a decided outcome (granted, declined, recharacterised), "
                "all stages, by filing date",
        definition=config.model_dump(),
        breakdowns=breakdowns,
        details={"presented": total["presented"], "added_at_dcc": added_at_dcc,
                 "attrition": attrition(session=session, period=period, config=config, team_id=team_id,
                                        situation=situation)},
    )


def attrition(*, session: Session, period: Period, config: Kpi11Config, team_id=None, situation=None) -> list[dict]:
    """Per stage transition and flag: units presented at the earlier stage in the period, and how
    many of them have a linked unit at a later stage."""
    prev = aliased(ChargeUnit, name="prev")
    nxt = aliased(ChargeUnit, name="nxt")
    flags = flag_conditions(config, prev)
    has_next = sa.exists(sa.select(1).where(nxt.linked_unit_prev_stage == prev.id))
    columns = [prev.stage]
    for flag_name, flag in flags.items():
        presented = sa.and_(flag, prev.outcome != ChargeOutcome.WITHDRAWN.value)
        columns += [count_if(presented).label(f"{flag_name}:from"),
                    count_if(sa.and_(presented, has_next)).label(f"{flag_name}:carried")]
    rows = session.execute(
        sa.select(*columns).where(*_in_scope(prev, period, team_id, situation)).group_by(prev.stage)
    ).mappings().all()
    by_stage = {r["stage"]: r for r in rows}
    out = []
    for stage, following in zip(STAGE_ORDER[:-1], STAGE_ORDER[1:], strict=True):
        row = by_stage.get(stage.value)
        if row is None:
            continue
        for flag_name in flags:
            start, carried = int(row[f"{flag_name}:from"]), int(row[f"{flag_name}:carried"])
            if start:
                out.append({"from": stage.value, "to": following.value, "flag": flag_name, "units": start,
                            "carried": carried, "dropped": start - carried})
    return out
