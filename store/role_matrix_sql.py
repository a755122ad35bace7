"""The role matrix (store/role_matrix.py) as SQL: the one translation of its rows that KPI 12
(store/kpi/kpi12.py) and the gap report (store/cert_gaps.py) both judge with."""

import sqlalchemy as sa

from store.kpi.sqlfn import json_list_has
from store.role_matrix import AREAS, ROLE_MATRIX, Level, MatrixRow

# The roles with a row in the matrix: a person with none of them has no requirement.
CERTIFIABLE = sorted({row.role.value for row in ROLE_MATRIX})


def requirement_levels(roles, designations) -> dict[str, sa.ColumnElement]:
    """From a JSON list of roles and one of designations (columns): each area's level (`SGBC`,
    `CAC`: the highest any applicable row asks for, the union over roles) and `any_adv` (1 when one
    of the two ADV is required, else 0)."""

    def applies(row: MatrixRow) -> sa.ColumnElement[bool]:
        condition = json_list_has(roles, row.role.value)
        if row.designation is not None:
            condition = sa.and_(condition, json_list_has(designations, row.designation.value))
        return condition

    levels: dict[str, sa.ColumnElement] = {}
    for area in AREAS:
        whens = [
            (sa.or_(*(applies(r) for r in rows)), int(level))
            for level in (Level.ADV, Level.BASIC, Level.BASIC_OR_BRIEFING)
            if (rows := [r for r in ROLE_MATRIX if r.level(area) == level])
        ]
        levels[area] = sa.case(*whens, else_=int(Level.NONE))
    levels["any_adv"] = sa.case((sa.or_(*(applies(r) for r in ROLE_MATRIX if r.any_adv)), 1), else_=0)
    return levels
