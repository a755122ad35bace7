"""Certification gaps per person and per team: the role-matrix requirements (store/role_matrix.py,
roles AND designations, union over roles) that a person does not meet on a date, or meets only
with records that expire within a window.

Statuses: `missing` (no satisfying record ever), `expired` (a satisfying record lapsed, §4 "lapsed"),
`revoked` (the only satisfying records were revoked), `not_yet_valid` (issued after the date),
`expiring` (met, but every satisfying record ends within the window).

The database judges everyone (SQLite and PostgreSQL alike, one statement): each record's status on
the day and end date packed into one integer, the best of them per person and requirement one MAX,
the requirements from the role matrix's rows as CASE expressions. Figures (how many people, per
requirement and status, per team) are GROUP BYs over that; only the people a page shows become
objects (gap_overview, gap_report with `limit`).
"""

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, replace
from datetime import timedelta

import sqlalchemy as sa
from pydantic import BaseModel, Field
from sqlmodel import Session, col

from models.tables import Briefing, Certification, Staff, table_of
from store.certifications import day_start, team_staff_query
from store.kpi.sqlfn import date_number
from store.register_cache import kept_for_register
from store.role_matrix import ANY_ADV_REQUIREMENT, AREAS, Level, requirement_name, requirements_for
from store.role_matrix_sql import requirement_levels

GAP_CITATION = "requirements.md §6.3 role matrix [D], §4 (expired counts as not held), format §8"


class Gap(BaseModel):
    requirement: str  # SGBC_BASIC, CAC_ADV, SGBC_BASIC|briefing, SGBC_ADV|CAC_ADV
    status: str
    expires: dt.date | None = None
    days_left: int | None = None


class PersonGaps(BaseModel):
    staff_id: str
    name: str | None
    teams: list[str] = Field(default_factory=list)
    roles: list[str] = Field(default_factory=list)
    designations: list[str] = Field(default_factory=list)
    required: list[str] = Field(default_factory=list)
    gaps: list[Gap] = Field(default_factory=list)


class RequirementGaps(BaseModel):
    requirement: str
    status: str
    people: int


class TeamGaps(BaseModel):
    team_id: str
    people: int  # of the team's staff, those with at least one gap


class GapFigures(BaseModel):
    """The report's figures, counted by the database: no person becomes an object for them."""

    people: int  # people with at least one gap
    by_requirement: list[RequirementGaps] = Field(default_factory=list)  # by requirement, then status
    by_team: list[TeamGaps] = Field(default_factory=list)  # by team id (of the teams in scope)


# The records that can satisfy each requirement (store/role_matrix.py): certificate kinds, and for
# the interpreter's row a briefing in that area (kind "briefing:<AREA>").
REQUIREMENT_KINDS: dict[str, tuple[str, ...]] = {
    **{f"{area}_ADV": (f"{area}_ADV",) for area in AREAS},
    **{f"{area}_BASIC": (f"{area}_BASIC", f"{area}_ADV") for area in AREAS},
    **{f"{area}_BASIC|briefing": (f"{area}_BASIC", f"{area}_ADV", f"briefing:{area}") for area in AREAS},
    ANY_ADV_REQUIREMENT: ("SGBC_ADV", "CAC_ADV"),
}

# A record's standing on the day, best first: the report names a requirement after the best any
# satisfying record has (valid with the last end date; else expired, not yet valid, revoked,
# undated, each with the last end date of those). An undated record counts as missing.
RANKS = {"valid": 5, "expired": 4, "not_yet_valid": 3, "revoked": 2, "undated": 1}
STATUS_OF_RANK = {5: "expiring", 4: "expired", 3: "not_yet_valid", 2: "revoked", 1: "missing"}
# key = rank * SPAN + YYYYMMDD of the end date (0 when undated): the MAX of the keys is the best
# status and, within it, the last end date. 5 * SPAN + 99991231 still fits a 32-bit integer.
SPAN = 100_000_000


