"""Review lifecycle commands: submit, status, queue, claim, assign, dismiss, decide, resubmit,
withdraw, comment, move-due. `--as STAFF_ID` is for operators on the server; people use the web app."""

from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path

import typer

from cli import common
from cli.common import check_acting_as, client, db_engine, emit_json, run_async
from models.enums import DecisionKind
from models.messages import ReviewStatus
from service import reviews
from settings import get_settings

AS_OPTION = typer.Option(
    ...,
    "--as",
    callback=check_acting_as,
    help="Staff id of the person acting (must be in the register; outside development, the operator of GCU_OPERATOR_TOKEN).",
)


class OutputFormat(StrEnum):
    TEXT = "text"
    JSON = "json"


def _print_status(status: ReviewStatus) -> None:
    typer.echo(f"{status.product_id}  [{status.product_type}] {status.title}")
    typer.echo(f"  state: {status.state}   version: {status.version_no} ({status.version_label})")
    typer.echo(f"  team: {status.team_id}   author: {status.author_id}   assignee: {status.assignee or '-'}")
    due = status.due_at.isoformat(timespec="minutes") if status.due_at else "-"
    typer.echo(f"  due: {due}{'  OVERDUE' if status.overdue else ''}   verdict: {status.verdict or '-'}")
    for f in status.findings:
        mark = "" if f.state == "open" else f" ({f.state}: {f.dismissal_reason or ''})"
        typer.echo(f"  - {f.severity:<9} {f.rule_id:<12} {f.location}{mark}")


def _done(status: ReviewStatus, fmt: OutputFormat) -> None:
    if fmt == OutputFormat.JSON:
        emit_json(status)
    else:
        _print_status(status)


# The review commands stay at the top level (`gcu-review claim ...`); each group is a sub-app of its own,
# merged into the main app by `register`.
read_app = typer.Typer(help="Reading reviews.")
team_app = typer.Typer(help="The submitting team's actions.")
reviewer_app = typer.Typer(help="The GCU's actions.")


@team_app.command()
def submit(
    file: Path,
    actor: str = AS_OPTION,
    meta: Path | None = typer.Option(None, help="Front matter YAML for a .docx or .pdf product."),
    format: OutputFormat = OutputFormat.TEXT,
) -> None:
    """Submit a product to the GCU: stores the version and starts its review workflow."""

    async def go():
        c = await client()
        return await reviews.submit(
            db_engine=db_engine(),
            client=c,
            settings=get_settings(),
            path=file,
            actor_id=actor,
            meta_path=meta,
            request_id=common.REQUEST_ID,
        )

    result = run_async(go)
    if format == OutputFormat.JSON:
        emit_json(result)
        return
    typer.echo(f"submitted {result.product_id} version {result.version_no}; workflow {result.workflow_id}")
    if result.status is None:
        typer.echo("the automatic pre-check is still running: see `gcu-review status` shortly")
    else:
        _print_status(result.status)


@read_app.command()
def status(
    product_id: str,
    actor: str | None = typer.Option(
        None, "--as", help="List the actions this person may take now (the review policy's answer)."
    ),
    format: OutputFormat = OutputFormat.TEXT,
) -> None:
    """Current state, findings and due date of a product's review."""

    async def go():
        st = await reviews.status(client=await client(), product_id=product_id, db_engine=db_engine())
        return st if actor is None else await reviews.as_seen_by(db_engine=db_engine(), status=st, actor_id=actor)

    st = run_async(go)
    _done(st, format)
    if actor is not None and format == OutputFormat.TEXT:
        may = ", ".join(str(a) for a in st.allowed_actions) or "no action now"
        typer.echo(f"  {actor} may: {may}")


@read_app.command()
def history(product_id: str, format: OutputFormat = OutputFormat.TEXT) -> None:
    """Who did what, when and why, for one product."""

    async def go():
        return await reviews.status(client=await client(), product_id=product_id, db_engine=db_engine())

    st = run_async(go)
    if format == OutputFormat.JSON:
        emit_json(st.history)
        return
    for h in st.history:
        who = h.actor_id or "system"
        why = f"  reason: {h.reason}" if h.reason else ""
        typer.echo(f"{h.at.isoformat(timespec='seconds')}  {h.action:<20} {who:<8} {h.from_state} -> {h.to_state}{why}")


