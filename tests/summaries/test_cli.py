"""`gcu-review summaries ...` and `gcu-review notify ...` on a database with the known dataset."""

import json

import pytest
import typer
from sqlmodel import Session
from typer.testing import CliRunner

from cli import summaries as summaries_cli
from settings import get_settings
from store.db import make_engine
from tests.dbutil import fresh_database
from tests.summaries import dataset


@pytest.fixture
def cli(tmp_path, monkeypatch):
    with fresh_database("sqlite", tmp_path) as url:
        engine = make_engine(url)
        with Session(engine) as s:
            dataset.build(s)
        engine.dispose()
        monkeypatch.setenv("DATABASE_URL", url)
        monkeypatch.setenv("SMTP_HOST", "")
        get_settings.cache_clear()
        app = typer.Typer()
        summaries_cli.register(app)
        runner = CliRunner()
        yield lambda *args: runner.invoke(app, list(args), catch_exceptions=False)
    get_settings.cache_clear()


def test_run_list_and_show_a_summary(cli, tmp_path):
    ran = cli("summaries", "run", "--local", "--dp", "DP-1", "--from", "2026-03-02", "--to", "2026-03-08")
    assert ran.exit_code == 0, ran.output
    result = json.loads(ran.stdout)
    assert [s["deputy_prosecutor_id"] for s in result["summaries"]] == ["DP-1"]
    assert [e["state"] for e in result["emails"]] == ["not_configured"]

    listed = json.loads(cli("summaries", "list", "--format", "json").stdout)
    assert [(r["deputy_prosecutor_id"], r["period_start"], r["reviewed"], r["returned"]) for r in listed] == [
        ("DP-1", "2026-03-02", 2, 2)
    ]

    out = tmp_path / "summary.pdf"
    shown = cli("summaries", "show", str(listed[0]["id"]), "--pdf", str(out))
    assert shown.exit_code == 0
    assert json.loads(shown.stdout)["open_blocking"] == 3
    assert out.read_bytes().startswith(b"%PDF")
    assert cli("summaries", "show", "999").exit_code == 1


def test_run_refuses_half_a_period_and_unknown_deputy_prosecutors(cli):
    assert cli("summaries", "run", "--local", "--from", "2026-03-02").exit_code == 2
    unknown = cli("summaries", "run", "--local", "--dp", "NOBODY", "--from", "2026-03-02", "--to", "2026-03-08")
    assert unknown.exit_code == 1 and "not an active Deputy Prosecutor" in unknown.output


def test_send_pending_without_smtp_says_notifications_stay_in_app(cli):
    sent = cli("notify", "send-pending")
    assert sent.exit_code == 0
    assert json.loads(sent.stdout)["smtp_configured"] is False
    assert "notifications stay in-app" in sent.output
