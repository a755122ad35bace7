"""KPI 12: percentage of relevant staff certified (requirements.md §7.3 [D]).

Reporting date d = the period's last day. Population: active staff whose roles have at least one
required entry in the role matrix (§6.3). Numerator: those who meet every requirement of their
roles and designations (union over roles) with records valid on d: ADV satisfies BASIC of the same
area, briefings count only where the matrix allows it (interpreter, intermediary), an expired or
revoked certificate is not held.

The matrix rows (store/role_matrix.py) become SQL CASE expressions over the staff's role and
designation lists; holdings are one GROUP BY over valid certificates and briefings. Staff are first
grouped by (roles, designations, holdings[, team or situation]): people with the same roles and
certificates have the same result, so the role matrix is evaluated once per group (a few hundred
groups at 20k staff), and every count is a SUM of group sizes. Reported
separately: basic level, advanced level, SGBC and CAC areas, per certification, per role, per team
and situation (team staff, format §9.1; a person in two teams counts in both).
The focal point's "one of the two ADV" belongs to the advanced level and to neither area.
"""

import sqlalchemy as sa
from sqlmodel import Session, col

from models.tables import Briefing, Certification, Staff, Team
from store.certifications import briefing_valid_on, cert_valid_on, team_staff_query
from store.kpi.config import Kpi12Config
from store.kpi.periods import Period
from store.kpi.result import BreakdownRow, KpiResult, ratio, scope_of, status_of
from store.kpi.sqlfn import json_list_has
from store.role_matrix import AREAS, ROLE_MATRIX, Level, MatrixRow

CERTIFIABLE = sorted({row.role.value for row in ROLE_MATRIX})
DESIGNATIONS = sorted({row.designation.value for row in ROLE_MATRIX if row.designation is not None})
HOLDINGS = [f"{area.lower()}_{kind}" for area in AREAS for kind in ("basic", "adv", "brief")]


def _holdings(on) -> sa.Subquery:
    flags: dict[str, sa.ColumnElement[bool]] = {}
    for area in AREAS:
        flags[f"{area.lower()}_basic"] = col(Certification.cert).in_([f"{area}_BASIC", f"{area}_ADV"])
        flags[f"{area.lower()}_adv"] = col(Certification.cert) == f"{area}_ADV"
    return (
        sa.select(
            col(Certification.staff_id), *[sa.func.max(sa.case((c, 1), else_=0)).label(n) for n, c in flags.items()]
        )
        .where(cert_valid_on(on))
        .group_by(Certification.staff_id)
        .subquery("held")
    )


def _briefed(on) -> sa.Subquery:
    return (
        sa.select(
            col(Briefing.staff_id),
            *[
                sa.func.max(sa.case((col(Briefing.area) == area, 1), else_=0)).label(f"{area.lower()}_brief")
                for area in AREAS
            ],
        )
        .where(briefing_valid_on(on))
        .group_by(Briefing.staff_id)
        .subquery("briefed")
    )


def _groups(on, dimension=None, membership=None, staff_filter=None) -> sa.Subquery:
    """Active staff grouped by (dimension, roles, designations, holdings on `on`), with group size `n`.
    `dimension`: None, or a column of `membership` joined with Team (team id, situation)."""
    held, briefed = _holdings(on), _briefed(on)
    roles, designations = sa.cast(Staff.roles, sa.Text), sa.cast(Staff.designations, sa.Text)
    holding_columns = [sa.func.coalesce(held.c[h], 0).label(h) for h in HOLDINGS if not h.endswith("brief")]
    holding_columns += [sa.func.coalesce(briefed.c[h], 0).label(h) for h in HOLDINGS if h.endswith("brief")]
    keys = [roles.label("roles"), designations.label("designations"), *holding_columns]
    if dimension is not None:
        keys.insert(0, dimension.label("dim"))
    query = (
        sa.select(*keys, sa.func.count(sa.distinct(col(Staff.id))).label("n"))
        .select_from(Staff)
        .outerjoin(held, held.c.staff_id == Staff.id)
        .outerjoin(briefed, briefed.c.staff_id == Staff.id)
        .where(col(Staff.active))
    )
    if membership is not None:
        query = query.join(membership, membership.c.staff_id == Staff.id).join(Team, Team.id == membership.c.team_id)
    if staff_filter is not None:
        query = query.where(staff_filter)
    return query.group_by(*[k.element if hasattr(k, "element") else k for k in keys]).subquery("groups")