@read_app.command()
def queue(
    team: str | None = None,
    situation: str | None = None,
    type: str | None = typer.Option(None, "--type"),
    state: str | None = None,
    verdict: str | None = None,
    overdue: bool | None = typer.Option(None, "--overdue/--not-overdue"),
    format: OutputFormat = OutputFormat.TEXT,
) -> None:
    """The GCU review queue, sorted by due date."""
    from sqlmodel import Session

    from store.reviews import list_queue

    with Session(db_engine()) as session:
        rows = list_queue(
            session=session,
            team=team,
            situation=situation,
            product_type=type,
            state=state,
            verdict=verdict,
            overdue=overdue,
            now=datetime.now(UTC),
        )
    if format == OutputFormat.JSON:
        emit_json(rows)
        return
    if not rows:
        typer.echo("the queue is empty")
    for r in rows:
        due = r.due_at.isoformat(timespec="minutes") if r.due_at else "-"
        typer.echo(
            f"{r.product_id:<24} {r.product_type:<3} {r.team_id:<10} {r.state:<12} "
            f"{r.assignee_id or '-':<8} due {due}  {r.verdict or '-'}"
        )


@reviewer_app.command()
def claim(product_id: str, actor: str = AS_OPTION, format: OutputFormat = OutputFormat.TEXT) -> None:
    """Claim a queued product for review."""
    _done(run_async(lambda: _call(reviews.claim, product_id=product_id, actor_id=actor)), format)


@reviewer_app.command()
def assign(product_id: str, reviewer: str, actor: str = AS_OPTION, format: OutputFormat = OutputFormat.TEXT) -> None:
    """(GCU head) assign or reassign a review."""
    _done(
        run_async(lambda: _call(reviews.assign, product_id=product_id, reviewer_id=reviewer, actor_id=actor)),
        format,
    )


@reviewer_app.command()
def dismiss(
    product_id: str,
    rule_id: str,
    reason: str = typer.Option(..., help="Why this finding is a false positive."),
    actor: str = AS_OPTION,
    format: OutputFormat = OutputFormat.TEXT,
) -> None:
    """Dismiss a finding as a false positive, with a recorded reason."""
    _done(
        run_async(
            lambda: _call(reviews.dismiss, product_id=product_id, rule_id=rule_id, reason=reason, actor_id=actor)
        ),
        format,
    )


@reviewer_app.command()
def decide(
    product_id: str,
    decision: DecisionKind,
    reason: str | None = typer.Option(None, help="Required to return or escalate."),
    actor: str = AS_OPTION,
    format: OutputFormat = OutputFormat.TEXT,
) -> None:
    """Approve, return for revision, or escalate to the GCU head."""
    _done(
        run_async(
            lambda: _call(reviews.decide, product_id=product_id, decision=decision, reason=reason, actor_id=actor)
        ),
        format,
    )


@team_app.command()
def resubmit(
    product_id: str,
    file: Path,
    actor: str = AS_OPTION,
    meta: Path | None = typer.Option(None, help="Front matter YAML for a .docx or .pdf product."),
    format: OutputFormat = OutputFormat.TEXT,
) -> None:
    """Resubmit a returned product with a new version."""

    async def go():
        return await reviews.resubmit(
            db_engine=db_engine(),
            client=await client(),
            settings=get_settings(),
            product_id=product_id,
            path=file,
            actor_id=actor,
            meta_path=meta,
            request_id=common.REQUEST_ID,
        )

    _done(run_async(go), format)


@team_app.command()
def withdraw(
    product_id: str,
    reason: str = typer.Option(..., help="Why the team withdraws the product."),
    actor: str = AS_OPTION,
    format: OutputFormat = OutputFormat.TEXT,
) -> None:
    """Withdraw a product before a decision."""
    _done(run_async(lambda: _call(reviews.withdraw, product_id=product_id, reason=reason, actor_id=actor)), format)


@team_app.command()
def comment(
    product_id: str,
    text: str = typer.Option(..., help="The comment (at most 4000 characters)."),
    actor: str = AS_OPTION,
    format: OutputFormat = OutputFormat.TEXT,
) -> None:
    """Comment on a review (the assignee, the GCU head or the submitting team), recorded in its history."""
    _done(run_async(lambda: _call(reviews.comment, product_id=product_id, text=text, actor_id=actor)), format)


@reviewer_app.command("move-due")
def move_due(
    product_id: str,
    due: datetime = typer.Argument(..., help="New due date/time (ISO 8601; UTC if no offset)."),
    reason: str = typer.Option(..., help="Why the due date moves."),
    actor: str = AS_OPTION,
    format: OutputFormat = OutputFormat.TEXT,
) -> None:
    """(GCU head) move a review's due date; the reminders and escalations follow."""
    due_at = due if due.tzinfo else due.replace(tzinfo=UTC)
    _done(
        run_async(
            lambda: _call(reviews.move_due_date, product_id=product_id, due_at=due_at, reason=reason, actor_id=actor)
        ),
        format,
    )


def register(app: typer.Typer) -> None:
    for group in (read_app, team_app, reviewer_app):
        app.add_typer(group)


async def _call(fn, **kwargs):
    return await fn(db_engine=db_engine(), client=await client(), request_id=common.REQUEST_ID, **kwargs)
