#!/bin/sh
# Create (first run) or upgrade (after a Temporal version change) the Temporal persistence and
# visibility schemas on PostgreSQL, with the temporal-sql-tool of the admin-tools image whose version
# matches the server's. Safe to run on every start: existing databases are kept and only pending
# schema versions are applied. The password comes from SQL_PASSWORD (never on the command line).
set -eu

: "${SQL_PASSWORD:?SQL_PASSWORD (the temporal role's password) is required}"
HOST="${SQL_HOST:-postgres}"
PORT="${SQL_PORT:-5432}"
USER="${SQL_USER:-temporal}"
PLUGIN="${SQL_PLUGIN:-postgres12}"
SCHEMA_DIR="${TEMPORAL_SCHEMA_DIR:-/etc/temporal/schema/postgresql/v12}"

tool() {
  temporal-sql-tool --plugin "$PLUGIN" --ep "$HOST" -p "$PORT" -u "$USER" "$@"
}

for pair in "temporal:temporal" "temporal_visibility:visibility"; do
  db="${pair%%:*}"
  kind="${pair##*:}"
  echo "temporal-schema: database $db"
  # `create` fails when the database exists; any other failure shows up in setup-schema below.
  tool --db "$db" create 2>/dev/null || echo "  $db exists"
  tool --db "$db" setup-schema -v 0.0
  tool --db "$db" update-schema -d "$SCHEMA_DIR/$kind/versioned"
done
echo "temporal-schema: done"
