"""Plumbing shared by the CLI commands: settings, database, Temporal client, errors -> exit codes."""

import asyncio
import json
import sys
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import typer
from pydantic import BaseModel

from service.errors import ServiceError
from settings import get_settings

T = TypeVar("T")


def db_engine():
    from store.db import make_engine

    return make_engine(get_settings().database_url)


def run_async(make: Callable[[], Awaitable[T]]) -> T:
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


class StepProgress:
    """Progress of long CLI work on stderr (rich): one bar per step, told (step, done, total); a
    spinner for a phase of unknown length. Nothing is drawn when stderr is not a terminal, so logs
    and pipes get only the command's own result lines."""

    def __init__(self, description: str, console=None):
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

        console = console or Console(stderr=True)
        self._progress = Progress(SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                                  TimeElapsedColumn(), console=console, transient=False, disable=not console.is_terminal)
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

    def __call__(self, step: str, done: int, total: int) -> None:
        if step not in self._tasks:
            self._tasks[step] = self._progress.add_task(step, total=total)
        self._progress.update(self._tasks[step], completed=done, total=total)