def _kind_keys(on: dt.date, people: sa.Select | None) -> list[sa.Subquery]:
    """Per person, for each record kind (a column each): the best record's key. One GROUP BY per
    table (a UNION of both, grouped again by person, cost a sort of every record); `people`: only
    theirs."""
    c, b = table_of(Certification).c, table_of(Briefing).c

    def keys(staff_id, kind, kinds, issued, expires, revoked, name) -> sa.Subquery:
        # record_status (store/certifications.py) as SQL.
        rank = sa.case(
            (revoked, RANKS["revoked"]),
            (issued.is_(None) | expires.is_(None), RANKS["undated"]),
            (issued > on, RANKS["not_yet_valid"]),
            (expires >= on, RANKS["valid"]),
            else_=RANKS["expired"],
        )
        key = rank * SPAN + sa.func.coalesce(date_number(expires), 0)
        query = sa.select(
            staff_id.label("staff_id"),
            *(sa.func.max(sa.case((kind == value, key))).label(label) for label, value in kinds.items()),
        ).group_by(staff_id)
        return (query if people is None else query.where(staff_id.in_(people))).subquery(name)

    revoked = c.revoked_at.is_not(None) & (c.revoked_at < day_start(on + timedelta(days=1)))
    certs = {kind: kind for kind in sorted({k for ks in REQUIREMENT_KINDS.values() for k in ks}) if ":" not in kind}
    briefings = {f"briefing:{area}": area for area in AREAS}
    return [
        keys(c.staff_id, c.cert, certs, c.issued, c.expires, revoked, "cert_keys"),
        keys(b.staff_id, b.area, briefings, b.date, b.expires, sa.false(), "briefing_keys"),
    ]


def _greatest(*values: sa.ColumnElement) -> sa.ColumnElement:
    """The largest non-NULL value (NULL when all are): GREATEST on PostgreSQL, but SQLite's max()
    of several values is NULL when any is."""
    result = values[0]
    for value in values[1:]:
        result = sa.case((value.is_(None) | (result >= value), result), else_=value)
    return result


@dataclass(frozen=True)
class _Scope:
    """Whom a report covers: active staff, of these teams (None: everyone), or one person."""

    team_ids: list[str] | None = None
    staff_id: str | None = None
    ids: tuple[str, ...] | None = None  # and only these people (a page of a report)
    # Teams that hold most of the register: their records are read whole (_scope_of).
    most_of_register: bool = False

    def membership(self) -> sa.Subquery:
        return team_staff_query(self.team_ids).subquery("membership")

    def covers(self, staff) -> sa.ColumnElement[bool]:
        conditions = [staff.c.active.is_(True)]
        if self.team_ids is not None:
            conditions.append(staff.c.id.in_(sa.select(self.membership().c.staff_id)))
        if self.staff_id is not None:
            conditions.append(staff.c.id == self.staff_id)
        if self.ids is not None:
            conditions.append(staff.c.id.in_(self.ids))
        return sa.and_(*conditions)

    def people(self) -> sa.Select | None:
        """The people, for narrowing the records read; None for the whole register (reading every
        record in index order is cheaper than looking them up one person at a time)."""
        whole = self.team_ids is None or self.most_of_register
        if whole and self.staff_id is None and self.ids is None:
            return None
        staff = table_of(Staff)
        return sa.select(staff.c.id).where(self.covers(staff))


