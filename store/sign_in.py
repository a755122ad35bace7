"""Signing in with a password: lock-out per account, a limit per address, one answer for every
refusal, and the sign-in event log.

Every attempt counts against the account *before* its password is checked, in one UPDATE that is
committed at once: attempts sent together each see the others' counts, so no more than
`max_failures` passwords are ever tried per lock-out (a failed count read and written back later
let eight wrong passwords and the right one, sent at once, sign in past a limit of five). Every
refusal, for an unknown name, a wrong password, a locked or deactivated account or a throttled
address, gives the same message after the same argon2 work, so neither the answer nor its time
tells which names exist.
"""

from datetime import datetime, timedelta

import sqlalchemy as sa
from pydantic import BaseModel
from sqlmodel import Session, col, select

from models.tables import stored_id, table_of, utcnow
from models.web_tables import Account, SignInEvent
from store import credentials
from store.accounts import get_account

REFUSED = (
    "Wrong username or password. After repeated failures, signing in is paused for a while; "
    "an administrator can unlock an account."
)
_ACCOUNTS = table_of(Account)


class SignInLimits(BaseModel):
    max_failures: int = 5  # per account, then locked for `lockout`
    lockout: timedelta = timedelta(minutes=15)
    max_address_failures: int = 20  # per address within `address_window`
    address_window: timedelta = timedelta(minutes=15)


class LoginResult(BaseModel):
    ok: bool
    account_id: int | None = None
    message: str = ""
    outcome: str = ""  # what the sign-in log records; never shown to the person signing in


def log_attempt(
    *,
    session: Session,
    username: str,
    address: str,
    outcome: str,
    account_id: int | None = None,
    via: str = "password",
    at: datetime | None = None,
) -> None:
    session.add(
        SignInEvent(
            at=at or utcnow(),
            username=username[:150],
            account_id=account_id,
            address=address[:100],
            via=via,
            outcome=outcome,
        )
    )


def address_failures(*, session: Session, address: str, since: datetime) -> int:
    return session.exec(
        select(sa.func.count())
        .select_from(SignInEvent)
        .where(SignInEvent.address == address, SignInEvent.at > since, SignInEvent.outcome != "ok")
    ).one()


def _count_attempt(session: Session, account_id: int, now: datetime) -> tuple[int, datetime | None]:
    """One more attempt on the account, atomically; an expired lock starts the count again."""
    expired = sa.and_(_ACCOUNTS.c.locked_until.is_not(None), _ACCOUNTS.c.locked_until <= now)
    row = session.execute(
        sa.update(_ACCOUNTS)
        .where(_ACCOUNTS.c.id == account_id)
        .values(
            failed_logins=sa.case((expired, 1), else_=_ACCOUNTS.c.failed_logins + 1),
            locked_until=sa.case((expired, None), else_=_ACCOUNTS.c.locked_until),
        )
        .returning(_ACCOUNTS.c.failed_logins, _ACCOUNTS.c.locked_until)
    ).one()
    return row.failed_logins, row.locked_until


def _lock(session: Session, account_id: int, until: datetime) -> None:
    session.execute(
        sa.update(_ACCOUNTS)
        .where(_ACCOUNTS.c.id == account_id, _ACCOUNTS.c.locked_until.is_(None))
        .values(locked_until=until)
    )


def authenticate(
    *,
    session: Session,
    username: str,
    password: str,
    address: str,
    limits: SignInLimits,
    now: datetime | None = None,
) -> LoginResult:
    """Check a password. Commits: the attempt count must be visible to the attempts running
    beside this one before the (slow) password check, and the log must survive a refusal."""
    now = now or utcnow()
    typed = username.strip()

    def refuse(outcome: str, account_id: int | None = None, password_hash: str | None = None) -> LoginResult:
        credentials.verify_password(password_hash, password)  # the same work as a real check
        log_attempt(session=session, username=typed, address=address, outcome=outcome, account_id=account_id, at=now)
        session.commit()
        return LoginResult(ok=False, account_id=None, message=REFUSED, outcome=outcome)

    if (
        address_failures(session=session, address=address, since=now - limits.address_window)
        >= limits.max_address_failures
    ):
        return refuse("throttled")
    account = get_account(session=session, username=typed)
    if account is None:
        return refuse("unknown")
    if not account.active:
        return refuse("disabled", account.id)
    attempts, locked_until = _count_attempt(session, stored_id(account), now)
    session.commit()
    if (locked_until is not None and locked_until > now) or attempts > limits.max_failures:
        if locked_until is None:  # the attempt that reached the limit has not locked it (yet)
            _lock(session, stored_id(account), now + limits.lockout)
        return refuse("locked", account.id, account.password_hash)
    if not credentials.verify_password(account.password_hash, password):
        if attempts >= limits.max_failures:
            _lock(session, stored_id(account), now + limits.lockout)
        log_attempt(
            session=session, username=typed, address=address, outcome="wrong", account_id=stored_id(account), at=now
        )
        session.commit()
        return LoginResult(ok=False, message=REFUSED, outcome="wrong")
    values: dict = {"failed_logins": 0, "last_login_at": now}
    if account.password_hash and credentials.needs_rehash(account.password_hash):
        values["password_hash"] = credentials.hash_password(password)
    session.execute(sa.update(_ACCOUNTS).where(_ACCOUNTS.c.id == account.id).values(**values))
    log_attempt(session=session, username=typed, address=address, outcome="ok", account_id=stored_id(account), at=now)
    session.commit()
    session.expire(account)
    return LoginResult(ok=True, account_id=stored_id(account), outcome="ok")


def recent_sign_ins(*, session: Session, limit: int = 200, username: str | None = None) -> list[SignInEvent]:
    query = select(SignInEvent).order_by(col(SignInEvent.id).desc()).limit(limit)
    if username:
        query = query.where(SignInEvent.username == username)
    return list(session.exec(query))


def prune(*, session: Session, before: datetime, dry_run: bool = False) -> int:
    """Drop sign-in events older than `before` (the retention job, SIGN_IN_LOG_DAYS); how many."""
    old = col(SignInEvent.at) < before
    count = session.exec(select(sa.func.count()).select_from(SignInEvent).where(old)).one()
    if count and not dry_run:
        session.execute(sa.delete(SignInEvent).where(old))
    return count
