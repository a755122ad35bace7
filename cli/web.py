"""`gcu-review web` (serve the web app and API) and `gcu-review accounts ...` (local accounts and
API tokens). Passwords are read from a prompt (or --password-stdin), never from the command line,
so they stay out of shell history and process lists."""

import asyncio
import logging
import signal
import sys
from datetime import UTC, datetime, timedelta
from typing import NoReturn

import typer

from cli.common import cli_operator, db_engine
from settings import get_settings

accounts_app = typer.Typer(no_args_is_help=True, help="Web accounts (linked to register staff) and API tokens.")


def _password(stdin: bool) -> str:
    if stdin:
        return sys.stdin.readline().rstrip("\n")
    return typer.prompt("Password", hide_input=True, confirmation_prompt=True)


def _fail(message: str) -> NoReturn:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(2)


@accounts_app.command("create")
def create(
    username: str,
    staff_id: str = typer.Option(None, "--staff", help="Staff id of the register the account acts as."),
    admin: bool = typer.Option(False, "--admin", help="Administrator (may have no staff id: then it only reads)."),
    no_password: bool = typer.Option(False, "--no-password", help="Sign-in through the identity provider (OIDC) only."),
    password_stdin: bool = typer.Option(False, "--password-stdin", help="Read the password from standard input."),
) -> None:
    """Create a local account."""
    from sqlmodel import Session, select

    from models.web_tables import Account
    from store.accounts import AccountError, create_account
    from store.credentials import PasswordPolicyError

    with Session(db_engine()) as session:
        first_admin = admin and session.exec(select(Account.id).where(Account.is_admin, Account.active)).first() is None
    by = cli_operator(admin=True, first_admin=first_admin)
    password = None if no_password else _password(password_stdin)
    with Session(db_engine()) as session:
        try:
            create_account(
                session=session, username=username, password=password, staff_id=staff_id, is_admin=admin, by=by
            )
        except (AccountError, PasswordPolicyError) as exc:
            _fail(str(exc))
        session.commit()
    typer.echo(f"account {username} created" + (f" for {staff_id}" if staff_id else ""))


@accounts_app.command("set-password")
def set_password(
    username: str,
    password_stdin: bool = typer.Option(False, "--password-stdin", help="Read the password from standard input."),
) -> None:
    """Set a new password; unlocks the account, signs it out everywhere and revokes its API tokens."""
    from sqlmodel import Session

    from store.accounts import AccountError
    from store.accounts import set_password as set_account_password
    from store.credentials import PasswordPolicyError

    by = cli_operator(admin=True)
    password = _password(password_stdin)
    with Session(db_engine()) as session:
        try:
            set_account_password(session=session, username=username, password=password, by=by)
        except (AccountError, PasswordPolicyError) as exc:
            _fail(str(exc))
        session.commit()
    typer.echo(f"password of {username} changed; its sessions are signed out and its API tokens revoked")


@accounts_app.command("token")
def token(
    username: str,
    name: str = typer.Option("cli", help="A name to tell the token apart."),
    days: int = typer.Option(None, min=1, max=366, help="Expire after this many days (default: API_TOKEN_DAYS)."),
    read_only: bool = typer.Option(False, "--read-only", help="The token may read, not change anything."),
) -> None:
    """Create an API token for USERNAME and print it (shown once; only its hash is stored)."""
    from sqlmodel import Session

    from store.accounts import AccountError, create_api_token, get_account

    by = cli_operator(admin=True)
    with Session(db_engine()) as session:
        account = get_account(session=session, username=username)
        if account is None:
            _fail(f"no account {username!r}")
        expires = datetime.now(UTC) + timedelta(days=days or get_settings().api_token_days)
        try:
            _row, value = create_api_token(
                session=session, account=account, name=name, expires_at=expires, read_only=read_only, by=by
            )
        except AccountError as exc:
            _fail(str(exc))
        session.commit()
    typer.echo(value)


def _change(username: str, change) -> None:
    """Run `change(session, account, by)` for an administrator's command, committed or refused."""
    from sqlmodel import Session

    from store.accounts import AccountError, get_account

    by = cli_operator(admin=True)
    with Session(db_engine()) as session:
        account = get_account(session=session, username=username)
        if account is None:
            _fail(f"no account {username!r}")
        try:
            change(session, account, by)
        except AccountError as exc:
            _fail(str(exc))
        session.commit()


@accounts_app.command("deactivate")
def deactivate(username: str, reason: str = typer.Option("", help="Why (kept in the audit trail).")) -> None:
    """Deactivate an account: it is signed out everywhere and its API tokens are revoked."""
    from store.accounts import set_active

    _change(username, lambda s, a, by: set_active(session=s, account=a, active=False, by=by, reason=reason or None))
    typer.echo(f"account {username} deactivated")


