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

# `gcu-review --request-id KEY ...` (cli/main.py): the idempotency key of this run's review action.
REQUEST_ID: str | None = None


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
