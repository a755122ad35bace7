"""`gcu-review web` (serve the web app and API) and `gcu-review accounts ...` (local accounts and
API tokens). Passwords are read from a prompt (or --password-stdin), never from the command line,
so they stay out of shell history and process lists."""

from typing import NoReturn
import asyncio
import logging
import signal
import sys
from datetime import datetime, timedelta, timezone

import typer

from cli.common import db_engine
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
    from sqlmodel import Session

    from web.accounts import AccountError, create_account
    from web.security import PasswordPolicyError

    password = None if no_password else _password(password_stdin)
    with Session(db_engine()) as session:
        try:
            create_account(session=session, username=username, password=password, staff_id=staff_id, is_admin=admin)
        except (AccountError, PasswordPolicyError) as exc:
            _fail(str(exc))
        session.commit()
    typer.echo(f"account {username} created" + (f" for {staff_id}" if staff_id else ""))


@accounts_app.command("set-password")
def set_password(
    username: str,
    password_stdin: bool = typer.Option(False, "--password-stdin", help="Read the password from standard input."),
) -> None:
    """Set a new password; unlocks the account and signs it out everywhere."""
    from sqlmodel import Session

    from web.accounts import AccountError
    from web.accounts import set_password as set_account_password
    from web.security import PasswordPolicyError

    password = _password(password_stdin)
    with Session(db_engine()) as session:
        try:
            set_account_password(session=session, username=username, password=password)
        except (AccountError, PasswordPolicyError) as exc:
            _fail(str(exc))
        session.commit()
    typer.echo(f"password of {username} changed; its sessions are signed out")


@accounts_app.command("token")
def token(
    username: str,
    name: str = typer.Option("cli", help="A name to tell the token apart."),
    days: int = typer.Option(0, help="Expire after this many days (0: never)."),
) -> None:
    """Create an API token for USERNAME and print it (shown once; only its hash is stored)."""
    from sqlmodel import Session

    from web.accounts import create_api_token, get_account

    with Session(db_engine()) as session:
        account = get_account(session=session, username=username)
        if account is None:
            _fail(f"no account {username!r}")
        expires = datetime.now(timezone.utc) + timedelta(days=days) if days > 0 else None
        _row, value = create_api_token(session=session, account=account, name=name, expires_at=expires)
        session.commit()
    typer.echo(value)


@accounts_app.command("list")
def list_accounts() -> None:
    """Accounts, their staff links and lock state."""
    from sqlmodel import Session, select

    from models.web_tables import Account

    now = datetime.now(timezone.utc)
    with Session(db_engine()) as session:
        for a in session.exec(select(Account).order_by(Account.username)):
            locked = f"  locked until {a.locked_until:%Y-%m-%d %H:%M}" if a.locked_until and a.locked_until > now else ""
            typer.echo(f"{a.username:<20} {a.staff_id or '-':<8} {'admin' if a.is_admin else '':<5}{locked}")


def register(app: typer.Typer) -> None:
    app.add_typer(accounts_app, name="accounts")

    @app.command("web")
    def web(
        host: str = typer.Option(None, help="Interface to listen on (default: WEB_HOST)."),
        port: int = typer.Option(None, help="Port (default: WEB_PORT)."),
        workers: int = typer.Option(None, min=1, max=64, help="Processes serving requests (default: WEB_WORKERS, 1)."),
    ) -> None:
        """Serve the web app and the /api (the worker runs separately: `gcu-review worker`)."""
        from web.server import serve, serve_processes

        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
        settings = get_settings()
        processes = workers or settings.web_workers
        if processes > 1:
            # Each process builds its app from the environment (web.app:create_app) and listens on
            # a socket of its own; this one restarts them if they die and stops them on SIGINT/SIGTERM.
            typer.echo(f"web app on http://{host or settings.web_host}:{port or settings.web_port}, "
                       f"{processes} processes (Ctrl-C stops)")
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
