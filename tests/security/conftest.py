from tests.dbutil import db_url, engine, fresh_engine, template_databases  # noqa: F401  (pytest fixtures)
