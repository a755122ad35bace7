"""Fault tests: real worker processes, real servers, real databases (see harness.py)."""

from tests.dbutil import database_kinds, fresh_database  # noqa: F401
