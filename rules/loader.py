"""Loading a pack directory: manifest, rule files, regexes and every CEL expression compiled."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from models.enums import Severity
from rules.celx import CelExpr, new_env
from rules.facts import Regexes, default_context
from rules.pack import MANIFEST, Manifest, PackError, PackFile, Rule, compile_regex, read_yaml, rule_files, validate

PACKS_ROOT = Path(__file__).resolve().parent / "packs"
V1_PACK_DIR = PACKS_ROOT / "1.0"
DEFAULT_PACK_DIR = PACKS_ROOT / "2.0"  # the active pack of rules/packs (the highest version)
_TEMPLATE = re.compile(r"\{([A-Za-z0-9_.]+)\}")


@dataclass
class CompiledSub:
    name: str
    when: CelExpr | None
    check: CelExpr | None
    failing: CelExpr | None
    location: str
    severity: Severity | None


@dataclass
class CompiledRule:
    rule: Rule
    file: str
    applies_when: CelExpr
    subs: list[CompiledSub]
    severity_cases: list[tuple[CelExpr | None, Severity]]
    patterns: list[re.Pattern[str]] = field(default_factory=list)


@dataclass
class LoadedPack:
    version: str
    rules: list[CompiledRule]  # in requirements.md §5 order
    precedence: list[str]
    regexes: Regexes
    base_context: dict[str, Any]
    env: Any
    contract: str = "1.0"
    product_types: list[str] = field(default_factory=list)  # the types its rules apply to (format §2.1)
    applicability_names: list[str] = field(default_factory=list)  # read by applies_when
    used_names: list[str] = field(default_factory=list)  # read by any expression of the pack


def _check_template(template: str, names: set[str], file: str, line: int | None, what: str) -> None:
    for name in _TEMPLATE.findall(template):
        if name != "item" and not name.startswith("item.") and name not in names:
            raise PackError(f"{what}: unknown name {{{name}}} in location", file, line)


def _compile_rule(env: Any, names: set[str], rule: Rule, path: Path, doc: Any, r: int) -> CompiledRule:
    file = str(path)

    def line(*parts: Any) -> int | None:
        return doc.line_of(("rules", r, *parts))

    def cel(source: str, what: str, *parts: Any) -> CelExpr:
        return CelExpr(env, source, file, line(*parts), f"{rule.id} {what}")

    subs = []
    for s, sub in enumerate(rule.requires):
        _check_template(sub.location, names, file, line("requires", s, "location"), rule.id)
        subs.append(
            CompiledSub(
                name=sub.name,
                when=cel(sub.when, f"requires[{s}].when", "requires", s, "when") if sub.when else None,
                check=cel(sub.check, f"requires[{s}].check", "requires", s, "check") if sub.check else None,
                failing=cel(sub.failing, f"requires[{s}].failing", "requires", s, "failing") if sub.failing else None,
                location=sub.location,
                severity=sub.severity,
            )
        )
    if isinstance(rule.severity, list):
        cases = [
            (cel(c.when, f"severity[{i}].when", "severity", i, "when") if c.when else None, c.severity)
            for i, c in enumerate(rule.severity)
        ]
    else:
        cases = [(None, rule.severity)]
    patterns = [
        compile_regex(p, file, line("patterns", i), f"{rule.id} patterns[{i}]")
        for i, p in enumerate(rule.patterns or [])
    ]
    return CompiledRule(rule, file, cel(rule.applies_when, "applies_when", "applies_when"), subs, cases, patterns)


def load_pack(pack_dir: Path | None = None) -> LoadedPack:
    pack_dir = Path(pack_dir or DEFAULT_PACK_DIR)
    if not (pack_dir / MANIFEST).is_file() and pack_dir.is_dir():
        from rules.library import pack_dirs

        pack_dir = list(pack_dirs(pack_dir).values())[-1]  # a library: its highest version
    manifest_path = pack_dir / MANIFEST
    if not manifest_path.is_file():
        raise PackError("pack manifest missing", str(manifest_path))
    mdoc = read_yaml(manifest_path)
    manifest: Manifest = validate(Manifest, mdoc, manifest_path)
    named = {
        name: compile_regex(src, str(manifest_path), mdoc.line_of(("regexes", name)), name)
        for name, src in manifest.regexes.items()
    }
    files: list[tuple[Path, Any, PackFile]] = []
    for path in rule_files(pack_dir):
        doc = read_yaml(path)
        pack_file: PackFile = validate(PackFile, doc, path)
        if pack_file.version != manifest.version:
            raise PackError(
                f"version {pack_file.version!r} differs from the manifest's {manifest.version!r}",
                str(path),
                doc.line_of(("version",)),
            )
        files.append((path, doc, pack_file))
    by_id: dict[str, tuple[Path, Any, int, Rule]] = {}
    for path, doc, pack_file in files:
        for r, rule in enumerate(pack_file.rules):
            if rule.id in by_id:
                raise PackError(f"duplicate rule id {rule.id}", str(path), doc.line_of(("rules", r, "id")))
            by_id[rule.id] = (path, doc, r, rule)
    if set(by_id) != set(manifest.order):
        missing, extra = set(manifest.order) - set(by_id), set(by_id) - set(manifest.order)
        raise PackError(
            f"rule ids differ from `order`: missing {sorted(missing)}, unlisted {sorted(extra)}",
            str(manifest_path),
            mdoc.line_of(("order",)),
        )
    pattern_rules = [rid for rid in manifest.order if by_id[rid][3].patterns]
    if set(manifest.precedence) != set(pattern_rules):
        raise PackError(
            "`precedence` must list exactly the rules with `patterns`",
            str(manifest_path),
            mdoc.line_of(("precedence",)),
        )
    v2 = manifest.contract.split(".")[0] == "2"
    for needed in ("R_CORROBORATION", "F_STOP", "F_SEX", "F_AGE_BAND", *(["R_CORROBORATION_DISCLAIMER"] if v2 else [])):
        if needed not in named:
            raise PackError(f"regex {needed} is required by the engine", str(manifest_path), mdoc.line_of(("regexes",)))
    # SGBC-INT-07's patterns are also P_SGBC_CONDUCT, which "valid reason" reads (format §1.1).
    if "SGBC-INT-07" not in by_id:
        raise PackError(
            "rule SGBC-INT-07 is required by the engine (its patterns are P_SGBC_CONDUCT)",
            str(manifest_path),
            mdoc.line_of(("order",)),
        )
    c_path, c_doc, c_index, c_rule = by_id["SGBC-INT-07"]
    conduct = [
        compile_regex(p, str(c_path), c_doc.line_of(("rules", c_index, "patterns", i)), f"SGBC-INT-07 patterns[{i}]")
        for i, p in enumerate(c_rule.patterns or [])
    ]
    base = default_context(list(named), pattern_rules)
    env = new_env(list(base))
    compiled = [
        _compile_rule(env, set(base), by_id[rid][3], by_id[rid][0], by_id[rid][1], by_id[rid][2])
        for rid in manifest.order
    ]
    pack = LoadedPack(manifest.version, compiled, manifest.precedence, Regexes(named, conduct, v2=v2), base, env)
    pack.contract = manifest.contract
    pack.product_types = sorted({t for r in compiled for t in r.rule.applies_to})
    # An Activation costs time per variable given, so each pass passes only the names it can read.
    pack.applicability_names = _names_in([r.applies_when.source for r in compiled], base)
    sources = [e.source for r in compiled for e in _expressions(r)]
    pack.used_names = _names_in(sources, base)
    pack.regexes.used = frozenset(pack.used_names)
    return pack


def _expressions(rule: CompiledRule) -> list[Any]:
    subs = [x for s in rule.subs for x in (s.when, s.check, s.failing) if x is not None]
    return [rule.applies_when, *subs, *[w for w, _ in rule.severity_cases if w is not None]]


def _names_in(sources: list[str], declared: dict[str, Any]) -> list[str]:
    text = "\n".join(sources)
    return [n for n in declared if re.search(rf"(?<![\w.]){re.escape(n)}(?![\w])", text)]
