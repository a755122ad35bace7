"""KPI 12: percentage of relevant staff certified (requirements.md §7.3 [D]).

Reporting date d = the period's last day. Population: active staff whose roles have at least one
required entry in the role matrix (§6.3). Numerator: those who meet every requirement of their
roles and designations (union over roles) with records valid on d: ADV satisfies BASIC of the same
area, briefings count only where the matrix allows it (interpreter, intermediary), an expired or
revoked certificate is not held.

One statement judges the register for one or several reporting dates (the dashboard's trend asks
for four): the matrix rows become SQL CASE expressions (store/role_matrix_sql.py, as for the gap
report) evaluated once per distinct (roles, designations) pair; each person's holdings on every date are one GROUP BY over valid certificates
and briefings; each person's standing on each date is computed once (a materialised CTE) and every
figure is a SUM over it. Reported separately: basic level, advanced level, SGBC and CAC areas, per
certification, per role, per team and situation (team staff, format §9.1; a person in two teams
counts in both, once in a situation). The focal point's "one of the two ADV" belongs to the
advanced level and to neither area.
"""

import datetime as dt
from collections.abc import Sequence

import sqlalchemy as sa
from sqlmodel import Session, col

from models.tables import Briefing, Certification, Staff, Team
from store.certifications import briefing_valid_on, cert_valid_on, team_staff_query
from store.kpi.config import Kpi12Config
from store.kpi.periods import Period
from store.kpi.result import BreakdownRow, KpiResult, ratio, scope_of, status_of
from store.kpi.sqlfn import json_list_has
from store.register_cache import kept_for_register
from store.role_matrix import AREAS, Level
from store.role_matrix_sql import CERTIFIABLE, requirement_levels

ADV, BASIC, BASIC_OR_BRIEFING = int(Level.ADV), int(Level.BASIC), int(Level.BASIC_OR_BRIEFING)
# The kinds of rows of the one statement (see _statement).
TOTALS, TEAM, SITUATION = 0, 1, 2


def _holding_flags(dates: Sequence[dt.date]) -> sa.Subquery:
    """Per person with a record valid on one of `dates`: for date i, `{area}_basic_{i}` (a valid
    BASIC or ADV certificate) and `{area}_adv_{i}` (0/1). The kind is tested before the dates, so
    that a record's validity is worked out only for the flags its kind can raise; the WHERE keeps
    the records that overlap the dates at all (a record valid on one of them does)."""
    flags = []
    for i, on in enumerate(dates):
        for area in AREAS:
            basic = col(Certification.cert).in_([f"{area}_BASIC", f"{area}_ADV"])
            flags.append(
                sa.func.max(sa.case((basic & cert_valid_on(on), 1), else_=0)).label(f"{area.lower()}_basic_{i}")
            )
            adv = col(Certification.cert) == f"{area}_ADV"
            flags.append(sa.func.max(sa.case((adv & cert_valid_on(on), 1), else_=0)).label(f"{area.lower()}_adv_{i}"))
    return (
        sa.select(col(Certification.staff_id), *flags)
        .where(col(Certification.issued) <= max(dates), col(Certification.expires) >= min(dates))
        .group_by(Certification.staff_id)
        .subquery("held")
    )


def _briefing_flags(dates: Sequence[dt.date]) -> sa.Subquery:
    """Per person, for date i, `{area}_brief_{i}`: a briefing valid on that date (0/1)."""
    flags = [
        sa.func.max(sa.case(((col(Briefing.area) == area) & briefing_valid_on(on), 1), else_=0)).label(
            f"{area.lower()}_brief_{i}"
        )
        for i, on in enumerate(dates)
        for area in AREAS
    ]
    return (
        sa.select(col(Briefing.staff_id), *flags)
        .where(col(Briefing.date) <= max(dates), col(Briefing.expires) >= min(dates))
        .group_by(Briefing.staff_id)
        .subquery("briefed")
    )


