"""`gcu-review certs ...`: the certification register (issue 4).

Default validity when --expires is omitted (requirements.md §6.2 [D]): 3 years for SGBC_BASIC and
CAC_BASIC, 2 years for SGBC_ADV and CAC_ADV; `expires` is the last valid day.
"""

import csv
import datetime as dt
import sys
from pathlib import Path
from typing import overload

import typer

from cli.common import StepProgress, db_engine, emit_json

certs_app = typer.Typer(
    no_args_is_help=True, help="Certification register: add, renew, revoke, list, gaps, import, sweep."
)

VALIDITY_HELP = "Last valid day (YYYY-MM-DD). Default: issue date + 3 years (BASIC) or 2 years (ADV) - 1 day (requirements.md §6.2)."


@overload
def parse_date(value: str, option: str) -> dt.date: ...
@overload
def parse_date(value: None, option: str) -> None: ...
@overload
def parse_date(value: str | None, option: str) -> dt.date | None: ...
def parse_date(value: str | None, option: str) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(f"{value!r} is not a YYYY-MM-DD date", param_hint=option) from None


def _fail(exc: Exception, code: int = 1) -> None:
    typer.echo(f"error: {exc}", err=True)
    raise typer.Exit(code) from exc


def _session():
    from store.db import session_scope

    return session_scope(db_engine())


def _store_errors():
    from store.errors import StoreError

    return StoreError


@certs_app.command("add")
def add(
    staff: str = typer.Argument(..., help="Staff id."),
    cert: str = typer.Argument(..., help="SGBC_BASIC | SGBC_ADV | CAC_BASIC | CAC_ADV"),
    issued: str = typer.Option(..., "--issued", help="Issue date (YYYY-MM-DD)."),
    expires: str | None = typer.Option(None, "--expires", help=VALIDITY_HELP),
) -> None:
    """Record a certification. Without --expires: 3 years (BASIC) or 2 years (ADV), requirements.md §6.2."""
    from store.certifications import add_certification

    try:
        with _session() as session:
            row = add_certification(
                session=session,
                staff_id=staff,
                cert=cert,
                issued=parse_date(issued, "--issued"),
                expires=parse_date(expires, "--expires"),
            )
            typer.echo(f"added {row.cert} of {row.staff_id}: issued {row.issued}, expires {row.expires} (id {row.id})")
    except _store_errors() as exc:
        _fail(exc)


@certs_app.command("renew")
def renew(
    staff: str = typer.Argument(...),
    cert: str = typer.Argument(...),
    issued: str = typer.Option(..., "--issued", help="Issue date of the renewal."),
    expires: str | None = typer.Option(None, "--expires", help=VALIDITY_HELP),
) -> None:
    """Record a renewal (a new record; the old one stays as history). Default validity as for `add`."""
    from store.certifications import renew_certification

    try:
        with _session() as session:
            row = renew_certification(
                session=session,
                staff_id=staff,
                cert=cert,
                issued=parse_date(issued, "--issued"),
                expires=parse_date(expires, "--expires"),
            )
            typer.echo(
                f"renewed {row.cert} of {row.staff_id}: issued {row.issued}, expires {row.expires} (id {row.id})"
            )
    except _store_errors() as exc:
        _fail(exc)


@certs_app.command("revoke")
def revoke(
    staff: str = typer.Argument(...),
    cert: str = typer.Argument(...),
    reason: str = typer.Option(..., "--reason", help="Why (recorded with the revocation)."),
    issued: str | None = typer.Option(None, "--issued", help="Only the record issued on this date."),
) -> None:
    """Revoke a certification: it stops counting from today."""
    from store.certifications import revoke_certification

    try:
        with _session() as session:
            rows = revoke_certification(
                session=session, staff_id=staff, cert=cert, reason=reason, issued=parse_date(issued, "--issued")
            )
            for row in rows:
                typer.echo(f"revoked {row.cert} of {row.staff_id} issued {row.issued} (id {row.id})")
    except _store_errors() as exc:
        _fail(exc)


@certs_app.command("brief")
def brief(
    staff: str = typer.Argument(...),
    area: str = typer.Argument(..., help="SGBC | CAC"),
    date: str = typer.Option(..., "--date", help="Briefing date."),
    expires: str = typer.Option(..., "--expires", help="Last day the briefing counts."),
    briefed_by: str | None = typer.Option(None, "--by", help="Staff id of the briefer."),
) -> None:
    """Record an interpreter/intermediary briefing (substitutes for BASIC in those roles only)."""
    from store.certifications import add_briefing

    try:
        with _session() as session:
            row = add_briefing(
                session=session,
                staff_id=staff,
                area=area,
                date=parse_date(date, "--date"),
                expires=parse_date(expires, "--expires"),
                briefed_by=briefed_by,
            )
            typer.echo(f"briefing {row.area} of {row.staff_id}: {row.date} to {row.expires}")
    except _store_errors() as exc:
        _fail(exc)


def _table(headers: list[str], rows: list[list]) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(*headers)
    for row in rows:
        table.add_row(*["" if v is None else str(v) for v in row])
    Console(width=200).print(table)


