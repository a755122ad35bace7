"""Portable SQL helpers for SQLite and PostgreSQL."""

import sqlalchemy as sa
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.expression import ColumnElement


class json_list_has(ColumnElement):
    """`column` (a JSON list of strings) contains `value`. A closed-vocabulary value (roles,
    designations) is rendered as a literal so that PostgreSQL can keep one plan for every call."""

    type = sa.Boolean()
    inherit_cache = False

    def __init__(self, column, value: str):
        self.column = column
        self.value = value


def _literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


@compiles(json_list_has, "postgresql")
def _pg(element, compiler, **kw):
    # `?` on jsonb tests the array's top-level string elements.
    return f"(CAST({compiler.process(element.column, **kw)} AS JSONB) ? {_literal(element.value)})"


@compiles(json_list_has)
def _sqlite(element, compiler, **kw):
    column = compiler.process(element.column, **kw)
    return f"EXISTS (SELECT 1 FROM json_each({column}) AS je WHERE je.value = {_literal(element.value)})"


def as_int(condition) -> sa.ColumnElement:
    return sa.case((condition, 1), else_=0)


def count_if(condition) -> sa.ColumnElement:
    return sa.func.coalesce(sa.func.sum(as_int(condition)), 0)
