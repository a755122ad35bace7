"""`gcu-review repair`: the operator's repair path (service/repair.py, docs/review-lifecycle.md)."""

import typer

from cli.common import client, db_engine, emit_json, run_async
from settings import get_settings


def repair(
    restart: bool = typer.Option(
        False,
        "--restart",
        help="Start again, from the state they had reached, the open "
        "reviews whose workflow was terminated, cancelled, failed "
        "or timed out (needs a running worker).",
    ),
) -> None:
    """Start the reviews of products stored without one; report (and with --restart, restart) open
    reviews whose workflow ended abnormally. Safe to run again: it finds nothing left to do."""
    from service.repair import repair as run_repair

    async def go():
        return await run_repair(db_engine=db_engine(), client=await client(), settings=get_settings(), restart=restart)

    report = run_async(go)
    emit_json(report.__dict__)
    if report.ended and not restart:
        typer.echo(f"{len(report.ended)} open review(s) ended abnormally: run again with --restart", err=True)
    if report.problems:
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    app.command("repair")(repair)
