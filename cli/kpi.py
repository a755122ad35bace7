"""`gcu-review kpi` (KPIs 10, 11, 12) and `gcu-review kpi11 ...` (the KPI 11 register)."""

import csv
import datetime as dt
import json
import sys
from pathlib import Path

import typer
from sqlmodel import col

from cli.certs import _fail, _session, _store_errors, parse_date
from cli.common import emit_json

kpi_app = typer.Typer(
    help="KPIs 10, 11 and 12 (requirements.md §7) and the SPU indicator (contract v2 §6.1), "
    "from the system's own records."
)
kpi11_app = typer.Typer(no_args_is_help=True, help="The KPI 11 register: charge units, outcomes, lineage.")


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{100 * value:.1f}%"


def _print_tables(results) -> None:
    from rich.console import Console
    from rich.table import Table

    from store.kpi.result import kpi_name

    console = Console(width=200)
    head = Table("KPI", "title", "period", "scope", "numerator", "denominator", "value", "target", "status")
    for r in results:
        head.add_row(
            r.kpi,
            r.title,
            r.period.label,
            r.scope,
            str(r.numerator),
            str(r.denominator),
            _pct(r.value),
            _pct(r.target),
            r.status,
        )
    console.print(head)
    for r in results:
        console.print(
            f"\n[bold]{kpi_name(r.kpi)}[/bold] {r.measure}\n  definition: {r.citation}; "
            + ", ".join(f"{k}={v}" for k, v in r.definition.items() if k not in ("title", "citation"))
        )
        for name, rows in r.breakdowns.items():
            if not rows:
                continue
            extra_keys = sorted({k for row in rows for k in row.extra})
            table = Table(
                f"by {name}", "numerator", "denominator", "value", *extra_keys, title=f"{kpi_name(r.kpi)} by {name}"
            )
            for row in rows:
                table.add_row(
                    row.key,
                    str(row.numerator),
                    str(row.denominator),
                    _pct(row.value),
                    *[str(row.extra.get(k, "")) for k in extra_keys],
                )
            console.print(table)
        for key, value in r.details.items():
            if isinstance(value, list):
                console.print(f"  {key}: {len(value)}")
                for item in value[:20]:
                    console.print(f"    {item}")
            else:
                console.print(f"  {key}: {value}")


def _print_csv(results) -> None:
    writer = csv.writer(sys.stdout)
    writer.writerow(
        ["kpi", "period", "scope", "breakdown", "key", "numerator", "denominator", "value", "target", "status"]
    )
    for r in results:
        writer.writerow(
            [
                r.kpi,
                r.period.label,
                r.scope,
                "total",
                "",
                r.numerator,
                r.denominator,
                "" if r.value is None else f"{r.value:.4f}",
                "" if r.target is None else r.target,
                r.status,
            ]
        )
        for name, rows in r.breakdowns.items():
            for row in rows:
                writer.writerow(
                    [
                        r.kpi,
                        r.period.label,
                        r.scope,
                        name,
                        row.key,
                        row.numerator,
                        row.denominator,
                        "" if row.value is None else f"{row.value:.4f}",
                        "",
                        "",
                    ]
                )


