"""Portable SQL helpers for SQLite and PostgreSQL."""

import sqlalchemy as sa
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement


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


class date_number(FunctionElement):
    """A date as the integer YYYYMMDD (NULL stays NULL), so dates can be packed into integer keys and
    compared as numbers: SQLite stores dates as ISO text, PostgreSQL formats them."""

    type = sa.Integer()
    inherit_cache = True


@compiles(date_number, "sqlite")
def _date_number_sqlite(element, compiler, **kw):
    return f"CAST(REPLACE({compiler.process(element.clauses, **kw)}, '-', '') AS INTEGER)"


@compiles(date_number, "postgresql")
def _date_number_postgresql(element, compiler, **kw):
    return f"CAST(to_char({compiler.process(element.clauses, **kw)}, 'YYYYMMDD') AS INTEGER)"
