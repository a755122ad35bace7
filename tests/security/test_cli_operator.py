"""The operator CLI outside development (issue 17): it acts only as the operator named by an API
token in GCU_OPERATOR_TOKEN (`--as` named anyone before), account commands need an administrator's
token and are audited as CLI actions, and `gcu-review up` (demo accounts with published passwords)
is refused."""

import pytest
from sqlmodel import Session
from typer.testing import CliRunner

from cli.main import app
from service.demo import import_demo_roster
from settings import get_settings
from store.account_events import events_of
from store.accounts import create_account, create_api_token, get_account
from store.db import make_engine
from tests.dbutil import fresh_database

runner = CliRunner()


@pytest.fixture()
def production(tmp_path, monkeypatch):
    with fresh_database("sqlite", tmp_path) as url:
        engine = make_engine(url)
        import_demo_roster(engine)
        monkeypatch.setenv("DATABASE_URL", url)
        monkeypatch.setenv("ENVIRONMENT", "production")
        monkeypatch.setenv("SECRET_KEY", "kQ7vX2pLr9TzH4bN6yJc8dFs1gUe5aWm-cli-operator-tests")
        monkeypatch.setenv("TEMPORAL_PAYLOAD_KEYS", "prod-test:" + "A" * 43 + "=")
        monkeypatch.delenv("GCU_OPERATOR_TOKEN", raising=False)
        get_settings.cache_clear()
        yield engine
        get_settings.cache_clear()
        engine.dispose()


def token_of(engine, username, staff_id, *, admin=False, read_only=False) -> str:
    with Session(engine) as session:
        account = get_account(session=session, username=username) or create_account(
            session=session, username=username, password=None, staff_id=staff_id, is_admin=admin
        )
        _row, token = create_api_token(session=session, account=account, name="operator", read_only=read_only)
        session.commit()
    return token


def test_up_is_refused_outside_development(production):
    result = runner.invoke(app, ["up"])
    assert result.exit_code == 2 and "for development only (ENVIRONMENT=production)" in result.output


def test_acting_as_someone_needs_the_operators_own_token(production, monkeypatch):
    refused = runner.invoke(app, ["claim", "P-1", "--as", "GX-02"])
    assert refused.exit_code == 2 and "GCU_OPERATOR_TOKEN" in refused.output
    monkeypatch.setenv("GCU_OPERATOR_TOKEN", token_of(production, "gcu.velde", "GX-03"))
    as_other = runner.invoke(app, ["claim", "P-1", "--as", "GX-02"])
    assert as_other.exit_code == 2 and "acts only as its operator" in as_other.output
    monkeypatch.setenv("GCU_OPERATOR_TOKEN", "gcu_forged")
    forged = runner.invoke(app, ["claim", "P-1", "--as", "GX-03"])
    assert forged.exit_code == 2 and "not a live API token" in forged.output


def test_account_commands_need_an_administrators_token_and_are_audited_as_cli(production, monkeypatch):
    first = runner.invoke(app, ["accounts", "create", "first.admin", "--admin", "--no-password"])
    assert first.exit_code == 0, first.output  # nobody to name yet: the first administrator is free
    monkeypatch.setenv("GCU_OPERATOR_TOKEN", token_of(production, "gcu.velde", "GX-03"))
    not_admin = runner.invoke(app, ["accounts", "deactivate", "first.admin"])
    assert not_admin.exit_code == 2 and "for administrators" in not_admin.output
    monkeypatch.setenv("GCU_OPERATOR_TOKEN", token_of(production, "first.admin", None, admin=True))
    created = runner.invoke(app, ["accounts", "create", "heron.new", "--staff", "HE-02", "--no-password"])
    assert created.exit_code == 0, created.output
    deactivated = runner.invoke(app, ["accounts", "deactivate", "heron.new", "--reason", "moved on"])
    assert deactivated.exit_code == 0, deactivated.output
    with Session(production) as session:
        account = get_account(session=session, username="heron.new")
        events = [
            (e.action, e.actor_id, e.channel, e.reason) for e in events_of(session=session, account_id=account.id)
        ]
    assert events == [
        ("account.created", "account:first.admin", "cli", None),
        ("account.deactivated", "account:first.admin", "cli", "moved on"),
    ]


def test_a_read_only_operator_token_acts_on_nothing(production, monkeypatch):
    monkeypatch.setenv("GCU_OPERATOR_TOKEN", token_of(production, "boss", None, admin=True, read_only=True))
    result = runner.invoke(app, ["accounts", "unlock", "boss"])
    assert result.exit_code == 2 and "read-only" in result.output
