"""Low findings of issue 17: HSTS outside development, and error responses that do not map the
internal network (the Temporal address went into a 503's text)."""

from fastapi.testclient import TestClient

from tests.web.conftest import make_settings
from web.app import create_app


def test_hsts_is_sent_outside_development_only(tmp_path, web_db):
    _settings, engine = web_db
    production = make_settings(
        tmp_path,
        environment="production",
        secret_key="kQ7vX2pLr9TzH4bN6yJc8dFs1gUe5aWm-headers-test",
        temporal_payload_keys="prod-test:" + "A" * 43 + "=",
    )
    with TestClient(create_app(production, db_engine=engine), base_url="https://testserver") as client:
        assert client.get("/login").headers["strict-transport-security"] == "max-age=31536000; includeSubDomains"
    with TestClient(create_app(make_settings(tmp_path), db_engine=engine)) as client:
        assert "strict-transport-security" not in client.get("/login").headers


def test_an_unreachable_review_service_is_reported_without_its_address(tmp_path, web_db, tokens):
    _settings, engine = web_db
    settings = make_settings(tmp_path, temporal_address="127.0.0.1:1")
    with TestClient(create_app(settings, db_engine=engine)) as client:
        response = client.post(
            "/api/products/WEB-HERON-1/claim", headers={"Authorization": f"Bearer {tokens['gcu.albrecht']}"}, json={}
        )
    assert response.status_code == 503
    assert "not reachable" in response.json()["detail"] and "127.0.0.1" not in response.text
