"""Plumbing shared by the CLI commands: settings, database, Temporal client, errors -> exit codes."""

import asyncio
import getpass
import json
import os
import sys
from collections.abc import Callable, Coroutine
from typing import Any, NoReturn, TypeVar

import typer
from pydantic import BaseModel

from service.errors import ServiceError
from settings import get_settings

OPERATOR_TOKEN_ENV = "GCU_OPERATOR_TOKEN"

T = TypeVar("T")

# `gcu-review --request-id KEY ...` (cli/main.py): the idempotency key of this run's review action.
REQUEST_ID: str | None = None


_SCHEMA_CHECKED: set[str] = set()


def require_schema() -> None:
    """A development SQLite database is migrated on first use; any other database that is not at
    our schema stops the command with one line naming `gcu-review db upgrade` (exit code 2)."""
    from store.db import SchemaNotReady, ensure_schema

    settings = get_settings()
    if settings.database_url in _SCHEMA_CHECKED:
        return
    try:
        ensure_schema(settings.database_url, migrate_sqlite=settings.environment in ("development", "test"))
    except SchemaNotReady as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    _SCHEMA_CHECKED.add(settings.database_url)


def db_engine():
    from store.db import make_engine

    require_schema()
    return make_engine(get_settings().database_url)


def run_async(make: Callable[[], Coroutine[Any, Any, T]]) -> T:
    """Run one service call; a refusal or bad input becomes a message on stderr and its exit code."""
    try:
        return asyncio.run(make())
    except ServiceError as exc:
        typer.echo(f"error: {exc.message}", err=True)
        raise typer.Exit(exc.exit_code) from exc
    except RuntimeError as exc:
        if "Failed client connect" in str(exc) or "connection" in str(exc).lower():
            typer.echo(f"error: cannot reach Temporal at {get_settings().temporal_address}: {exc}", err=True)
            raise typer.Exit(2) from exc
        raise


async def client():
    from service.temporal_client import connect

    return await connect(get_settings())


def emit_json(value: Any) -> None:
    if isinstance(value, BaseModel):
        text = value.model_dump_json(indent=2)
    elif isinstance(value, list) and all(isinstance(v, BaseModel) for v in value):
        text = json.dumps([v.model_dump(mode="json") for v in value], indent=2)
    else:
        text = json.dumps(value, indent=2, default=str)
    sys.stdout.write(text + "\n")


def _development() -> bool:
    return get_settings().environment in ("development", "test")


def cli_operator(*, admin: bool = False, first_admin: bool = False):
    """Who runs this CLI command, for the audit trail. In development, the operating-system user.
    Elsewhere, the account of the API token in GCU_OPERATOR_TOKEN (an administrator's, for `admin`):
    whoever can run the CLI must still say who they are (`first_admin`: creating the very first
    administrator needs no token, there is nobody to name yet)."""
    from models.enums import AuditChannel
    from store.account_events import Operator

    if _development() or first_admin:
        return Operator(channel=AuditChannel.CLI, username=f"os:{getpass.getuser()}")
    from sqlmodel import Session

    from store.accounts import token_and_account

    token = os.environ.get(OPERATOR_TOKEN_ENV, "")
    if not token:
        _refuse(
            f"outside development (ENVIRONMENT={get_settings().environment}) a CLI action needs an operator "
            f"identity: set {OPERATOR_TOKEN_ENV} to one of your API tokens (made on your Account page)"
        )
    with Session(db_engine(), expire_on_commit=False) as session:
        found = token_and_account(session=session, token=token)
        session.commit()
    if found is None:
        _refuse(f"{OPERATOR_TOKEN_ENV} is not a live API token (unknown, expired or revoked)")
    row, account = found
    if row.read_only:
        _refuse(f"{OPERATOR_TOKEN_ENV} is a read-only token; CLI actions change things")
    if admin and not account.is_admin:
        _refuse(f"this command is for administrators; {OPERATOR_TOKEN_ENV} is {account.username}'s token")
    return Operator.of(account, AuditChannel.CLI)


def check_acting_as(staff_id: str) -> str:
    """`--as` outside development: only the operator themself (issue 17: the CLI acted as anyone)."""
    if _development():
        return staff_id
    operator = cli_operator()
    if operator.staff_id != staff_id:
        raise typer.BadParameter(
            f"the operator ({operator.username}, {OPERATOR_TOKEN_ENV}) is {operator.staff_id or 'no register person'}; "
            "outside development the CLI acts only as its operator"
        )
    return staff_id


def _refuse(message: str) -> NoReturn:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(2)


class StepProgress:
    """Progress of long CLI work on stderr (rich): one bar per step, told (step, done, total); a
    spinner for a phase of unknown length. Nothing is drawn when stderr is not a terminal, so logs
    and pipes get only the command's own result lines."""

    def __init__(self, description: str, console=None):
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

        console = console or Console(stderr=True)
        self._progress = Progress(
            SpinnerColumn(),
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=console,
            transient=False,
            disable=not console.is_terminal,
        )
        self._tasks: dict[str, Any] = {}
        self._phase = self._progress.add_task(description, total=None)

    def __enter__(self) -> "StepProgress":
        self._progress.start()
        return self

    def __exit__(self, *exc) -> None:
        self._progress.update(self._phase, total=1, completed=1)
        self._progress.stop()

    def phase(self, description: str) -> None:
        self._progress.update(self._phase, description=description)

    def __call__(self, step: str, done: int, total: int | None) -> None:
        if step not in self._tasks:
            self._tasks[step] = self._progress.add_task(step, total=total)
        self._progress.update(self._tasks[step], completed=done, total=total)

    def counter(self, step: str, total: int | None = None) -> Callable[[int], None]:
        """A callback for work that tells how many more items it has done (total None: unknown)."""
        done = 0
        self(step, done, total)

        def advance(n: int) -> None:
            nonlocal done
            done += n
            self(step, done, total)

        return advance