def _gap_rows(*, on: dt.date, window_end: dt.date, scope: _Scope, only_gaps: bool = True) -> sa.Select:
    """(staff_id, requirement, position, status, key) per person in scope and requirement they have a
    gap in (`only_gaps=False`: every requirement, status NULL when met beyond the window); `key`
    holds the end date (rank * SPAN + YYYYMMDD)."""
    staff = table_of(Staff)
    cert_keys, briefing_keys = _kind_keys(on, scope.people())
    kind_key = {
        column.name: column for keys in (cert_keys, briefing_keys) for column in keys.c if column.name != "staff_id"
    }
    levels = requirement_levels(staff.c.roles, staff.c.designations)
    # One row per person: the levels and the key of each requirement (the best of its kinds').
    person = (
        sa.select(
            staff.c.id.label("staff_id"),
            *(levels[area].label(f"level_{area}") for area in AREAS),
            levels["any_adv"].label("any_adv"),
            *(
                _greatest(*(kind_key[kind] for kind in kinds)).label(f"key_{n}")
                for n, kinds in enumerate(REQUIREMENT_KINDS.values())
            ),
        )
        .select_from(
            staff.outerjoin(cert_keys, cert_keys.c.staff_id == staff.c.id).outerjoin(
                briefing_keys, briefing_keys.c.staff_id == staff.c.id
            )
        )
        .where(scope.covers(staff))
        # MATERIALIZED (SQLite and PostgreSQL): once per person. Inlined, SQLite evaluated the role
        # tests again for each requirement and each reference to a level: several times slower.
        .cte("person")
        .prefix_with("MATERIALIZED")
    )
    p = person.c

    def key_of(requirement: str):
        return p[f"key_{list(REQUIREMENT_KINDS).index(requirement)}"]

    # Each person's requirements in the order of Requirements.required_certs: an area's requirement
    # (position 0 and 1), then one of the two ADV (2). A three-row table turns the columns into rows.
    slots = sa.union_all(*(sa.select(sa.literal(n).label("position")) for n in range(len(AREAS) + 1))).subquery("slots")
    requirement_cases, key_cases = [], []
    for n, area in enumerate(AREAS):
        level = p[f"level_{area}"]
        for lv in (Level.ADV, Level.BASIC, Level.BASIC_OR_BRIEFING):
            name = requirement_name(area, lv)
            requirement_cases.append(((slots.c.position == n) & (level == int(lv)), name))
            key_cases.append(((slots.c.position == n) & (level == int(lv)), key_of(name)))
    no_area_adv = sa.and_(*(p[f"level_{area}"] != int(Level.ADV) for area in AREAS))
    any_adv = (slots.c.position == len(AREAS)) & (p.any_adv == 1) & no_area_adv
    requirement_cases.append((any_adv, ANY_ADV_REQUIREMENT))
    key_cases.append((any_adv, key_of(ANY_ADV_REQUIREMENT)))
    requirement = sa.case(*requirement_cases)
    key = sa.case(*key_cases)
    rows = (
        sa.select(p.staff_id, requirement.label("requirement"), slots.c.position, key.label("key"))
        .select_from(person.join(slots, sa.true()))
        .subquery("requirements")
    )
    r = rows.c
    window_end_number = window_end.year * 10_000 + window_end.month * 100 + window_end.day
    met = (r.key >= RANKS["valid"] * SPAN) & (r.key % SPAN > window_end_number)
    status = sa.case(
        (r.key.is_(None), "missing"),
        (met, None),
        *((r.key < (rank + 1) * SPAN, STATUS_OF_RANK[rank]) for rank in sorted(STATUS_OF_RANK)),
    )
    query = sa.select(r.staff_id, r.requirement, r.position, status.label("status"), r.key).where(
        r.requirement.is_not(None)
    )
    if only_gaps:
        query = query.where(sa.or_(r.key.is_(None), sa.not_(met)))
    return query


def _scope_of(session: Session, team_id: str | None, team_ids: list[str] | None, staff_id: str | None) -> _Scope:
    scope = _Scope(team_ids=[team_id] if team_id is not None else team_ids, staff_id=staff_id)
    if scope.team_ids is None or staff_id is not None:
        return scope
    # Looking records up one person at a time pays for a few teams; for a Deputy Prosecutor's
    # cluster that holds most of a 50,000-person register it cost twice reading them all (on
    # PostgreSQL, a sort of every record spilled to disk).
    members = sa.select(sa.func.count(sa.distinct(scope.membership().c.staff_id)))
    active = sa.select(sa.func.count()).select_from(Staff).where(col(Staff.active))
    in_teams, everyone = session.execute(sa.select(members.scalar_subquery(), active.scalar_subquery())).one()
    return replace(scope, most_of_register=in_teams * 4 > everyone)


def gap_figures(
    *,
    session: Session,
    on: dt.date,
    team_id: str | None = None,
    team_ids: list[str] | None = None,
    staff_id: str | None = None,
    expiring_within: int = 90,
) -> GapFigures:
    """How many people have gaps, per requirement and status, and per team (of the teams in scope:
    a person in two teams counts in both): GROUP BYs over the report's query, in one statement."""
    scope = _scope_of(session, team_id, team_ids, staff_id)
    return _figures(session, on=on, window_end=on + timedelta(days=expiring_within), scope=scope)[0]


