"""KPI 12: percentage of relevant staff certified (requirements.md §7.3 [D]).

Reporting date d = the period's last day. Population: active staff whose roles have at least one
required entry in the role matrix (§6.3). Numerator: those who meet every requirement of their
roles and designations (union over roles) with records valid on d: ADV satisfies BASIC of the same
area, briefings count only where the matrix allows it (interpreter, intermediary), an expired or
revoked certificate is not held.

The matrix rows (store/role_matrix.py) become SQL CASE expressions over the staff's JSON role and
designation lists; holdings are one GROUP BY over valid certificates and briefings. Reported
separately: basic level, advanced level, SGBC and CAC areas, per certification, per role, per team
and situation (team staff, format §9.1; a person in two teams counts in both).
The focal point's "one of the two ADV" belongs to the advanced level and to neither area.
"""

import sqlalchemy as sa
from sqlmodel import Session

from models.tables import Briefing, Certification, Staff, Team
from store.certifications import briefing_valid_on, cert_valid_on, team_staff_query
from store.kpi.config import Kpi12Config
from store.kpi.periods import Period
from store.kpi.result import BreakdownRow, KpiResult, ratio, scope_of, status_of
from store.kpi.sqlfn import count_if, json_list_has
from store.role_matrix import AREAS, ROLE_MATRIX, Level, MatrixRow

CERTIFIABLE = sorted({row.role.value for row in ROLE_MATRIX})


def _row_applies(row: MatrixRow):
    condition = json_list_has(Staff.roles, row.role.value)
    if row.designation is not None:
        condition = sa.and_(condition, json_list_has(Staff.designations, row.designation.value))
    return condition


def _level_expr(area: str):
    """Highest level any applicable row asks for in `area` (the union of requirements)."""
    whens = []
    for level in (Level.ADV, Level.BASIC, Level.BASIC_OR_BRIEFING):
        rows = [r for r in ROLE_MATRIX if r.level(area) == level]
        if rows:
            whens.append((sa.or_(*[_row_applies(r) for r in rows]), int(level)))
    return sa.case(*whens, else_=int(Level.NONE))


def _holdings(on) -> sa.Subquery:
    flags = {}
    for area in AREAS:
        flags[f"{area.lower()}_basic"] = Certification.cert.in_([f"{area}_BASIC", f"{area}_ADV"])
        flags[f"{area.lower()}_adv"] = Certification.cert == f"{area}_ADV"
    return (
        sa.select(Certification.staff_id, *[sa.func.max(sa.case((c, 1), else_=0)).label(n) for n, c in flags.items()])
        .where(cert_valid_on(on))
        .group_by(Certification.staff_id)
        .subquery("held")
    )


def _briefed(on) -> sa.Subquery:
    return (
        sa.select(Briefing.staff_id, *[
            sa.func.max(sa.case((Briefing.area == area, 1), else_=0)).label(f"{area.lower()}_brief") for area in AREAS
        ])
        .where(briefing_valid_on(on))
        .group_by(Briefing.staff_id)
        .subquery("briefed")
    )


