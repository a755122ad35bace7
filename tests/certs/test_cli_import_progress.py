"""`certs import` tells its progress on stderr (the roster import's helper, cli.common.StepProgress)
when stderr is a terminal, and stays quiet in pipes and logs."""

import pytest
from typer.testing import CliRunner

from service.demo import import_demo_roster


@pytest.fixture
def register_file(fresh_engine, tmp_path, monkeypatch):
    from settings import get_settings

    import_demo_roster(fresh_engine)
    path = tmp_path / "register.csv"
    rows = [f"certification,HE-01,SGBC_BASIC,2020-01-{day:02d},2030-01-01,," for day in range(1, 29)]
    rows += [f"briefing,HE-01,,,2030-01-01,CAC,2021-02-{day:02d}" for day in range(1, 29)]
    path.write_text("kind,staff_id,cert,issued,expires,area,date\n" + "\n".join(rows) + "\n")
    monkeypatch.setenv("DATABASE_URL", fresh_engine.url.render_as_string(hide_password=False))
    get_settings.cache_clear()
    yield path
    get_settings.cache_clear()


def test_certs_import_draws_progress_on_a_terminal(register_file, monkeypatch):
    from cli.main import app

    monkeypatch.setenv("FORCE_COLOR", "1")  # rich: stderr counts as a terminal
    result = CliRunner().invoke(app, ["certs", "import", str(register_file)])
    assert result.exit_code == 0, result.output
    assert "records" in result.stderr and "56/56" in result.stderr
    assert result.stdout.strip() == f"imported {register_file}: 56 created, 0 updated, 0 unchanged"


def test_certs_import_is_quiet_when_stderr_is_no_terminal(register_file):
    from cli.main import app

    result = CliRunner().invoke(app, ["certs", "import", str(register_file)])
    assert result.exit_code == 0, result.output
    assert result.stderr == ""
    assert "56 created" in result.stdout


def test_kpi_backfill_facts_counts_on_a_terminal(register_file, monkeypatch):
    from cli.main import app

    monkeypatch.setenv("FORCE_COLOR", "1")
    result = CliRunner().invoke(app, ["kpi", "backfill-facts"])
    assert result.exit_code == 0, result.output
    assert "product versions" in result.stderr
    assert result.stdout.strip() == "recorded facts of 0 version(s)"
