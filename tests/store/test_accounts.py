"""Accounts (store/accounts.py): one login per register person, every change audited with who and
through what, deactivation, token expiry and revocation, read-only tokens, the idle timeout."""

from datetime import timedelta

import pytest
import sqlalchemy as sa
from sqlmodel import Session

from models.enums import AuditChannel
from models.tables import utcnow
from models.web_tables import Account, ApiToken
from store import accounts
from store.account_events import Operator, events_of
from store.audit import verify_chain
from tests.dbutil import uid
from tests.store.factories import seed_register

ADMIN = Operator(channel=AuditChannel.WEB, username="root.admin")
CLI = Operator(channel=AuditChannel.CLI, username="operator", staff_id="OP-1")


@pytest.fixture()
def person(engine):
    """(username, staff id) of a fresh account linked to a fresh register person."""
    with Session(engine) as session:
        prefix = seed_register(session)
        staff_id = f"{prefix}-GR"
        username = uid("acct")
        accounts.create_account(
            session=session, username=username, password="long-enough-pw", staff_id=staff_id, by=ADMIN
        )
        session.commit()
    return username, staff_id


def account(session, username) -> Account:
    return accounts.get_account(session=session, username=username)


def actions(session, username) -> list[tuple[str, str | None, str | None]]:
    acc = account(session, username)
    return [(e.action, e.actor_id, e.channel) for e in events_of(session=session, account_id=acc.id)]


def test_a_register_person_has_one_login_at_most(engine, person):
    """Issue 17: an administrator could create a second login for any staff id and act as them."""
    _username, staff_id = person
    with (
        Session(engine) as session,
        pytest.raises(accounts.AccountError, match=f"staff id {staff_id} already has an account"),
    ):
        accounts.create_account(session=session, username=uid("twin"), password=None, staff_id=staff_id, by=ADMIN)
    with Session(engine) as session, pytest.raises(sa.exc.IntegrityError):
        session.add(Account(username=uid("raw"), staff_id=staff_id))
        session.commit()


def test_account_changes_are_audited_with_actor_and_channel(engine, person):
    username, _staff_id = person
    with Session(engine) as session:
        acc = account(session, username)
        accounts.unlock(session=session, account=acc, by=ADMIN)
        row, _token = accounts.create_api_token(session=session, account=acc, name="script", by=CLI)
        accounts.revoke_api_token(session=session, account_id=acc.id, token_id=row.id, by=ADMIN)
        accounts.set_password(session=session, username=username, password="another-long-pw", by=CLI)
        accounts.set_active(session=session, account=acc, active=False, by=ADMIN, reason="left the office")
        session.commit()
        assert actions(session, username) == [
            ("account.created", "account:root.admin", "web"),
            ("account.unlocked", "account:root.admin", "web"),
            ("account.token_created", "OP-1", "cli"),
            ("account.token_revoked", "account:root.admin", "web"),
            ("account.password_set", "OP-1", "cli"),
            ("account.deactivated", "account:root.admin", "web"),
        ]
        assert verify_chain(session=session).ok


def test_a_password_reset_revokes_tokens_and_sessions(engine, person):
    username, _ = person
    with Session(engine) as session:
        acc = account(session, username)
        _row, token = accounts.create_api_token(session=session, account=acc, name="t")
        _s, session_id = accounts.start_session(session=session, account_id=acc.id, max_age=timedelta(hours=1))
        session.commit()
        accounts.set_password(session=session, username=username, password="a-new-long-password", by=ADMIN)
        session.commit()
        assert accounts.account_for_token(session=session, token=token) is None
        assert accounts.signed_in(session=session, session_id=session_id) is None
        [event] = [e for e in events_of(session=session, account_id=acc.id) if e.action == "account.password_set"]
        assert event.details["tokens_revoked"] == 1


def test_a_deactivated_account_loses_its_sessions_and_tokens_and_can_come_back(engine, person):
    username, _ = person
    with Session(engine) as session:
        acc = account(session, username)
        _row, token = accounts.create_api_token(session=session, account=acc, name="t")
        _s, session_id = accounts.start_session(session=session, account_id=acc.id, max_age=timedelta(hours=1))
        accounts.set_active(session=session, account=acc, active=False, by=ADMIN)
        session.commit()
        assert accounts.signed_in(session=session, session_id=session_id) is None
        accounts.set_active(session=session, account=acc, active=True, by=ADMIN)
        session.commit()
        assert accounts.account_for_token(session=session, token=token) is None  # revoked for good


def test_tokens_expire_by_default_and_not_later_than_a_year(engine, person):
    username, _ = person
    now = utcnow()
    with Session(engine) as session:
        acc = account(session, username)
        row, _ = accounts.create_api_token(session=session, account=acc, name="t", now=now)
        assert row.expires_at == now + timedelta(days=accounts.DEFAULT_TOKEN_DAYS)
        with pytest.raises(accounts.AccountError, match="at most 366 days"):
            accounts.create_api_token(session=session, account=acc, name="t", expires_at=now + timedelta(days=400))
        read_only, _ = accounts.create_api_token(session=session, account=acc, name="reader", read_only=True)
        session.commit()
        assert session.get(ApiToken, read_only.id).read_only


def test_editing_the_staff_link_or_role_ends_sessions_and_is_audited(engine, person):
    username, staff_id = person
    with Session(engine) as session:
        acc = account(session, username)
        other_staff = staff_id.replace("-GR", "-GH")
        _s, session_id = accounts.start_session(session=session, account_id=acc.id, max_age=timedelta(hours=1))
        accounts.update_account(session=session, account=acc, by=ADMIN, staff_id=other_staff, username=username + "-x")
        session.commit()
        assert accounts.signed_in(session=session, session_id=session_id) is None
        [event] = [e for e in events_of(session=session, account_id=acc.id) if e.action == "account.updated"]
        assert event.details["staff_id"] == f"{staff_id} -> {other_staff}"
        assert event.details["username"] == f"{username} -> {username}-x"
        with pytest.raises(accounts.AccountError, match="only an administrator may have none"):
            accounts.update_account(session=session, account=acc, by=ADMIN, unlink_staff=True)


def test_the_last_active_administrator_stays(fresh_engine):
    with Session(fresh_engine) as session:
        admin = accounts.create_account(
            session=session, username="only.admin", password=None, staff_id=None, is_admin=True
        )
        session.commit()
        with pytest.raises(accounts.AccountError, match="last active administrator"):
            accounts.set_active(session=session, account=admin, active=False, by=ADMIN)
        with pytest.raises(accounts.AccountError, match="last active administrator"):
            accounts.update_account(session=session, account=admin, by=ADMIN, is_admin=False)


def test_an_idle_session_ends_and_a_used_one_records_its_use(engine, person):
    username, _ = person
    idle = timedelta(minutes=30)
    with Session(engine) as session:
        acc = account(session, username)
        row, session_id = accounts.start_session(session=session, account_id=acc.id, max_age=timedelta(hours=8))
        session.commit()
        start = row.last_seen_at
        assert accounts.signed_in(session=session, session_id=session_id, now=start + timedelta(minutes=29), idle=idle)
        session.commit()
        # Used at minute 29: still live at minute 58, though 58 minutes after sign-in.
        assert accounts.signed_in(session=session, session_id=session_id, now=start + timedelta(minutes=58), idle=idle)
        session.commit()
        assert (
            accounts.signed_in(session=session, session_id=session_id, now=start + timedelta(minutes=89), idle=idle)
            is None
        )
