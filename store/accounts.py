"""Local accounts, the data layer the web app and the CLI share: creation and editing (one login
per register person), deactivation, passwords, API tokens (expiring, optionally read-only),
server-side sessions with an idle timeout, demo seeding. Every change of an account is an audit
event (store/account_events.py). Signing in with a password is store/sign_in.py.

Every function takes a session (or an engine for the top-level helpers) and changes nothing it does
not return; the caller commits.
"""

from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from models.tables import Staff, stored_id, utcnow
from models.web_tables import Account, ApiToken, WebSession
from store import credentials as security
from store.account_events import SYSTEM, Operator, record
from store.db import get_existing

TOKEN_USE_RESOLUTION = timedelta(minutes=1)  # how finely an API token's last use is recorded
SESSION_SEEN_RESOLUTION = timedelta(minutes=1)  # how finely a browser session's last request is recorded
DEFAULT_TOKEN_DAYS = 90
MAX_TOKEN_DAYS = 366


class AccountError(ValueError):
    """Bad input for an account operation (unknown user, staff id not in the register, ...)."""


def get_account(*, session: Session, username: str) -> Account | None:
    return session.exec(select(Account).where(Account.username == username)).one_or_none()


def _check_staff_link(session: Session, staff_id: str | None, is_admin: bool, account_id: int | None = None) -> None:
    if staff_id is None:
        if not is_admin:
            raise AccountError(
                "an account is linked to a staff id of the register (only an administrator may have none)"
            )
        return
    if session.get(Staff, staff_id) is None:
        raise AccountError(f"unknown staff id {staff_id!r}: not in the register (import the roster first)")
    holder = session.exec(select(Account).where(Account.staff_id == staff_id)).one_or_none()
    if holder is not None and holder.id != account_id:
        raise AccountError(
            f"staff id {staff_id} already has an account ({holder.username}): one login per person, "
            "so nobody can act as someone else"
        )


def create_account(
    *,
    session: Session,
    username: str,
    password: str | None,
    staff_id: str | None,
    is_admin: bool = False,
    by: Operator = SYSTEM,
) -> Account:
    username = username.strip()
    if not username:
        raise AccountError("a username is needed")
    if get_account(session=session, username=username) is not None:
        raise AccountError(f"an account {username!r} already exists")
    _check_staff_link(session, staff_id, is_admin)
    account = Account(
        username=username,
        password_hash=security.hash_password(password) if password else None,
        staff_id=staff_id,
        is_admin=is_admin,
    )
    session.add(account)
    session.flush()
    record(
        session=session,
        account=account,
        action="created",
        by=by,
        details={"staff_id": staff_id or "", "is_admin": is_admin, "password": bool(password)},
    )
    return account


def _other_active_admins(session: Session, account_id: int) -> int:
    return len(session.exec(select(Account.id).where(Account.is_admin, Account.active, Account.id != account_id)).all())


def update_account(
    *,
    session: Session,
    account: Account,
    by: Operator,
    username: str | None = None,
    staff_id: str | None = None,
    unlink_staff: bool = False,
    is_admin: bool | None = None,
) -> Account:
    """Rename, relink to another register person, or change the administrator role. A new staff
    link or role ends the account's sessions and tokens: they were granted to the old one."""
    changes: dict[str, str] = {}
    if username is not None and username.strip() and username.strip() != account.username:
        new_name = username.strip()
        if get_account(session=session, username=new_name) is not None:
            raise AccountError(f"an account {new_name!r} already exists")
        changes["username"] = f"{account.username} -> {new_name}"
        account.username = new_name
    new_staff = None if unlink_staff else (staff_id.strip() if staff_id and staff_id.strip() else account.staff_id)
    new_admin = account.is_admin if is_admin is None else is_admin
    if account.is_admin and not new_admin and _other_active_admins(session, stored_id(account)) == 0:
        raise AccountError("this is the last active administrator: make another one first")
    if new_staff != account.staff_id or new_admin != account.is_admin:
        _check_staff_link(session, new_staff, new_admin, account.id)
        if new_staff != account.staff_id:
            changes["staff_id"] = f"{account.staff_id or '-'} -> {new_staff or '-'}"
        if new_admin != account.is_admin:
            changes["is_admin"] = f"{account.is_admin} -> {new_admin}"
        account.staff_id, account.is_admin = new_staff, new_admin
        revoke_sessions(session=session, account_id=stored_id(account))
        changes["tokens_revoked"] = str(revoke_all_tokens(session=session, account_id=stored_id(account)))
    if not changes:
        return account
    session.add(account)
    session.flush()
    record(session=session, account=account, action="updated", by=by, details=changes)
    return account


