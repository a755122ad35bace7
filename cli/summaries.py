"""`gcu-review summaries ...` (compliance summaries per Deputy Prosecutor) and `gcu-review notify
...` (the email outbox), issue 5."""

import datetime as dt
import uuid
from pathlib import Path

import typer

from cli.common import db_engine, emit_json

summaries_app = typer.Typer(no_args_is_help=True, help="Compliance summaries per Deputy Prosecutor: run, list, show.")
notify_app = typer.Typer(
    no_args_is_help=True, help="Email outbox: send pending notifications, list and requeue deliveries."
)


def _date(value: str | None, option: str) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(f"{value!r} is not a YYYY-MM-DD date", param_hint=option) from None


def _period(start: str | None, end: str | None):
    from models.summary_messages import SummaryPeriod

    start_d, end_d = _date(start, "--from"), _date(end, "--to")
    if (start_d is None) != (end_d is None):
        raise typer.BadParameter("give both --from and --to, or neither (the previous period)")
    if start_d is None or end_d is None:
        return None
    if end_d < start_d:
        raise typer.BadParameter(f"--to {end_d} is before --from {start_d}")
    return SummaryPeriod(start=start_d, end=end_d)


@summaries_app.command("run")
def run(
    dp: str | None = typer.Option(None, "--dp", help="Only this Deputy Prosecutor (staff id)."),
    start: str | None = typer.Option(None, "--from", help="First day (YYYY-MM-DD); with --to."),
    end: str | None = typer.Option(
        None, "--to", help="Last day, inclusive. Default: the SUMMARY_PERIOD_DAYS days before today."
    ),
    email: bool = typer.Option(True, "--email/--no-email", help="Email each summary when SMTP is configured."),
    regenerate: bool = typer.Option(
        False, "--regenerate", help="Remake summaries already emailed (not emailed again)."
    ),
    local: bool = typer.Option(False, "--local", help="Run in this process instead of as a Temporal workflow."),
) -> None:
    """Make the compliance summaries now (the same workflow the weekly schedule runs)."""
    from models.summary_messages import SummaryRunInput, previous_period
    from settings import get_settings

    settings = get_settings()
    period = _period(start, end)
    if local:
        _run_local(
            settings, period or previous_period(dt.date.today(), settings.summary_period_days), dp, email, regenerate
        )
        return
    from cli.common import client, run_async
    from workflows.summaries import WORKFLOW_ID, ComplianceSummaryWorkflow

    request = SummaryRunInput(
        period=period,
        period_days=settings.summary_period_days,
        deputy_prosecutor_id=dp,
        email=email,
        regenerate_emailed=regenerate,
    )

    async def go():
        return await (await client()).execute_workflow(
            ComplianceSummaryWorkflow.run,
            request,
            id=f"{WORKFLOW_ID}-manual-{uuid.uuid4().hex[:12]}",
            task_queue=settings.task_queue,
        )

    emit_json(run_async(go))


def _run_local(settings, period, dp, email: bool, regenerate: bool) -> None:
    from models.summary_messages import EmailSummaryResult, SummaryRunResult
    from notify.outbox import Outbox
    from store.db import session_scope
    from summaries.produce import produce_summary
    from summaries.render import SummaryRenderer
    from summaries.store import deputy_prosecutor_ids

    engine = db_engine()
    renderer, outbox = SummaryRenderer(settings.app_base_url), Outbox(engine=engine, settings=settings)
    result = SummaryRunResult(period=period)
    with session_scope(engine) as session:
        ids = deputy_prosecutor_ids(session=session, only=dp)
    if dp and not ids:
        typer.echo(f"error: {dp} is not an active Deputy Prosecutor of the register", err=True)
        raise typer.Exit(1)
    for dp_id in ids:
        with session_scope(engine) as session:
            ref = produce_summary(
                session=session,
                deputy_prosecutor_id=dp_id,
                period=period,
                as_of=dt.datetime.now(dt.UTC),
                renderer=renderer,
                regenerate_emailed=regenerate,
            )
        result.summaries.append(ref)
        if email:
            result.emails.append(
                EmailSummaryResult(summary_id=ref.summary_id, state=outbox.send_summary(ref.summary_id))
            )
    emit_json(result)


