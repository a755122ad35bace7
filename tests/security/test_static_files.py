"""Product files are served only through access-checked routes: the one static mount of the web app
holds the app's own assets, and stored products live in the database, never under it."""

from pathlib import Path

import pytest

pytest.importorskip("web.app")

from fastapi.testclient import TestClient
from sqlmodel import Session
from starlette.routing import Mount

from settings import Settings
from store.db import make_engine, migrate
from store.products import create_version
from web.app import create_app

ASSET_SUFFIXES = {".css", ".js", ".txt", ".LICENSE", ""}


@pytest.fixture(scope="module")
def app_and_engine(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("static")
    settings = Settings(database_url=f"sqlite:///{tmp / 'w.db'}", var_dir=tmp, secret_key="static-test-" + "x" * 20)
    migrate(settings.database_url)
    engine = make_engine(settings.database_url)
    with Session(engine) as session:
        create_version(
            session=session,
            product_id="IP-STATIC-1",
            product_type="IP",
            team_id="T-HERON",
            situation="S",
            author_id="HE-01",
            title="Plan",
            version_label="1",
            filename="IP-STATIC-1.md",
            media_type="text/markdown",
            content=b"---\nproduct: {}\n---\n# Witness W-7 statement\n",
            front_matter={},
            submitted_by="HE-01",
        )
        session.commit()
    yield create_app(settings, db_engine=engine), settings
    engine.dispose()


def _static_dirs(app) -> list[Path]:
    return [
        Path(route.app.directory)
        for route in app.routes
        if isinstance(route, Mount) and hasattr(route.app, "directory")
    ]


def test_the_only_static_mount_holds_app_assets_only(app_and_engine):
    app, settings = app_and_engine
    (static,) = _static_dirs(app)
    files = [p for p in static.rglob("*") if p.is_file()]
    assert files
    for path in files:
        assert path.suffix in ASSET_SUFFIXES, f"unexpected file under the static mount: {path}"
        assert b"witness" not in path.read_bytes().lower()
    for stored in (settings.var_dir,):
        assert not Path(stored).resolve().is_relative_to(static.resolve())
        assert not static.resolve().is_relative_to(Path(stored).resolve())


@pytest.mark.parametrize(
    "path",
    [
        "/static/IP-STATIC-1.md",
        "/static/../var/files/IP-STATIC-1.md",
        "/static/%2e%2e/app.py",
        "/static/..%2fapp.py",
        "/var/IP-STATIC-1.md",
        "/files/IP-STATIC-1.md",
    ],
)
def test_a_stored_product_is_not_reachable_without_signing_in(app_and_engine, path):
    app, _ = app_and_engine
    with TestClient(app) as client:
        response = client.get(path, follow_redirects=False)
    assert response.status_code in (303, 401, 404), (path, response.status_code)
    assert b"Witness W-7" not in response.content


def test_the_file_download_requires_a_signed_in_user(app_and_engine):
    app, _ = app_and_engine
    with TestClient(app) as client:
        response = client.get("/products/IP-STATIC-1/versions/1/file", follow_redirects=False)
        api = client.get("/api/products/IP-STATIC-1/versions/1/text")
    assert response.status_code == 303 and "/login" in response.headers["location"]
    assert api.status_code == 401
    assert b"Witness W-7" not in response.content + api.content