def set_active(*, session: Session, account: Account, active: bool, by: Operator, reason: str | None = None) -> Account:
    """Deactivate (signs the account out everywhere and revokes its tokens) or reactivate."""
    if account.active == active:
        return account
    if not active and account.is_admin and _other_active_admins(session, stored_id(account)) == 0:
        raise AccountError("this is the last active administrator: make another one first")
    account.active = active
    details = {}
    if not active:
        revoke_sessions(session=session, account_id=stored_id(account))
        details["tokens_revoked"] = revoke_all_tokens(session=session, account_id=stored_id(account))
    session.add(account)
    session.flush()
    record(
        session=session,
        account=account,
        action="activated" if active else "deactivated",
        by=by,
        reason=reason,
        details=details,
    )
    return account


def unlock(*, session: Session, account: Account, by: Operator) -> Account:
    account.locked_until, account.failed_logins = None, 0
    session.add(account)
    session.flush()
    record(session=session, account=account, action="unlocked", by=by)
    return account


def set_password(*, session: Session, username: str, password: str, by: Operator = SYSTEM) -> Account:
    """A new password unlocks the account, signs it out everywhere and revokes its API tokens (a
    reset after a suspected compromise must leave the attacker nothing)."""
    account = get_account(session=session, username=username)
    if account is None:
        raise AccountError(f"no account {username!r}")
    account.password_hash = security.hash_password(password)
    account.failed_logins = 0
    account.locked_until = None
    revoke_sessions(session=session, account_id=stored_id(account))
    revoked = revoke_all_tokens(session=session, account_id=stored_id(account))
    session.add(account)
    session.flush()
    record(session=session, account=account, action="password_set", by=by, details={"tokens_revoked": revoked})
    return account


def link_identity(*, session: Session, account: Account, subject: str, by: Operator, how: str) -> Account:
    """Link an identity-provider subject: only from a session signed in to this account, by an
    administrator, or through an administrator's approval of a verified email (`how` says which)."""
    holder = session.exec(select(Account).where(Account.oidc_subject == subject)).one_or_none()
    if holder is not None and holder.id != account.id:
        raise AccountError(f"this identity is already linked to another account ({holder.username})")
    account.oidc_subject = subject
    account.oidc_link_email = None
    session.add(account)
    session.flush()
    record(session=session, account=account, action="identity_linked", by=by, details={"how": how, "subject": subject})
    return account


def unlink_identity(*, session: Session, account: Account, by: Operator) -> Account:
    if account.oidc_subject is None and account.oidc_link_email is None:
        return account
    subject = account.oidc_subject or ""
    account.oidc_subject = None
    account.oidc_link_email = None
    session.add(account)
    session.flush()
    record(session=session, account=account, action="identity_unlinked", by=by, details={"subject": subject})
    return account


def allow_identity_link(*, session: Session, account: Account, email: str, by: Operator) -> Account:
    """The next identity-provider sign-in with this email, verified by the provider, links to
    this account (once)."""
    email = email.strip()
    if "@" not in email:
        raise AccountError(f"{email!r} is not an email address")
    account.oidc_link_email = email
    session.add(account)
    session.flush()
    record(session=session, account=account, action="identity_link_allowed", by=by, details={"email": email})
    return account


# ---------------------------------------------------------------- API tokens


