"""Rule-engine benchmark, each figure with its baseline measured in the same run.

(a) checks per second on the dev samples (parse + facts + rules): the 8 v1 samples, and with a v2
    pack also the 8 v2 samples (each set with its own roster);
(b) rule-evaluation overhead: Engine.evaluate on precomputed contexts vs evaluating the same
    compiled CEL expressions bare with cel-expr-python on the same contexts (target <= 1.5x);
(c) time to check a generated 150k-word product (target < 1 s).

Run: .venv/bin/python bench/rules_bench.py [--pack 1.0|2.0] [--small]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from rules.certs import index_for
from rules.facts import Inputs, build_context
from rules.library import engine_for
from rules.product import parse_product
from rules.roster import load_roster

SHARED = ROOT.parent / "shared" / "domain" / "samples"
SAMPLES = SHARED if SHARED.is_dir() else ROOT / "tests" / "fixtures" / "samples"
SHARED_V2 = ROOT.parent / "shared" / "domain" / "v2" / "samples"
SAMPLES_V2 = SHARED_V2 if SHARED_V2.is_dir() else ROOT / "tests" / "fixtures" / "samples_v2"


def timed(fn, repeat: int) -> float:
    start = time.perf_counter()
    for _ in range(repeat):
        fn()
    return (time.perf_counter() - start) / repeat


def big_product(words: int) -> str:
    head = (SAMPLES / "S1-IP-heron.md").read_text().split("\n## Summary")[0]
    sentence = (
        "Women and men from the displaced lakeside villages described night raids, "
        "abductions and the looting of boats by the battalion. "
    )
    per = len(sentence.split())
    paragraphs, body = [], []
    for i in range(words // (per * 10) + 1):
        paragraphs.append(sentence * 10)
        if i % 40 == 0:
            paragraphs.append(f"## Section {i}\n")
    body.append("## Gender analysis\n" + "\n\n".join(paragraphs))
    return head + "\n" + "\n".join(body) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pack", default=None, help="pack version of rules/packs (default: the active one)")
    parser.add_argument("--small", action="store_true", help="fewer repetitions (a loaded machine)")
    args = parser.parse_args()
    scale = 4 if args.small else 1
    engine = engine_for(args.pack)
    roster = load_roster(SAMPLES / "roster.yaml").roster
    samples = [(p.read_text(), roster) for p in sorted(SAMPLES.glob("S*.md"))]
    if "IR" in engine.product_types:
        roster_v2 = load_roster(SAMPLES_V2 / "roster.yaml").roster
        samples += [(p.read_text(), roster_v2) for p in sorted(SAMPLES_V2.glob("V*.md"))]
    print(f"pack {engine.pack_version}, {len(engine.pack.rules)} rules, {len(samples)} samples")

    per_check = timed(lambda: [engine.check_text(t, r) for t, r in samples], 20 // scale) / len(samples)

    contexts, units = [], []
    for t, roster in samples:
        product = parse_product(t, engine.product_types).product
        inputs = Inputs(product, index_for(roster), engine.pack.regexes)
        contexts.append(build_context(inputs, engine.pack.base_context))
        units.append(inputs.units())
    # Pattern matching (Python `re`) is done once up front: both sides then evaluate the same
    # CEL expressions over the same contexts, and the ratio is the engine's own overhead
    # (applicability pass, error checks, locations, messages, Finding objects).
    applicable = []
    for ctx, u in zip(contexts, units, strict=True):
        rules = engine._applicable(ctx, ctx["product.type"])
        engine._add_patterns(ctx, rules, u)
        applicable.append(rules)
    exprs = [
        e.expr
        for r in engine.pack.rules
        for e in [
            r.applies_when,
            *[x for s in r.subs for x in (s.when, s.check, s.failing) if x is not None],
            *[w for w, _ in r.severity_cases if w is not None],
        ]
    ]
    env = engine.pack.env

    names, app_names = engine.pack.used_names, engine.pack.applicability_names
    # The bare loop evaluates exactly what the engine evaluates: every applies_when, then the
    # sub-condition guards, checks and severity cases of the applicable rules.
    plans = []
    for ctx, rules in zip(contexts, applicable, strict=True):
        act = env.Activation(data={n: ctx[n] for n in names})
        steps = []
        for r in rules:
            for sub in r.subs:
                if sub.when is not None:
                    steps.append(sub.when.expr)
                    if not sub.when.expr.eval(act).value():
                        continue
                steps.append((sub.check or sub.failing).expr)
            steps.extend(w.expr for w, _ in r.severity_cases if w is not None)
        plans.append((ctx, steps))
    whens = [r.applies_when.expr for r in engine.pack.rules]

    def bare() -> None:
        for ctx, steps in plans:
            first = env.Activation(data={n: ctx[n] for n in app_names})
            for e in whens:
                e.eval(first)
            act = env.Activation(data={n: ctx[n] for n in names})
            for e in steps:
                e.eval(act)

    def engine_eval() -> None:
        for ctx in contexts:
            engine.evaluate_rules(ctx, engine._applicable(ctx, ctx["product.type"]), None)

    for fn in (bare, engine_eval):
        fn()
    bare_t, engine_t = timed(bare, 200 // scale), timed(engine_eval, 200 // scale)

    roster = load_roster(SAMPLES / "roster.yaml").roster
    text = big_product(150_000)
    words = len(text.split())
    engine.check_text(text, roster)
    big_t = timed(lambda: engine.check_text(text, roster), 3)

    rows = [
        (
            f"(a) checks per second ({len(samples)} dev samples)",
            f"{1 / per_check:,.0f}/s",
            f"{per_check * 1000:.2f} ms/check",
        ),
        (
            f"(b) bare CEL, same expressions x {len(samples)} contexts",
            f"{bare_t * 1e6:,.0f} us",
            f"{sum(len(s) for _, s in plans) + len(whens) * len(plans)} evaluations ({len(exprs)} in the pack)",
        ),
        (
            "(b) engine evaluate, same contexts",
            f"{engine_t * 1e6:,.0f} us",
            f"ratio {engine_t / bare_t:.2f}x (target <= 1.5x)",
        ),
        (f"(c) check a {words:,}-word product", f"{big_t * 1000:.0f} ms", "target < 1000 ms"),
    ]
    width = max(len(r[0]) for r in rows)
    print(f"{'measure':<{width}}  {'value':>12}  note")
    for name, value, note in rows:
        print(f"{name:<{width}}  {value:>12}  {note}")


if __name__ == "__main__":
    main()