def _requirements() -> sa.CTE:
    """Per distinct (roles, designations) of active staff with a certifiable role: a flag per role,
    each area's level and whether one of the two ADV is required. A few thousand pairs at most, where
    evaluating the matrix per person would test every role of 50,000 people several times."""
    roles, designations = sa.cast(Staff.roles, sa.Text), sa.cast(Staff.designations, sa.Text)
    pairs = (
        sa.select(roles.label("roles"), designations.label("designations"))
        .where(col(Staff.active))
        .distinct()
        .subquery("pairs")
    )
    levels = requirement_levels(pairs.c.roles, pairs.c.designations)
    has_role = {role: json_list_has(pairs.c.roles, role) for role in CERTIFIABLE}
    return (
        sa.select(
            pairs.c.roles,
            pairs.c.designations,
            *[sa.case((has_role[role], 1), else_=0).label(f"r_{role}") for role in CERTIFIABLE],
            *[levels[area].label(f"{area.lower()}_level") for area in AREAS],
            levels["any_adv"].label("any_adv_req"),
        )
        .where(sa.or_(*has_role.values()))
        .cte("requirements")
        .prefix_with("MATERIALIZED")
    )


def _people(dates: Sequence[dt.date], staff_filter) -> sa.CTE:
    """Per certifiable active person: the role flags, the levels, and for each date i what is met
    (0/1 columns suffixed `_i`). Materialised: each figure below is then a sum of 0/1 columns."""
    req, held, briefed = _requirements(), _holding_flags(dates), _briefing_flags(dates)

    def has(table, name: str) -> sa.ColumnElement[bool]:
        return sa.func.coalesce(table.c[name], 0) == 1

    def is_(condition) -> sa.ColumnElement[int]:
        return sa.case((condition, 1), else_=0)

    level = {area: req.c[f"{area.lower()}_level"] for area in AREAS}
    any_adv_req = req.c.any_adv_req == 1
    standing = []
    for i in range(len(dates)):
        area_met, basic_met, adv_held = {}, {}, {}
        for area in AREAS:
            a = area.lower()
            basic, adv = has(held, f"{a}_basic_{i}"), has(held, f"{a}_adv_{i}")
            brief = has(briefed, f"{a}_brief_{i}")
            area_met[area] = sa.case(
                (level[area] == ADV, adv),
                (level[area] == BASIC, basic),
                (level[area] == BASIC_OR_BRIEFING, sa.or_(basic, brief)),
                else_=sa.true(),
            )
            basic_met[area] = sa.case(
                (level[area] == BASIC_OR_BRIEFING, sa.or_(basic, brief)),
                (level[area] > int(Level.NONE), basic),
                else_=sa.true(),
            )
            adv_held[area] = adv
        any_adv_ok = sa.or_(sa.not_(any_adv_req), *adv_held.values())
        standing += [
            *[is_(area_met[area]).label(f"{area.lower()}_met_{i}") for area in AREAS],
            is_(sa.or_(*adv_held.values())).label(f"adv_held_{i}"),
            is_(sa.and_(*area_met.values(), any_adv_ok)).label(f"all_met_{i}"),
            is_(sa.and_(*basic_met.values())).label(f"basic_met_{i}"),
            is_(sa.and_(*[sa.or_(level[a] != ADV, adv_held[a]) for a in AREAS], any_adv_ok)).label(f"adv_met_{i}"),
        ]
    query = (
        sa.select(
            col(Staff.id).label("staff_id"),
            *[c for c in req.c if c.name not in ("roles", "designations")],
            *standing,
        )
        .select_from(Staff)
        .join(
            req,
            sa.and_(
                sa.cast(Staff.roles, sa.Text) == req.c.roles,
                sa.cast(Staff.designations, sa.Text) == req.c.designations,
            ),
        )
        .outerjoin(held, held.c.staff_id == Staff.id)
        .outerjoin(briefed, briefed.c.staff_id == Staff.id)
        .where(col(Staff.active))
    )
    if staff_filter is not None:
        query = query.where(staff_filter)
    return query.cte("people").prefix_with("MATERIALIZED")


def _count(*conditions) -> sa.ColumnElement:
    return sa.func.coalesce(sa.func.sum(sa.case((sa.and_(*conditions), 1), else_=0)), 0)