def staff_status(on, staff_filter=None) -> sa.Subquery:
    """One row per certifiable active staff member: requirement levels and whether each is met."""
    held, briefed = _holdings(on), _briefed(on)
    levels = {area: _level_expr(area) for area in AREAS}
    any_adv_required = sa.or_(*[_row_applies(r) for r in ROLE_MATRIX if r.any_adv])
    columns = [Staff.id.label("staff_id"), Staff.roles, any_adv_required.label("any_adv_req")]
    for area in AREAS:
        a = area.lower()
        basic = sa.func.coalesce(getattr(held.c, f"{a}_basic"), 0) == 1
        adv = sa.func.coalesce(getattr(held.c, f"{a}_adv"), 0) == 1
        brief = sa.func.coalesce(getattr(briefed.c, f"{a}_brief"), 0) == 1
        columns += [
            levels[area].label(f"{a}_level"),
            sa.case((levels[area] == int(Level.ADV), adv), (levels[area] == int(Level.BASIC), basic),
                    (levels[area] == int(Level.BASIC_OR_BRIEFING), sa.or_(basic, brief)), else_=sa.true())
            .label(f"{a}_met"),
            sa.case((levels[area] >= int(Level.BASIC_OR_BRIEFING), sa.or_(basic, sa.and_(
                levels[area] == int(Level.BASIC_OR_BRIEFING), brief))), else_=sa.true()).label(f"{a}_basic_met"),
            adv.label(f"{a}_adv_held"),
        ]
    query = (
        sa.select(*columns)
        .outerjoin(held, held.c.staff_id == Staff.id)
        .outerjoin(briefed, briefed.c.staff_id == Staff.id)
        .where(Staff.active, sa.or_(*[json_list_has(Staff.roles, role) for role in CERTIFIABLE]))
    )
    if staff_filter is not None:
        query = query.where(staff_filter)
    inner = query.subquery("levels")
    adv_any = sa.or_(inner.c.sgbc_adv_held, inner.c.cac_adv_held)
    sgbc_adv_ok = sa.or_(inner.c.sgbc_level != int(Level.ADV), inner.c.sgbc_adv_held)
    cac_adv_ok = sa.or_(inner.c.cac_level != int(Level.ADV), inner.c.cac_adv_held)
    any_adv_ok = sa.or_(sa.not_(inner.c.any_adv_req), adv_any)
    return sa.select(
        inner.c.staff_id, inner.c.roles, inner.c.sgbc_level, inner.c.cac_level, inner.c.any_adv_req,
        inner.c.sgbc_met, inner.c.cac_met, inner.c.sgbc_adv_held, inner.c.cac_adv_held,
        sa.and_(inner.c.sgbc_met, inner.c.cac_met, any_adv_ok).label("all_met"),
        sa.and_(inner.c.sgbc_basic_met, inner.c.cac_basic_met).label("basic_met"),
        sa.or_(inner.c.sgbc_level == int(Level.ADV), inner.c.cac_level == int(Level.ADV),
               inner.c.any_adv_req).label("adv_required"),
        sa.and_(sgbc_adv_ok, cac_adv_ok, any_adv_ok).label("adv_met"),
    ).subquery("staff_status")


def _aggregate_columns(s):
    return [
        sa.func.count().label("population"),
        count_if(s.c.all_met).label("certified"),
        count_if(s.c.basic_met).label("basic_met"),
        count_if(s.c.adv_required).label("adv_population"),
        count_if(sa.and_(s.c.adv_required, s.c.adv_met)).label("adv_met"),
        count_if(s.c.sgbc_level > 0).label("sgbc_population"),
        count_if(sa.and_(s.c.sgbc_level > 0, s.c.sgbc_met)).label("sgbc_met"),
        count_if(s.c.cac_level > 0).label("cac_population"),
        count_if(sa.and_(s.c.cac_level > 0, s.c.cac_met)).label("cac_met"),
    ]


def _per_certification(session: Session, s) -> list[BreakdownRow]:
    lvl = {"SGBC": s.c.sgbc_level, "CAC": s.c.cac_level}
    held_adv = {"SGBC": s.c.sgbc_adv_held, "CAC": s.c.cac_adv_held}
    met = {"SGBC": s.c.sgbc_met, "CAC": s.c.cac_met}
    columns = []
    for area in AREAS:
        # BASIC requirement (with or without briefing); ADV requirement.
        columns += [count_if(sa.and_(lvl[area] >= 1, lvl[area] <= 2)).label(f"{area}_BASIC_pop"),
                    count_if(sa.and_(lvl[area] >= 1, lvl[area] <= 2, met[area])).label(f"{area}_BASIC_met"),
                    count_if(lvl[area] == 3).label(f"{area}_ADV_pop"),
                    count_if(sa.and_(lvl[area] == 3, met[area])).label(f"{area}_ADV_met")]
    any_adv = sa.and_(s.c.any_adv_req, lvl["SGBC"] != 3, lvl["CAC"] != 3)
    columns += [count_if(any_adv).label("ANY_ADV_pop"),
                count_if(sa.and_(any_adv, sa.or_(held_adv["SGBC"], held_adv["CAC"]))).label("ANY_ADV_met")]
    row = session.execute(sa.select(*columns)).mappings().one()
    out = []
    for key, label in [("SGBC_BASIC", "SGBC_BASIC"), ("SGBC_ADV", "SGBC_ADV"), ("CAC_BASIC", "CAC_BASIC"),
                       ("CAC_ADV", "CAC_ADV"), ("ANY_ADV", "SGBC_ADV|CAC_ADV")]:
        pop, got = int(row[f"{key}_pop"]), int(row[f"{key}_met"])
        out.append(BreakdownRow(key=label, numerator=got, denominator=pop, value=ratio(got, pop)))
    return out


