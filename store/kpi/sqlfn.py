"""Portable SQL helpers for SQLite and PostgreSQL."""

import sqlalchemy as sa


def json_list_has(column, value: str) -> sa.ColumnElement[bool]:
    """`column` (a JSON list of strings) has the element `value`, for closed-vocabulary values
    (roles, designations). A text match on `"value"` (quotes included) is exact for string
    elements, since a quote inside an element is escaped; it is portable, and on PostgreSQL several
    times cheaper than parsing every row as jsonb."""
    if '"' in value or "\\" in value or "%" in value or "_" in value.replace("_", ""):
        raise ValueError(f"not a closed-vocabulary value: {value!r}")
    return sa.cast(column, sa.Text).contains(f'"{value}"', autoescape=True)


def as_int(condition) -> sa.ColumnElement:
    return sa.case((condition, 1), else_=0)


def count_if(condition) -> sa.ColumnElement:
    return sa.func.coalesce(sa.func.sum(as_int(condition)), 0)
