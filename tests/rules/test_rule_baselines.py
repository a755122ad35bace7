"""The foundation: every baseline product is compliant, so one change that makes a rule fire
shows that this change, and nothing else, is the defect."""

import pytest

from models.enums import Verdict
from tests.rules.factories import BASELINES, base_roster


@pytest.mark.parametrize("kind", sorted(BASELINES))
def test_baseline_product_has_no_findings_and_no_errors(kind):
    result = BASELINES[kind]().check()
    assert result.errors == []
    assert [(f.rule_id, f.severity, f.location) for f in result.findings] == []
    assert result.verdict == Verdict.CLEAN


@pytest.mark.parametrize("kind", sorted(BASELINES))
def test_baseline_product_id_is_reported(kind):
    spec = BASELINES[kind]()
    assert spec.check().product_id == spec.get("product.id")


def test_baseline_roster_parses_without_problems():
    from rules.roster import parse_roster_text
    from tests.rules.factories import base_roster_dict, roster_text

    load = parse_roster_text(roster_text(base_roster_dict()))
    assert load.problems == []
    assert [t.id for t in load.roster.teams] == ["T-ALPHA"]
    assert len(load.roster.certifications) == len(base_roster_dict()["certifications"])
    assert base_roster().person("AL-12").gender == "male"
