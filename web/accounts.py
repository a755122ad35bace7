"""Local accounts: creation, passwords with lock-out, API tokens, server-side sessions, demo seeding.

Every function takes a session (or an engine for the top-level helpers) and changes nothing it does
not return; the caller commits.
"""

from datetime import datetime, timedelta, timezone

from pydantic import BaseModel
from sqlalchemy.engine import Engine
from sqlmodel import Session, select, col

from models.tables import Staff, utcnow
from models.web_tables import Account, ApiToken, WebSession
from web import security

TOKEN_USE_RESOLUTION = timedelta(minutes=1)  # how finely an API token's last use is recorded


class AccountError(ValueError):
    """Bad input for an account operation (unknown user, staff id not in the register, ...)."""


class LoginResult(BaseModel):
    ok: bool
    account_id: int | None = None
    message: str = ""
    locked_until: datetime | None = None


def get_account(*, session: Session, username: str) -> Account | None:
    return session.exec(select(Account).where(Account.username == username)).one_or_none()


def create_account(
    *, session: Session, username: str, password: str | None, staff_id: str | None, is_admin: bool = False
) -> Account:
    username = username.strip()
    if not username:
        raise AccountError("a username is needed")
    if get_account(session=session, username=username) is not None:
        raise AccountError(f"an account {username!r} already exists")
    if staff_id is None and not is_admin:
        raise AccountError("an account is linked to a staff id of the register (only an administrator may have none)")
    if staff_id is not None and session.get(Staff, staff_id) is None:
        raise AccountError(f"unknown staff id {staff_id!r}: not in the register (import the roster first)")
    account = Account(
        username=username,
        password_hash=security.hash_password(password) if password else None,
        staff_id=staff_id,
        is_admin=is_admin,
    )
    session.add(account)
    session.flush()
    return account


def set_password(*, session: Session, username: str, password: str) -> Account:
    account = get_account(session=session, username=username)
    if account is None:
        raise AccountError(f"no account {username!r}")
    account.password_hash = security.hash_password(password)
    account.failed_logins = 0
    account.locked_until = None
    revoke_sessions(session=session, account_id=account.id)
    session.add(account)
    session.flush()
    return account


def authenticate(
    *, session: Session, username: str, password: str, max_failures: int, lockout: timedelta,
    now: datetime | None = None,
) -> LoginResult:
    """Check a password. `max_failures` wrong passwords in a row lock the account for `lockout`;
    while it is locked even the right password is refused, and the count starts again after."""
    now = now or utcnow()
    account = get_account(session=session, username=username.strip())
    wrong = LoginResult(ok=False, message="Wrong username or password.")
    if account is None or not account.active:
        security.verify_password(None, password)
        return wrong
    if account.locked_until is not None and account.locked_until > now:
        return LoginResult(
            ok=False, locked_until=account.locked_until,
            message=f"Too many failed sign-ins: this account is locked until "
            f"{account.locked_until.astimezone(timezone.utc):%H:%M} UTC.",
        )
    if account.locked_until is not None:
        account.locked_until = None
        account.failed_logins = 0
    if not security.verify_password(account.password_hash, password):
        account.failed_logins += 1
        if account.failed_logins >= max_failures:
            account.locked_until = now + lockout
            account.failed_logins = 0
            session.add(account)
            session.flush()
            return LoginResult(
                ok=False, locked_until=account.locked_until,
                message=f"Too many failed sign-ins: this account is locked for {int(lockout.total_seconds() // 60)} minutes.",
            )
        session.add(account)
        session.flush()
        return wrong
    if security.needs_rehash(account.password_hash):
        account.password_hash = security.hash_password(password)
    account.failed_logins = 0
    account.last_login_at = now
    session.add(account)
    session.flush()
    return LoginResult(ok=True, account_id=account.id)


# ---------------------------------------------------------------- API tokens


def create_api_token(
    *, session: Session, account: Account, name: str, expires_at: datetime | None = None
) -> tuple[ApiToken, str]:
    """Returns the row and the token itself, which is shown once and never stored."""
    token = security.new_api_token()
    row = ApiToken(
        account_id=account.id, name=name.strip() or "token", token_hash=security.sha256_hex(token),
        prefix=token[:10], expires_at=expires_at,
    )
    session.add(row)
    session.flush()
    return row, token


def account_for_token(*, session: Session, token: str, now: datetime | None = None) -> Account | None:
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
    return account


def list_api_tokens(*, session: Session, account_id: int) -> list[ApiToken]:
    return list(session.exec(select(ApiToken).where(col(ApiToken.account_id) == account_id).order_by(col(ApiToken.id))))


def revoke_api_token(*, session: Session, account_id: int, token_id: int) -> bool:
    row = session.get(ApiToken, token_id)
    if row is None or row.account_id != account_id:
        return False
    if row.revoked_at is None:
        row.revoked_at = utcnow()
        session.add(row)
    return True


# ---------------------------------------------------------------- browser sessions


def start_session(*, session: Session, account_id: int, max_age: timedelta, via: str = "password") -> tuple[WebSession, str]:
    """Returns the row and the session id for the cookie (only its hash is stored)."""
    session_id = security.new_session_id()
    row = WebSession(
        session_hash=security.sha256_hex(session_id), account_id=account_id, csrf_token=security.new_csrf_token(),
        expires_at=utcnow() + max_age, via=via,
    )
    session.add(row)
    session.flush()
    return row, session_id


def _live(row: WebSession | None, now: datetime) -> bool:
    return row is not None and row.revoked_at is None and row.expires_at > now


def find_session(*, session: Session, session_id: str, now: datetime | None = None) -> WebSession | None:
    row = session.exec(
        select(WebSession).where(WebSession.session_hash == security.sha256_hex(session_id))
    ).one_or_none()
    return row if _live(row, now or utcnow()) else None


def signed_in(*, session: Session, session_id: str, now: datetime | None = None) -> tuple[WebSession, Account, Staff | None] | None:
    """The live browser session with its active account and register person, in one query (every
    page request asks)."""
    found = session.exec(
        select(WebSession, Account, Staff)
        .join(Account, col(Account.id) == col(WebSession.account_id))
        .outerjoin(Staff, col(Staff.id) == col(Account.staff_id))
        .where(WebSession.session_hash == security.sha256_hex(session_id))
    ).one_or_none()
    if found is None or not _live(found[0], now or utcnow()) or not found[1].active:
        return None
    return found


def end_session(*, session: Session, session_id: str) -> None:
    row = find_session(session=session, session_id=session_id)
    if row is not None:
        row.revoked_at = utcnow()
        session.add(row)


def revoke_sessions(*, session: Session, account_id: int) -> None:
    for row in session.exec(select(WebSession).where(col(WebSession.account_id) == account_id, col(WebSession.revoked_at).is_(None))):
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
                    session=session, username=username, password=password, staff_id=staff_id,
                    is_admin=staff_id is None,
                )
            elif not security.verify_password(account.password_hash, password):
                password = "(changed since seeding)"
            label = f"{what} [{staff_id}]" if staff_id else what
            seeded.append((username, password, label))
        session.commit()
    return seeded