def _csv(headers: list[str], rows: list[list]) -> None:
    writer = csv.writer(sys.stdout)
    writer.writerow(headers)
    writer.writerows([["" if v is None else v for v in row] for row in rows])


@certs_app.command("list")
def list_(
    team: str | None = typer.Option(None, "--team", help="Team staff of this team only."),
    person: str | None = typer.Option(None, "--person"),
    expiring_within: int | None = typer.Option(None, "--expiring-within", help="Valid records expiring within DAYS."),
    on: str | None = typer.Option(None, "--on", help="Status as of this date (default today)."),
    format: str = typer.Option("table", "--format", help="table | json | csv"),
) -> None:
    """List register records with their status on a date."""
    from store.certifications import list_certifications

    with _session() as session:
        rows = list_certifications(
            session=session,
            on=parse_date(on, "--on") or dt.date.today(),
            team_id=team,
            staff_id=person,
            expiring_within=expiring_within,
        )
    if format == "json":
        emit_json(rows)
        return
    headers = ["id", "staff", "name", "cert", "issued", "expires", "status", "days_left"]
    data = [[r.id, r.staff_id, r.name, r.cert, r.issued, r.expires, r.status, r.days_left] for r in rows]
    (_csv if format == "csv" else _table)(headers, data)


@certs_app.command("gaps")
def gaps(
    team: str | None = typer.Option(None, "--team"),
    person: str | None = typer.Option(None, "--person"),
    on: str | None = typer.Option(None, "--on", help="Check date (default today)."),
    expiring_within: int = typer.Option(
        90, "--expiring-within", help="Also report requirements met only until DAYS from the date."
    ),
    format: str = typer.Option("table", "--format", help="table | json | csv"),
) -> None:
    """Required certifications (role matrix, requirements.md §6.3, with designations) missing,
    expired, revoked or expiring, per person; --team for one team's staff."""
    from store.cert_gaps import gap_report

    with _session() as session:
        report = gap_report(
            session=session,
            on=parse_date(on, "--on") or dt.date.today(),
            team_id=team,
            staff_id=person,
            expiring_within=expiring_within,
        )
    if format == "json":
        emit_json(report)
        return
    headers = ["staff", "name", "teams", "roles", "requirement", "status", "expires", "days_left"]
    data = [
        [p.staff_id, p.name, ",".join(p.teams), ",".join(p.roles), g.requirement, g.status, g.expires, g.days_left]
        for p in report
        for g in p.gaps
    ]
    (_csv if format == "csv" else _table)(headers, data)
    if format == "table":
        typer.echo(f"{len(report)} person(s) with gaps", err=True)


@certs_app.command("import")
def import_(
    path: Path = typer.Argument(..., exists=True, dir_okay=False, help=".yaml/.yml (roster lists) or .csv"),
    dry_run: bool = typer.Option(False, "--dry-run", help="Validate only."),
) -> None:
    """Bulk import certifications and briefings; any problem refuses the whole file (one transaction).
    Progress on stderr while it runs, when stderr is a terminal."""
    from store.cert_import import ImportRefused, import_records, parse_file

    try:
        with StepProgress(f"reading {path.name}") as progress, _session() as session:
            parsed = parse_file(path, session=session)
            if dry_run:
                if parsed.problems:
                    raise ImportRefused(parsed.problems)
                typer.echo(
                    f"{path}: {len(parsed.certifications)} certification(s), {len(parsed.briefings)} briefing(s): valid"
                )
                return
            progress.phase(f"importing {path.name}")
            result = import_records(session=session, parsed=parsed, progress=progress.counter("records", parsed.total))
            progress.phase(f"saving {path.name}")
    except ImportRefused as exc:
        for problem in exc.problems:
            typer.echo(f"{path}: {problem}", err=True)
        typer.echo(f"error: import refused, nothing written ({len(exc.problems)} problem(s))", err=True)
        raise typer.Exit(1) from exc
    typer.echo(f"imported {path}: {result.created} created, {result.updated} updated, {result.unchanged} unchanged")


@certs_app.command("sweep")
def sweep(on: str | None = typer.Option(None, "--on", help="Sweep day (default today).")) -> None:
    """Run the expiry notices of the daily sweep now, without Temporal (same code as the activity)."""
    from models.cert_messages import ExpiryNoticesInput
    from store.cert_notices import send_expiry_notices

    with _session() as session:
        result = send_expiry_notices(
            session=session, request=ExpiryNoticesInput(as_of=parse_date(on, "--on") or dt.date.today())
        )
    emit_json(result)


@certs_app.command("schedule")
def schedule() -> None:
    """Create or update the Temporal Schedule `certification-sweep` (daily); idempotent."""
    from cli.common import client, run_async
    from service.temporal_setup import ensure_sweep_schedule
    from settings import get_settings
    from workflows.cert_sweep import SCHEDULE_ID

    async def go() -> str:
        return await ensure_sweep_schedule(await client(), get_settings())

    typer.echo(f"schedule {SCHEDULE_ID}: {run_async(go)}")


def register(app: typer.Typer) -> None:
    app.add_typer(certs_app, name="certs")
