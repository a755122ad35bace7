"""`gcu-review rules impact` and the GCU head's impact page: run a candidate pack over the latest
version of every stored product and say what would change, per product and per rule."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session

from models.enums import TERMINAL_STATES, Verdict
from models.findings import CheckResult, FormatErrorEntry
from models.impact import ImpactReport, RuleImpact
from models.tables import Product
from rules.impact import changed_rules, compare
from store.impact import latest_judgements
from store.roster_view import roster_from_db


def run_impact(
    *, db_engine: Engine, candidate, active, progress: Callable[[int, int], None] | None = None
) -> ImpactReport:
    """`candidate` and `active` are rule engines (rules.engine.Engine); `progress` is told (products
    checked, products stored) as the candidate runs over each."""
    statuses = changed_rules(active.pack, candidate.pack)
    report = ImpactReport(
        candidate_version=candidate.pack_version,
        candidate_contract=candidate.pack.contract,
        active_version=active.pack_version,
    )
    hits: Counter[str] = Counter()
    added: Counter[str] = Counter()
    moved: Counter[str] = Counter()
    with Session(db_engine) as session:
        roster = roster_from_db(session=session)
        total = session.execute(sa.select(sa.func.count()).select_from(Product)).scalar_one() if progress else 0
        for stored in latest_judgements(session=session):
            if stored.text is None:
                after = CheckResult(
                    file=stored.product_id,
                    verdict=Verdict.FORMAT_ERROR,
                    errors=[FormatErrorEntry(message="not valid UTF-8")],
                )
            else:
                after = candidate.check_text(stored.text, roster, file=stored.product_id)
            impact = compare(
                product_id=stored.product_id,
                product_type=stored.product_type,
                team_id=stored.team_id,
                version_no=stored.version_no,
                judged_by=stored.pack_version,
                verdict_before=stored.verdict,
                findings_before=stored.findings,
                after=after,
                review_state=stored.review_state,
            )
            report.products += 1
            if progress:
                progress(report.products, max(total, report.products))
            before_ids = {rid for rid, _, _ in stored.findings}
            for f in after.findings:
                if f.rule_id in statuses:
                    hits[f.rule_id] += 1
                    added[f.rule_id] += f.rule_id not in before_ids
            if impact.changed:
                report.products_changed += 1
                report.open_reviews_changed += (
                    stored.review_state is not None and stored.review_state not in TERMINAL_STATES
                )
                report.changes.append(impact)
                if impact.verdict_before != impact.verdict_after:
                    moved[f"{impact.verdict_before or '-'} -> {impact.verdict_after.value}"] += 1
    report.verdicts = dict(sorted(moved.items()))
    order = [r.rule.id for r in candidate.pack.rules]
    report.rules = [
        RuleImpact(rule_id=rid, status=statuses[rid], products_hit=hits[rid], products_added=added[rid])
        for rid in order
        if rid in statuses
    ]
    return report


def render_text(report: ImpactReport) -> str:
    lines = [
        (
            f"Candidate pack {report.candidate_version} (contract {report.candidate_contract}) against the active "
            f"pack {report.active_version}: {report.products} products, {report.products_changed} would change "
            f"({report.open_reviews_changed} of them in open reviews)."
        )
    ]
    if report.verdicts:
        lines.append("Verdicts that would move:")
        lines += [f"  {moved}: {n}" for moved, n in report.verdicts.items()]
    lines.append("New and changed rules (products hit / of which newly):")
    lines += [f"  {r.rule_id:<12} {r.status:<8} {r.products_hit:>6} / {r.products_added}" for r in report.rules]
    lines.append("Products:")
    for p in report.changes:
        lines.append(
            f"  {p.product_id} ({p.product_type}, {p.team_id}, v{p.version_no}, review {p.review_state or '-'}, "
            f"judged by {p.judged_by or '-'}): {p.verdict_before or '-'} -> {p.verdict_after.value}"
        )
        if p.added:
            lines.append("    + " + ", ".join(f"{f.rule_id} ({f.severity})" for f in p.added))
        if p.removed:
            lines.append("    - " + ", ".join(f"{f.rule_id} ({f.severity}, {f.state})" for f in p.removed))
        if p.severity_changed:
            lines.append("    ~ " + ", ".join(p.severity_changed))
    return "\n".join(lines)
