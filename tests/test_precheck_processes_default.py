"""Heavy pre-checks run in a process of their own by default in production (docs/review-lifecycle.md,
"Heavy pre-checks"): a 24 MB document held the worker's interpreter for 9 s while reviewers' quick
recordings waited. Development and tests start no process unless asked."""

import pytest

from settings import Settings

PRODUCTION = {
    "environment": "production",
    "secret_key": "k9#Lq2!vX7@pR4$wZ1^mN8&bT6*cY3(e",
    "temporal_payload_keys": "prod-test:" + "A" * 43 + "=",
}


def test_production_runs_pre_checks_in_a_process_pool_by_default(monkeypatch):
    monkeypatch.delenv("PRECHECK_PROCESSES", raising=False)
    assert Settings(**PRODUCTION).precheck_processes == 1


@pytest.mark.parametrize("environment", ["development", "test"])
def test_development_and_tests_start_no_process_unless_asked(monkeypatch, environment):
    monkeypatch.delenv("PRECHECK_PROCESSES", raising=False)
    assert Settings(environment=environment).precheck_processes == 0
    assert Settings(environment=environment, precheck_processes=2).precheck_processes == 2


def test_an_operator_may_still_choose_in_process_checks(monkeypatch):
    monkeypatch.setenv("PRECHECK_PROCESSES", "0")
    assert Settings(**PRODUCTION).precheck_processes == 0
