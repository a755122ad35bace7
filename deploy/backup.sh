#!/bin/sh
# Logical backups of the three databases (gcu_review, temporal, temporal_visibility) with pg_dump
# custom format, one folder per run, then removal of runs older than BACKUP_KEEP_DAYS.
# Run with `docker-compose run --rm backup`, or from cron on the host. Restore: docs/production.md.
# Needs PGHOST, PGUSER, PGPASSWORD (or a ~/.pgpass) of a role that may read all three databases.
set -eu

BACKUP_DIR="${BACKUP_DIR:-/backups}"
KEEP_DAYS="${BACKUP_KEEP_DAYS:-14}"
DATABASES="${BACKUP_DATABASES:-gcu_review temporal temporal_visibility}"

stamp="$(date -u +%Y%m%dT%H%M%SZ)"
target="$BACKUP_DIR/$stamp"
partial="$target.partial"
umask 077
mkdir -p "$partial"

for db in $DATABASES; do
  pg_dump --format=custom --compress=6 --no-password --dbname="$db" --file="$partial/$db.dump"
  # A dump that pg_restore cannot list is not a backup.
  pg_restore --list "$partial/$db.dump" >/dev/null
  echo "backup: $db -> $target/$db.dump ($(wc -c <"$partial/$db.dump") bytes)"
done
(cd "$partial" && sha256sum ./*.dump >SHA256SUMS)
# Renamed only once complete, so a failed run never looks like a backup.
mv "$partial" "$target"

# Keep the newest run whatever its age; drop older complete runs past the retention period.
find "$BACKUP_DIR" -mindepth 1 -maxdepth 1 -type d -name '*Z' -mtime +"$KEEP_DAYS" ! -name "$stamp" \
  -exec rm -rf {} +
find "$BACKUP_DIR" -mindepth 1 -maxdepth 1 -type d -name '*.partial' -mtime +1 -exec rm -rf {} +
echo "backup: done ($target)"