def _totals(p: sa.CTE, dates: Sequence[dt.date]) -> list[sa.Label]:
    """The figures: populations once (they do not depend on the date), what is met per date `_i`."""
    yes = lambda name: p.c[name] == 1  # noqa: E731
    level = {area: p.c[f"{area.lower()}_level"] for area in AREAS}
    basic_req = {area: sa.and_(level[area] >= BASIC_OR_BRIEFING, level[area] <= BASIC) for area in AREAS}
    adv_required = sa.or_(*[level[area] == ADV for area in AREAS], yes("any_adv_req"))
    any_adv = sa.and_(yes("any_adv_req"), *[level[area] != ADV for area in AREAS])
    columns = [
        sa.func.count().label("population"),
        _count(adv_required).label("adv_population"),
        _count(any_adv).label("ANY_ADV_pop"),
    ]
    for area in AREAS:
        columns += [
            _count(level[area] > 0).label(f"{area}_population"),
            _count(basic_req[area]).label(f"{area}_BASIC_pop"),
            _count(level[area] == ADV).label(f"{area}_ADV_pop"),
        ]
    columns += [_count(yes(f"r_{role}")).label(f"{role}_pop") for role in CERTIFIABLE]
    for i in range(len(dates)):
        columns += [
            sa.func.sum(p.c[f"all_met_{i}"]).label(f"certified_{i}"),
            sa.func.sum(p.c[f"basic_met_{i}"]).label(f"basic_met_{i}"),
            _count(adv_required, yes(f"adv_met_{i}")).label(f"adv_met_{i}"),
            _count(any_adv, yes(f"adv_held_{i}")).label(f"ANY_ADV_met_{i}"),
        ]
        for area in AREAS:
            met = yes(f"{area.lower()}_met_{i}")
            columns += [
                _count(level[area] > 0, met).label(f"{area}_met_{i}"),
                _count(basic_req[area], met).label(f"{area}_BASIC_met_{i}"),
                _count(level[area] == ADV, met).label(f"{area}_ADV_met_{i}"),
            ]
        columns += [_count(yes(f"r_{role}"), yes(f"all_met_{i}")).label(f"{role}_met_{i}") for role in CERTIFIABLE]
    return columns


def _statement(dates: Sequence[dt.date], membership: sa.Subquery, staff_filter) -> sa.CompoundSelect:
    """One statement: a row of totals (kind TOTALS), and a row per team (TEAM) and per situation
    (SITUATION) with its population and, per date `_i`, how many are certified. The rows share
    the totals' columns (the others NULL) so that the register is judged once."""
    p = _people(dates, staff_filter)
    totals = _totals(p, dates)
    names = [c.name for c in totals]

    def kind(k: int) -> sa.Label:
        return sa.literal_column(str(k)).label("kind")

    def per(k: int, key: sa.ColumnElement, members: sa.Subquery) -> sa.Select:
        figures: dict[str, sa.ColumnElement] = {"population": sa.func.count()}
        figures |= {f"certified_{i}": sa.func.sum(p.c[f"all_met_{i}"]) for i in range(len(dates))}
        columns = [figures.get(name, sa.cast(sa.null(), sa.BigInteger)).label(name) for name in names]
        return (
            sa.select(kind(k), key.label("key"), *columns)
            .select_from(p.join(members, members.c.staff_id == p.c.staff_id))
            .group_by(key)
        )

    team_staff = sa.select(membership.c.team_id, membership.c.staff_id).distinct().subquery("team_staff")
    situation_staff = (
        sa.select(col(Team.situation).label("situation"), membership.c.staff_id)
        .join(Team, col(Team.id) == membership.c.team_id)
        .distinct()
        .subquery("situation_staff")
    )
    return sa.union_all(
        sa.select(kind(TOTALS), sa.cast(sa.null(), sa.Text).label("key"), *totals),
        per(TEAM, team_staff.c.team_id, team_staff),
        per(SITUATION, situation_staff.c.situation, situation_staff),
    )


def _row(key: str, met: int, pop: int, **extra) -> BreakdownRow:
    return BreakdownRow(key=key, numerator=met, denominator=pop, value=ratio(met, pop), extra=extra)


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
    (result,) = compute_kpi12_periods(
        session=session, periods=[period], config=config, team_id=team_id, situation=situation, as_of=as_of
    )
    return result


