"""`gcu-review retention purge [--dry-run]`: apply the data-retention setting (docs/production.md).

Run it daily (cron, or `docker-compose run --rm retention`). The period is the setting
RETENTION_DAYS_CLOSED_REVIEWS alone, so the policy lives in one documented place."""

import typer

from cli.common import db_engine, emit_json
from settings import get_settings

retention_app = typer.Typer(no_args_is_help=True, help="Data retention of product files (docs/production.md).")


@retention_app.command("purge")
def purge(
    dry_run: bool = typer.Option(False, "--dry-run", help="List what would be purged; change nothing."),
    format: str = typer.Option("text", help="text | json"),
) -> None:
    """Purge the file contents of reviews closed more than RETENTION_DAYS_CLOSED_REVIEWS days ago,
    keeping each file's SHA-256, the metadata, findings, decisions and the audit trail."""
    from store.retention import purge_closed_reviews

    report = purge_closed_reviews(
        engine=db_engine(), retention_days=get_settings().retention_days_closed_reviews, dry_run=dry_run
    )
    if format == "json":
        emit_json(report)
    else:
        typer.echo(str(report))
        for product in report.products:
            for v in product.versions:
                typer.echo(f"  {product.product_id} v{v.version_no} {v.filename}  sha256 {v.sha256}  ({product.state})")
    _prune_sign_ins(dry_run=dry_run, quiet=format == "json")
    mismatched = [(p.product_id, v) for p in report.products for v in p.mismatched]
    for product_id, v in mismatched:
        typer.echo(
            f"warning: {product_id} v{v.version_no} kept: its stored file does not match its recorded "
            f"SHA-256 {v.sha256}; investigate before purging",
            err=True,
        )
    if mismatched:
        raise typer.Exit(1)


def _prune_sign_ins(*, dry_run: bool, quiet: bool) -> None:
    """The sign-in event log (addresses and typed names) is kept SIGN_IN_LOG_DAYS, no longer."""
    from datetime import UTC, datetime, timedelta

    from sqlmodel import Session

    from store.sign_in import prune

    days = get_settings().sign_in_log_days
    with Session(db_engine()) as session:
        count = prune(session=session, before=datetime.now(UTC) - timedelta(days=days), dry_run=dry_run)
        session.commit()
    if not quiet:
        typer.echo(f"sign-in log: {count} events older than {days} days {'would be ' if dry_run else ''}removed")


def register(app: typer.Typer) -> None:
    app.add_typer(retention_app, name="retention")