def create_api_token(
    *,
    session: Session,
    account: Account,
    name: str,
    expires_at: datetime | None = None,
    read_only: bool = False,
    by: Operator = SYSTEM,
    now: datetime | None = None,
) -> tuple[ApiToken, str]:
    """Returns the row and the token itself, which is shown once and never stored. A token always
    expires: after DEFAULT_TOKEN_DAYS unless asked otherwise, never later than MAX_TOKEN_DAYS."""
    now = now or utcnow()
    latest = now + timedelta(days=MAX_TOKEN_DAYS)
    expires_at = expires_at or now + timedelta(days=DEFAULT_TOKEN_DAYS)
    if expires_at > latest:
        raise AccountError(f"a token may be valid for at most {MAX_TOKEN_DAYS} days")
    token = security.new_api_token()
    row = ApiToken(
        account_id=stored_id(account),
        name=name.strip()[:100] or "token",
        token_hash=security.sha256_hex(token),
        prefix=token[:10],
        expires_at=expires_at,
        read_only=read_only,
    )
    session.add(row)
    session.flush()
    record(
        session=session,
        account=account,
        action="token_created",
        by=by,
        details={
            "token_id": row.id,
            "name": row.name,
            "prefix": row.prefix,
            "read_only": read_only,
            "expires_at": expires_at.isoformat(),
        },
    )
    return row, token


def token_and_account(*, session: Session, token: str, now: datetime | None = None) -> tuple[ApiToken, Account] | None:
    now = now or utcnow()
    row = session.exec(select(ApiToken).where(ApiToken.token_hash == security.sha256_hex(token))).one_or_none()
    if row is None or row.revoked_at is not None or (row.expires_at is not None and row.expires_at <= now):
        return None
    account = session.get(Account, row.account_id)
    if account is None or not account.active:
        return None
    # Written at most once a minute: a script calling the API in a loop must not turn every read
    # into a write.
    if row.last_used_at is None or now - row.last_used_at >= TOKEN_USE_RESOLUTION:
        row.last_used_at = now
        session.add(row)
    return row, account


def account_for_token(*, session: Session, token: str, now: datetime | None = None) -> Account | None:
    found = token_and_account(session=session, token=token, now=now)
    return None if found is None else found[1]


def list_api_tokens(*, session: Session, account_id: int) -> list[ApiToken]:
    return list(session.exec(select(ApiToken).where(col(ApiToken.account_id) == account_id).order_by(col(ApiToken.id))))


def revoke_api_token(*, session: Session, account_id: int, token_id: int, by: Operator = SYSTEM) -> bool:
    """Revoke one token of `account_id` (the owner's own page, or an administrator's)."""
    row = session.get(ApiToken, token_id)
    if row is None or row.account_id != account_id:
        return False
    if row.revoked_at is None:
        row.revoked_at = utcnow()
        session.add(row)
        account = get_existing(session, Account, account_id)
        record(
            session=session,
            account=account,
            action="token_revoked",
            by=by,
            details={"token_id": row.id, "name": row.name, "prefix": row.prefix},
        )
    return True


def revoke_all_tokens(*, session: Session, account_id: int) -> int:
    """Revoke every live token of the account; the caller's own event says why. Returns how many."""
    now = utcnow()
    count = 0
    for row in session.exec(
        select(ApiToken).where(col(ApiToken.account_id) == account_id, col(ApiToken.revoked_at).is_(None))
    ):
        row.revoked_at = now
        session.add(row)
        count += 1
    return count


# ---------------------------------------------------------------- browser sessions


def start_session(
    *, session: Session, account_id: int, max_age: timedelta, via: str = "password"
) -> tuple[WebSession, str]:
    """Returns the row and the session id for the cookie (only its hash is stored)."""
    session_id = security.new_session_id()
    row = WebSession(
        session_hash=security.sha256_hex(session_id),
        account_id=account_id,
        csrf_token=security.new_csrf_token(),
        expires_at=utcnow() + max_age,
        via=via,
        last_seen_at=utcnow(),
    )
    session.add(row)
    session.flush()
    return row, session_id