@accounts_app.command("activate")
def activate(username: str) -> None:
    """Reactivate a deactivated account (its old tokens stay revoked)."""
    from store.accounts import set_active

    _change(username, lambda s, a, by: set_active(session=s, account=a, active=True, by=by))
    typer.echo(f"account {username} reactivated")


@accounts_app.command("unlock")
def unlock_account(username: str) -> None:
    """Lift a sign-in lock-out."""
    from store.accounts import unlock

    _change(username, lambda s, a, by: unlock(session=s, account=a, by=by))
    typer.echo(f"account {username} unlocked")


@accounts_app.command("revoke-tokens")
def revoke_tokens(username: str) -> None:
    """Revoke every API token of an account."""
    from store.accounts import list_api_tokens, revoke_api_token

    def revoke(session, account, by):
        for row in list_api_tokens(session=session, account_id=account.id):
            revoke_api_token(session=session, account_id=account.id, token_id=row.id, by=by)

    _change(username, revoke)
    typer.echo(f"API tokens of {username} revoked")


@accounts_app.command("link-identity")
def link_identity(
    username: str,
    subject: str = typer.Option(None, help="The identity provider's `sub` for this person."),
    email: str = typer.Option(None, help="Link the next sign-in whose email the provider has verified as this."),
    unlink: bool = typer.Option(False, "--unlink", help="Remove the link."),
) -> None:
    """Link (or unlink) sign-in through the identity provider. A claim alone never links."""
    from store import accounts

    if sum(bool(x) for x in (subject, email, unlink)) != 1:
        _fail("give exactly one of --subject, --email, --unlink")
    if unlink:
        _change(username, lambda s, a, by: accounts.unlink_identity(session=s, account=a, by=by))
    elif subject:
        _change(
            username,
            lambda s, a, by: accounts.link_identity(
                session=s, account=a, subject=subject, by=by, how="set by an administrator"
            ),
        )
    else:
        _change(username, lambda s, a, by: accounts.allow_identity_link(session=s, account=a, email=email, by=by))
    typer.echo(f"identity-provider link of {username} updated")


@accounts_app.command("sign-ins")
def sign_ins(username: str = typer.Argument(None), limit: int = typer.Option(50, min=1, max=10_000)) -> None:
    """The sign-in event log, newest first (outcome, address, how)."""
    from sqlmodel import Session

    from store.sign_in import recent_sign_ins

    with Session(db_engine()) as session:
        for e in recent_sign_ins(session=session, limit=limit, username=username):
            typer.echo(f"{e.at:%Y-%m-%d %H:%M:%S} {e.outcome:<10} {e.via:<8} {e.address:<16} {e.username}")


@accounts_app.command("list")
def list_accounts() -> None:
    """Accounts, their staff links and lock state."""
    from sqlmodel import Session, select

    from models.web_tables import Account

    now = datetime.now(UTC)
    with Session(db_engine()) as session:
        for a in session.exec(select(Account).order_by(Account.username)):
            locked = (
                f"  locked until {a.locked_until:%Y-%m-%d %H:%M}" if a.locked_until and a.locked_until > now else ""
            )
            inactive = "" if a.active else "  deactivated"
            typer.echo(f"{a.username:<20} {a.staff_id or '-':<8} {'admin' if a.is_admin else '':<5}{locked}{inactive}")


def register(app: typer.Typer) -> None:
    app.add_typer(accounts_app, name="accounts")

    @app.command("web")
    def web(
        host: str = typer.Option(None, help="Interface to listen on (default: WEB_HOST)."),
        port: int = typer.Option(None, help="Port (default: WEB_PORT)."),
        workers: int = typer.Option(None, min=1, max=64, help="Processes serving requests (default: WEB_WORKERS, 1)."),
    ) -> None:
        """Serve the web app and the /api (the worker runs separately: `gcu-review worker`)."""
        from cli.common import require_schema
        from web.server import serve, serve_processes

        require_schema()
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
        settings = get_settings()
        processes = workers or settings.web_workers
        if processes > 1:
            # Each process builds its app from the environment (web.app:create_app) and listens on
            # a socket of its own; this one restarts them if they die and stops them on SIGINT/SIGTERM.
            typer.echo(
                f"web app on http://{host or settings.web_host}:{port or settings.web_port}, "
                f"{processes} processes (Ctrl-C stops)"
            )
            serve_processes(settings, processes, host=host, port=port)
            return

        async def main() -> None:
            stop = asyncio.Event()
            loop = asyncio.get_running_loop()
            for sig in (signal.SIGINT, signal.SIGTERM):
                loop.add_signal_handler(sig, stop.set)
            typer.echo(f"web app on http://{host or settings.web_host}:{port or settings.web_port} (Ctrl-C stops)")
            await serve(settings, stop, host=host, port=port)

        asyncio.run(main())
