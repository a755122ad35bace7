"""Contract v2 (../shared/domain/v2): the v2 dev samples give their answer key with the default pack
(2.0.0), the v1 dev samples give `expected-v1-samples-under-v2.yaml`, and `check --pack 1.0` still
gives the v1 key; each through the engine and through the CLI with the shared compare_key tool."""

import json
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cli.main import app
from rules import yaml12
from rules.engine import default_engine
from rules.library import engine_for
from rules.roster import load_roster

ROOT = Path(__file__).resolve().parents[2]
SHARED = ROOT.parent / "shared" / "domain"
V1_DIR = (
    SHARED / "samples" if (SHARED / "samples" / "expected.yaml").is_file() else ROOT / "tests" / "fixtures" / "samples"
)
V2_DIR = (
    SHARED / "v2" / "samples"
    if (SHARED / "v2" / "samples" / "expected.yaml").is_file()
    else ROOT / "tests" / "fixtures" / "samples_v2"
)
COMPARE = ROOT / "tests" / "fixtures" / "compare_key.py"
V2_KEY = V2_DIR / "expected.yaml"
V1_UNDER_V2_KEY = V2_DIR / "expected-v1-samples-under-v2.yaml"
V1_KEY = V1_DIR / "expected.yaml"


def _key(path: Path) -> dict:
    return yaml12.load(path.read_text()).value["files"]


def _assert_matches(result, expected: dict) -> None:
    got = {f.rule_id: f.severity.value for f in result.findings}
    assert got == {rid: expected["severity"][rid] for rid in expected["expected"]}
    assert result.verdict.value == expected["verdict"]
    assert result.product_id is not None and not result.errors


def test_the_default_pack_is_contract_v2():
    engine = default_engine()
    assert engine.pack_version == "2.0.0" and engine.pack.contract == "2.0"
    assert len(engine.pack.rules) == 63 and "IR" in engine.product_types


@pytest.mark.parametrize("name", sorted(_key(V2_KEY)))
def test_v2_dev_sample_matches_its_key(name):
    result = default_engine().check_file(V2_DIR / name, load_roster(V2_DIR / "roster.yaml").roster)
    _assert_matches(result, _key(V2_KEY)[name])
    assert all(f.pack_version == "2.0.0" and f.citation for f in result.findings)


@pytest.mark.parametrize("name", sorted(_key(V1_UNDER_V2_KEY)))
def test_v1_dev_sample_under_v2_matches_its_key(name):
    result = default_engine().check_file(V1_DIR / name, load_roster(V1_DIR / "roster.yaml").roster)
    _assert_matches(result, _key(V1_UNDER_V2_KEY)[name])


def test_v1_samples_give_the_same_answers_with_the_v2_roster():
    roster = load_roster(V2_DIR / "roster.yaml").roster
    for name, expected in _key(V1_UNDER_V2_KEY).items():
        _assert_matches(default_engine().check_file(V1_DIR / name, roster), expected)


def test_an_interview_record_is_a_format_error_under_pack_1_0():
    result = engine_for("1.0").check_file(
        V2_DIR / "V4-IR-child-survivor-compliant.md", load_roster(V2_DIR / "roster.yaml").roster
    )
    assert result.verdict.value == "format_error"
    assert [e.field for e in result.errors] == ["product.type"]


@pytest.mark.parametrize(
    "pack,key,samples",
    [
        (None, V2_KEY, V2_DIR),
        (None, V1_UNDER_V2_KEY, V1_DIR),
        ("1.0", V1_KEY, V1_DIR),
    ],
    ids=["v2-key", "v1-samples-under-v2", "v1-key-with-pack-1.0"],
)
def test_cli_output_matches_the_key_with_compare_key(tmp_path, pack, key, samples):
    files = sorted(str(samples / n) for n in _key(key))
    args = ["check", *files, "--roster", str(samples / "roster.yaml"), "--format", "json"]
    if pack:
        args += ["--pack", pack]
    result = CliRunner().invoke(app, args)
    assert result.exit_code in (0, 1), result.output
    out = tmp_path / "out.json"
    out.write_text(result.stdout)
    assert isinstance(json.loads(result.stdout), list)
    compared = subprocess.run(
        [sys.executable, str(COMPARE), str(key), str(out)], capture_output=True, text=True, check=False
    )
    assert compared.returncode == 0, compared.stdout
    assert compared.stdout.strip().endswith("8/8 files exact")


def test_local_v2_fixture_copy_is_identical_to_the_shared_samples():
    shared = SHARED / "v2" / "samples"
    if not (shared / "expected.yaml").is_file():
        pytest.skip("shared contract not present")
    for path in shared.iterdir():
        assert (ROOT / "tests" / "fixtures" / "samples_v2" / path.name).read_bytes() == path.read_bytes(), path.name


def test_check_pack_accepts_a_directory_and_refuses_an_unknown_version():
    from rules.library import PACKS_ROOT

    sample = str(V1_DIR / "S2-IO-child-compliant.md")
    roster = str(V1_DIR / "roster.yaml")
    by_dir = CliRunner().invoke(
        app, ["check", sample, "--roster", roster, "--pack", str(PACKS_ROOT / "1.0"), "--format", "json"]
    )
    assert by_dir.exit_code == 0 and json.loads(by_dir.stdout)[0]["verdict"] == "clean"
    unknown = CliRunner().invoke(app, ["check", sample, "--roster", roster, "--pack", "9.9"])
    assert unknown.exit_code == 2 and "no pack version '9.9' (have 1.0.0, 2.0.0)" in unknown.stderr