def _flags(g: sa.Subquery) -> sa.Subquery:
    """Each role and designation test once, as a column (keeps the statement small)."""
    return (
        sa.select(
            g,
            *[json_list_has(g.c.roles, role).label(f"r_{role}") for role in CERTIFIABLE],
            *[json_list_has(g.c.designations, d).label(f"d_{d}") for d in DESIGNATIONS],
        )
        .where(sa.or_(*[json_list_has(g.c.roles, r) for r in CERTIFIABLE]))
        .subquery("flags")
    )


def _row_applies(f, row: MatrixRow):
    condition = f.c[f"r_{row.role.value}"]
    if row.designation is not None:
        condition = sa.and_(condition, f.c[f"d_{row.designation.value}"])
    return condition


def _level_expr(f, area: str):
    """Highest level any applicable row asks for in `area` (the union of requirements)."""
    whens = []
    for level in (Level.ADV, Level.BASIC, Level.BASIC_OR_BRIEFING):
        rows = [r for r in ROLE_MATRIX if r.level(area) == level]
        if rows:
            whens.append((sa.or_(*[_row_applies(f, r) for r in rows]), int(level)))
    return sa.case(*whens, else_=int(Level.NONE))


def group_status(g: sa.Subquery) -> sa.Subquery:
    """Per group: requirement levels, what is met, and the group size `n` (certifiable groups only)."""
    f = _flags(g)
    lv = sa.select(
        f,
        *[_level_expr(f, area).label(f"{area.lower()}_level") for area in AREAS],
        sa.or_(*[_row_applies(f, r) for r in ROLE_MATRIX if r.any_adv]).label("any_adv_req"),
    ).subquery("levels")
    columns = [
        lv.c.n,
        *([lv.c.dim] if "dim" in lv.c else []),
        *[lv.c[f"r_{role}"] for role in CERTIFIABLE],
        lv.c.any_adv_req,
    ]
    for area in AREAS:
        a = area.lower()
        level = lv.c[f"{a}_level"]
        basic, adv, brief = lv.c[f"{a}_basic"] == 1, lv.c[f"{a}_adv"] == 1, lv.c[f"{a}_brief"] == 1
        columns += [
            level,
            sa.case(
                (level == int(Level.ADV), adv),
                (level == int(Level.BASIC), basic),
                (level == int(Level.BASIC_OR_BRIEFING), sa.or_(basic, brief)),
                else_=sa.true(),
            ).label(f"{a}_met"),
            sa.case(
                (level == int(Level.BASIC_OR_BRIEFING), sa.or_(basic, brief)),
                (level > int(Level.NONE), basic),
                else_=sa.true(),
            ).label(f"{a}_basic_met"),
            adv.label(f"{a}_adv_held"),
        ]
    inner = sa.select(*columns).subquery("met")
    adv_any = sa.or_(inner.c.sgbc_adv_held, inner.c.cac_adv_held)
    any_adv_ok = sa.or_(sa.not_(inner.c.any_adv_req), adv_any)
    return sa.select(
        inner,
        sa.and_(inner.c.sgbc_met, inner.c.cac_met, any_adv_ok).label("all_met"),
        sa.and_(inner.c.sgbc_basic_met, inner.c.cac_basic_met).label("basic_met"),
        sa.or_(inner.c.sgbc_level == int(Level.ADV), inner.c.cac_level == int(Level.ADV), inner.c.any_adv_req).label(
            "adv_required"
        ),
        sa.and_(
            sa.or_(inner.c.sgbc_level != int(Level.ADV), inner.c.sgbc_adv_held),
            sa.or_(inner.c.cac_level != int(Level.ADV), inner.c.cac_adv_held),
            any_adv_ok,
        ).label("adv_met"),
    ).subquery("staff_status")


def _sum(s, *conditions) -> sa.ColumnElement:
    condition = sa.and_(*conditions) if conditions else sa.true()
    return sa.func.coalesce(sa.func.sum(sa.case((condition, s.c.n), else_=0)), 0)


