"""A generated certification register for benches and equivalence tests: people with every mix of
roles and designations of the role matrix, and records in every state a gap can come from (valid,
expiring within the window, lapsed, not yet valid, revoked before or after the day, undated), both
certificates and briefings, several per kind for some people. Deterministic for a given seed."""

from __future__ import annotations

import json
import random
from datetime import UTC, date, datetime, timedelta

import sqlalchemy as sa

ROLES = (
    "investigator",
    "analyst",
    "trial_lawyer",
    "team_leader",
    "focal_point",
    "interpreter",
    "intermediary",
    "note_taker",
    "gcu_reviewer",
)
DESIGNATIONS = ("interviews_sgbc_survivors", "interviews_children")
CERTS = ("SGBC_BASIC", "SGBC_ADV", "CAC_BASIC", "CAC_ADV")
AREAS = ("SGBC", "CAC")


def _dates(rng: random.Random, on: date) -> tuple[date | None, date | None]:
    shape = rng.choice(("valid", "valid", "expiring", "expired", "future", "undated_issue", "undated_end", "edge"))
    if shape == "valid":
        return on - timedelta(days=rng.randint(1, 700)), on + timedelta(days=rng.randint(91, 900))
    if shape == "expiring":
        return on - timedelta(days=rng.randint(1, 700)), on + timedelta(days=rng.randint(0, 90))
    if shape == "expired":
        return on - timedelta(days=rng.randint(400, 1500)), on - timedelta(days=rng.randint(1, 300))
    if shape == "future":
        return on + timedelta(days=rng.randint(1, 60)), on + timedelta(days=rng.randint(61, 900))
    if shape == "undated_issue":
        return None, on + timedelta(days=rng.randint(-100, 500))
    if shape == "undated_end":
        return on - timedelta(days=rng.randint(1, 500)), None
    return on, on  # issued and ending on the day itself


def seed_varied_register(engine, count: int, *, on: date, seed: int = 15, team_id: str = "T-HERON") -> list[str]:
    """`count` active people of `team_id` (the demo register must be loaded) with varied records;
    returns their ids. A few are inactive, a few belong to no team."""
    from models.tables import Briefing, Certification, Staff, TeamMember

    rng = random.Random(seed)
    ids = []
    with engine.begin() as conn:
        for start in range(0, count, 2000):
            people, members, certs, briefings = [], [], [], []
            for n in range(start, min(count, start + 2000)):
                staff_id = f"GEN-{seed}-{n:06d}"
                ids.append(staff_id)
                roles = rng.sample(ROLES, rng.choice((1, 1, 1, 2, 3)))
                designations = rng.sample(DESIGNATIONS, rng.choice((0, 0, 1, 2)))
                people.append(
                    dict(
                        id=staff_id,
                        name=f"Generated person {n}",
                        roles=roles,
                        designations=designations,
                        home_team_id=team_id,
                        active=rng.random() > 0.03,
                    )
                )
                if rng.random() > 0.05:
                    members.append(dict(team_id=team_id, staff_id=staff_id, position=1000 + n))
                for cert in CERTS:
                    for _ in range(rng.choice((0, 0, 1, 1, 1, 2, 3))):
                        issued, expires = _dates(rng, on)
                        revoked = None
                        if rng.random() < 0.12:
                            revoked = datetime(on.year, on.month, on.day, tzinfo=UTC) + timedelta(
                                hours=rng.choice((-400, -24, -1, 0, 23, 24, 48, 600))
                            )
                        certs.append(
                            dict(
                                staff_id=staff_id,
                                cert=cert,
                                issued=issued,
                                expires=expires,
                                revoked_at=revoked,
                                source="import",
                                created_at=datetime.now(UTC),
                                updated_at=datetime.now(UTC),
                            )
                        )
                for area in AREAS:
                    for _ in range(rng.choice((0, 0, 0, 1, 2))):
                        issued, expires = _dates(rng, on)
                        briefings.append(dict(staff_id=staff_id, area=area, date=issued, expires=expires))
            bulk_insert(conn, Staff.__table__, people)
            bulk_insert(conn, TeamMember.__table__, members)
            # The register refuses a second record of one kind issued on one day: keep the first.
            seen: set[tuple] = set()
            unique_certs = [
                c for c in certs if (key := (c["staff_id"], c["cert"], c["issued"])) not in seen and not seen.add(key)
            ]
            seen = set()
            unique_briefings = [
                b for b in briefings if (key := (b["staff_id"], b["area"], b["date"])) not in seen and not seen.add(key)
            ]
            bulk_insert(conn, Certification.__table__, unique_certs)
            bulk_insert(conn, Briefing.__table__, unique_briefings)
    return ids


def bulk_insert(conn, table, rows: list[dict]) -> None:
    """Bulk insert; on PostgreSQL through COPY (psycopg), which makes 50,000 people a matter of
    seconds rather than the minutes of batched INSERTs."""
    if not rows:
        return
    if conn.dialect.name != "postgresql":
        conn.execute(table.insert(), rows)
        return
    columns = list(rows[0])
    as_json = {c.name for c in table.columns if isinstance(c.type, sa.JSON)}
    statement = f"COPY {table.name} ({', '.join(columns)}) FROM STDIN"
    with conn.connection.driver_connection.cursor() as cursor, cursor.copy(statement) as copy:
        for row in rows:
            copy.write_row([json.dumps(row[c]) if c in as_json else row[c] for c in columns])
