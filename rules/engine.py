"""The rule engine: product text + roster -> CheckResult (requirements.md §1.2-§1.7).

Pure library: reads files, never a database or Temporal. Facts are computed in Python
(rules/facts*.py), conditions are CEL from the pack (rules/packs/*.yaml)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

from models.enums import SEVERITY_ORDER, ProductType, Severity, Verdict
from models.findings import CheckResult, Finding, FormatErrorEntry, verdict_for
from models.roster import Roster
from rules.celx import EngineError
from rules.certs import index_for
from rules.facts import Inputs, build_context, pattern_var
from rules.loader import _TEMPLATE, CompiledRule, LoadedPack, load_pack
from rules.patterns import run_patterns
from rules.product import Product, parse_product
from rules.scan import Unit

DEFAULT_MAX_BYTES = 25 * 1024 * 1024

__all__ = ["Engine", "EngineError", "check_text", "default_engine"]


def _location(template: str, ctx: dict[str, Any], item: Any, product: Product | None) -> str:
    if template.startswith("section:") and template.endswith(" or product"):
        key = template[len("section:") : -len(" or product")]
        return f"section:{key}" if product is None or key in product.body.sections else "product"

    def sub(m: Any) -> str:
        name = m.group(1)
        if name == "item" or name.startswith("item."):
            return str(item.get(name[5:], "")) if isinstance(item, dict) else str(item)
        return str(ctx.get(name, ""))

    return _TEMPLATE.sub(sub, template)


class Engine:
    def __init__(self, pack: LoadedPack):
        self.pack = pack
        self.pack_version = pack.version
        order = [t.value for t in ProductType]
        self.product_types = tuple(t for t in order if t in pack.product_types)

    @classmethod
    def load(cls, pack_dir: Path | None = None) -> Engine:
        return cls(load_pack(pack_dir))

    # -- evaluation -------------------------------------------------------------------------
    def _activation(self, ctx: dict[str, Any], names: list[str]) -> Any:
        return self.pack.env.Activation(data={n: ctx[n] for n in names})

    def _applicable(self, ctx: dict[str, Any], product_type: str) -> list[CompiledRule]:
        activation = self._activation(ctx, self.pack.applicability_names)
        return [r for r in self.pack.rules if product_type in r.rule.applies_to and r.applies_when.boolean(activation)]

    def _add_patterns(self, ctx: dict[str, Any], rules: list[CompiledRule], units: list[Unit]) -> None:
        ids = {r.rule.id: r for r in rules if r.patterns}
        ordered = [(rid, ids[rid].patterns) for rid in self.pack.precedence if rid in ids]
        for rid, result in run_patterns(units, ordered).items():
            ctx[f"{pattern_var(rid)}.hits"] = result.hits
            ctx[f"{pattern_var(rid)}.location"] = result.location
            ctx[f"{pattern_var(rid)}.matches"] = result.matches

    def _add_quoted(self, ctx: dict[str, Any], rules: list[CompiledRule], passages: list[tuple[str, int]]) -> None:
        """LANG-04 (contract v2 §4.2): the quoted passages matching a pattern of an applicable
        pattern rule; no precedence, no suppression."""
        patterns = [p for r in rules for p in r.patterns]
        hits = [line for text, line in passages if any(p.search(text) for p in patterns)]
        ctx["quoted.hits"] = len(hits)
        ctx["quoted.location"] = f"line:{hits[0]}" if hits else ""

    def evaluate(
        self,
        ctx: dict[str, Any],
        product: Product | None,
        units: list[Unit] | None,
        passages: list[tuple[str, int]] | None = None,
    ) -> list[Finding]:
        """Findings of every applicable rule on one context (used by products and rule examples)."""
        applicable = self._applicable(ctx, ctx["product.type"])
        if any(r.patterns for r in applicable):
            self._add_patterns(ctx, applicable, units or [])
        if "quoted.hits" in self.pack.used_names:
            if passages is None and product is not None:
                passages = product.body.quoted_passages()
            self._add_quoted(ctx, applicable, passages or [])
        return self.evaluate_rules(ctx, applicable, product)

    def evaluate_rules(
        self, ctx: dict[str, Any], applicable: list[CompiledRule], product: Product | None
    ) -> list[Finding]:
        """The CEL part of `evaluate`: conditions and severities of the applicable rules."""
        activation = self._activation(ctx, self.pack.used_names)
        findings = []
        for rule in applicable:
            finding = self._run_rule(rule, activation, ctx, product)
            if finding is not None:
                findings.append(finding)
        return findings

    def _run_rule(
        self, rule: CompiledRule, activation: Any, ctx: dict[str, Any], product: Product | None
    ) -> Finding | None:
        failed: list[tuple[str, str, Severity | None]] = []
        for sub in rule.subs:
            if sub.when is not None and not sub.when.boolean(activation):
                continue
            if sub.check is not None:
                if not sub.check.boolean(activation):
                    failed.append((sub.name, _location(sub.location, ctx, None, product), sub.severity))
                continue
            items = sub.failing.items(activation) if sub.failing else []
            if items:
                labels = [str(i.get("label", i)) if isinstance(i, dict) else str(i) for i in items]
                failed.append(
                    (f"{sub.name} ({', '.join(labels)})", _location(sub.location, ctx, items[0], product), sub.severity)
                )
        if not failed:
            return None
        severity = self._severity(rule, activation, failed)
        rid = rule.rule.id
        matches = ctx.get(f"{pattern_var(rid)}.matches") if rule.patterns else None
        detail = "; ".join(name for name, _, _ in failed)
        if matches:
            detail += " (matched: " + ", ".join(f'"{m}"' for m in matches) + ")"
        return Finding(
            rule_id=rid,
            severity=severity,
            message=f"{rule.rule.title}: {detail}",
            citation=rule.rule.citation,
            location=failed[0][1],
            fix=rule.rule.fix,
            title=rule.rule.title,
            pack_version=self.pack_version,
        )

    def _severity(self, rule: CompiledRule, activation: Any, failed: list[Any]) -> Severity:
        own = [sev for _, _, sev in failed if sev is not None]
        if own:
            return min(own, key=SEVERITY_ORDER.index)
        for when, severity in rule.severity_cases:
            if when is None or when.boolean(activation):
                return severity
        raise EngineError(f"{rule.rule.id}: no severity case applies")

    # -- products ---------------------------------------------------------------------------
    def _format_error(self, file: str, product_id: str | None, errors: list[FormatErrorEntry]) -> CheckResult:
        return CheckResult(
            file=file,
            product_id=product_id,
            verdict=Verdict.FORMAT_ERROR,
            errors=errors,
            pack_version=self.pack_version,
        )

    def check_text(self, text: str, roster: Roster, file: str = "<memory>") -> CheckResult:
        outcome = parse_product(text, self.product_types)
        if outcome.product is None:
            return self._format_error(file, outcome.product_id, outcome.errors)
        inputs = Inputs(outcome.product, index_for(roster), self.pack.regexes)
        ctx = build_context(inputs, self.pack.base_context)
        findings = self.evaluate(ctx, outcome.product, inputs.units())
        return CheckResult(
            file=file,
            product_id=outcome.product_id,
            verdict=verdict_for(findings),
            findings=findings,
            pack_version=self.pack_version,
        )

    def check_file(
        self, path: Path, roster: Roster, meta_path: Path | None = None, max_bytes: int = DEFAULT_MAX_BYTES
    ) -> CheckResult:
        path = Path(path)
        name = str(path)
        if path.suffix.lower() in (".docx", ".pdf"):
            from rules.ingest import IngestError, load_product_source

            try:
                text = load_product_source(path, meta_path, max_bytes)
            except IngestError as exc:
                return self._format_error(name, None, [FormatErrorEntry(message=exc.message)])
            return self.check_text(text, roster, name)
        try:
            if path.stat().st_size > max_bytes:
                return self._format_error(
                    name, None, [FormatErrorEntry(message=f"file larger than the limit of {max_bytes} bytes")]
                )
            data = path.read_bytes()
        except OSError as exc:
            return self._format_error(name, None, [FormatErrorEntry(message=f"cannot read file: {exc.strerror}")])
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            line = data[: exc.start].count(b"\n") + 1
            return self._format_error(name, None, [FormatErrorEntry(line=line, message="not valid UTF-8")])
        return self.check_text(text, roster, name)


@lru_cache(maxsize=1)
def default_engine() -> Engine:
    """The engine of the active pack of rules/packs."""
    from rules.library import engine_for

    return engine_for()


def check_text(text: str, roster: Roster, file: str = "<memory>") -> CheckResult:
    return default_engine().check_text(text, roster, file)