@summaries_app.command("list")
def list_(
    dp: str | None = typer.Option(None, "--dp", help="Only this Deputy Prosecutor."),
    format: str = typer.Option("table", "--format", help="table | json"),
) -> None:
    """Stored summaries, newest period first."""
    from store.db import session_scope
    from summaries.store import list_summaries

    with session_scope(db_engine()) as session:
        rows = list_summaries(session=session, deputy_prosecutor_id=dp)
    if format == "json":
        emit_json(rows)
        return
    from rich.console import Console
    from rich.table import Table

    table = Table(
        "id",
        "deputy prosecutor",
        "from",
        "to",
        "reviewed",
        "approved",
        "returned",
        "open blocking",
        "overdue",
        "generated",
        "emailed",
    )
    for r in rows:
        table.add_row(
            *[
                str(v)
                for v in (
                    r.id,
                    r.deputy_prosecutor_id,
                    r.period_start,
                    r.period_end,
                    r.reviewed,
                    r.approved,
                    r.returned,
                    r.open_blocking,
                    r.overdue,
                    f"{r.generated_at:%Y-%m-%d %H:%M}",
                    f"{r.emailed_at:%Y-%m-%d %H:%M}" if r.emailed_at else "-",
                )
            ]
        )
    Console(width=200).print(table)


@summaries_app.command("show")
def show(
    summary_id: int = typer.Argument(..., help="Summary id (see `summaries list`)."),
    pdf: Path | None = typer.Option(None, "--pdf", help="Write the PDF to this file."),
    html: Path | None = typer.Option(None, "--html", help="Write the HTML to this file."),
) -> None:
    """The figures of one summary (JSON); --pdf/--html write the rendered documents."""
    from store.db import session_scope
    from summaries.store import get_summary

    with session_scope(db_engine()) as session:
        summary = get_summary(session=session, summary_id=summary_id)
    if summary is None:
        typer.echo(f"error: no summary {summary_id}", err=True)
        raise typer.Exit(1)
    if pdf:
        pdf.write_bytes(summary.pdf)
        typer.echo(f"wrote {pdf} ({len(summary.pdf)} bytes)", err=True)
    if html:
        html.write_text(summary.html, encoding="utf-8")
        typer.echo(f"wrote {html}", err=True)
    emit_json(summary.data)


@summaries_app.command("schedule")
def schedule() -> None:
    """Create or update the Temporal Schedules `compliance-summary` and `notification-outbox`; idempotent."""
    from cli.common import client, run_async
    from service.temporal_setup import ensure_summary_schedules
    from settings import get_settings

    async def go():
        return await ensure_summary_schedules(await client(), get_settings())

    for schedule_id, outcome in run_async(go).items():
        typer.echo(f"schedule {schedule_id}: {outcome}")


@notify_app.command("send-pending")
def send_pending(limit: int = typer.Option(200, "--limit", help="At most this many notifications.")) -> None:
    """Email pending notifications now, at most once each (the code the outbox schedule runs)."""
    from notify.outbox import Outbox
    from settings import get_settings

    settings = get_settings()
    result = Outbox(engine=db_engine(), settings=settings).send_pending(limit=limit)
    if not result.smtp_configured:
        typer.echo("SMTP is not configured (SMTP_HOST is empty): notifications stay in-app", err=True)
    emit_json(result)


@notify_app.command("deliveries")
def deliveries(
    state: str | None = typer.Option(None, "--state", help="sending | sent | retry | failed | unconfirmed | skipped"),
    limit: int = typer.Option(100, "--limit"),
) -> None:
    """The outbox ledger, newest first."""
    from notify.deliveries import list_deliveries
    from store.db import session_scope

    with session_scope(db_engine()) as session:
        emit_json(list_deliveries(session=session, state=state, limit=limit))


@notify_app.command("requeue")
def requeue_(delivery_id: int = typer.Argument(...)) -> None:
    """Send an unconfirmed, failed or skipped delivery again: only after checking it was not received."""
    from notify.deliveries import requeue
    from store.db import session_scope

    try:
        with session_scope(db_engine()) as session:
            row = requeue(session=session, delivery_id=delivery_id)
            typer.echo(f"requeued {row.key}: sent on the next outbox run")
    except (LookupError, ValueError) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from exc


def register(app: typer.Typer) -> None:
    app.add_typer(summaries_app, name="summaries")
    app.add_typer(notify_app, name="notify")