@kpi_app.callback(invoke_without_command=True)
def kpi(
    ctx: typer.Context,
    from_: str | None = typer.Option(None, "--from", help="Period start (with --to)."),
    to: str | None = typer.Option(None, "--to", help="Period end, inclusive; KPI 12's reporting date."),
    period: str | None = typer.Option(
        None,
        "--period",
        help="YYYY, YYYY-Qn or YYYY-MM. Default: current quarter (KPI 10, 12) and current year (KPI 11).",
    ),
    team: str | None = typer.Option(None, "--team"),
    situation: str | None = typer.Option(None, "--situation"),
    format: str = typer.Option("table", "--format", help="table | json | csv"),
    trend: bool = typer.Option(False, "--trend", help="Print the stored snapshot series instead."),
    save: bool = typer.Option(False, "--save", help="Also store the results as today's snapshots."),
    config: Path | None = typer.Option(None, "--config", help="KPI definitions YAML (else KPI_CONFIG_FILE)."),
    only: str | None = typer.Option(None, "--only", help="Comma-separated subset of 10, 11, 12, SPU (default: all)."),
) -> None:
    """Print KPIs 10, 11 and 12 and the SPU indicator with numerator, denominator, value, target, status,
    breakdowns and lists."""
    if ctx.invoked_subcommand is not None:
        return
    from store.kpi.config import load_kpi_config
    from store.kpi.periods import parse_period, range_period
    from store.kpi.report import KPIS, compute_kpis
    from store.kpi.result import scope_of
    from store.kpi.snapshots import save_snapshots
    from store.kpi.snapshots import trend as load_trend

    if format not in ("table", "json", "csv"):
        raise typer.BadParameter("table, json or csv", param_hint="--format")
    kpis: tuple[str, ...] = KPIS
    if only is not None:
        chosen_kpis = tuple(dict.fromkeys(k.strip().upper() for k in only.split(",") if k.strip()))
        unknown = [k for k in chosen_kpis if k not in kpis]
        if unknown or not chosen_kpis:
            raise typer.BadParameter(
                f"{', '.join(unknown) or 'nothing'}: choose from {', '.join(kpis)}", param_hint="--only"
            )
        kpis = chosen_kpis
    if trend:
        with _session() as session:
            points = load_trend(session=session, scope=scope_of(team, situation))
        if format == "json":
            emit_json(points)
            return
        writer = csv.writer(sys.stdout, delimiter="," if format == "csv" else "\t")
        writer.writerow(["kpi", "period", "taken_on", "numerator", "denominator", "value", "target", "status"])
        for p in points:
            writer.writerow(
                [p.kpi, p.period_label, p.taken_on, p.numerator, p.denominator, _pct(p.value), _pct(p.target), p.status]
            )
        return
    try:
        if period and (from_ or to):
            raise ValueError("give --period or --from/--to, not both")
        if bool(from_) != bool(to):
            raise ValueError("--from and --to go together")
        chosen = (
            parse_period(period)
            if period
            else (range_period(parse_date(from_, "--from"), parse_date(to, "--to")) if from_ and to else None)
        )
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from None
    today = dt.date.today()
    with _session() as session:
        results = compute_kpis(
            session=session,
            today=today,
            period=chosen,
            team_id=team,
            situation=situation,
            config=load_kpi_config(config),
            kpis=kpis,
        )
        if save:
            save_snapshots(session=session, results=results, taken_on=today)
    if format == "json":
        sys.stdout.write(json.dumps([r.model_dump(mode="json") for r in results], indent=2) + "\n")
    elif format == "csv":
        _print_csv(results)
    else:
        _print_tables(results)


@kpi_app.command("backfill-facts")
def backfill_facts(
    recompute: bool = typer.Option(False, "--recompute", help="Recompute every version's facts."),
) -> None:
    """Record KPI 10 facts (relevance, execution and reference dates) of stored versions that have none."""
    from cli.common import StepProgress
    from store.kpi.config import load_kpi_config
    from store.kpi.facts import backfill_product_facts

    use_triggers = load_kpi_config().kpi10.trigger_text_makes_relevant
    with StepProgress("recording KPI 10 facts") as progress, _session() as session:
        n = backfill_product_facts(
            session=session,
            recompute=recompute,
            use_triggers=use_triggers,
            progress=progress.counter("product versions"),
        )
    typer.echo(f"recorded facts of {n} version(s)")


@kpi11_app.command("seed")
def seed(product: list[str] = typer.Option(None, "--product", help="Only these CS products.")) -> None:
    """Create/update units from CS products at stage AWA, DCC or TRIAL (active counts x suspects)."""
    from store.kpi.charge_units import seed_charge_units

    with _session() as session:
        report = seed_charge_units(session=session, product_ids=product or None)
    typer.echo(report.model_dump_json())