def _live(row: WebSession | None, now: datetime, idle: timedelta | None = None) -> bool:
    if row is None or row.revoked_at is not None or row.expires_at <= now:
        return False
    return idle is None or (row.last_seen_at or row.created_at) + idle > now


def find_session(*, session: Session, session_id: str, now: datetime | None = None) -> WebSession | None:
    row = session.exec(
        select(WebSession).where(WebSession.session_hash == security.sha256_hex(session_id))
    ).one_or_none()
    return row if _live(row, now or utcnow()) else None


# Built once: every page request runs it (building it cost as much as running it).
_SIGNED_IN = (
    select(WebSession, Account, Staff)
    .join(Account, col(Account.id) == col(WebSession.account_id))
    .outerjoin(Staff, col(Staff.id) == col(Account.staff_id))
    .where(col(WebSession.session_hash) == sa.bindparam("session_hash"))
)


def signed_in(
    *,
    session: Session,
    session_id: str,
    now: datetime | None = None,
    idle: timedelta | None = None,
) -> tuple[WebSession, Account, Staff | None] | None:
    """The live browser session with its active account and register person, in one query (every
    page request asks). A session unused for `idle` has ended; a used one records when, at most
    once a minute (the caller commits)."""
    found = session.exec(_SIGNED_IN, params={"session_hash": security.sha256_hex(session_id)}).one_or_none()
    now = now or utcnow()
    if found is None or not _live(found[0], now, idle) or not found[1].active:
        return None
    row = found[0]
    if idle is not None and (row.last_seen_at is None or now - row.last_seen_at >= SESSION_SEEN_RESOLUTION):
        row.last_seen_at = now
        session.add(row)
    return found


def end_session(*, session: Session, session_id: str) -> None:
    row = find_session(session=session, session_id=session_id)
    if row is not None:
        row.revoked_at = utcnow()
        session.add(row)


def revoke_sessions(*, session: Session, account_id: int) -> None:
    for row in session.exec(
        select(WebSession).where(col(WebSession.account_id) == account_id, col(WebSession.revoked_at).is_(None))
    ):
        row.revoked_at = utcnow()
        session.add(row)


# ---------------------------------------------------------------- demo accounts

# (username, staff id or None for the administrator, what the person does in the demo)
DEMO_ACCOUNTS: list[tuple[str, str | None, str]] = [
    ("heron.lead", "HE-01", "team leader, Unified Team Heron (submits, resubmits, withdraws)"),
    ("kestrel.inv", "KE-03", "investigator, Unified Team Kestrel"),
    ("gcu.albrecht", "GX-02", "GCU reviewer"),
    ("gcu.velde", "GX-03", "GCU reviewer"),
    ("gcu.head", "GX-09", "GCU head (assigns, moves due dates, decides escalations)"),
    ("dp.marsh", "DP-01", "Deputy Prosecutor for teams Heron and Kestrel (dashboard)"),
    ("admin", None, "administrator (sees everything, manages accounts)"),
]


def demo_password(username: str) -> str:
    return f"demo-{username}-pw"


def seed_demo_accounts(*, db_engine: Engine) -> list[tuple[str, str, str]]:
    """One account per demo role, linked to the demo register (demo/roster.yaml, imported first).

    Idempotent: an existing account is left as it is; its password is reported only while it is
    still the demo password. For development systems only: the passwords are public."""
    seeded: list[tuple[str, str, str]] = []
    with Session(db_engine) as session:
        for username, staff_id, what in DEMO_ACCOUNTS:
            password = demo_password(username)
            account = get_account(session=session, username=username)
            if account is None:
                if staff_id is not None and session.get(Staff, staff_id) is None:
                    continue  # the demo register is not imported: nothing to link to
                create_account(
                    session=session,
                    username=username,
                    password=password,
                    staff_id=staff_id,
                    is_admin=staff_id is None,
                )
            elif not security.verify_password(account.password_hash, password):
                password = "(changed since seeding)"
            label = f"{what} [{staff_id}]" if staff_id else what
            seeded.append((username, password, label))
        session.commit()
    return seeded
