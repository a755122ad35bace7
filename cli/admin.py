"""Operator commands: up (what `make run` calls), worker, db upgrade, roster import, audit verify."""

import asyncio
import logging
import signal
from pathlib import Path

import typer

from cli.common import StepProgress, client, db_engine, emit_json, run_async
from settings import get_settings


def printable_url(url: str) -> str:
    """A database URL safe for logs: the password masked."""
    import sqlalchemy as sa

    from store.db import normalize_url

    return sa.make_url(normalize_url(url)).render_as_string(hide_password=True)


roster_app = typer.Typer(no_args_is_help=True, help="The staff and certification register.")
db_app = typer.Typer(no_args_is_help=True, help="Database schema.")
audit_app = typer.Typer(no_args_is_help=True, help="The tamper-evident audit trail.")


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Apply the Alembic migrations to DATABASE_URL."""
    from store.db import migrate

    settings = get_settings()
    migrate(settings.database_url)
    typer.echo(f"database at head: {printable_url(settings.database_url)}")


@roster_app.command("import")
def roster_import(path: Path, format: str = typer.Option("text", help="text | json")) -> None:
    """Load teams, staff, certifications and briefings; a re-import updates, never duplicates."""
    from sqlmodel import Session

    from rules.roster import RosterError, load_roster
    from store.roster_import import import_roster

    with StepProgress(f"reading {path.name}") as progress:
        try:
            load = load_roster(path)
        except RosterError as exc:
            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(2) from exc
        progress.phase(f"importing {path.name}")
        with Session(db_engine()) as session:
            report = import_roster(session=session, load=load, progress=progress)
            progress.phase(f"saving {path.name}")
            session.commit()
    if format == "json":
        emit_json(report)
        return
    typer.echo(f"imported {path}: {report}")
    for p in load.problems:
        where = f"{p.file or path}:{p.line}" if p.line else str(p.file or path)
        typer.echo(f"  skipped {where} {p.field or ''}: {p.message}", err=True)


@audit_app.command("verify")
def audit_verify(
    anchors: bool = typer.Option(
        True, help="Compare with the checkpoints recorded in Temporal (workflows/audit_anchor.py)."
    ),
    require_anchors: bool = typer.Option(
        False, help="Fail (exit 1) when Temporal cannot be asked for the checkpoints."
    ),
) -> None:
    """Verify the keyed audit chain against the checkpoints kept in Temporal, and decisions and
    dismissals against their events; report the first broken or missing event (exit 1 if any)."""
    from sqlmodel import Session

    from store.audit import verify_chain
    from store.audit_crosscheck import cross_check

    recorded = None
    if anchors:
        recorded = run_async(_recorded_anchors_or_none)
        if recorded is None:
            address = get_settings().temporal_address
            if require_anchors:
                typer.echo(f"error: cannot read the audit checkpoints from Temporal at {address}", err=True)
                raise typer.Exit(1)
            typer.echo(f"warning: checkpoints not compared: Temporal at {address} cannot be reached", err=True)
    with Session(db_engine()) as session:
        report = verify_chain(session=session, anchors=recorded or [])
        problems = cross_check(session=session) if report.ok else []
    if not report.ok:
        typer.echo(f"audit trail BROKEN at event {report.first_broken_id}: {report.problem}", err=True)
        raise typer.Exit(1)
    if problems:
        for item in problems:
            typer.echo(f"audit trail MISMATCH: {item.what} {item.problem}", err=True)
        raise typer.Exit(1)
    compared = "" if recorded is None else f", matching {len(recorded)} checkpoints recorded in Temporal"
    typer.echo(
        f"audit trail intact: {report.checked} events verified{compared}; decisions and dismissals match their events"
    )


async def _recorded_anchors_or_none():
    from service.audit_anchor import recorded_anchors

    try:
        return await recorded_anchors(await client(), task_queue=get_settings().task_queue)
    except Exception:
        return None


@audit_app.command("anchor")
def audit_anchor() -> None:
    """Record a checkpoint of the chain's head in Temporal now (the schedule does it every AUDIT_ANCHOR_MINUTES)."""
    run_async(_anchor_now)


async def _anchor_now() -> None:
    import uuid

    from models.audit_messages import AnchorInput
    from workflows.audit_anchor import WORKFLOW_ID, AuditAnchorWorkflow

    temporal = await client()
    head = await temporal.execute_workflow(
        AuditAnchorWorkflow.run,
        AnchorInput(),
        id=f"{WORKFLOW_ID}-manual-{uuid.uuid4().hex[:12]}",
        task_queue=get_settings().task_queue,
    )
    typer.echo(f"checkpoint recorded: {head.length} events, last event {head.last_event_id}")


