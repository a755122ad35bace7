"""Rule packs: verbatim contract text, load-time validation with file/line/column, examples."""

import re
import shutil
from pathlib import Path

import pytest

from rules.engine import Engine
from rules.examples import run_examples
from rules.library import engine_for
from rules.loader import V1_PACK_DIR as DEFAULT_PACK_DIR
from rules.pack import PackError

REQUIREMENTS = Path(__file__).resolve().parents[3] / "shared" / "domain" / "requirements.md"


def test_pack_has_the_fifty_rules_in_catalogue_order_and_a_version():
    engine = engine_for("1.0")
    assert len(engine.pack.rules) == 50
    assert engine.pack_version == "1.0.0"
    assert engine.pack.precedence == ["SGBC-INT-07", "CAC-INT-08", "LANG-01", "LANG-03", "LANG-02"]


def test_every_rule_example_fires_or_passes_as_declared():
    outcomes = run_examples(engine_for("1.0"))
    assert [o for o in outcomes if not o.ok] == []
    assert {o.rule_id for o in outcomes if o.kind == "fires"} == {r.rule.id for r in engine_for("1.0").pack.rules}


@pytest.mark.skipif(not REQUIREMENTS.is_file(), reason="shared contract not present")
def test_regexes_and_citations_are_verbatim_from_requirements():
    text = REQUIREMENTS.read_text()
    engine = engine_for("1.0")
    for name, rx in engine.pack.regexes.named.items():
        assert re.search(rf"^{re.escape(name)}\s*= {re.escape(rx.pattern)}$", text, re.M), name
    for compiled in engine.pack.rules:
        for p in compiled.patterns:
            assert re.search(rf"^  \d+\s+{re.escape(p.pattern)}$", text, re.M), (compiled.rule.id, p.pattern)
        block = text.split(f"#### {compiled.rule.id} — ")[1].split("\n#### ")[0]
        citation = re.sub(r"\s+", " ", block.split("* **Citation:**")[1].split("\n* **")[0]).strip()
        assert compiled.rule.citation == citation, compiled.rule.id


@pytest.fixture
def pack_copy(tmp_path):
    target = tmp_path / "packs"
    shutil.copytree(DEFAULT_PACK_DIR, target)
    return target


def _break(pack_dir: Path, old: str, new: str, file: str = "language.yaml") -> None:
    path = pack_dir / file
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))


def _line_of(pack_dir: Path, needle: str, file: str = "language.yaml") -> int:
    return next(i for i, line in enumerate((pack_dir / file).read_text().split("\n"), 1) if needle in line)


def test_cel_syntax_error_fails_at_load_with_file_line_and_column(pack_copy):
    _break(pack_copy, "'patterns.LANG_01.hits == 0'", "'patterns.LANG_01.hits == '")
    with pytest.raises(PackError) as exc:
        Engine.load(pack_copy)
    assert exc.value.file.endswith("language.yaml")
    assert exc.value.line == _line_of(pack_copy, "patterns.LANG_01.hits == '")
    assert exc.value.column is not None


def test_undeclared_name_fails_at_load(pack_copy):
    _break(pack_copy, "'patterns.LANG_01.hits == 0'", "'patterns.LANG_01.hitz == 0'")
    with pytest.raises(PackError, match="undeclared reference"):
        Engine.load(pack_copy)


def test_unknown_field_fails_at_load_with_its_line(pack_copy):
    _break(pack_copy, "    title: Child sexual", "    titel: x\n    title: Child sexual")
    with pytest.raises(PackError) as exc:
        Engine.load(pack_copy)
    assert "titel" in exc.value.message and exc.value.line == _line_of(pack_copy, "titel: x")


def test_yaml_error_fails_at_load(pack_copy):
    _break(pack_copy, "rules:", "rules: [")
    with pytest.raises(PackError) as exc:
        Engine.load(pack_copy)
    assert exc.value.line is not None


def test_invalid_regex_and_unknown_location_name_fail_at_load(pack_copy):
    _break(pack_copy, r"'\bchild[- ]soldiers?\b'", r"'\bchild[- soldiers?\b'")
    with pytest.raises(PackError, match="invalid regex"):
        Engine.load(pack_copy)


def test_unknown_location_placeholder_fails_at_load(pack_copy):
    _break(pack_copy, "'{patterns.LANG_01.location}'", "'{patterns.LANG_01.place}'")
    with pytest.raises(PackError, match="unknown name"):
        Engine.load(pack_copy)


def test_missing_rule_or_version_mismatch_fails(pack_copy):
    _break(pack_copy, "version: 1.0.0", "version: 1.0.1")
    with pytest.raises(PackError, match="differs from the manifest"):
        Engine.load(pack_copy)
