#!/bin/sh
# Runs once, when the PostgreSQL data volume is created (docker-entrypoint-initdb.d). Three roles:
#   gcu_owner  owns the gcu_review database and its schema; used only by the migration job.
#   gcu_app    the worker and the web app: read and write rows, nothing else. Not being the owner,
#              it cannot drop or disable the triggers that keep audit_event append-only, nor TRUNCATE.
#   temporal   creates and owns the Temporal databases (temporal, temporal_visibility).
# Role and database names can be changed with GCU_OWNER_ROLE, GCU_APP_ROLE, TEMPORAL_ROLE, GCU_DB.
set -eu

: "${GCU_OWNER_DB_PASSWORD:?}"
: "${GCU_APP_DB_PASSWORD:?}"
: "${TEMPORAL_DB_PASSWORD:?}"

psql -v ON_ERROR_STOP=1 --no-psqlrc --username "${POSTGRES_USER:-postgres}" --dbname postgres \
  -v owner="${GCU_OWNER_ROLE:-gcu_owner}" -v app="${GCU_APP_ROLE:-gcu_app}" \
  -v temporal="${TEMPORAL_ROLE:-temporal}" -v db="${GCU_DB:-gcu_review}" \
  -v owner_pw="$GCU_OWNER_DB_PASSWORD" -v app_pw="$GCU_APP_DB_PASSWORD" -v temporal_pw="$TEMPORAL_DB_PASSWORD" <<'SQL'
SET password_encryption = 'scram-sha-256';
CREATE ROLE :"owner" LOGIN PASSWORD :'owner_pw';
CREATE ROLE :"app" LOGIN PASSWORD :'app_pw';
CREATE ROLE :"temporal" LOGIN CREATEDB PASSWORD :'temporal_pw';
CREATE DATABASE :"db" OWNER :"owner";
REVOKE ALL ON DATABASE :"db" FROM PUBLIC;
GRANT CONNECT, TEMPORARY ON DATABASE :"db" TO :"app";
\connect :"db"
ALTER SCHEMA public OWNER TO :"owner";
REVOKE ALL ON SCHEMA public FROM PUBLIC;
GRANT USAGE ON SCHEMA public TO :"app";
-- Tables and sequences the migrations create later (as the owner) are usable by the app role.
ALTER DEFAULT PRIVILEGES FOR ROLE :"owner" IN SCHEMA public
  GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO :"app";
ALTER DEFAULT PRIVILEGES FOR ROLE :"owner" IN SCHEMA public
  GRANT USAGE, SELECT ON SEQUENCES TO :"app";
SQL
echo "init-roles: roles and database ${GCU_DB:-gcu_review} created"
