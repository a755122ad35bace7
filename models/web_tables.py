"""Tables of the web application: local accounts, API tokens and server-side sessions.

Accounts link a login to a staff id of the register; the register, not the account, says what the
person may do (roles, teams, the Deputy Prosecutor's cluster). Secrets are stored only as hashes:
passwords with argon2, API tokens and session ids with SHA-256 (they are long random strings, so a
fast hash suffices and lets a lookup find them by index).
"""

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from models.tables import UTCDateTime, utcnow


def _ts(**kwargs):
    return Field(sa_type=UTCDateTime, **kwargs)


class Account(SQLModel, table=True):
    __tablename__ = "web_account"

    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(unique=True, index=True)
    password_hash: str | None = None  # None: OIDC-only account, no local password
    # One login per register person: a second one would let an administrator act as anyone.
    staff_id: str | None = Field(default=None, unique=True, index=True)  # None only for a pure administrator
    is_admin: bool = False
    active: bool = True
    failed_logins: int = 0
    locked_until: datetime | None = _ts(default=None)
    oidc_subject: str | None = Field(default=None, unique=True)
    # Set by an administrator: the next identity-provider sign-in whose *verified* email equals it
    # is linked to this account (then it is cleared). A claim alone never links.
    oidc_link_email: str | None = None
    created_at: datetime = _ts(default_factory=utcnow)
    last_login_at: datetime | None = _ts(default=None)


class ApiToken(SQLModel, table=True):
    __tablename__ = "web_api_token"

    id: int | None = Field(default=None, primary_key=True)
    account_id: int = Field(foreign_key="web_account.id", index=True, ondelete="CASCADE")
    name: str
    token_hash: str = Field(unique=True)  # sha256 hex of the token; the token itself is shown once
    prefix: str  # the first characters, so a user can tell their tokens apart
    created_at: datetime = _ts(default_factory=utcnow)
    expires_at: datetime | None = _ts(default=None)
    last_used_at: datetime | None = _ts(default=None)
    revoked_at: datetime | None = _ts(default=None)
    read_only: bool = Field(default=False, sa_column_kwargs={"server_default": sa.false()})


class WebSession(SQLModel, table=True):
    """A signed-in browser. The cookie carries the session id (signed); only its hash is stored,
    so log-out and a password change end the session on the server, not just in the browser."""

    __tablename__ = "web_session"

    id: int | None = Field(default=None, primary_key=True)
    session_hash: str = Field(unique=True)
    account_id: int = Field(foreign_key="web_account.id", index=True, ondelete="CASCADE")
    csrf_token: str
    created_at: datetime = _ts(default_factory=utcnow)
    expires_at: datetime = _ts(index=True)
    revoked_at: datetime | None = _ts(default=None)
    via: str = "password"  # password | oidc
    # Moved forward at most once a minute; a session idle for settings.session_idle_minutes ends.
    last_seen_at: datetime | None = _ts(default=None)


class SignInEvent(SQLModel, table=True):
    """Every sign-in attempt, kept for the security officer and read to throttle an address. The
    person trying is told only "wrong username or password"; the true outcome is recorded here."""

    __tablename__ = "web_sign_in"
    __table_args__ = (sa.Index("ix_web_sign_in_address_at", "address", "at"),)

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = _ts(default_factory=utcnow, index=True)
    username: str  # as typed (cut to 150 characters): unknown names are worth seeing too
    account_id: int | None = None
    address: str
    via: str = "password"  # password | oidc
    outcome: str  # ok | wrong | unknown | locked | throttled | disabled | unlinked