def gap_overview(
    *,
    session: Session,
    on: dt.date,
    team_ids: list[str] | None = None,
    expiring_within: int = 90,
    limit: int,
    offset: int = 0,
) -> tuple[GapFigures, list[PersonGaps]]:
    """What a page shows: the figures, and one page of the people with gaps (as gap_report with
    `limit`), the register judged once: the page's people are picked in the figures' statement,
    then only their records are read again. Kept until the register changes (every dashboard
    shows it; store/register_cache.py): the caller gets its own copy."""
    window_end = on + timedelta(days=expiring_within)

    def work_out() -> tuple[GapFigures, list[PersonGaps]]:
        scope = _scope_of(session, None, team_ids, None)
        figures, page = _figures(session, on=on, window_end=window_end, scope=scope, page=(limit, offset))
        if not page:
            return figures, []
        rows = _gap_rows(on=on, window_end=window_end, scope=replace(scope, ids=tuple(page)))
        return figures, _report(session, on, scope, rows)

    key = ("gap_overview", on, window_end, None if team_ids is None else tuple(sorted(team_ids)), limit, offset)
    figures, people = kept_for_register(session, key, work_out)
    return figures.model_copy(deep=True), [person.model_copy(deep=True) for person in people]


def _figures(
    session: Session, *, on: dt.date, window_end: dt.date, scope: _Scope, page: tuple[int, int] | None = None
) -> tuple[GapFigures, list[str]]:
    """The figures and (`page`: limit, offset) the ids of a page of the people with gaps."""
    # A CTE read several times, materialised: the register is judged once, where one statement per
    # figure would each judge it again.
    gaps = _gap_rows(on=on, window_end=window_end, scope=scope).cte("gaps").prefix_with("MATERIALIZED")
    membership = scope.membership()
    pairs = sa.select(membership.c.team_id, membership.c.staff_id).distinct().subquery("pairs")
    parts = [
        sa.select(
            sa.literal("people").label("part"),
            sa.null().label("key"),
            sa.null().label("status"),
            sa.func.count(sa.distinct(gaps.c.staff_id)).label("n"),
        ),
        sa.select(sa.literal("requirement"), gaps.c.requirement, gaps.c.status, sa.func.count()).group_by(
            gaps.c.requirement, gaps.c.status
        ),
        # IN, not a join of two derived tables: SQLite indexes an IN list, where it scanned one
        # table per row of the other (seconds for a team of 5,000).
        sa.select(sa.literal("team"), pairs.c.team_id, sa.null(), sa.func.count())
        .where(pairs.c.staff_id.in_(sa.select(gaps.c.staff_id)))
        .group_by(pairs.c.team_id),
    ]
    if page is not None:
        limit, offset = page
        ids = (
            sa.select(gaps.c.staff_id).distinct().order_by(gaps.c.staff_id).limit(limit).offset(offset).subquery("ids")
        )
        parts.append(sa.select(sa.literal("page"), ids.c.staff_id, sa.null(), sa.null()))
    figures, ids_of_page = GapFigures(people=0), []
    for part, key, status, count in session.execute(sa.union_all(*parts)):
        if part == "people":
            figures.people = count
        elif part == "requirement":
            figures.by_requirement.append(RequirementGaps(requirement=key, status=status, people=count))
        elif part == "team":
            figures.by_team.append(TeamGaps(team_id=key, people=count))
        else:
            ids_of_page.append(key)
    figures.by_requirement.sort(key=lambda row: (row.requirement, row.status))
    figures.by_team.sort(key=lambda row: row.team_id)
    return figures, sorted(ids_of_page)


def count_people(
    *,
    session: Session,
    on: dt.date,
    team_id: str | None = None,
    team_ids: list[str] | None = None,
    staff_id: str | None = None,
    expiring_within: int = 90,
    only_with_gaps: bool = True,
) -> int:
    """How many people gap_report lists (without `limit`), counted by the database."""
    scope = _scope_of(session, team_id, team_ids, staff_id)
    rows = _gap_rows(
        on=on, window_end=on + timedelta(days=expiring_within), scope=scope, only_gaps=only_with_gaps
    ).subquery("listed")
    return session.execute(sa.select(sa.func.count(sa.distinct(rows.c.staff_id)))).scalar_one()


