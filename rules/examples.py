"""Running every rule's own examples (`gcu-review rules test`): each `fires` example must produce
a finding of that rule, each `passes` example must not."""

from __future__ import annotations

from dataclasses import dataclass

from rules.celx import EngineError
from rules.engine import Engine
from rules.facts import with_item_defaults
from rules.scan import Unit
from rules.text import normalise


@dataclass
class ExampleOutcome:
    rule_id: str
    kind: str  # fires | passes
    index: int
    ok: bool
    detail: str = ""


def trigger_facts(engine: Engine, units: list[str]) -> dict[str, bool]:
    """`trigger.R_*` of the pack's trigger regexes over the given units (a match never spans two)."""
    from rules.facts_chg import REASON_REGEXES

    texts = [normalise(u) for u in units]
    return {
        f"trigger.{name}": any(rx.search(t) for t in texts)
        for name, rx in engine.pack.regexes.named.items()
        if name.startswith("R_") and name not in REASON_REGEXES
    }


def run_examples(engine: Engine) -> list[ExampleOutcome]:
    base = engine.pack.base_context
    outcomes = []
    for compiled in engine.pack.rules:
        rule = compiled.rule
        for kind, examples in (("fires", rule.examples.fires), ("passes", rule.examples.passes)):
            for i, example in enumerate(examples):
                unknown = sorted(set(example.facts) - set(base))
                if unknown:
                    outcomes.append(ExampleOutcome(rule.id, kind, i, False, f"unknown facts {unknown}"))
                    continue
                ctx = {**base, **with_item_defaults(example.facts)}
                if example.trigger is not None:
                    ctx.update(trigger_facts(engine, example.trigger))
                units = (
                    [Unit(normalise(example.text), line_starts=[0], line_numbers=[1], is_body=True)]
                    if example.text is not None
                    else []
                )
                try:
                    passages = [(normalise(example.quote), 1)] if example.quote is not None else []
                    fired = any(f.rule_id == rule.id for f in engine.evaluate(ctx, None, units, passages))
                except EngineError as exc:
                    outcomes.append(ExampleOutcome(rule.id, kind, i, False, str(exc)))
                    continue
                ok = fired == (kind == "fires")
                outcomes.append(
                    ExampleOutcome(
                        rule.id,
                        kind,
                        i,
                        ok,
                        "" if ok else f"expected the rule to {'fire' if kind == 'fires' else 'pass'}",
                    )
                )
    return outcomes