def compute_kpi12_periods(
    *,
    session: Session,
    periods: Sequence[Period],
    config: Kpi12Config | None = None,
    team_id: str | None = None,
    situation: str | None = None,
    as_of=None,
) -> list[KpiResult]:
    """KPI 12 for each of `periods` (as compute_kpi12), the register judged in one statement. The
    figures depend on the register, the dates and the scope only: they are kept until the register
    changes (store/register_cache.py)."""
    config = config or Kpi12Config()
    dates = tuple(min(period.end, as_of) if as_of else period.end for period in periods)
    totals, teams, situations_of_staff, situations = kept_for_register(
        session, ("kpi12", dates, team_id, situation), lambda: _judge(session, dates, team_id, situation)
    )
    return [
        _result(
            period,
            on,
            config,
            scope_of(team_id, situation),
            _on_date(totals, i),
            [(key, *_pair(_on_date(values, i))) for key, values in teams],
            [(key, *_pair(_on_date(values, i))) for key, values in situations_of_staff],
            situations,
        )
        for i, (period, on) in enumerate(zip(periods, dates, strict=True))
    ]


_Figures = tuple[dict, list[tuple], list[tuple], dict]


def _judge(session: Session, dates: Sequence[dt.date], team_id: str | None, situation: str | None) -> _Figures:
    """The statement's rows: the totals, the team rows, the situation rows (each sorted), and each
    team's situation."""
    membership = team_staff_query([team_id] if team_id else None, situation).subquery("membership")
    staff_filter = None
    if team_id is not None or situation is not None:
        staff_filter = col(Staff.id).in_(sa.select(membership.c.staff_id))
    totals: dict = {}
    per: dict[int, list[tuple]] = {TEAM: [], SITUATION: []}
    for row in session.execute(_statement(dates, membership, staff_filter)).mappings():
        values = {name: value for name, value in row.items() if name not in ("kind", "key")}
        if row["kind"] == TOTALS:
            totals = values
        else:
            per[row["kind"]].append((row["key"], values))
    situations = {team: sit for team, sit in session.execute(sa.select(col(Team.id), col(Team.situation)))}
    return (
        totals,
        sorted(per[TEAM], key=lambda r: r[0]),
        sorted(per[SITUATION], key=lambda r: (r[0] is None, r[0] or "")),
        situations,
    )


def _on_date(figures: dict, i: int) -> dict[str, int]:
    """The figures of date i under their plain names: `certified_2` is date 2's `certified`; the
    populations (no suffix) are the same on every date. NULL (a sum over nobody) is 0."""
    out = {}
    for name, value in figures.items():
        head, _, tail = name.rpartition("_")
        if not tail.isdigit():
            out[name] = int(value or 0)
        elif int(tail) == i:
            out[head] = int(value or 0)
    return out


def _pair(figures: dict[str, int]) -> tuple[int, int]:
    return figures["population"], figures["certified"]


def _result(period, on, config, scope, t, by_team, by_situation, situations) -> KpiResult:
    def n(name: str) -> int:
        return t.get(name, 0)  # no certifiable staff on that date: every count is 0

    population, certified = n("population"), n("certified")
    value = ratio(certified, population)
    return KpiResult(
        kpi="12",
        title=config.title,
        citation=config.citation,
        period=period,
        scope=scope,
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
            "level": [_row("basic", n("basic_met"), population), _row("advanced", n("adv_met"), n("adv_population"))],
            "area": [_row(area, n(f"{area}_met"), n(f"{area}_population")) for area in AREAS],
            "certification": [
                _row(label, n(f"{key}_met"), n(f"{key}_pop"))
                for key, label in (
                    ("SGBC_BASIC", "SGBC_BASIC"),
                    ("SGBC_ADV", "SGBC_ADV"),
                    ("CAC_BASIC", "CAC_BASIC"),
                    ("CAC_ADV", "CAC_ADV"),
                    ("ANY_ADV", "SGBC_ADV|CAC_ADV"),
                )
            ],
            "role": [_row(role, n(f"{role}_met"), n(f"{role}_pop")) for role in CERTIFIABLE if n(f"{role}_pop")],
            "team": [_row(team, met, pop, situation=situations.get(team)) for team, pop, met in by_team],
            "situation": [_row(sit or "-", met, pop) for sit, pop, met in by_situation],
        },
    )
