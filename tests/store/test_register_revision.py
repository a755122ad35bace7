"""The register revision (register_revision) that database triggers change with every change to
the register tables the rule engine reads, and the pre-check's RosterCache that trusts it."""

from datetime import date

import sqlalchemy as sa

from models.tables import Briefing, Certification, RegisterRevision, Staff, Team, TeamMember
from store.db import session_scope
from store.roster_view import RosterCache
from tests.store.factories import seed_register


def _revision(engine: sa.Engine) -> int:
    with engine.connect() as c:
        return c.execute(sa.select(RegisterRevision.revision)).scalar_one()


def _seed(engine: sa.Engine) -> str:
    with session_scope(engine) as session:
        return seed_register(session)


def _changes(prefix: str):
    """(table, what a statement does to it) for each register table and each kind of write."""
    cert = Certification.__table__
    brief = Briefing.__table__
    return [
        (
            "staff insert",
            sa.insert(Staff.__table__).values(
                id=f"{prefix}-99", name="New", gender="female", roles=[], designations=[]
            ),
        ),
        (
            "staff update",
            sa.update(Staff.__table__).where(Staff.__table__.c.id == f"{prefix}-99").values(name="Renamed"),
        ),
        (
            "team update",
            sa.update(Team.__table__).where(Team.__table__.c.id == f"{prefix}-TEAM").values(name="Renamed"),
        ),
        (
            "member insert",
            sa.insert(TeamMember.__table__).values(team_id=f"{prefix}-TEAM", staff_id=f"{prefix}-99", position=9),
        ),
        ("member delete", sa.delete(TeamMember.__table__).where(TeamMember.__table__.c.staff_id == f"{prefix}-99")),
        (
            "certification insert",
            sa.insert(cert).values(
                staff_id=f"{prefix}-99", cert="SGBC_BASIC", issued=date(2026, 1, 5), expires=date(2029, 1, 4)
            ),
        ),
        (
            "certification update",
            sa.update(cert).where(cert.c.staff_id == f"{prefix}-99").values(expires=date(2030, 1, 4)),
        ),
        ("certification delete", sa.delete(cert).where(cert.c.staff_id == f"{prefix}-99")),
        (
            "briefing insert",
            sa.insert(brief).values(
                staff_id=f"{prefix}-99", area="CAC", date=date(2026, 2, 1), briefed_by=f"{prefix}-GH"
            ),
        ),
        ("briefing delete", sa.delete(brief).where(brief.c.staff_id == f"{prefix}-99")),
        ("staff delete", sa.delete(Staff.__table__).where(Staff.__table__.c.id == f"{prefix}-99")),
    ]


def test_every_write_to_a_register_table_changes_the_revision(engine):
    prefix = _seed(engine)
    for name, statement in _changes(prefix):
        before = _revision(engine)
        with engine.begin() as c:
            c.execute(statement)
        assert _revision(engine) != before, f"{name} left the register revision unchanged"


def test_a_write_outside_the_register_leaves_the_revision_alone(engine):
    from tests.store.factories import new_version

    _seed(engine)
    before = _revision(engine)
    with session_scope(engine) as session:
        new_version(session)
    assert _revision(engine) == before


def test_the_roster_cache_builds_again_only_when_the_register_changed(engine):
    cache = RosterCache()
    prefix = _seed(engine)
    with session_scope(engine) as session:
        first = cache.roster(session=session)
        assert cache.roster(session=session) is first
    with engine.begin() as c:
        c.execute(sa.update(Staff.__table__).where(Staff.__table__.c.id == f"{prefix}-03").values(active=False))
    with session_scope(engine) as session:
        after = cache.roster(session=session)
    assert after is not first
    assert f"{prefix}-03" in {s.id for s in first.staff}
    assert f"{prefix}-03" not in {s.id for s in after.staff}


def test_without_a_revision_row_the_cache_builds_every_time(fresh_engine):
    with fresh_engine.begin() as c:
        c.execute(sa.delete(RegisterRevision.__table__))
    cache = RosterCache()
    with session_scope(fresh_engine) as session:
        assert cache.roster(session=session) is not cache.roster(session=session)