def _totals(session: Session, s) -> dict[str, int]:
    lvl = {"SGBC": s.c.sgbc_level, "CAC": s.c.cac_level}
    met = {"SGBC": s.c.sgbc_met, "CAC": s.c.cac_met}
    columns = [
        _sum(s).label("population"),
        _sum(s, s.c.all_met).label("certified"),
        _sum(s, s.c.basic_met).label("basic_met"),
        _sum(s, s.c.adv_required).label("adv_population"),
        _sum(s, s.c.adv_required, s.c.adv_met).label("adv_met"),
    ]
    for area in AREAS:
        columns += [
            _sum(s, lvl[area] > 0).label(f"{area}_population"),
            _sum(s, lvl[area] > 0, met[area]).label(f"{area}_met"),
            # per certification: a BASIC requirement (with or without briefing), an ADV requirement
            _sum(s, lvl[area] >= 1, lvl[area] <= 2).label(f"{area}_BASIC_pop"),
            _sum(s, lvl[area] >= 1, lvl[area] <= 2, met[area]).label(f"{area}_BASIC_met"),
            _sum(s, lvl[area] == 3).label(f"{area}_ADV_pop"),
            _sum(s, lvl[area] == 3, met[area]).label(f"{area}_ADV_met"),
        ]
    any_adv = sa.and_(s.c.any_adv_req, lvl["SGBC"] != 3, lvl["CAC"] != 3)
    columns += [
        _sum(s, any_adv).label("ANY_ADV_pop"),
        _sum(s, any_adv, sa.or_(s.c.sgbc_adv_held, s.c.cac_adv_held)).label("ANY_ADV_met"),
    ]
    for role in CERTIFIABLE:
        columns += [
            _sum(s, s.c[f"r_{role}"]).label(f"{role}_pop"),
            _sum(s, s.c[f"r_{role}"], s.c.all_met).label(f"{role}_met"),
        ]
    return {k: int(v) for k, v in session.execute(sa.select(*columns)).mappings().one().items()}


def _row(key: str, met: int, pop: int, **extra) -> BreakdownRow:
    return BreakdownRow(key=key, numerator=met, denominator=pop, value=ratio(met, pop), extra=extra)


def _by_dimension(session: Session, on, dimension, membership, staff_filter) -> list[tuple]:
    s = group_status(_groups(on, dimension, membership, staff_filter))
    return [
        tuple(row)
        for row in session.execute(
            sa.select(s.c.dim, _sum(s), _sum(s, s.c.all_met)).group_by(s.c.dim).order_by(s.c.dim)
        ).all()
    ]


def compute_kpi12(
    *,
    session: Session,
    period: Period,
    config: Kpi12Config | None = None,
    team_id: str | None = None,
    situation: str | None = None,
    as_of=None,
) -> KpiResult:
    """Reporting date: the period's last day, or `as_of` when that is earlier (a period in progress)."""
    config = config or Kpi12Config()
    on = min(period.end, as_of) if as_of else period.end
    membership = team_staff_query([team_id] if team_id else None, situation).subquery("membership")
    staff_filter = None
    if team_id is not None or situation is not None:
        staff_filter = col(Staff.id).in_(sa.select(membership.c.staff_id))
    t = _totals(session, group_status(_groups(on, staff_filter=staff_filter)))
    population, certified = t["population"], t["certified"]
    value = ratio(certified, population)
    situations = {team: sit for team, sit in session.execute(sa.select(col(Team.id), col(Team.situation)))}
    by_team = _by_dimension(session, on, membership.c.team_id, membership, None)
    by_situation = _by_dimension(session, on, Team.situation, membership, None)
    return KpiResult(
        kpi="12",
        title=config.title,
        citation=config.citation,
        period=period,
        scope=scope_of(team_id, situation),
        numerator=certified,
        denominator=population,
        value=value,
        target=config.target,
        status=status_of(value, config.target),
        measure=f"certifiable staff holding every required certification on {on.isoformat()} / certifiable staff",
        definition={
            **config.model_dump(),
            "reporting_date": on.isoformat(),
            "role_matrix": "requirements.md §6.3; designations count with the investigator role only",
        },
        breakdowns={
            "level": [_row("basic", t["basic_met"], population), _row("advanced", t["adv_met"], t["adv_population"])],
            "area": [_row(area, t[f"{area}_met"], t[f"{area}_population"]) for area in AREAS],
            "certification": [
                _row(label, t[f"{key}_met"], t[f"{key}_pop"])
                for key, label in (
                    ("SGBC_BASIC", "SGBC_BASIC"),
                    ("SGBC_ADV", "SGBC_ADV"),
                    ("CAC_BASIC", "CAC_BASIC"),
                    ("CAC_ADV", "CAC_ADV"),
                    ("ANY_ADV", "SGBC_ADV|CAC_ADV"),
                )
            ],
            "role": [_row(role, t[f"{role}_met"], t[f"{role}_pop"]) for role in CERTIFIABLE if t[f"{role}_pop"]],
            "team": [_row(team, int(m), int(n), situation=situations.get(team)) for team, n, m in by_team],
            "situation": [_row(sit or "-", int(m), int(n)) for sit, n, m in by_situation],
        },
    )
