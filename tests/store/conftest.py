from tests.dbutil import db_url, engine, fresh_engine  # noqa: F401  (pytest fixtures)
