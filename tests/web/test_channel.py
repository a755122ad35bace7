"""Each request and each CLI command says through what it came (web, api, cli), and the acting
person resolved for a review update carries it (Actor.channel), for the audit trail."""

from fastapi.testclient import TestClient
from typer.testing import CliRunner

from models.enums import AuditChannel
from service.actors import resolve_actor
from service.channel import current_channel, set_channel
from web.app import create_app


def test_the_web_app_marks_api_and_page_requests(web_db):
    settings, engine = web_db
    app = create_app(settings, db_engine=engine)

    @app.get("/api/channel-probe")
    def api_probe() -> str:  # a sync route: runs in a worker thread
        return current_channel()

    @app.get("/channel-probe")
    async def page_probe() -> str:
        return resolve_actor(engine, "HE-01").channel

    with TestClient(app) as client:
        assert client.get("/api/channel-probe").json() == "api"
        assert client.get("/channel-probe").json() == "web"


def test_a_cli_command_acts_through_the_cli():
    from cli.main import app

    set_channel(AuditChannel.SYSTEM)
    try:
        assert CliRunner().invoke(app, ["rules", "lint"]).exit_code == 0
        assert current_channel() == AuditChannel.CLI
    finally:
        set_channel(AuditChannel.SYSTEM)


def test_the_resolved_actor_carries_the_channel(web_db):
    _settings, engine = web_db
    set_channel(AuditChannel.API)
    try:
        assert resolve_actor(engine, "HE-01").channel == "api"
    finally:
        set_channel(AuditChannel.SYSTEM)
