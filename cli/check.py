"""`gcu-review check` and `gcu-review rules lint|test` (requirements.md §1.7)."""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from models.enums import SEVERITY_ORDER, Verdict
from models.findings import JSON_FINDING_FIELDS, CheckResult

JSON_RESULT_FIELDS = {"file", "product_id", "verdict", "findings", "errors"}


class OutputFormat(StrEnum):
    TEXT = "text"
    JSON = "json"


def result_json(result: CheckResult) -> dict:
    data = result.model_dump(mode="json", include=JSON_RESULT_FIELDS)
    data["findings"] = [
        {k: f[k] for k in ("rule_id", "severity", "message", "citation", "location") if k in JSON_FINDING_FIELDS}
        for f in data["findings"]
    ]
    return {k: data[k] for k in ("file", "product_id", "verdict", "findings", "errors")}


def exit_status(results: list[CheckResult]) -> int:
    verdicts = {r.verdict for r in results}
    if Verdict.FORMAT_ERROR in verdicts:
        return 2
    if verdicts & {Verdict.REVISE, Verdict.BLOCKED}:
        return 1
    return 0


def render_text(result: CheckResult) -> str:
    lines = [f"{result.file}: {result.product_id or '-'}  verdict: {result.verdict.value}"]
    for e in result.errors:
        where = ", ".join(x for x in (f"line {e.line}" if e.line else "", e.field or "") if x)
        lines.append(f"  format error{f' ({where})' if where else ''}: {e.message}")
    for severity in SEVERITY_ORDER:
        group = [f for f in result.findings if f.severity == severity]
        if group:
            lines.append(f"  {severity.value.upper()} ({len(group)})")
        for f in group:
            lines.append(f"    {f.rule_id} at {f.location}: {f.message}")
            lines.append(f"      citation: {f.citation}")
            if f.fix:
                lines.append(f"      fix: {f.fix}")
    return "\n".join(lines)


def check(
    files: Annotated[list[Path], typer.Argument(help="Product files (.md, or .docx/.pdf with --meta)")],
    roster: Annotated[Path, typer.Option("--roster", help="Roster / register YAML")],
    meta: Annotated[Path | None, typer.Option("--meta", help="Front matter YAML for .docx/.pdf")] = None,
    output: Annotated[OutputFormat, typer.Option("--format", help="text or json")] = OutputFormat.TEXT,
    pack: Annotated[
        str | None,
        typer.Option(
            "--pack",
            help="Pack version (1.0, 2.0...) of the pack folder, or a pack directory; default: the active pack",
        ),
    ] = None,
) -> None:
    """Check product files against the rule packs; exit 0 clean/notes, 1 revise/blocked, 2 format error."""
    from rules.pack import PackError
    from rules.roster import RosterError, load_roster
    from settings import get_settings

    try:
        roster_load = load_roster(roster)
    except RosterError as exc:
        typer.echo(f"roster {exc.file}{f' line {exc.line}' if exc.line else ''}: {exc.message}", err=True)
        raise typer.Exit(2) from None
    settings = get_settings()
    try:
        engine = pick_engine(pack, settings)
    except PackError as exc:
        typer.echo(f"rule pack error: {exc}", err=True)
        raise typer.Exit(2) from None
    max_bytes = settings.max_upload_bytes
    results = [engine.check_file(f, roster_load.roster, meta, max_bytes=max_bytes) for f in files]
    for r, f in zip(results, files, strict=True):
        r.file = str(f)
    if output == OutputFormat.JSON:
        typer.echo(json.dumps([result_json(r) for r in results], ensure_ascii=False, indent=2))
    else:
        typer.echo("\n\n".join(render_text(r) for r in results))
    raise typer.Exit(exit_status(results))


def pick_engine(pack: str | None, settings):
    """`--pack`: a directory (one pack, or a folder of packs: its highest), or a version of the
    configured pack folder; None: the active pack (RULES_PACK_VERSION, else the highest)."""
    from rules.engine import Engine
    from rules.library import library

    if pack is not None and (Path(pack) / "pack.yaml").is_file():
        return Engine.load(Path(pack))
    if pack is not None and Path(pack).is_dir():
        return library(Path(pack)).engine(None)
    return library(settings.rules_pack_dir, settings.rules_pack_version).engine(pack)


rules_app = typer.Typer(no_args_is_help=True, help="Rule packs: validate and run their examples.")

_PACK_PATH_HELP = "A pack directory, or a folder of packs (each version is checked); default rules/packs"


def _engines(path: Path | None) -> list:
    """Every pack at `path` (a folder of packs gives each version), loaded; a broken one exits 1."""
    from rules.engine import Engine
    from rules.library import PACKS_ROOT, pack_dirs
    from rules.pack import PackError

    try:
        return [Engine.load(d) for d in pack_dirs(path or PACKS_ROOT).values()]
    except PackError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from None


@rules_app.command("lint")
def lint(path: Annotated[Path | None, typer.Argument(help=_PACK_PATH_HELP)] = None) -> None:
    """Load and compile the packs; report the first problem with file, line and column."""
    for engine in _engines(path):
        typer.echo(f"ok: pack {engine.pack_version}, {len(engine.pack.rules)} rules")


@rules_app.command("test")
def test(path: Annotated[Path | None, typer.Argument(help=_PACK_PATH_HELP)] = None) -> None:
    """Run every rule's own examples (must fire / must not fire), in every pack."""
    from rules.examples import run_examples

    any_failed = False
    for engine in _engines(path):
        outcomes = run_examples(engine)
        failed = [o for o in outcomes if not o.ok]
        any_failed = any_failed or bool(failed)
        for o in failed:
            typer.echo(f"FAIL {engine.pack_version} {o.rule_id} {o.kind}[{o.index}]: {o.detail}")
        typer.echo(
            f"pack {engine.pack_version}: {len(outcomes) - len(failed)}/{len(outcomes)} examples pass "
            f"({len(engine.pack.rules)} rules)"
        )
    raise typer.Exit(1 if any_failed else 0)


@rules_app.command("impact")
def impact(
    pack: Annotated[
        str, typer.Option("--pack", help="The candidate: a pack directory, or a version of the pack folder")
    ],
    output: Annotated[OutputFormat, typer.Option("--format", help="text or json")] = OutputFormat.TEXT,
) -> None:
    """Run a candidate pack over the latest version of every stored product: what would change,
    per product (verdict before and after, findings added and removed) and per new or changed rule."""
    from cli.common import StepProgress, db_engine
    from rules.library import library
    from rules.pack import PackError
    from service.impact import render_text, run_impact
    from settings import get_settings

    settings = get_settings()
    try:
        candidate = pick_engine(pack, settings)
        active = library(settings.rules_pack_dir, settings.rules_pack_version).engine(None)
    except PackError as exc:
        typer.echo(f"rule pack error: {exc}", err=True)
        raise typer.Exit(2) from None
    engine = db_engine()
    try:
        with StepProgress(f"running pack {candidate.pack_version} over the stored products") as progress:
            report = run_impact(
                db_engine=engine,
                candidate=candidate,
                active=active,
                progress=lambda done, total: progress("products", done, total),
            )
    finally:
        engine.dispose()
    if output == OutputFormat.JSON:
        typer.echo(report.model_dump_json(indent=2))
    else:
        typer.echo(render_text(report))


def register(app: typer.Typer) -> None:
    app.command("check")(check)
    app.add_typer(rules_app, name="rules")