@kpi11_app.command("outcome")
def outcome(
    unit_id: int = typer.Argument(...),
    value: str = typer.Argument(..., help="presented | granted | declined | withdrawn | recharacterised | pending"),
    date: str | None = typer.Option(None, "--date", help="Decision date; for `presented`, the filing date."),
    filed: str | None = typer.Option(None, "--filed", help="Filing date, if not yet recorded."),
) -> None:
    """Record the court outcome of one unit."""
    from store.kpi.charge_units import set_outcome

    try:
        with _session() as session:
            unit = set_outcome(
                session=session,
                unit_id=unit_id,
                outcome=value,
                date=parse_date(date, "--date"),
                filed=parse_date(filed, "--filed"),
            )
            typer.echo(
                f"unit {unit.id} ({unit.unit_key}): {unit.outcome}, filed {unit.filing_date}, "
                f"decided {unit.decision_date}"
            )
    except _store_errors() as exc:
        _fail(exc)


@kpi11_app.command("import-outcomes")
def import_outcomes(path: Path = typer.Argument(..., exists=True, dir_okay=False)) -> None:
    """CSV: unit_id or unit_key, outcome, decision_date, filing_date. All or nothing."""
    from store.cert_import import ImportRefused
    from store.kpi.charge_units import import_outcomes as do_import

    try:
        with _session() as session:
            result = do_import(session=session, text=path.read_text(encoding="utf-8"))
    except ImportRefused as exc:
        for problem in exc.problems:
            typer.echo(f"{path}: {problem}", err=True)
        typer.echo("error: import refused, nothing written", err=True)
        raise typer.Exit(1) from exc
    typer.echo(f"updated {result.updated} unit(s)")


@kpi11_app.command("link")
def link(unit_id: int = typer.Argument(...), prev_unit_id: int = typer.Argument(..., help="0 to unlink")) -> None:
    """Record that UNIT continues PREV_UNIT from the previous stage (AWA -> DCC -> TRIAL -> APPEAL)."""
    from store.kpi.charge_units import link_units

    try:
        with _session() as session:
            unit = link_units(session=session, unit_id=unit_id, prev_unit_id=prev_unit_id or None)
            typer.echo(f"unit {unit.id} linked to {unit.linked_unit_prev_stage}")
    except _store_errors() as exc:
        _fail(exc)


@kpi11_app.command("list")
def list_units(
    stage: str | None = typer.Option(None, "--stage"),
    product: str | None = typer.Option(None, "--product"),
    format: str = typer.Option("table", "--format", help="table | json | csv"),
) -> None:
    """List units."""
    from sqlmodel import select

    from models.kpi_tables import ChargeUnit

    with _session() as session:
        query = select(ChargeUnit).order_by(col(ChargeUnit.id))
        if stage:
            query = query.where(ChargeUnit.stage == stage)
        if product:
            query = query.where(ChargeUnit.product_id == product)
        units = list(session.exec(query))
    if format == "json":
        emit_json([u.model_dump(mode="json") for u in units])
        return
    headers = [
        "id",
        "unit_key",
        "stage",
        "suspect",
        "count",
        "crime",
        "sgbc",
        "cac",
        "outcome",
        "filed",
        "decided",
        "prev",
    ]
    rows = [
        [
            u.id,
            u.unit_key,
            u.stage,
            u.suspect,
            u.count_no,
            u.crime,
            u.is_sgbc,
            u.is_cac,
            u.outcome,
            u.filing_date,
            u.decision_date,
            u.linked_unit_prev_stage,
        ]
        for u in units
    ]
    from cli.certs import _csv, _table

    (_csv if format == "csv" else _table)(headers, rows)


def register(app: typer.Typer) -> None:
    app.add_typer(kpi_app, name="kpi")
    app.add_typer(kpi11_app, name="kpi11")