def register(app: typer.Typer) -> None:
    app.add_typer(roster_app, name="roster")
    app.add_typer(db_app, name="db")
    app.add_typer(audit_app, name="audit")

    @app.command()
    def worker() -> None:
        """Run a worker (several may run at once)."""
        from cli.common import require_schema
        from service.temporal_setup import NamespaceNotReady
        from worker import run_worker

        require_schema()
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
        try:
            asyncio.run(_until_signal(run_worker))
        except NamespaceNotReady as exc:
            typer.echo(f"error: the worker did not start: {exc}", err=True)
            raise typer.Exit(1) from exc

    @app.command()
    def up(
        port: int = typer.Option(7233, help="Temporal gRPC port."),
        ui_port: int = typer.Option(8233, help="Temporal Web UI port."),
        demo: bool = typer.Option(True, help="Import the demo register and submit the demo products."),
    ) -> None:
        """Start everything for a local system: database, Temporal dev server, worker, demo data."""
        refuse_up_outside_development()
        logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
        asyncio.run(_up(port=port, ui_port=ui_port, demo=demo))


def refuse_up_outside_development() -> None:
    """`up` makes demo accounts whose passwords are printed in the README: development only."""
    environment = get_settings().environment
    if environment != "development":
        typer.echo(
            f"error: `gcu-review up` is for development only (ENVIRONMENT={environment}): it creates demo accounts "
            "with published passwords and a throw-away Temporal server. In production run `gcu-review db upgrade`, "
            "then `gcu-review worker` and `gcu-review web` (see the README's production notes).",
            err=True,
        )
        raise typer.Exit(2)


async def _until_signal(run) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await run(stop=stop)


async def _up(*, port: int, ui_port: int, demo: bool) -> None:
    from service import demo as demo_data
    from service import demo_spu
    from service.devserver import start_dev_server, stop_dev_server
    from service.temporal_client import connect
    from service.temporal_setup import ensure_schedules
    from store.accounts import seed_demo_accounts
    from store.db import migrate
    from web.server import serve
    from worker import build_worker

    settings = get_settings()
    settings.var_dir.mkdir(parents=True, exist_ok=True)
    settings.temporal_address = f"127.0.0.1:{port}"
    typer.echo(f"database: {printable_url(settings.database_url)}")
    migrate(settings.database_url)
    typer.echo("starting the Temporal dev server (file-backed: var/temporal.db) ...")
    server = start_dev_server(
        db_file=settings.var_dir / "temporal.db",
        port=port,
        ui_port=ui_port,
        log_file=settings.var_dir / "temporal.log",
        codec_endpoint=f"http://{settings.web_host}:{settings.web_port}/codec",
    )
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        client = await connect(settings)
        await ensure_schedules(client, settings)
        engine = db_engine()
        async with build_worker(client, settings):
            accounts = []
            if demo:
                fresh = await demo_data.seed(db_engine=engine, client=client, settings=settings)
                await demo_data.drive_demo_states(db_engine=engine, client=client, product_ids=fresh)
                typer.echo(f"demo data: {len(fresh)} products submitted now ({len(demo_data.DEMO_PRODUCTS)} in all)")
                from service.demo_history import seed_history

                history = await asyncio.to_thread(seed_history, db_engine=engine, settings=settings)
                typer.echo(f"demo history: {len(history)} closed reviews of the last four quarters written now")
                records = await demo_spu.seed_interview_records(db_engine=engine, client=client, settings=settings)
                typer.echo(f"demo data: {len(records)} interview records submitted now (SPU indicator)")
                await demo_spu.drive_spu_reviews(db_engine=engine, client=client)
                accounts = seed_demo_accounts(db_engine=engine) + demo_spu.seed_spu_accounts(db_engine=engine)
            started = asyncio.Event()
            web_task = asyncio.create_task(
                serve(settings, stop, db_engine=engine, temporal_client=client, started=started)
            )
            await asyncio.wait({web_task, asyncio.create_task(started.wait())}, return_when=asyncio.FIRST_COMPLETED)
            if web_task.done():
                web_task.result()  # the web app failed to start: raise its error
            _print_welcome(settings=settings, ui_port=ui_port, accounts=accounts)
            await stop.wait()
            typer.echo("\nstopping ...")
            await web_task
    finally:
        stop_dev_server(server)
        typer.echo("stopped.")


def _print_welcome(*, settings, ui_port: int, accounts: list[tuple[str, str, str]]) -> None:
    typer.echo("")
    typer.echo("gcu-review is running.")
    typer.echo(f"  Web app:          http://{settings.web_host}:{settings.web_port}")
    typer.echo(f"  Temporal Web UI:  http://127.0.0.1:{ui_port}  (filter reviews by Team, ReviewState, Assignee)")
    typer.echo("    payloads are sealed; to read them, sign in to the web app as an administrator or GCU staff and")
    typer.echo("    tick \"Include cross-origin credentials\" in the UI's codec settings (codec: the web app's /codec)")
    if accounts:
        typer.echo("  Demo accounts (development only):")
        for username, password, what in accounts:
            typer.echo(f"    {username:<14} {password:<24} {what}")
    typer.echo("  CLI, in another shell (source .venv/bin/activate):")
    typer.echo("    gcu-review queue")
    typer.echo("    gcu-review status IO-KESTREL-2025-233")
    typer.echo("    gcu-review claim CS-KESTREL-2025-03 --as GX-02")
    typer.echo("Press Ctrl-C to stop everything.")