def gap_report(
    *,
    session: Session,
    on: dt.date,
    team_id: str | None = None,
    staff_id: str | None = None,
    expiring_within: int = 90,
    only_with_gaps: bool = True,
    team_ids: list[str] | None = None,
    limit: int | None = None,
    offset: int = 0,
) -> list[PersonGaps]:
    """The people with gaps (`only_with_gaps=False`: everyone with a requirement), by staff id; with
    `limit`, one page of them from `offset`. `team_id` or `team_ids`: only these teams' staff (each
    person once, with their teams among these). The database judges everyone and picks the page;
    only the page's people become objects (gap_figures counts them all)."""
    scope = _scope_of(session, team_id, team_ids, staff_id)
    window_end = on + timedelta(days=expiring_within)
    rows = _gap_rows(on=on, window_end=window_end, scope=scope, only_gaps=only_with_gaps)
    if limit is not None:
        # One statement: the report's rows materialised once, the page's people picked from them.
        listed = rows.cte("listed").prefix_with("MATERIALIZED")
        page = sa.select(listed.c.staff_id).distinct().order_by(listed.c.staff_id).limit(limit).offset(offset)
        rows = sa.select(listed).where(listed.c.staff_id.in_(page))
    return _report(session, on, scope, rows)


def _report(session: Session, on: dt.date, scope: _Scope, rows: sa.Select) -> list[PersonGaps]:
    """The report entries of the people of `rows` (_gap_rows), by staff id."""
    found: dict[str, list[tuple[int, Gap | None]]] = defaultdict(list)
    for person, requirement, position, status, key in session.execute(rows):
        gap = None
        if status is not None:
            expires = _end_date(key)
            # model_construct: the values are the database's and ours, already typed; validating
            # thousands of small models was a third of the report's time.
            gap = Gap.model_construct(
                requirement=requirement,
                status=status,
                expires=expires,
                days_left=(expires - on).days if expires else None,
            )
        found[person].append((position, gap))
    return _people(session, scope, found)


def _end_date(key: int | None) -> dt.date | None:
    number = (key or 0) % SPAN
    return dt.date(number // 10_000, number // 100 % 100, number % 100) if number else None


def _people(session: Session, scope: _Scope, found: dict[str, list[tuple[int, Gap | None]]]) -> list[PersonGaps]:
    """The people of `found` as report entries, by staff id, with their teams among the scope's."""
    ids = sorted(found)
    membership = scope.membership()
    teams_of: dict[str, set[str]] = defaultdict(set)
    staff = {}
    people = sa.select(col(Staff.id), col(Staff.name), col(Staff.roles), col(Staff.designations))
    # A page's people by IN lists; a whole report's through the scope itself (tens of thousands of
    # ids would be that many parameters).
    selections: list[tuple[sa.ColumnElement[bool], sa.ColumnElement[bool]]]
    if len(ids) > 1000:
        selections = [(sa.true(), scope.covers(table_of(Staff)))]
    else:
        selections = [(membership.c.staff_id.in_(ids), col(Staff.id).in_(ids))]
    for members_of, staff_of in selections:
        for t_id, s_id in session.execute(sa.select(membership.c.team_id, membership.c.staff_id).where(members_of)):
            teams_of[s_id].add(t_id)
        for row in session.execute(people.where(staff_of)):
            staff[row.id] = row
    requirements: dict[tuple, list[str]] = {}
    report = []
    for person_id in ids:
        person = staff[person_id]  # in scope: every id of `found` is
        combination = (tuple(person.roles), tuple(person.designations))
        if combination not in requirements:
            requirements[combination] = requirements_for(person.roles, person.designations).required_certs()
        report.append(
            PersonGaps.model_construct(
                staff_id=person.id,
                name=person.name,
                teams=sorted(teams_of.get(person.id, set())),
                roles=list(person.roles),
                designations=list(person.designations),
                required=list(requirements[combination]),
                gaps=[gap for _, gap in sorted(found[person_id], key=lambda entry: entry[0]) if gap is not None],
            )
        )
    return report
