"""Tables of the web application: local accounts, API tokens and server-side sessions.

Accounts link a login to a staff id of the register; the register, not the account, says what the
person may do (roles, teams, the Deputy Prosecutor's cluster). Secrets are stored only as hashes:
passwords with argon2, API tokens and session ids with SHA-256 (they are long random strings, so a
fast hash suffices and lets a lookup find them by index).
"""

from datetime import datetime

from sqlmodel import Field, SQLModel

from models.tables import UTCDateTime, utcnow


def _ts(**kwargs):
    return Field(sa_type=UTCDateTime, **kwargs)


class Account(SQLModel, table=True):
    __tablename__ = "web_account"

    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(unique=True, index=True)
    password_hash: str | None = None  # None: OIDC-only account, no local password
    staff_id: str | None = Field(default=None, index=True)  # None only for a pure administrator
    is_admin: bool = False
    active: bool = True
    failed_logins: int = 0
    locked_until: datetime | None = _ts(default=None)
    oidc_subject: str | None = Field(default=None, unique=True)
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
