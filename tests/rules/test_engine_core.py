"""Engine behaviour: CEL error values, pattern precedence chains (§1.4), files, roster, CLI output."""

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cli.main import app
from models.enums import Verdict
from models.roster import Roster
from rules.celx import CelExpr, EngineError, new_env
from rules.engine import Engine
from rules.library import engine_for
from rules.loader import V1_PACK_DIR as DEFAULT_PACK_DIR
from rules.patterns import run_patterns
from rules.roster import RosterError, parse_roster_text
from rules.scan import Unit

SAMPLES = Path(__file__).resolve().parents[1] / "fixtures" / "samples"


def test_cel_error_value_raises_an_engine_error_never_a_pass_or_fail():
    env = new_env(["x"])
    expr = CelExpr(env, "x < 18", "test.yaml", 3, "T-1 check")
    assert expr.boolean(env.Activation(data={"x": 5})) is True
    with pytest.raises(EngineError, match="test.yaml:3"):
        expr.boolean(env.Activation(data={"x": None}))
    with pytest.raises(EngineError, match="expected a bool"):
        CelExpr(env, "x + 1", "t", 1, "w").boolean(env.Activation(data={"x": 1}))


def test_a_broken_condition_surfaces_as_an_engine_error_on_check(tmp_path):
    pack = tmp_path / "packs"
    shutil.copytree(DEFAULT_PACK_DIR, pack)
    path = pack / "ga.yaml"
    path.write_text(
        path.read_text().replace(
            "'sec.gender_norms_analysis.present'", "'sec.gender_norms_analysis.words < product.team'"
        )
    )
    engine = Engine.load(pack)
    with pytest.raises(EngineError):
        engine.check_file(SAMPLES / "S8-GA-velmora.md", Roster())


def _rx(*patterns):
    import re

    return [re.compile(p, re.IGNORECASE) for p in patterns]


def _unit(text):
    return Unit(text, line_starts=[0], line_numbers=[7], is_body=True)


def test_earlier_rule_suppresses_overlapping_later_occurrence():
    rules = [
        ("SGBC-INT-07", _rx(r"\bwhy did(n't| not) you (scream|shout)\b")),
        ("CAC-INT-08", _rx(r"\bwhy did(n't| not) you\b")),
    ]
    result = run_patterns([_unit("Why didn't you scream?")], rules)
    assert result["SGBC-INT-07"].hits == 1 and result["CAC-INT-08"].hits == 0
    alone = run_patterns([_unit("Why didn't you scream?")], rules[1:])
    assert alone["CAC-INT-08"].hits == 1 and alone["CAC-INT-08"].location == "line:7"


def test_suppression_chains_through_suppressed_occurrences():
    rules = [("A", _rx(r"aa bb")), ("B", _rx(r"bb cc")), ("C", _rx(r"cc dd"))]
    result = run_patterns([_unit("aa bb cc dd")], rules)
    assert (result["A"].hits, result["B"].hits, result["C"].hits) == (1, 0, 0)


def test_suppression_is_per_unit_and_same_rule_never_suppresses_itself():
    rules = [("A", _rx(r"child soldier")), ("B", _rx(r"soldier wives", r"wives"))]
    result = run_patterns([_unit("child soldier"), _unit("soldier wives")], rules)
    assert result["B"].hits == 2 and result["B"].location == "line:7"


def test_lang02_is_suppressed_by_an_overlapping_lang03_term():
    text = Path(SAMPLES / "S8-GA-velmora.md").read_text().replace("child soldiers.", "child soldier wives.")
    result = engine_for("1.0").check_text(text, Roster())
    ids = {f.rule_id for f in result.findings}
    assert "LANG-03" in ids and "LANG-02" not in ids


def test_invalid_utf8_and_unreadable_files_are_format_errors(tmp_path):
    bad = tmp_path / "bad.md"
    bad.write_bytes(b"---\n\xff\n---\n")
    result = engine_for("1.0").check_file(bad, Roster())
    assert result.verdict == Verdict.FORMAT_ERROR and result.errors[0].line == 2
    missing = engine_for("1.0").check_file(tmp_path / "none.md", Roster())
    assert missing.verdict == Verdict.FORMAT_ERROR


def test_roster_malformed_entries_are_skipped_and_reported():
    load = parse_roster_text(
        "teams:\n  - {id: T1, leader: 5}\n  - {id: T1}\n  - nope\nstaff:\n  - {id: A, gender: Female, roles: [analyst, 3]}\n"
        "  - {name: x}\ncertifications:\n  - {staff_id: A, cert: SGBC_BASIC, issued: 2024-01-01}\n"
        "  - {staff_id: Z, cert: FOO}\nbriefings: 7\n",
        "r.yaml",
    )
    roster = load.roster
    assert [t.id for t in roster.teams] == ["T1"] and roster.teams[0].leader is None
    assert roster.staff[0].gender is None and roster.staff[0].roles == ["analyst"]
    assert roster.certifications[0].expires is None
    lines = {p.line for p in load.problems}
    assert 3 in lines and 4 in lines and all(p.file == "r.yaml" for p in load.problems)


def test_unreadable_roster_raises_with_file_and_line():
    with pytest.raises(RosterError) as exc:
        parse_roster_text("teams: [\n", "r.yaml")
    assert exc.value.file == "r.yaml" and exc.value.line is not None
    with pytest.raises(RosterError):
        parse_roster_text("- a\n", "r.yaml")


def test_cli_json_output_and_exit_status(tmp_path):
    runner = CliRunner()
    bad = tmp_path / "broken.md"
    bad.write_text("---\nproduct: {id: X-1}\n---\n")
    args = [
        "check",
        "--pack",
        "1.0",
        str(SAMPLES / "S2-IO-child-compliant.md"),
        str(bad),
        "--roster",
        str(SAMPLES / "roster.yaml"),
        "--format",
        "json",
    ]
    result = runner.invoke(app, args)
    assert result.exit_code == 2
    data = json.loads(result.stdout)
    assert [d["verdict"] for d in data] == ["clean", "format_error"]
    assert data[1]["product_id"] == "X-1" and data[1]["findings"] == [] and data[1]["errors"]
    assert set(data[0]) == {"file", "product_id", "verdict", "findings", "errors"}
    ok = runner.invoke(app, ["check", str(SAMPLES / "S6-MP-compliant.md"), "--roster", str(SAMPLES / "roster.yaml")])
    assert ok.exit_code == 0
    revise = runner.invoke(app, ["check", str(SAMPLES / "S1-IP-heron.md"), "--roster", str(SAMPLES / "roster.yaml")])
    assert revise.exit_code == 1 and "MAJOR" in revise.stdout and "fix:" in revise.stdout


def test_cli_unreadable_roster_prints_nothing_and_exits_2(tmp_path):
    roster = tmp_path / "r.yaml"
    roster.write_text("teams: [\n")
    result = CliRunner().invoke(app, ["check", str(SAMPLES / "S1-IP-heron.md"), "--roster", str(roster)])
    assert result.exit_code == 2 and result.stdout == "" and "r.yaml" in result.stderr


def test_cli_bad_arguments_exit_2():
    runner = CliRunner()
    assert runner.invoke(app, ["check", "--roster", "x.yaml"]).exit_code == 2
    assert runner.invoke(app, ["check", "a.md"]).exit_code == 2
    assert runner.invoke(app, ["check", "a.md", "--roster", "r", "--format", "xml"]).exit_code == 2
