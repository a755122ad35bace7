"""The 8 dev samples give exactly the answer key (../shared/domain/samples/expected.yaml)."""

from pathlib import Path

import pytest

from rules import yaml12
from rules.library import engine_for
from rules.roster import load_roster

ROOT = Path(__file__).resolve().parents[2]
SHARED = ROOT.parent / "shared" / "domain" / "samples"
SAMPLES = SHARED if (SHARED / "expected.yaml").is_file() else ROOT / "tests" / "fixtures" / "samples"
KEY = yaml12.load((SAMPLES / "expected.yaml").read_text()).value["files"]


@pytest.fixture(scope="module")
def roster():
    return load_roster(SAMPLES / "roster.yaml").roster


@pytest.mark.parametrize("name", sorted(KEY))
def test_sample_matches_answer_key(name, roster):
    expected = KEY[name]
    result = engine_for("1.0").check_file(SAMPLES / name, roster)
    got = {f.rule_id: f.severity.value for f in result.findings}
    assert set(got) == set(expected["expected"])
    assert got == {rid: expected["severity"][rid] for rid in expected["expected"]}
    assert result.verdict.value == expected["verdict"]
    assert result.product_id is not None and not result.errors
    assert all(f.citation and f.location and f.pack_version == engine_for("1.0").pack_version for f in result.findings)


def test_local_fixture_copy_is_identical_to_the_shared_samples():
    if not (SHARED / "expected.yaml").is_file():
        pytest.skip("shared samples not present")
    local = ROOT / "tests" / "fixtures" / "samples"
    for path in SHARED.iterdir():
        assert (local / path.name).read_bytes() == path.read_bytes(), path.name


def test_findings_follow_the_catalogue_order(roster):
    order = [r.rule.id for r in engine_for("1.0").pack.rules]
    result = engine_for("1.0").check_file(SAMPLES / "S3-IO-adolescent.md", roster)
    ids = [f.rule_id for f in result.findings]
    assert ids == sorted(ids, key=order.index)