def _per_role(session: Session, s) -> list[BreakdownRow]:
    columns = []
    for role in CERTIFIABLE:
        has = json_list_has(s.c.roles, role)
        columns += [count_if(has).label(f"{role}_pop"), count_if(sa.and_(has, s.c.all_met)).label(f"{role}_met")]
    row = session.execute(sa.select(*columns)).mappings().one()
    return [
        BreakdownRow(key=role, numerator=int(row[f"{role}_met"]), denominator=int(row[f"{role}_pop"]),
                     value=ratio(int(row[f"{role}_met"]), int(row[f"{role}_pop"])))
        for role in CERTIFIABLE if row[f"{role}_pop"]
    ]


def compute_kpi12(
    *, session: Session, period: Period, config: Kpi12Config | None = None, team_id: str | None = None,
    situation: str | None = None, as_of=None,
) -> KpiResult:
    """Reporting date: the period's last day, or `as_of` when that is earlier (a period in progress)."""
    config = config or Kpi12Config()
    on = min(period.end, as_of) if as_of else period.end
    membership = team_staff_query([team_id] if team_id else None, situation).subquery("membership")
    staff_filter = None
    if team_id is not None or situation is not None:
        staff_filter = Staff.id.in_(sa.select(membership.c.staff_id))
    s = staff_status(on, staff_filter)
    totals = session.execute(sa.select(*_aggregate_columns(s))).mappings().one()
    population, certified = int(totals["population"]), int(totals["certified"])
    value = ratio(certified, population)

    def level_row(key: str, met: str, pop: str) -> BreakdownRow:
        return BreakdownRow(key=key, numerator=int(totals[met]), denominator=int(totals[pop]),
                            value=ratio(int(totals[met]), int(totals[pop])))

    by_team = session.execute(
        sa.select(membership.c.team_id, Team.situation, sa.func.count().label("n"), count_if(s.c.all_met).label("met"))
        .select_from(s)
        .join(membership, membership.c.staff_id == s.c.staff_id)
        .join(Team, Team.id == membership.c.team_id)
        .group_by(membership.c.team_id, Team.situation)
        .order_by(membership.c.team_id)
    ).all()
    by_situation: dict[str, list[int]] = {}
    situation_staff = session.execute(
        sa.select(Team.situation, sa.func.count(sa.distinct(s.c.staff_id)),
                  sa.func.count(sa.distinct(sa.case((s.c.all_met, s.c.staff_id)))))
        .select_from(s)
        .join(membership, membership.c.staff_id == s.c.staff_id)
        .join(Team, Team.id == membership.c.team_id)
        .group_by(Team.situation).order_by(Team.situation)
    ).all()
    for sit, n, met in situation_staff:
        by_situation[sit or "-"] = [int(met), int(n)]
    return KpiResult(
        kpi="12", title=config.title, citation=config.citation, period=period, scope=scope_of(team_id, situation),
        numerator=certified, denominator=population, value=value, target=config.target,
        status=status_of(value, config.target),
        measure=f"certifiable staff holding every required certification on {on.isoformat()} / certifiable staff",
        definition={**config.model_dump(), "reporting_date": on.isoformat(),
                    "role_matrix": "requirements.md §6.3; designations count with the investigator role only"},
        breakdowns={
            "level": [level_row("basic", "basic_met", "population"), level_row("advanced", "adv_met", "adv_population")],
            "area": [level_row("SGBC", "sgbc_met", "sgbc_population"), level_row("CAC", "cac_met", "cac_population")],
            "certification": _per_certification(session, s),
            "role": _per_role(session, s),
            "team": [BreakdownRow(key=t, numerator=int(m), denominator=int(n), value=ratio(int(m), int(n)),
                                  extra={"situation": sit}) for t, sit, n, m in by_team],
            "situation": [BreakdownRow(key=k, numerator=m, denominator=n, value=ratio(m, n))
                          for k, (m, n) in by_situation.items()],
        },
    )
